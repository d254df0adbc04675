"""Conversions (sales from postbacks and CSV imports) and every change to them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversion_id", sa.String(128), nullable=False),
        sa.Column("affiliate_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversions"),
        sa.UniqueConstraint("conversion_id", name="uq_conversions_conversion_id"),
    )
    op.create_index("ix_conversions_affiliate_status", "conversions", ["affiliate_id", "status"])
    op.create_table(
        "conversion_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversion_id",
            sa.Integer,
            sa.ForeignKey(
                "conversions.id",
                ondelete="CASCADE",
                name="fk_conversion_events_conversion_id_conversions",
            ),
            nullable=False,
        ),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversion_events"),
    )


def downgrade() -> None:
    op.drop_table("conversion_events")
    op.drop_index("ix_conversions_affiliate_status", "conversions")
    op.drop_table("conversions")
