"""faq_learned is looked up by wording alone (`phrasing_key`): one wording answers one
entry, so every manager's decision and every partner's vote looks for the same wording
under other entries. The unique key (entry_id, phrasing_key) cannot serve that lookup;
this index does.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_faq_learned_phrasing_key", "faq_learned", ["phrasing_key"])


def downgrade() -> None:
    op.drop_index("ix_faq_learned_phrasing_key", table_name="faq_learned")
