"""Scale-out: question ids are 64-bit (made in the process, time-ordered), outbox rows
can be claimed by one delivery worker at a time (a lease), and Telegram updates received
by webhook are kept until handled.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite's INTEGER is 64-bit already
        op.alter_column("faq_questions", "id", type_=sa.BigInteger)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_until", UtcDateTime, nullable=True))
    op.create_table(
        "webhook_updates",
        sa.Column("platform", sa.String(8), nullable=False),
        sa.Column("update_id", sa.BigInteger, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("taken_at", UtcDateTime, nullable=True),
        sa.Column("handled_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("platform", "update_id"),
    )
    op.create_index("ix_webhook_updates_handled", "webhook_updates", ["handled_at", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_updates_handled", "webhook_updates")
    op.drop_table("webhook_updates")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_until")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("faq_questions", "id", type_=sa.Integer)
