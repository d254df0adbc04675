"""A ticket remembers the title its forum topic was given (session 26): the title follows
the partner's display name and segment at their next message in the ticket, and /forget
renames it, so neither keeps a name the partner no longer goes by (docs/privacy.md).
NULL: no topic, or one titled before this revision (renamed at the next message).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("topic_title", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("topic_title")
