"""Presses that must act once (review 10): a ticket counts its reopens (`tickets.reopens`),
so a /cancel confirmation given before a reopen no longer withdraws it, and a /faq_link
picker's message that sent its answer is kept (`pressed_once`), so a second press sends
nothing again.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("tickets", sa.Column("reopens", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "pressed_once",
        sa.Column("platform", sa.String(8), primary_key=True),
        sa.Column("chat_id", sa.BigInteger, primary_key=True),
        sa.Column("message_id", sa.BigInteger, primary_key=True),
        sa.Column("pressed_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pressed_once")
    op.drop_column("tickets", "reopens")  # SQLite ≥ 3.35 drops a column in place
