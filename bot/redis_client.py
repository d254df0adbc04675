"""The bot's Redis clients (the pacing's shared state, the dialog state and per-chat lock):
every command bounded in time — Redis away or stuck fails a call in seconds, and the
callers fall back to the process or the database — and a task stopped during a command
(a worker's SIGTERM, a bot stopped in the middle of an update) is stopped.

redis-py writes a command under `asyncio.wait_for` when `socket_timeout` is set, and
Python 3.11's `wait_for` returns the write's result when a cancel arrives just as the
write ended: the cancel is lost, and the cancelled task goes on as if never asked to stop
(CPython gh-86296, fixed in 3.12). A handler cancelled so never ended its bot's polling,
and the bot never stopped (session 26: a test that stopped the bot during /stats hung on
PostgreSQL — the CI's run with Redis). Here the write is bounded by `asyncio.timeout`,
which counts cancels and never loses one; the reads already were.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Final

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import TimeoutError as RedisTimeout

TIMEOUT: Final = 2.0  # seconds for a connection, and for each command's write and read


class _CancellableWrites(AbstractConnection):
    """A connection whose writes are bounded by `asyncio.timeout`, not `wait_for`."""

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        limit = self.socket_timeout
        if not limit:
            await super().send_packed_command(command, check_health)
            return
        if not self.is_connected:
            # as redis-py does it, bounded by the connect timeout (not this write's)
            await self.connect_check_health(check_health=False)
        # the write without redis-py's wait_for: the connection is this command's alone
        # (taken from the pool) until it ends, so no other command reads it meanwhile
        self.socket_timeout = None
        try:
            async with asyncio.timeout(limit):
                await super().send_packed_command(command, check_health)
        except TimeoutError:  # redis-py closed the connection, as on its own timeout
            raise RedisTimeout("Timeout writing to socket") from None
        finally:
            self.socket_timeout = limit


_CANCELLABLE: dict[type[AbstractConnection], type[AbstractConnection]] = {}


def _cancellable(base: type[AbstractConnection]) -> type[AbstractConnection]:
    """`base` (plain TCP, TLS for rediss://, a Unix socket) with cancellable writes."""
    made = _CANCELLABLE.get(base)
    if made is None:
        made = _CANCELLABLE[base] = type(
            f"Cancellable{base.__name__}", (_CancellableWrites, base), {}
        )
    return made


def redis_client(url: str) -> Redis:
    """A client of the Redis at `url` whose commands fail after `TIMEOUT` seconds and
    whose cancels are never lost (the module's docstring)."""
    client = Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    pool = client.connection_pool
    pool.connection_class = _cancellable(pool.connection_class)
    return client
