"""The database (and Redis) a test runs on: SQLite files by default; PostgreSQL and Redis
when PARTNERBOT_TEST_DATABASE_URL / PARTNERBOT_TEST_REDIS_URL are set (`.ci/run` runs the
suite both ways).

On SQLite a test's database file starts as a copy of one migrated once per test process
(the bot's start-up migration then finds it at the head).

On PostgreSQL every test gets a database of its own for its tmp_path (and name), so that
a test restarting the bot finds its data again. Made from a migrated template, it is lent
from a pool kept per test process: when the test ends (the `_own_database` fixture,
tests/conftest.py), its rows are deleted and its sequences restarted, and the next test
gets it back as clean as the template. CREATE DATABASE … TEMPLATE for every test cost the
server 0.1–0.2 s, and a later DROP and the first connections' catalog caches more. A
database whose schema changed, or with a connection left when its test ended (a process
still running), is dropped instead of being lent again. Databases asked for outside a
test (a module's fixture) or `empty` (migration tests) are made as before and kept.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import itertools
import logging
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

T = TypeVar("T")
PG_URL = os.environ.get("PARTNERBOT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("PARTNERBOT_TEST_REDIS_URL")
# a prefix per checkout: two checkouts (worktrees) can run the suite on one server at once
# (and per pytest-xdist worker: gw0, gw1, … each make and drop their own databases)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_CHECKOUT = str(Path(__file__).resolve().parent.parent)
PREFIX = "t" + hashlib.sha1(f"{_CHECKOUT}/{WORKER}".encode()).hexdigest()[:6]
TEMPLATE = f"{PREFIX}_template"
if REDIS_URL:  # and a Redis database of its own (of the server's 16)
    _index = int(hashlib.sha1(_CHECKOUT.encode()).hexdigest()[:6], 16) + int(WORKER[2:] or 0)
    REDIS_URL = make_url(REDIS_URL).set(database=str(_index % 16)).render_as_string()
_made: dict[str, str] = {}  # a test's (tmp_path, name) → its PostgreSQL database
_template_ready = False
_sqlite_template: Path | None = None
# lent databases: named per run (the next run drops this one's leftovers beside itself)
_POOL_NAME = f"{PREFIX}_pool{secrets.token_hex(3)}_"
_numbers = itertools.count()
_free: list[str] = []  # clean, at the template's schema, ready to lend
_lending: list[list[str]] = []  # while a test runs: what it was lent (`lending`)


def database_url(tmp_path: Path, name: str = "test.db", *, empty: bool = False) -> str:
    """The test's database; `empty`: without the schema (for migration tests)."""
    if not PG_URL:
        path = tmp_path / name
        if not empty and not path.exists():
            shutil.copyfile(_migrated_sqlite(), path)
        return f"sqlite+aiosqlite:///{path}"
    key = hashlib.sha1(f"{tmp_path}/{name}".encode()).hexdigest()[:20]
    database = _made.get(key)
    if database is None:
        if _lending and not empty:
            database = _free.pop() if _free else _ADMIN.run(_create_lendable())
            _lending[-1].append(database)
        else:
            database = f"{PREFIX}_{key}"
            _ADMIN.run(_create(database, empty=empty))
        _made[key] = database
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def is_lent(url: str) -> bool:
    """Whether `url` names a database of the pool (lent to one test at a time)."""
    return bool(PG_URL) and (make_url(url).database or "").startswith(_POOL_NAME)


@contextlib.contextmanager
def lending() -> Iterator[None]:
    """While a test runs: the databases it asks for are lent to it, and cleaned (or
    dropped) when it ends."""
    lent: list[str] = []
    _lending.append(lent)
    try:
        yield
    finally:
        _lending.pop()
        if lent:
            for key in [key for key, database in _made.items() if database in lent]:
                del _made[key]
            _free.extend(_ADMIN.run(_clean(lent)))


def _in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from sync code, even inside a running event loop."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


class _Admin:
    """A thread with an event loop of its own for the tests' housekeeping on the servers
    (CREATE DATABASE, FLUSHDB), which keeps its connections: a new thread, event loop
    and connection (a new PostgreSQL backend) for each call took 20–30 ms of every test."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self.postgres: Any = None  # an asyncpg connection, opened on first use
        self.redis: Any = None
        self.cleaners: dict[str, Any] = {}  # a lent database → a connection to clean it
        self.schema: str | None = None  # the template's (_SCHEMA)
        self.cleaning = ""  # the statements that empty a lent database

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the housekeeping loop and wait for its result."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(
                    target=self._loop.run_forever, name="test-housekeeping", daemon=True
                ).start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def connection(self) -> Any:
        """The administrative PostgreSQL connection, opened again if it was lost."""
        import asyncpg

        if self.postgres is None or self.postgres.is_closed():
            self.postgres = await asyncpg.connect(_admin_dsn())
        return self.postgres

    def close(self) -> None:
        """At exit: the connections closed (the loop's thread is a daemon)."""
        if self._loop is None:
            return

        async def close() -> None:
            for connection in [self.postgres, *self.cleaners.values()]:
                if connection is not None and not connection.is_closed():
                    await connection.close(timeout=5)
            if self.redis is not None:
                await self.redis.aclose()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)


_ADMIN = _Admin()
atexit.register(_ADMIN.close)


