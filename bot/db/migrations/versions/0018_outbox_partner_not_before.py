"""The weekly cap counts a partner's messages by when they go (`outbox.not_before`, within
7 days of a new one: bot/services/outbox_enqueue.py `_counted`, session 22): an index on
(partner_id, not_before) keeps that count to the rows of those days — by `created_at`
alone it read every row a partner ever had.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_partner_not_before", "outbox", ["partner_id", "not_before"])


def downgrade() -> None:
    op.drop_index("ix_outbox_partner_not_before", "outbox")
