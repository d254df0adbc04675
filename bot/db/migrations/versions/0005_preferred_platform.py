"""VK beside Telegram: a partner on both may choose where automated messages go, and a
ticket's messages say on which platform their chat is.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("preferred_platform", sa.String(8), nullable=True))
    with op.batch_alter_table("ticket_messages") as batch:
        batch.add_column(sa.Column("platform", sa.String(8), nullable=False, server_default="tg"))


def downgrade() -> None:
    with op.batch_alter_table("ticket_messages") as batch:
        batch.drop_column("platform")
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("preferred_platform")
