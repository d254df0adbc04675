"""A finished contest keeps its places when a winner uses /forget (session 25): its
results as they were decided, the forgotten winner's places held by a mark that names
nobody (bot/services/contests.py `keep_places`). Its live standings count linked
affiliate ids only, so they dropped the winner and moved the others up.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contests", sa.Column("results", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contests") as batch:
        batch.drop_column("results")
