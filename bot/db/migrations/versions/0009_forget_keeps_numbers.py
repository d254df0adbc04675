"""/forget keeps the program's numbers: a forgotten partner's tickets stay (anonymous,
their partner NULL), so ticket numbers never start again and response times and ratings
still count. A reopened ticket keeps the ratings it was given before (earlier_up/down).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FK = "fk_tickets_partner_id_partners"


def _recreate_tickets(nullable: bool, ondelete: str, *, counters: bool) -> None:
    """SQLite rebuilds the table; with foreign keys on, dropping the old one would cascade
    to ticket_messages, so they are kept aside meanwhile."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TABLE _keep_ticket_messages AS SELECT * FROM ticket_messages")
    with op.batch_alter_table("tickets", recreate="always" if sqlite else "auto") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.alter_column("partner_id", existing_type=sa.Integer, nullable=nullable)
        batch.create_foreign_key(FK, "partners", ["partner_id"], ["id"], ondelete=ondelete)
        for name in ("earlier_up", "earlier_down"):
            if counters:
                batch.add_column(sa.Column(name, sa.Integer, nullable=False, server_default="0"))
            else:
                batch.drop_column(name)
    if sqlite:
        op.execute("DELETE FROM ticket_messages")
        op.execute("INSERT INTO ticket_messages SELECT * FROM _keep_ticket_messages")
        op.execute("DROP TABLE _keep_ticket_messages")


def upgrade() -> None:
    _recreate_tickets(nullable=True, ondelete="SET NULL", counters=True)


def downgrade() -> None:
    op.execute("DELETE FROM tickets WHERE partner_id IS NULL")
    _recreate_tickets(nullable=False, ondelete="CASCADE", counters=False)