def _migrated_sqlite() -> Path:
    """An SQLite file at the newest schema, made once per test process."""
    global _sqlite_template  # noqa: PLW0603 - once per test session
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="partnerbot-template-"))
        template = folder / "template.db"
        _in_thread(_migrate_url(f"sqlite+aiosqlite:///{template}"))
        assert not template.with_name("template.db-wal").exists(), "a WAL left unmerged"
        _sqlite_template = template
    return _sqlite_template


def _admin_dsn(database: str | None = None) -> str:
    assert PG_URL is not None
    url = make_url(PG_URL).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def _template() -> Any:
    """The administrative connection, once the template is migrated."""
    global _template_ready  # noqa: PLW0603 - once per test session
    connection = await _ADMIN.connection()
    if not _template_ready:
        left = await connection.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
            f"{PREFIX}\\_%",
            TEMPLATE,
        )
        _drop_beside([name for (name,) in left])
        await connection.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{TEMPLATE}"')
        await _migrate(TEMPLATE)
        _template_ready = True
    return connection


async def _create(database: str, *, empty: bool) -> None:
    connection = await _template()
    template = "template0" if empty else TEMPLATE
    await connection.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')


async def _create_lendable() -> str:
    """A new database for the pool, with the connection that will clean it."""
    import asyncpg

    connection = await _template()
    database = f"{_POOL_NAME}{next(_numbers)}"
    await connection.execute(f'CREATE DATABASE "{database}" TEMPLATE "{TEMPLATE}"')
    cleaner = await asyncpg.connect(_admin_dsn(database))
    # rows are deleted in any order: foreign keys' triggers off on this connection
    await cleaner.execute("SET session_replication_role = replica")
    _ADMIN.cleaners[database] = cleaner
    if _ADMIN.schema is None:
        _ADMIN.schema = await cleaner.fetchval(_SCHEMA)
        tables = await cleaner.fetch(_TABLES)
        _ADMIN.cleaning = "".join(f"DELETE FROM {quoted};" for (quoted,) in tables) + _SEQUENCES
    return database


# what a database's schema is: every relation's columns, every constraint, the revision
_SCHEMA = """
SELECT md5(concat_ws('|',
    (SELECT string_agg(concat_ws(':', c.relname, c.relkind, a.attname,
                                 format_type(a.atttypid, a.atttypmod), a.attnotnull),
                       ',' ORDER BY c.relname, a.attnum)
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
    (SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conname)
     FROM pg_constraint WHERE connamespace <> 'pg_catalog'::regnamespace),
    (SELECT string_agg(version_num, ',') FROM alembic_version)))
"""
# every table but the revision's
_TABLES = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'alembic_version'
ORDER BY 1
"""
_SEQUENCES = "SELECT setval(seqrelid, seqstart, false) FROM pg_sequence;"


async def _clean(databases: list[str]) -> list[str]:
    """The databases a test was lent, emptied; those that cannot be lent again (a
    connection still open, the schema changed) dropped. Returns the clean ones."""
    clean = []
    for database in databases:
        cleaner = _ADMIN.cleaners[database]
        others = await _connected(cleaner)
        if not others and await cleaner.fetchval(_SCHEMA) == _ADMIN.schema:
            await cleaner.execute(_ADMIN.cleaning)
            clean.append(database)
            continue
        await cleaner.close()
        del _ADMIN.cleaners[database]
        connection = await _ADMIN.connection()
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return clean


_OTHERS_COUNT = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""
CLOSING_WAIT = 1.0  # seconds a backend of a connection just closed may take to go


async def _connected(cleaner: Any) -> bool:
    """Whether another connection to the cleaner's database is still there once the ones
    just closed had time to go: a backend outlives its client's close by a moment, and a
    database seen with it was dropped instead of lent again (under load the next test got
    another one: tests/test_test_databases.py failed so in session 22's CI run). A
    connection still open after CLOSING_WAIT (a process still running) is one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CLOSING_WAIT
    while await cleaner.fetchval(_OTHERS_COUNT):
        if loop.time() >= deadline:
            return True
        await asyncio.sleep(0.02)
    return False


def _drop_beside(names: list[str]) -> None:
    """Drop the databases a previous run left while this one runs: hundreds of them take
    about a minute, which the first test used to wait for. Their names came from that
    run's temporary folders, which this run does not reuse; any still there when this
    run ends go the next time."""
    if not names:
        return

    async def drop() -> None:
        import asyncpg

        connection = await asyncpg.connect(_admin_dsn())
        try:
            for name in names:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    def run() -> None:
        try:
            asyncio.run(drop())
        except Exception:  # a leftover database is only disk space
            logging.getLogger(__name__).warning("old test databases not dropped", exc_info=True)

    threading.Thread(target=run, name="drop-old-test-databases", daemon=True).start()


async def _migrate(database: str) -> None:
    assert PG_URL is not None
    await _migrate_url(
        make_url(PG_URL).set(database=database).render_as_string(hide_password=False)
    )


async def _migrate_url(url: str) -> None:
    from bot.db.engine import Database
    from bot.db.migrate import upgrade

    db = Database.from_url(url)
    try:
        await upgrade(db)
    finally:
        await db.close()


def flush_redis() -> None:
    """Empty the test Redis (when there is one): a test starts with no dialog state."""
    if REDIS_URL:
        _ADMIN.run(_flush(REDIS_URL))


async def _flush(url: str) -> None:
    from redis.asyncio import Redis

    if _ADMIN.redis is None:
        _ADMIN.redis = Redis.from_url(url)
    await _ADMIN.redis.flushdb()
