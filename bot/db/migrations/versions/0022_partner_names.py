"""The names a partner's chat went by before its current one (session 28): /forget looks
for every name the bot's posts may have given them, not only the one they have at /forget
(a winner renamed after the results named them kept their old name in the sent post).
Names changed before this revision are not known.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_names",
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("partners.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("form", sa.String(200), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("partner_names")
