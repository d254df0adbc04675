"""One pacing layer for every request a platform counts: replies, edits, relays, notices
and broadcasts alike (platform-neutral; each platform passes its `Limits`).

- Per chat: a short burst, then about one message a second (edits count); groups: 20 a
  minute. Sends to one chat leave in the order they were asked for, one at a time, and a
  retry keeps its place: nothing else goes to that chat until it is settled.
- Bot-wide (per token): one budget shared by every sender of the process — and of every
  process when Redis is given. People come first: a broadcast (`bulk()`) may only use the
  budget while `reserve` slots are left for replies, and never books a slot ahead.
- A 429 (VK: error 6; error 9 for one peer; MAX: 429 without a time) holds that chat —
  or, bot-wide, every send — until its `retry_after` has passed, for every sender.

Both limits are GCRA (the "generic cell rate algorithm", a token bucket kept as one
number: the theoretical arrival time). A person's send books the next free slot, so
sends queue in order without polling. State lives in the process, or in Redis (Lua
scripts, atomic, shared by all workers); Redis going away falls back to the process
(`bot.pacing_store`).

Why not a library: `aiolimiter` is in-process only; `limits` has no token bucket and
reads its own clock; `pyrate-limiter` has GCRA and Redis, but neither booked slots nor
priorities nor holds, and it sleeps in real time (tests run on a virtual clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.pacing_store import PEEK, SETTLE, MemoryStore, Rate, RedisStore, Store

logger = logging.getLogger(__name__)


class Priority(enum.IntEnum):
    PERSON = 0  # replies, edits, relays, notices: someone is waiting for it
    BULK = 1  # broadcasts from the outbox


_priority: contextvars.ContextVar[Priority] = contextvars.ContextVar(
    "pacing_priority", default=Priority.PERSON
)


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Requests made inside (and in tasks started inside) are broadcast traffic."""
    token = _priority.set(Priority.BULK)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> Priority:
    return _priority.get()


@dataclass(frozen=True)
class Limits:
    """A platform's published limits (with a margin below them)."""

    platform: str
    per_second: float  # requests (Telegram: messages) a second for the whole bot
    burst: int  # of the bot-wide budget
    reserve: int  # bot-wide slots a broadcast leaves for people
    chat_per_second: float = 1.0  # a private chat, after its burst
    chat_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 10
    margin: float = 1.05  # a chat's slots this much further apart than its limit
    bot_margin: float = 1.02  # the bot-wide slots this much further apart
    attempts: int = 4  # tries of one request refused for the rate (429 / error 6 / 9)
    max_hold: float = 120.0  # a longer retry_after is given up on, not waited out
    flood_hold: float = 2.0  # VK error 9 says no time: the peer waits this long

    def __post_init__(self) -> None:
        if not 0 <= self.reserve < self.burst:
            raise ValueError("reserve must leave the broadcast at least one slot")


# Telegram: ~30 messages a second, ~1 a second per chat after a burst, 20 a minute a group
TELEGRAM: Final = Limits("tg", per_second=30.0, burst=10, reserve=5)
# VK: 20 requests a second per community token, every method counts; as a sliding
# second, so no burst above the rate
VK: Final = Limits("vk", per_second=20.0, burst=2, reserve=1, bot_margin=1.1)
# MAX: 30 requests a second per token, every method counts, counted (like VK) over a
# sliding second: no burst, 5% under the rate (at most 29 slots in any second: one
# request arriving late still makes no 31st); people book the next free slot, a
# broadcast only takes a slot nobody booked. MAX publishes no per-chat limit.
MAX: Final = Limits("max", per_second=30.0, burst=1, reserve=0, bot_margin=1.05)


