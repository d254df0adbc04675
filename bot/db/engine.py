"""The async engine: SQLite in WAL mode with a busy timeout and BEGIN IMMEDIATE writes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

BUSY_TIMEOUT_MS = 5000


def insert(dialect: str, table: sa.Table) -> Any:
    """An INSERT that can take ON CONFLICT (PostgreSQL's or SQLite's, by `dialect`)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


class DatabaseUnreachable(Exception):
    """DATABASE_URL names a server that does not answer (or refuses us)."""


class Database:
    """One engine; `write()` takes the write lock up front, `read()` does not.

    SQLite allows one writer at a time; its busy handler makes waiting writers sleep in
    growing steps, which wrecks throughput. So writers of this process queue on an
    asyncio lock instead, and the busy timeout only covers other processes.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._reader = engine.execution_options(readonly=True)
        self._serial_writes = engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock()

    @classmethod
    def from_url(cls, database_url: str) -> Database:
        return cls(create_engine(database_url))

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        if not self._serial_writes:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._reader.begin()

    async def close(self) -> None:
        await self.engine.dispose()


def create_engine(database_url: str) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        # no pre-ping: it costs a round trip per transaction (6% of an update's CPU);
        # a connection found dead is dropped from the pool by the error itself
        return create_async_engine(database_url, pool_recycle=1800, pool_size=10)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(database_url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    _setup_sqlite(engine)
    return engine


def _setup_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock at the start, so two writers never fail on lock upgrade.
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
