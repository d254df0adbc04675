"""FAQ learning: learned phrasings (pending, approved, rejected) with the partners who
confirmed them, a counter every worker reads to notice changes, and the "did you mean"
options of each question (a pick must be one of them).

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("faq_questions") as batch:
        batch.add_column(sa.Column("suggestions", sa.String(200), nullable=True))
    op.create_table(
        "faq_learned",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("phrasing", sa.Text, nullable=False),
        sa.Column("phrasing_key", sa.String(400), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("note", sa.String(32), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("decided_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_faq_learned"),
        sa.UniqueConstraint("entry_id", "phrasing_key", name="uq_faq_learned_entry_phrasing"),
    )
    op.create_index("ix_faq_learned_status", "faq_learned", ["status", "entry_id"])
    op.create_table(
        "faq_learned_votes",
        sa.Column(
            "learned_id",
            sa.Integer,
            sa.ForeignKey(
                "faq_learned.id",
                ondelete="CASCADE",
                name="fk_faq_learned_votes_learned_id_faq_learned",
            ),
            nullable=False,
        ),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey(
                "partners.id", ondelete="CASCADE", name="fk_faq_learned_votes_partner_id_partners"
            ),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("learned_id", "partner_id", name="pk_faq_learned_votes"),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_table("faq_learned_votes")
    op.drop_index("ix_faq_learned_status", table_name="faq_learned")
    op.drop_table("faq_learned")
    with op.batch_alter_table("faq_questions") as batch:
        batch.drop_column("suggestions")
