"""The segments a chat left, and when (session 28): a contest counts only the sales a
partner made while in one of its segments (bot/services/segment_history.py). Nothing is
known of the switches made before this revision: a chat's segment then covers all time
before its next switch, as the standings read it until now.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segment_changes",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey(
                "partners.id",
                ondelete="CASCADE",
                name="fk_segment_changes_partner_id_partners",
            ),
            nullable=False,
        ),
        sa.Column("segment", sa.String(64), nullable=False),
        sa.Column("left_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segment_changes"),
    )
    op.create_index("ix_segment_changes_partner", "segment_changes", ["partner_id", "left_at"])


def downgrade() -> None:
    op.drop_index("ix_segment_changes_partner", table_name="segment_changes")
    op.drop_table("segment_changes")
