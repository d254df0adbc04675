"""The async engine: SQLite in WAL mode with a busy timeout and BEGIN IMMEDIATE writes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
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
    """DATABASE_URL names a server that does not answer (or refuses us), or an SQLite
    file that cannot be there."""


# the database away (a restart, a network cut): what a postback or an update meets then
OUTAGE: Final = (
    OSError, TimeoutError, DatabaseUnreachable, sa.exc.OperationalError,
    sa.exc.InterfaceError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
)  # fmt: skip


class OutageLog:
    """A loop that meets the database (or a connection) away says so once, without a
    traceback — it is no bug —, and once when it works again: not a traceback every few
    seconds (the sandbox's delivery: 3,000 lines in 30 s of a PostgreSQL outage)."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._logger = logger
        self._what = what
        self.away = False

    def failed(self, exc: BaseException) -> None:
        if not self.away:
            self._logger.warning(
                "%s: the database or a connection is away (%s); trying again until it works",
                self._what,
                type(exc).__name__,
            )
        self.away = True

    def worked(self) -> None:
        if self.away:
            self._logger.warning("%s: works again", self._what)
        self.away = False


# the default DATABASE_URL's folder (`data/partnerbot.db`): made when missing, as a fresh
# checkout has none; any other missing folder is refused, never made (a typo in
# DATABASE_URL must not leave folders behind)
DEFAULT_FOLDER: Final = Path("data")


def sqlite_file(database_url: str) -> Path | None:
    """The SQLite file DATABASE_URL names; None for a server or an in-memory database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def sqlite_unusable(path: Path) -> str | None:
    """Why an SQLite file cannot be at `path` (its folder missing or a file, the path a
    folder); None when it can (there or not yet, `DEFAULT_FOLDER` included). Looks only:
    creates nothing."""
    if path.is_dir():
        return f"{path} is a folder, not a database file"
    folder = path.parent
    if folder.is_dir() or (folder == DEFAULT_FOLDER and not folder.exists()):
        return None  # the default folder is made by the first writer
    for above in [folder, *folder.parents]:
        if above.exists() and not above.is_dir():
            return f"{above} is a file, not a folder"
    return f"the folder {folder} does not exist (create it first)"


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
    path = sqlite_file(database_url)
    if path is not None and path.parent == DEFAULT_FOLDER and not path.parent.exists():
        path.parent.mkdir()
    if path is not None and (problem := sqlite_unusable(path)) is not None:
        raise DatabaseUnreachable(problem)
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

    @event.listens_for(sync_engine, "invalidate")
    def _on_invalidate(dbapi_connection: Any, _record: Any, _exception: Any) -> None:
        # A statement cut short by a cancel (a shutdown, a writer task stopped) makes
        # SQLAlchemy drop its connection. Closed with that statement's cursor still
        # referenced (by the cancel's traceback), SQLite keeps the connection open, its
        # write lock held, until garbage collection: the next writer got «database is
        # locked» after the busy timeout. Rolled back first, it holds nothing.
        with contextlib.suppress(Exception):
            dbapi_connection.rollback()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock at the start, so two writers never fail on lock upgrade.
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
