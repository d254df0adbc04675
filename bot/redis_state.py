"""Dialog state and per-chat ordering in Redis (REDIS_URL), shared by every worker.

aiogram's `RedisStorage` keeps the dialog state and `RedisEventIsolation` makes one
chat's updates run one at a time across processes. Wrapped so that Redis going away
never stops the bot: while it is unreachable, state lives in the process and the lock is
the process's own — dialogs may restart, answers go on — and the log says so once per
outage (and once when Redis is back).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    StorageKey,
)
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

StateType = str | State | None
UNAVAILABLE = (RedisError, OSError)


class _Outage:
    """Says in the log when Redis goes away and when it is back, once each."""

    def __init__(self) -> None:
        self.down = False

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            logger.error(
                "Redis unreachable (%s): dialog state is kept in this process until it is "
                "back; dialogs in progress may restart",
                exc,
            )
        self.down = True

    def ok(self) -> None:
        if self.down:
            logger.warning("Redis is back: dialog state is shared again")
        self.down = False


class ResilientStorage(BaseStorage):
    def __init__(self, redis: RedisStorage, outage: _Outage) -> None:
        self._redis = redis
        self._memory = MemoryStorage()
        self._outage = outage

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        try:
            await self._redis.set_state(key, state)
            self._outage.ok()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            await self._memory.set_state(key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        try:
            state = await self._redis.get_state(key)
            self._outage.ok()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            return await self._memory.get_state(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        try:
            await self._redis.set_data(key, data)
            self._outage.ok()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            await self._memory.set_data(key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            data = await self._redis.get_data(key)
            self._outage.ok()
        except UNAVAILABLE as exc:
            self._outage.failed(exc)
            return await self._memory.get_data(key)
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


def redis_state(url: str) -> tuple[ResilientStorage, ResilientIsolation]:
    """The storage and the isolation for a dispatcher, on one Redis."""
    outage = _Outage()
    storage = RedisStorage.from_url(
        url,
        connection_kwargs={"socket_connect_timeout": 2, "socket_timeout": 2},
        key_builder=DefaultKeyBuilder(with_bot_id=True),
    )
    isolation = RedisEventIsolation(storage.redis, key_builder=storage.key_builder)
    return ResilientStorage(storage, outage), ResilientIsolation(isolation, outage)
