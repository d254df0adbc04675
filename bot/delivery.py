"""What every platform's delivery worker shares (`bot.telegram.delivery`,
`bot.vk.delivery`, `bot.max.delivery`): a loop that claims what is due in the outbox for
its platform, woken as soon as rows are queued, with retries that wait longer each time.

- Before each send the recipient is looked at again: `/stop`, the topic switched off,
  blocked or forgotten since — skipped (`not_for`).
- A crash leaves the rows in flight queued: they are sent again on restart (the claims
  of a worker that died are released first).
- One chat's rows arrive in the order they were queued. The pacing layer sends to a chat
  one request at a time, in the order asked (Telegram's worker asks in row order); a
  worker that prepares rows before asking (MAX: uploads) or puts several chats in one
  request (VK) starts a chat's row only once its previous one was answered
  (`ChatOrder`). A row put back for a later try does not hold the chat's next ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any, Final, Generic, TypeVar

from bot.clock import Clock
from bot.db.engine import OUTAGE, OutageLog
from bot.pacing import bulk
from bot.services.outbox import Outbox, Outcome, Queued
from bot.services.partner import Partner, why_not_reached
from bot.services.partners import PartnerService

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS: Final = 3
IDLE_WAIT: Final = 5.0  # seconds to sleep when nothing is due (new rows wake the worker)
BATCH: Final = 200  # rows fetched, and outcomes written, at once


class OutboxWorker:
    """Sends one platform's due rows until cancelled; woken as soon as rows are queued."""

    platform = ""
    batch = BATCH

    def __init__(self, outbox: Outbox, partners: PartnerService, clock: Clock) -> None:
        self._outbox = outbox
        self._partners = partners
        self._clock = clock
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        outbox.listeners.append(self._wake.set)

    async def close(self) -> None:
        """Release the worker's connections."""

    async def run(self) -> None:
        """Deliver until cancelled. Started by the one process that delivers (see
        `bot.leader`): the claims of a worker that died are dropped first."""
        released = await self._outbox.release_claims(self.platform)
        if released:
            logger.info("%s rows taken by a worker that stopped are queued again", released)
        outage = OutageLog(logger, f"delivery ({self.platform or 'tg'})")
        while True:
            self._wake.clear()
            try:
                sent = await self.drain()
                outage.worked()
            except OUTAGE as exc:
                outage.failed(exc)
                sent = 0
            except Exception:
                logger.exception("delivery round failed; trying again shortly")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_WAIT)

    async def drain(self) -> int:
        """Send everything due now (as broadcast traffic: replies to people go first);
        the number of rows handled."""
        handled = 0
        with bulk():
            async with self._lock:
                while rows := await self._outbox.claim(self.batch, self.platform):
                    outcomes = await self._deliver_batch(rows)
                    handled += len(rows)
                    if all(outcome.status == "queued" for outcome in outcomes):
                        break  # only retries left, each waits for its own time
        return handled

    async def _deliver_batch(self, rows: list[Queued]) -> list[Outcome]:
        raise NotImplementedError

    def _retry_later(self, row: Queued, error: str, *, base: float = 30.0) -> Outcome:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            return Outcome(row.id, "failed", error)
        pause = timedelta(seconds=base * 2**row.attempts)
        return Outcome(row.id, "queued", error, retry_at=self._clock.now() + pause)


def not_for(row: Queued, partner: Partner | None) -> Outcome | None:
    """A row that must not go (any more): its "skipped" outcome (`why_not_reached`; a row
    to no partner, a post in a chat, always goes)."""
    if row.partner_id is None:
        return None
    reason = why_not_reached(partner, row.kind)
    return None if reason is None else Outcome(row.id, "skipped", reason)


class ChatOrder(Generic[T]):
    """Sends started at once that keep each chat's order: a send waits for the earlier
    sends to any of its chats (answered or failed) before it starts."""

    def __init__(self) -> None:
        self._last: dict[int, asyncio.Task[T]] = {}  # the latest send to each chat

    def start(
        self,
        chats: Iterable[int],
        send: Callable[[], Coroutine[Any, Any, T]],
    ) -> asyncio.Task[T]:
        """Start `send` (to `chats`) as a task that runs after the earlier ones to them."""
        chats = list(chats)
        earlier = {self._last[chat] for chat in chats if chat in self._last}
        task = asyncio.create_task(_after(earlier, send))
        self._last.update(dict.fromkeys(chats, task))
        return task


async def _after(earlier: set[asyncio.Task[T]], send: Callable[[], Coroutine[Any, Any, T]]) -> T:
    if earlier:
        await asyncio.wait(earlier)
    return await send()
