"""One chat's updates one at a time, with one exception: an update a handler feeds to the
dispatcher itself (a menu word typed as text, handled as its command) runs inside the
handling of its own chat's update, so it must not wait for that chat's lock — it would
wait for itself."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

# the chats whose lock the running task (and what it awaits) already holds
_held: ContextVar[frozenset[StorageKey]] = ContextVar("isolation_held", default=frozenset())


class ReentrantIsolation(BaseEventIsolation):
    """`inner`'s per-chat lock (in the process, or Redis across workers), taken once per
    task: a nested update of the same chat in the same task passes through."""

    def __init__(self, inner: BaseEventIsolation) -> None:
        self._inner = inner

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        held = _held.get()
        if key in held:
            yield
            return
        async with self._inner.lock(key):
            token = _held.set(held | {key})
            try:
                yield
            finally:
                _held.reset(token)

    async def close(self) -> None:
        await self._inner.close()
