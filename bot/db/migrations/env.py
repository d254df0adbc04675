"""Alembic environment: runs on the connection handed in by bot.db.migrate."""

from __future__ import annotations

from alembic import context

from bot.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through bot.db.migrate
    raise RuntimeError("run migrations with `partnerbot db upgrade`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