class Timer(Protocol):
    def now(self) -> float:
        """Seconds; the same scale in every process that shares Redis (wall clock)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RealTimer:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Target:
    """What one request counts against: a chat (None: only the bot-wide budget), whether
    it is a group, and whether it counts at all (some requests are free)."""

    chat: int | str | None = None
    group: bool = False
    counted: bool = True


class Pacer:
    """The pacing of one bot (token) on one platform; shared by all its senders."""

    def __init__(
        self,
        limits: Limits,
        bot_key: str,
        *,
        store: Store | None = None,
        timer: Timer | None = None,
    ) -> None:
        self.limits = limits
        self._key = f"{limits.platform}:{bot_key}"
        self._store: Store = store or MemoryStore()
        self.timer: Timer = timer or RealTimer()
        self._bot_rate = Rate.of(limits.per_second, limits.burst, limits.bot_margin)
        self._chat_rate = Rate.of(limits.chat_per_second, limits.chat_burst, limits.margin)
        self._group_rate = Rate.of(limits.group_per_minute / 60, limits.group_burst, limits.margin)
        self._chats: dict[int | str, _ChatLock] = {}
        self.holds = 0  # 429 / error 6 / error 9 answers taken as holds
        self.waited = 0.0  # seconds senders waited for their slots

    @property
    def store(self) -> Store:
        return self._store

    def _hold_keys(self, chat: int | str | None) -> list[str]:
        keys = [f"{self._key}:all"]
        if chat is not None:
            keys.append(f"{self._key}:chat:{chat}")
        return keys

    async def hold(self, chat: int | str | None, seconds: float, *, bot_wide: bool) -> None:
        """A refusal for the rate: nothing goes to `chat` (every chat: `bot_wide`) for
        `seconds`, from any sender."""
        self.holds += 1
        now = self.timer.now()
        if bot_wide or chat is None:
            await self._store.hold(f"{self._key}:all", now + seconds, now)
        if chat is not None:
            await self._store.hold(f"{self._key}:chat:{chat}", now + seconds, now)

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            await self.timer.sleep(seconds)

    async def _book(self, key: str, rate: Rate, reserve: int) -> float | None:
        """A booking made now: the moment (the timer's) its slot starts, or — nothing
        booked — when to ask again; None: nothing to wait for."""
        now = self.timer.now()
        wait = await self._store.book(key, now, rate, reserve)
        return now + wait if wait else None

    async def _until(self, moment: float | None) -> None:
        """Wait until `moment`: what is left of it after the store's answer came (the
        time it took is not waited twice — on a shared clock other senders moved it on)."""
        if moment is not None:
            await self._sleep(moment - self.timer.now())

    async def _wait_holds(self, chat: int | str | None) -> None:
        keys = self._hold_keys(chat)
        while (until := await self._store.held_until(keys)) > self.timer.now():
            await self._sleep(until - self.timer.now())

    @contextlib.asynccontextmanager
    async def slot(self, target: Target) -> AsyncIterator[None]:
        """Wait for the turn of a request to `target`, then send it inside the block; the
        chat is the caller's until the block ends (a retry inside keeps its place)."""
        lock = None
        if target.chat is not None:
            lock = self._chats.get(target.chat)
            if lock is None:
                lock = self._chats[target.chat] = _ChatLock()
            lock.users += 1
        try:
            if lock is not None:
                await lock.acquire()
            try:
                await self.wait_turn(target)
                try:
                    yield
                finally:
                    await self._settle(target)
            finally:
                if lock is not None:
                    lock.release()
        finally:
            if lock is not None and target.chat is not None:
                lock.users -= 1
                if lock.users == 0:
                    self._chats.pop(target.chat, None)

    async def wait_turn(self, target: Target) -> None:
        """The holds, the chat's slot, then the bot-wide one (people first)."""
        await self._wait_holds(target.chat)
        if not target.counted:
            return
        if target.chat is not None:
            await self._chat_turn(target, bot_wide=True)
            return
        await self._bot_wide()
        await self._wait_holds(target.chat)  # a refusal may have come while this waited

    async def _chat_turn(self, target: Target, *, bot_wide: bool) -> None:
        """The chat's slot, taken at the moment of sending (the server counts arrivals):
        wait until it is free, then for the bot-wide slot, then take it."""
        rate = self._group_rate if target.group else self._chat_rate
        key = f"{self._key}:chat:{target.chat}"
        while True:
            await self._until(await self._book(key, rate, PEEK))
            if bot_wide:
                await self._bot_wide()
            await self._wait_holds(target.chat)
            if await self._book(key, rate, 0) is None:
                return

    async def chat_turns(self, targets: list[Target]) -> None:
        """The chats' slots for one request that carries messages to several chats (VK's
        `execute`, `peer_ids`); its bot-wide slot is the request's own."""
        for target in targets:
            if target.chat is not None and target.counted:
                await self._wait_holds(target.chat)
                await self._chat_turn(target, bot_wide=False)

    async def _settle(self, target: Target) -> None:
        """The server counts a message when it arrives, somewhen before its answer: the
        chat's next slot is counted from the answer (a slow request never lets the next
        one come too close)."""
        if target.counted and target.chat is not None:
            rate = self._group_rate if target.group else self._chat_rate
            key = f"{self._key}:chat:{target.chat}"
            await self._store.book(key, self.timer.now(), rate, SETTLE)

    async def _bot_wide(self) -> None:
        everyone = f"{self._key}:all"
        if current_priority() is Priority.PERSON:
            await self._until(await self._book(everyone, self._bot_rate, -1))
            return
        while (
            again := await self._book(everyone, self._bot_rate, self.limits.reserve)
        ) is not None:
            await self._until(again)


