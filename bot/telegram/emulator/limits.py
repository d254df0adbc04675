"""Telegram's rate limits as the emulator enforces them: ~30 messages a second for the
bot, ~1 a second per chat after a short burst, 20 a minute per group; 429 with
`retry_after` beyond, and a count of requests sent inside a window the bot was told of."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.telegram.emulator.checks import ApiError

IN_FLIGHT_GRACE = 0.05  # real seconds after a 429 in which requests may still be on the way


@dataclass
class RateLimits:
    """Telegram's limits: ~30 messages/s overall, ~1/s per chat after a burst of 3 (edits
    count), 20/min per group."""

    global_per_second: float = 30.0
    chat_per_second: float = 1.0
    chat_burst: float = 3.0
    group_per_minute: float = 20.0
    enabled: bool = True

    @classmethod
    def off(cls) -> RateLimits:
        return cls(enabled=False)


class _Bucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def take(self, now: float) -> float:
        """Take a token; return 0, or the seconds to wait when there is none."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateGate:
    """The buckets and the announced 429 windows of one bot token."""

    def __init__(
        self,
        limits: RateLimits,
        monotonic: Callable[[], float],
        wall: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.limits = limits
        self._monotonic = monotonic
        self._wall = wall  # real seconds: how long a request may still be on its way
        self._global = _Bucket(limits.global_per_second, limits.global_per_second, 0)
        self._chat_buckets: dict[int, _Bucket] = {}
        self._blocked_until: dict[str, float] = {}
        self._announced: dict[str, tuple[float, str]] = {}  # scope → (real time, request)
        self.rate_limited = 0
        self.window_violations = 0  # requests that came inside an announced 429 window

    def throttle(self, chat_id: int, *, private: bool, request: str, latency: float) -> None:
        """Let a send to `chat_id` through, or refuse it with 429. `latency`: the round
        trip the emulator adds, during which requests sent before a 429 still arrive."""
        if not self.limits.enabled:
            return
        now = self._monotonic()
        for scope in ("global", f"chat:{chat_id}"):
            until = self._blocked_until.get(scope, 0.0)
            if now < until:  # sent inside a retry_after window the bot was told about
                if not self._in_flight(scope, request, latency):
                    self.window_violations += 1
                self._refuse(int(until - now) + 1)
        wait = self._global.take(now)
        if wait:
            retry_after = max(1, math.ceil(wait))
            self._announce("global", now + retry_after, request)
            self._refuse(retry_after)
        bucket = self._chat_buckets.get(chat_id)
        if bucket is None:
            if private:
                bucket = _Bucket(self.limits.chat_per_second, self.limits.chat_burst, now)
            else:
                per_second = self.limits.group_per_minute / 60
                bucket = _Bucket(per_second, self.limits.group_per_minute, now)
            self._chat_buckets[chat_id] = bucket
        wait = bucket.take(now)
        if wait:
            retry_after = max(1, math.ceil(wait))
            self._announce(f"chat:{chat_id}", now + retry_after, request)
            self._refuse(retry_after)

    def _announce(self, scope: str, until: float, request: str) -> None:
        self._blocked_until[scope] = until
        self._announced[scope] = (self._wall(), request)

    def _in_flight(self, scope: str, request: str, latency: float) -> bool:
        """A request that was on its way before the bot could have read the 429 (it
        came within a round trip and a little of it, and is not the refused one again)
        is not one "made inside" the window."""
        at, refused = self._announced.get(scope, (0.0, ""))
        grace = IN_FLIGHT_GRACE + latency
        return request != refused and self._wall() - at < grace

    def _refuse(self, retry_after: int) -> None:
        self.rate_limited += 1
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
