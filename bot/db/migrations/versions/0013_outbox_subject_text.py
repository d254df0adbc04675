"""A sale notice names the conversions it tells of in `outbox.subject` ("sales:12,15"), so
one held for the quiet hours whose sale was reversed meanwhile is dropped when it falls
due (bot/services/outbox_sales.py): one approval may name many, so the subject is text.
SQLite does not enforce a VARCHAR's length (nothing to do there: no table rebuild).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "outbox", "subject", type_=sa.Text(), existing_type=sa.String(64), nullable=True
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE outbox SET subject = left(subject, 64) WHERE length(subject) > 64")
        op.alter_column(
            "outbox", "subject", type_=sa.String(64), existing_type=sa.Text(), nullable=True
        )
