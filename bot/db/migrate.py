"""Alembic migrations, run programmatically (`partnerbot db upgrade`, and at start-up)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from bot.db.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


MIGRATION_LOCK = 0x7061_726D  # "parm": workers starting together migrate one at a time


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.write() as conn:
        if conn.dialect.name == "postgresql":  # held until this transaction ends
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(db: Database, revision: str) -> None:
    async with db.write() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))
