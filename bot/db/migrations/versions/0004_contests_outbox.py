"""Contests made by managers (and the state of file contests); the outbox of automated sends;
announcements and their reactions; indexes for contest standings.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contests",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("definition", sa.JSON, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("announced_at", UtcDateTime, nullable=True),
        sa.Column("cancelled_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contests"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("platform", sa.String(8), nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("partners.id", ondelete="CASCADE", name="fk_outbox_partner_id_partners"),
            nullable=True,
        ),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("photo", sa.Text, nullable=True),
        sa.Column("document", sa.Text, nullable=True),
        sa.Column("picture", sa.LargeBinary, nullable=True),
        sa.Column("buttons", sa.JSON, nullable=True),
        sa.Column("not_before", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("uncertain", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("manager_chat_id", sa.BigInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("photo", sa.Text, nullable=True),
        sa.Column("document", sa.Text, nullable=True),
        sa.Column("audience", sa.String(64), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("send_at", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("reported_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_table(
        "announcement_reactions",
        sa.Column(
            "announcement_id",
            sa.Integer,
            sa.ForeignKey(
                "announcements.id",
                ondelete="CASCADE",
                name="fk_announcement_reactions_announcement_id_announcements",
            ),
            nullable=False,
        ),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey(
                "partners.id",
                ondelete="CASCADE",
                name="fk_announcement_reactions_partner_id_partners",
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("announcement_id", "partner_id", name="pk_announcement_reactions"),
    )
    op.create_index("ix_outbox_status_not_before", "outbox", ["status", "not_before"])
    op.create_index("ix_outbox_partner_created", "outbox", ["partner_id", "created_at"])
    op.create_index(
        "ix_partners_affiliate", "partners", ["affiliate_id", "affiliate_status", "segment"]
    )
    op.create_index("ix_partners_referrer_id", "partners", ["referrer_id"])
    op.create_index(
        "ix_conversions_status_occurred",
        "conversions",
        ["status", "occurred_at", "affiliate_id", "amount"],
    )


def downgrade() -> None:
    op.drop_index("ix_conversions_status_occurred", "conversions")
    op.drop_index("ix_partners_referrer_id", "partners")
    op.drop_index("ix_partners_affiliate", "partners")
    op.drop_index("ix_outbox_partner_created", "outbox")
    op.drop_index("ix_outbox_status_not_before", "outbox")
    op.drop_table("outbox")
    op.drop_table("announcement_reactions")
    op.drop_table("announcements")
    op.drop_table("contests")