class _ChatLock:
    """asyncio's lock (first come, first served) and how many tasks use it."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.users = 0

    async def acquire(self) -> None:
        await self._lock.acquire()

    def release(self) -> None:
        self._lock.release()


TargetOf = Callable[[TelegramMethod[Any]], Target | None]


class PacingMiddleware(BaseRequestMiddleware):
    """Every request of an aiogram session through its platform's `Pacer`: waits for its
    turn, and on a refusal for the rate (`TelegramRetryAfter`) holds the chat — bot-wide
    when `bot_wide_refusals` (Telegram does not say which limit it was) — and tries again
    in the same place, so nothing overtakes it and nothing is sent twice."""

    def __init__(
        self, pacer: Pacer, target_of: TargetOf, *, bot_wide_refusals: bool = True
    ) -> None:
        self.pacer = pacer
        self._target_of = target_of
        self._bot_wide = bot_wide_refusals

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        target = self._target_of(method)
        if target is None:
            return await make_request(bot, method)
        limits = self.pacer.limits
        async with self.pacer.slot(target):
            for attempt in range(limits.attempts):
                try:
                    return await make_request(bot, method)
                except TelegramRetryAfter as exc:
                    wait = float(exc.retry_after)
                    await self.pacer.hold(target.chat, wait, bot_wide=self._bot_wide)
                    logger.info(
                        "%s refused for the rate: holding %s for %.0f s",
                        type(method).__name__,
                        "every chat" if self._bot_wide else f"chat {target.chat}",
                        wait,
                    )
                    if attempt == limits.attempts - 1 or wait > limits.max_hold:
                        raise
                    await self.pacer.wait_turn(target)
        raise AssertionError("unreachable")


class Pacers:
    """The pacers of one process, one per platform and token, on one store."""

    def __init__(self, store: Store | None = None, timer: Timer | None = None) -> None:
        self.store: Store = store or MemoryStore()
        self.timer: Timer = timer or RealTimer()
        self._pacers: dict[tuple[str, str], Pacer] = {}

    def get(self, limits: Limits, bot_key: str) -> Pacer:
        key = (limits.platform, bot_key)
        pacer = self._pacers.get(key)
        if pacer is None:
            pacer = Pacer(limits, bot_key, store=self.store, timer=self.timer)
            self._pacers[key] = pacer
        return pacer

    async def close(self) -> None:
        if isinstance(self.store, RedisStore):
            await self.store.close()
