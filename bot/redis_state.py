"""Dialog state and per-chat ordering in Redis (REDIS_URL), shared by every worker.

aiogram's `RedisStorage` keeps the dialog state and `RedisEventIsolation` makes one
chat's updates run one at a time across processes. Wrapped so that Redis going away
never stops the bot: the state is mirrored in the database (every change written to
both), read from there while Redis is unreachable (shared by the workers: a dialog's
next step may reach another worker, and a dialog begun before the outage goes on), the
lock is the process's own meanwhile, and the log says so once per outage (and once when
Redis is back). When Redis answers again, the mirror is handed back to it before the
update at hand is read.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    StorageKey,
)
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.exceptions import RedisError

from bot.db.engine import OUTAGE
from bot.db.fsm import DatabaseStorage
from bot.redis_client import redis_client

logger = logging.getLogger(__name__)

StateType = str | State | None
# a key Redis holds while it holds the dialogs handed to it: gone after a restart with no
# persistence, and then the database's mirror is handed back
MARKER = "partnerbot:fsm:mirrored"
MARKER_EVERY = 5.0  # seconds between two looks at it
UNAVAILABLE = (RedisError, OSError)


class _Outage:
    """Says in the log when Redis goes away and when it is back, once each."""

    def __init__(self) -> None:
        self.down = False

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            logger.error(
                "Redis unreachable (%s): dialog state is kept in the database until it is back",
                exc,
            )
        self.down = True

    def ok(self) -> None:
        if self.down:
            logger.warning("Redis is back: dialog state is shared again")
        self.down = False


class ResilientStorage(BaseStorage):
    """Redis's dialog state, mirrored in the database: every change is written to both
    (a dialog step is rare beside the updates that only read), reads go to Redis, and to
    the database while Redis is away — a dialog begun before the outage goes on during
    it, on any worker. When Redis answers again, what changed meanwhile is handed back."""

    def __init__(
        self,
        redis: RedisStorage,
        outage: _Outage,
        mirror: DatabaseStorage,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._mirror = mirror
        self._outage = outage
        self._monotonic = monotonic
        self._held = False  # this process met Redis away: hand the mirror back to it
        self._ended: set[StorageKey] = set()  # dialogs changed meanwhile (some ended)
        self._checked = -MARKER_EVERY  # when Redis's marker was last looked at

    async def _handed_back(self) -> None:
        """The mirror, into Redis (what changed while it was away: a dialog this process
        ended meanwhile is cleared there too, or Redis's older state would revive it); a
        Redis failure midway leaves it for the next try. Also when Redis came back empty
        (restarted without persistence: its marker is gone, looked at every few seconds),
        so the dialogs in progress go on."""
        now = self._monotonic()
        if not self._held and now - self._checked >= MARKER_EVERY:
            self._checked = now
            self._held = not await self._redis.redis.exists(MARKER)
        if not self._held:
            return
        held = await self._mirror.everything()
        for key, state, data in held:
            await self._redis.set_state(key, state)
            await self._redis.set_data(key, data)
        for key in self._ended - {key for key, _state, _data in held}:
            await self._redis.set_state(key, None)
            await self._redis.set_data(key, {})
        await self._redis.redis.set(MARKER, "1")
        self._held = False
        self._ended.clear()

    async def _mirrored(self, write: Awaitable[None]) -> None:
        """A change written to the database too; the database away loses the mirror's
        copy only (Redis holds it)."""
        try:
            await write
        except OUTAGE as exc:
            logger.debug("dialog state not mirrored in the database: %s", type(exc).__name__)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._mirrored(self._mirror.set_state(key, state))
        try:
            await self._handed_back()
            await self._redis.set_state(key, state)
            self._outage.ok()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            self._held = True
            self._ended.add(key)

    async def get_state(self, key: StorageKey) -> str | None:
        try:
            await self._handed_back()
            state = await self._redis.get_state(key)
            self._outage.ok()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            self._held = True
            return await self._mirror.get_state(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._mirrored(self._mirror.set_data(key, data))
        try:
            await self._handed_back()
            await self._redis.set_data(key, data)
            self._outage.ok()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            self._held = True
            self._ended.add(key)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            await self._handed_back()
            data = await self._redis.get_data(key)
            self._outage.ok()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            self._held = True
            return await self._mirror.get_data(key)
        return data

    async def close(self) -> None:
        with contextlib.suppress(*UNAVAILABLE):
            await self._redis.close()


class ResilientIsolation(BaseEventIsolation):
    def __init__(self, redis: RedisEventIsolation, outage: _Outage) -> None:
        self._redis = redis
        self._local = SimpleEventIsolation()
        self._outage = outage

    @contextlib.asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        held = self._redis.lock(key)
        try:
            await held.__aenter__()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            async with self._local.lock(key):
                yield
            return
        try:
            yield
        finally:
            with contextlib.suppress(*UNAVAILABLE):
                await held.__aexit__(None, None, None)

    async def close(self) -> None:
        with contextlib.suppress(*UNAVAILABLE):
            await self._redis.close()


def redis_state(url: str, mirror: DatabaseStorage) -> tuple[ResilientStorage, ResilientIsolation]:
    """The storage and the isolation for a dispatcher, on one Redis; the dialog state
    mirrored in `mirror` (the database), read from there while Redis is away."""
    outage = _Outage()
    storage = RedisStorage(redis_client(url), key_builder=DefaultKeyBuilder(with_bot_id=True))
    isolation = RedisEventIsolation(storage.redis, key_builder=storage.key_builder)
    return ResilientStorage(storage, outage, mirror), ResilientIsolation(isolation, outage)
