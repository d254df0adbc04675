"""Another affiliate id a linked partner asks for (session 18's tester: a second /link
dropped the approved link at once — its sales left /me and /top — and a decline left no
link at all): kept apart until a manager decides (`partners.requested_affiliate_id`).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("requested_affiliate_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("requested_affiliate_id")
