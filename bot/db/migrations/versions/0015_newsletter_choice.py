"""One person's chats (review 14): when each chat's newsletter choice was made
(`partners.chosen_at`: the most recent one counts when chats are linked) and the chat's
own choice while a linked chat's newer one stands in for it (`partners.own_choice`, back
when that chat is forgotten or unlinked).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("partners", sa.Column("chosen_at", UtcDateTime, nullable=True))
    op.add_column("partners", sa.Column("own_choice", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("partners", "own_choice")
    op.drop_column("partners", "chosen_at")
