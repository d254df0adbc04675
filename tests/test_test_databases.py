"""The tests' PostgreSQL databases, lent from a pool (tests/databases.py): the next test
gets one as clean as the template, or a new one."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.databases import PG_URL, database_url, lending

pytestmark = pytest.mark.skipif(PG_URL is None, reason="the pool is PostgreSQL's")


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _partner(connection: asyncpg.Connection, user_id: int) -> int:
    found: int = await connection.fetchval(
        "INSERT INTO partners (platform, user_id, chat_id, partner_code, answers,"
        " subscriptions, created_at, last_seen_at)"
        " VALUES ('tg', $1, $1, $2, '{}', '{}', now(), now()) RETURNING id",
        user_id,
        f"c{user_id}",
    )
    return found


async def _exists(url: str) -> bool:
    connection = await asyncpg.connect(_dsn(PG_URL or ""))
    try:
        name = make_url(url).database
        return bool(
            await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        )
    finally:
        await connection.close()


async def test_a_lent_database_comes_back_without_the_rows_and_with_its_counters_reset(
    tmp_path: Path,
) -> None:
    with lending():
        first = database_url(tmp_path, "first")
        assert database_url(tmp_path, "first") == first  # a restart finds its data
        connection = await asyncpg.connect(_dsn(first))
        for user_id in (1, 2, 3):
            partner = await _partner(connection, user_id)
        assert partner == 3
        # a row that refers to another: deleted whatever the order
        await connection.execute(
            "INSERT INTO lesson_progress VALUES ($1, 'intro', now())", partner
        )
        await connection.close()
    with lending():
        second = database_url(tmp_path, "second")
        assert second == first  # lent again
        connection = await asyncpg.connect(_dsn(second))
        assert await connection.fetchval("SELECT count(*) FROM partners") == 0
        assert await connection.fetchval("SELECT count(*) FROM lesson_progress") == 0
        assert await _partner(connection, 4) == 1
        assert await connection.fetchval("SELECT version_num FROM alembic_version")
        await connection.close()


async def test_a_database_whose_schema_changed_is_dropped(tmp_path: Path) -> None:
    with lending():
        changed = database_url(tmp_path, "changed")
        connection = await asyncpg.connect(_dsn(changed))
        await connection.execute("ALTER TABLE partners ADD COLUMN extra integer")
        await connection.close()
    assert not await _exists(changed)
    with lending():
        assert database_url(tmp_path, "next") != changed


async def test_a_database_still_in_use_when_its_test_ends_is_dropped(tmp_path: Path) -> None:
    with lending():
        used = database_url(tmp_path, "used")
        connection = await asyncpg.connect(_dsn(used))
        await _partner(connection, 1)
    assert not await _exists(used)
    assert connection.is_closed() or not await _alive(connection)


async def _alive(connection: asyncpg.Connection) -> bool:
    try:
        await connection.fetchval("SELECT 1")
    except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
        return False
    return True


async def test_a_lent_databases_engine_is_kept_and_its_connections_are_not(
    tmp_path: Path,
) -> None:
    """The next bot on a lent database gets its engine (compiled SQL kept,
    tests/conftest.py), never a connection of the one before; a Database open on it
    meanwhile gets an engine of its own."""
    from bot.db.engine import Database

    with lending():
        url = database_url(tmp_path)
        first = Database.from_url(url)
        async with first.read() as conn:
            before = await conn.exec_driver_sql("SELECT pg_backend_pid()")
            pid = before.scalar()
        beside = Database.from_url(url)  # open at the same time: an engine of its own
        assert beside.engine is not first.engine
        await beside.close()
        await first.close()
        again = Database.from_url(url)
        assert again.engine is first.engine
        async with again.read() as conn:
            after = await conn.exec_driver_sql("SELECT pg_backend_pid()")
            assert after.scalar() != pid  # closed with the first Database: a new one
        await again.close()
