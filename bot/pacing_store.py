"""Where the pacing's state lives (`bot.pacing`): every chat's and the bot's GCRA bucket
(one number: the theoretical arrival time) and the holds after a refusal for the rate — in
the process (`MemoryStore`), or in Redis (`RedisStore`: Lua scripts, atomic, shared by all
workers; Redis going away falls back to the process).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    """A GCRA: one slot every `interval` seconds, `tolerance` seconds of burst."""

    interval: float
    tolerance: float

    @classmethod
    def of(cls, per_second: float, burst: int, margin: float) -> Rate:
        interval = margin / per_second
        return cls(interval, interval * (burst - 1))


class Store(Protocol):
    async def book(self, key: str, now: float, rate: Rate, reserve: int) -> float:
        """Book a slot (`reserve` -1: even in the future, a person's send), take one now
        (`reserve` ≥ 0: only while that many are left), or only look (`PEEK`); seconds
        to wait: the booked slot's start, or — not booked — when to ask again."""
        ...

    async def hold(self, key: str, until: float, now: float) -> None: ...

    async def held_until(self, keys: list[str]) -> float: ...


PEEK: Final = -2  # `reserve` for "when would a slot be free", taking nothing
SETTLE: Final = -3  # `reserve` for "the last slot was used only now": counted from now


def _book(tat: float, now: float, rate: Rate, reserve: int) -> tuple[float, float | None]:
    """GCRA: (seconds to wait, the new theoretical arrival time or None: not taken)."""
    if reserve == SETTLE:
        return 0.0, max(tat, now + rate.interval)
    tat = max(tat, now)
    if reserve == PEEK:
        return max(0.0, tat - rate.tolerance - now), None
    if reserve < 0:
        start = max(now, tat - rate.tolerance)
        return start - now, max(tat, start) + rate.interval
    allowed = tat - (rate.tolerance - reserve * rate.interval)
    if allowed > now:
        return allowed - now, None
    return 0.0, tat + rate.interval


class MemoryStore:
    """The state of one process."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._holds: dict[str, float] = {}

    async def book(self, key: str, now: float, rate: Rate, reserve: int) -> float:
        wait, tat = _book(self._tat.get(key, 0.0), now, rate, reserve)
        if tat is not None:
            self._tat[key] = tat
            if len(self._tat) > 50_000:
                self._tat = {k: t for k, t in self._tat.items() if t > now}
        return wait

    async def hold(self, key: str, until: float, now: float) -> None:
        self._holds[key] = max(until, self._holds.get(key, 0.0))
        if len(self._holds) > 10_000:
            self._holds = {k: t for k, t in self._holds.items() if t > now}

    async def held_until(self, keys: list[str]) -> float:
        return max((self._holds.get(key, 0.0) for key in keys), default=0.0)


# Every bucket and hold of one prefix is a field of one hash (KEYS[1]); a sorted set
# (KEYS[2]) scores each field with the moment, on the callers' clock, after which it says
# nothing any more (a bucket's theoretical arrival time, a hold's end). Each call removes a
# few fields past theirs: the state's lifetime runs on the time the pacing is given
# (`Timer`), not on the server's expiry, which counts its own seconds (a virtual clock in
# the tests runs apart from them: a bucket expired too early let a burst through again).
# A field goes a second after its moment: the workers' clocks may be a little apart.
_COLLECT_LUA: Final = """
local function collect(now)
  local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - 1, 'LIMIT', 0, 16)
  if #old > 0 then
    redis.call('HDEL', KEYS[1], unpack(old))
    redis.call('ZREM', KEYS[2], unpack(old))
  end
end
local function keep(field, value, now)
  redis.call('HSET', KEYS[1], field, value)  -- a number: written with full precision
  redis.call('ZADD', KEYS[2], value, field)
  collect(now)
end
"""

# ARGV: the bucket's field, now, interval, tolerance, reserve. Returns {wait, booked}.
_BOOK_LUA: Final = (
    _COLLECT_LUA
    + """
local field = ARGV[1]
local now = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local tolerance = tonumber(ARGV[4])
local reserve = tonumber(ARGV[5])
local tat = tonumber(redis.call('HGET', KEYS[1], field) or '0')
local wait, new
if reserve == -3 then
  keep(field, math.max(tat, now + interval), now)
  return {'0', 1}
end
if tat < now then tat = now end
if reserve == -2 then
  local free = tat - tolerance - now
  if free < 0 then free = 0 end
  return {tostring(free), 0}
end
if reserve < 0 then
  local start = tat - tolerance
  if start < now then start = now end
  if start > tat then tat = start end
  new = tat + interval
  wait = start - now
else
  local allowed = tat - (tolerance - reserve * interval)
  if allowed > now then
    return {tostring(allowed - now), 0}
  end
  new = tat + interval
  wait = 0
end
keep(field, new, now)
return {tostring(wait), 1}
"""
)

# ARGV: the hold's field, until, now: the later of the held and the given end is kept.
_HOLD_LUA: Final = (
    _COLLECT_LUA
    + """
local field = ARGV[1]
local now = tonumber(ARGV[3])
local held = tonumber(redis.call('HGET', KEYS[1], field) or '0')
keep(field, math.max(held, tonumber(ARGV[2])), now)
return 1
"""
)


class RedisStore:
    """The state shared by every worker on one Redis; the process's own while Redis is
    unreachable (said once in the log, and once when it is back)."""

    def __init__(self, url: str, prefix: str = "pacing") -> None:
        from bot.redis_client import redis_client

        self._redis: Any = redis_client(url)
        self._book = self._redis.register_script(_BOOK_LUA)
        self._hold = self._redis.register_script(_HOLD_LUA)
        # one hash slot for both keys (`{…}`): the scripts stay valid on a Redis Cluster
        self._keys = [f"{{{prefix}}}:state", f"{{{prefix}}}:due"]
        self._local = MemoryStore()
        self._down = False

    async def _guard(self, call: Callable[[], Awaitable[Any]]) -> Any:
        from redis.exceptions import RedisError

        try:
            result = await call()
        except (RedisError, OSError) as exc:
            if not self._down:
                logger.error("Redis unreachable (%s): pacing is this process's own", exc)
            self._down = True
            raise _Fallback from None
        if self._down:
            logger.warning("Redis is back: pacing is shared again")
            self._down = False
        return result

    async def book(self, key: str, now: float, rate: Rate, reserve: int) -> float:
        args: list[str | int] = [
            key,
            repr(now),
            repr(rate.interval),
            repr(rate.tolerance),
            reserve,
        ]
        try:
            wait, _booked = await self._guard(lambda: self._book(keys=self._keys, args=args))
        except _Fallback:
            return await self._local.book(key, now, rate, reserve)
        return float(wait)

    async def hold(self, key: str, until: float, now: float) -> None:
        await self._local.hold(key, until, now)
        args = [f"hold:{key}", repr(until), repr(now)]
        with contextlib.suppress(_Fallback):
            await self._guard(lambda: self._hold(keys=self._keys, args=args))

    async def held_until(self, keys: list[str]) -> float:
        local = await self._local.held_until(keys)
        fields = [f"hold:{key}" for key in keys]
        try:
            values = await self._guard(lambda: self._redis.hmget(self._keys[0], fields))
        except _Fallback:
            return local
        return max([local] + [float(v) for v in values if v is not None])

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._redis.aclose()


class _Fallback(Exception):
    pass


def create_store(redis_url: str | None) -> Store:
    """Redis-backed state when REDIS_URL is set (several workers), else the process's."""
    return RedisStore(redis_url) if redis_url else MemoryStore()
