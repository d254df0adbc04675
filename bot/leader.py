"""One leader among the worker processes: it alone runs the scheduler, the delivery
workers and the long polls. Every process answers webhooks.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own
(not pooled: closing it really disconnects, and PostgreSQL then frees the lock). The
others try again every `poll` seconds, so when the leader dies another takes over within
that time plus the database noticing the dropped connection. The leader checks its
connection as often; if it is gone, it stops leading at once (another may already lead).
On SQLite there is one process: it leads from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

LOCK_KEY: Final = 0x7061_7274  # "part": partnerbot's advisory lock
POLL: Final = 2.0  # seconds between tries, and between checks of the leader's connection

Hook = Callable[[], Awaitable[None]]


class Leadership:
    def __init__(self, database_url: str, *, poll: float = POLL) -> None:
        self._url = database_url
        self._poll = poll
        self.leading = asyncio.Event()
        self.tries = 0  # times this process asked for the lead (a standby keeps asking)
        self._sqlite = database_url.startswith("sqlite")

    async def run(self, elected: Hook, deposed: Hook) -> None:
        """Lead when possible, until cancelled: `elected` on taking over, `deposed` on
        losing it (or being cancelled while leading)."""
        if self._sqlite:
            await self._lead(elected, deposed, None)
            return
        engine = create_async_engine(self._url, poolclass=NullPool)
        unreachable = False  # said once, and when it answers again (not every poll)
        try:
            while True:
                try:
                    async with engine.connect() as conn:
                        self.tries += 1
                        if unreachable:
                            logger.warning("leader election: the database answers again")
                            unreachable = False
                        if await conn.scalar(sa.select(sa.func.pg_try_advisory_lock(LOCK_KEY))):
                            await self._lead(elected, deposed, conn)
                except (OSError, sa.exc.SQLAlchemyError) as exc:
                    if not unreachable:
                        logger.warning(
                            "leader election: database unreachable (%s); trying again every"
                            " %s s (said once until it answers)",
                            exc,
                            self._poll,
                        )
                    unreachable = True
                await asyncio.sleep(self._poll)
        finally:
            await engine.dispose()

    async def _lead(self, elected: Hook, deposed: Hook, conn: AsyncConnection | None) -> None:
        logger.info("this process leads: scheduler, deliveries and long polls run here")
        self.leading.set()
        try:
            await elected()
            while True:
                await asyncio.sleep(self._poll)
                if conn is not None:
                    await conn.execute(sa.select(1))  # raises once the connection is gone
        except (OSError, sa.exc.SQLAlchemyError) as exc:
            logger.error("leadership lost (%s): stopping the scheduler and deliveries", exc)
        finally:
            self.leading.clear()
            with contextlib.suppress(Exception):
                await asyncio.shield(deposed())
