"""Support tickets and the message pairs that route replies.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey(
                "partners.id", ondelete="CASCADE", name="fk_tickets_partner_id_partners"
            ),
            nullable=False,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("question", sa.Text, nullable=False, server_default=""),
        sa.Column("chat_id", sa.BigInteger, nullable=True),
        sa.Column("thread_id", sa.BigInteger, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("waiting_since", UtcDateTime, nullable=True),
        sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_reply_at", UtcDateTime, nullable=True),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("rating", sa.String(8), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
    )
    op.create_index("ix_tickets_partner_status", "tickets", ["partner_id", "status"])
    op.create_index("ix_tickets_chat_thread", "tickets", ["chat_id", "thread_id"])
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id",
            sa.Integer,
            sa.ForeignKey(
                "tickets.id", ondelete="CASCADE", name="fk_ticket_messages_ticket_id_tickets"
            ),
            nullable=False,
        ),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("partner_message_id", sa.BigInteger, nullable=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_messages"),
    )
    op.create_index(
        "ix_ticket_messages_chat_message", "ticket_messages", ["chat_id", "message_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_messages_chat_message", "ticket_messages")
    op.drop_table("ticket_messages")
    op.drop_index("ix_tickets_chat_thread", "tickets")
    op.drop_index("ix_tickets_partner_status", "tickets")
    op.drop_table("tickets")
