"""Partners, FAQ questions, lesson progress, dialog state and the audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(8), nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("first_name", sa.String(128), nullable=False, server_default=""),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=False, server_default="ru"),
        sa.Column("segment", sa.String(64), nullable=True),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("onboarded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("consent", sa.Boolean, nullable=True),
        sa.Column("subscriptions", sa.JSON, nullable=False),
        sa.Column("stopped", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column(
            "referrer_id",
            sa.Integer,
            sa.ForeignKey(
                "partners.id", ondelete="SET NULL", name="fk_partners_referrer_id_partners"
            ),
        ),
        sa.Column("partner_code", sa.String(16), nullable=False),
        sa.Column("affiliate_id", sa.String(64), nullable=True),
        sa.Column("affiliate_status", sa.String(16), nullable=False, server_default="none"),
        sa.Column("public_name", sa.String(16), nullable=False, server_default="name"),
        sa.Column("unreachable", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("last_seen_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partners"),
        sa.UniqueConstraint("platform", "user_id", name="uq_partners_platform_user"),
        sa.UniqueConstraint("partner_code", name="uq_partners_partner_code"),
    )
    op.create_table(
        "faq_questions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey(
                "partners.id", ondelete="CASCADE", name="fk_faq_questions_partner_id_partners"
            ),
        ),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("feedback", sa.String(16), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_faq_questions"),
    )
    op.create_table(
        "lesson_progress",
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey(
                "partners.id", ondelete="CASCADE", name="fk_lesson_progress_partner_id_partners"
            ),
        ),
        sa.Column("lesson_id", sa.String(64)),
        sa.Column("completed_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "lesson_id", name="pk_lesson_progress"),
    )
    op.create_table(
        "fsm_states",
        sa.Column("key", sa.String(255)),
        sa.Column("state", sa.String(255), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_fsm_states"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(128), nullable=True),
        sa.Column("details", sa.Text, nullable=True),
        sa.Column("allowed", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )


def downgrade() -> None:
    for table in ("audit_log", "fsm_states", "lesson_progress", "faq_questions", "partners"):
        op.drop_table(table)
