"""Alembic migrations, run programmatically (`partnerbot db upgrade`, and at start-up)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot.db.engine import Database, DatabaseUnreachable

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


logger = logging.getLogger(__name__)

MIGRATION_LOCK = 0x7061_726D  # "parm": workers starting together migrate one at a time


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.write() as conn:
        if conn.dialect.name == "postgresql":  # held until this transaction ends
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        before, after = await conn.run_sync(lambda sync: _upgraded(sync, revision))
    if before != after:
        logger.info("database upgraded: %s → %s", before or "new", after)


def _upgraded(sync: Connection, revision: str) -> tuple[str | None, str | None]:
    """Upgrade on this connection: the revision before and after."""
    from alembic.runtime.migration import MigrationContext

    before = MigrationContext.configure(sync).get_current_revision()
    command.upgrade(alembic_config(sync), revision)
    return before, MigrationContext.configure(sync).get_current_revision()


# what opening a database raises when it cannot be used: the server not there or refusing
# us (asyncpg's own errors at connect time are not wrapped by SQLAlchemy), a folder that
# cannot be made, a file that is no SQLite database
UNUSABLE: Final = (OSError, SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError)


def unusable_reason(exc: BaseException) -> str:
    """The driver's reason, without SQLAlchemy's wrapping (the caller hides the password)."""
    reason = getattr(exc, "orig", None) or exc
    if type(reason).__name__ == "Error" and reason.__cause__ is not None:
        reason = reason.__cause__  # SQLAlchemy's asyncpg adapter: asyncpg's own error
    return f"{type(reason).__name__}: {reason}".strip().rstrip(":")


async def open_migrated(database_url: str) -> Database:
    """The database at `database_url` on the newest schema; DatabaseUnreachable with the
    reason when it cannot be opened or migrated (every command that uses it says so in one
    line, `bot.cli`)."""
    try:
        db = Database.from_url(database_url)
    except UNUSABLE as exc:
        raise DatabaseUnreachable(unusable_reason(exc)) from None
    try:
        await upgrade(db)
    except UNUSABLE as exc:
        await db.close()
        raise DatabaseUnreachable(unusable_reason(exc)) from None
    return db


async def downgrade(db: Database, revision: str) -> None:
    async with db.write() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(database_url: str) -> str | None:
    """The schema revision the database is at (None: a new one, or it cannot be read now:
    `open_migrated` says why)."""
    from alembic.runtime.migration import MigrationContext

    try:
        db = Database.from_url(database_url)
    except UNUSABLE:
        return None
    try:
        async with db.read() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    except UNUSABLE:
        return None
    finally:
        await db.close()
