"""A person's choice of one platform for automated messages that can no longer be honoured
(the chosen chat forgotten, unlinked or blocked, or a single chat left) is dropped: their
chats get automated messages everywhere again (review 2). From now on the partners service
keeps this true; this corrects rows saved before.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    partners = sa.table(
        "partners",
        sa.column("id", sa.Integer),
        sa.column("platform", sa.String),
        sa.column("affiliate_id", sa.String),
        sa.column("affiliate_status", sa.String),
        sa.column("unreachable", sa.Boolean),
        sa.column("preferred_platform", sa.String),
    )
    other = partners.alias("other")
    same_person = sa.and_(
        other.c.affiliate_id == partners.c.affiliate_id,
        other.c.affiliate_status == "linked",
        other.c.id != partners.c.id,
    )
    chosen_reachable = (
        sa.select(other.c.id)
        .where(
            sa.or_(same_person, other.c.id == partners.c.id),
            other.c.platform == partners.c.preferred_platform,
            other.c.unreachable.is_(False),
        )
        .exists()
    )
    op.execute(
        partners.update()
        .where(
            partners.c.preferred_platform.is_not(None),
            sa.or_(
                partners.c.affiliate_status != "linked",
                ~sa.select(other.c.id).where(same_person).exists(),
                ~chosen_reachable,
            ),
        )
        .values(preferred_platform=None)
    )


def downgrade() -> None:
    """Nothing to undo: the dropped choices were not honoured anyway."""
