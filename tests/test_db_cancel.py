"""A write cut short by a cancel (a shutdown, a writer task stopped) frees the database
at once: CI once found the next write «database is locked» after SQLite's 5 s busy
timeout, the cut connection still holding the write lock until garbage collection."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.assembly import create_services
from bot.clock import FakeClock
from bot.db.engine import Database
from bot.db.tables import conversions, faq_questions
from bot.services.conversions import ConversionIn
from tests.databases import database_url
from tests.harness import make_settings


async def _slow_statement_running(db: Database) -> tuple[asyncio.Task[None], threading.Event]:
    """A write transaction whose statement is running (in the driver's thread) now."""
    started = threading.Event()

    def slow(value: int) -> int:
        started.set()
        time.sleep(0.2)
        return value

    async def write() -> None:
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (0)"))
            if db.engine.dialect.name != "sqlite":
                started.set()
                await conn.execute(sa.text("SELECT pg_sleep(0.3)"))
                return
            driver = (await conn.get_raw_connection()).driver_connection
            await driver.create_function("slow", 1, slow)  # type: ignore[union-attr]
            # many rows in one statement (SQLAlchemy's executemany): the FAQ's question
            # log, a batch of postbacks
            rows = [{"a": 1}, {"a": 2}, {"a": 3}]
            await conn.execute(sa.text("INSERT INTO t SELECT slow(:a)"), rows)

    task = asyncio.create_task(write())
    await asyncio.to_thread(started.wait, 5)
    return task, started


async def test_a_cancelled_write_leaves_the_database_free_and_unchanged(tmp_path: Path) -> None:
    db = Database.from_url(database_url(tmp_path, "db.sqlite", empty=True))
    try:
        async with db.write() as conn:
            await conn.execute(sa.text("CREATE TABLE t (a INTEGER)"))
        task, started = await _slow_statement_running(db)
        assert started.is_set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        # the next writer gets the database well inside the busy timeout
        began = time.monotonic()
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (2)"))
        assert time.monotonic() - began < 3
        async with db.read() as conn:
            rows = (await conn.execute(sa.text("SELECT a FROM t"))).scalars().all()
        assert rows == [2]  # the cancelled transaction left nothing
    finally:
        await db.close()


class _GatedWrites:
    """The service's database, except that a write waits at its start until let go."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.writing = asyncio.Event()
        self.go_on = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Any]:
        self.writing.set()
        await self.go_on.wait()
        async with self._db.write() as conn:
            yield conn


async def test_shutting_down_while_the_logs_are_written_loses_no_row(tmp_path: Path) -> None:
    """FaqService.close and SalesService.close stop their writers between writes: a
    question being logged, a postback being recorded, when the bot stops, are kept (and
    the postback's sender gets its answer)."""
    services = await create_services(make_settings(tmp_path), FakeClock())
    try:
        partner = await services.partners.touch("tg", 7001, 7001, "Анна", None, "ru")
        gate = _GatedWrites(services.db)
        services.faq._db = gate  # type: ignore[assignment]
        services.sales._db = gate  # type: ignore[assignment]
        await services.faq.ask(partner, "когда выплаты")
        await gate.writing.wait()  # the question log's writer is writing
        gate.writing.clear()
        closing = asyncio.create_task(services.faq.close())
        await asyncio.sleep(0.01)
        gate.go_on.set()
        await closing
        gate.go_on.clear()
        sale = ConversionIn("A1", "c1", "approved", Decimal("100"), None, None)
        answer = asyncio.create_task(services.sales.submit(sale))
        await gate.writing.wait()  # the postback's batch is being written
        closing = asyncio.create_task(services.sales.close())
        await asyncio.sleep(0.01)
        gate.go_on.set()
        await closing
        assert answer.done()
        assert not answer.cancelled()
        answer.result()
        async with services.db.read() as conn:
            logged = (await conn.execute(sa.select(faq_questions.c.question))).scalars().all()
            sales = (await conn.execute(sa.select(conversions.c.conversion_id))).scalars().all()
        assert logged == ["когда выплаты"]
        assert sales == ["c1"]
    finally:
        await services.close()
