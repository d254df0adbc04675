"""What the platform emulators (`bot/vk/emulator.py`, `bot/max/emulator.py`) share: an
aiohttp server on 127.0.0.1, a request limit counted over a sliding second, hooks that
run after N requests (a crash in a benchmark), and the feed of events a long poll reads
by position (VK's `ts`, MAX's `marker`) — with the waits tests use to know the bot has
handled an event (it polled past it) or is listening."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web


class SlidingSecond:
    """At most `rate` requests in any second, as VK and MAX count them (`now` from the
    emulator's clock, which tests replace)."""

    def __init__(self) -> None:
        self._recent: deque[float] = deque()

    def admit(self, now: float, rate: int) -> bool:
        """Count a request at `now`; False (not counted) when its second is full."""
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= rate:
            return False
        self._recent.append(now)
        return True

    def window_end(self, now: float) -> float:
        """When the oldest request counted leaves the second (a refusal's window)."""
        return (self._recent[0] if self._recent else now) + 1.0


class EventFeed:
    """Events by position, the newest `history` of them kept: a long poll from a position
    gets what follows it, or waits for it."""

    def __init__(self, history: int, first: int = 1) -> None:
        self.events: list[dict[str, Any]] = []
        self.first = first  # the position of events[0]
        self._history = history
        self._new = asyncio.Condition()
        self._polled = asyncio.Condition()
        self.polled_from = 0  # the highest position a poll asked from
        self.polls = 0  # polls answered or waiting
        self.closing = False
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def newest(self) -> int:
        """The position the next event will have."""
        return self.first + len(self.events)

    def append(self, event: dict[str, Any], *, wake: bool = True) -> int:
        """Add an event; its position."""
        self.events.append(event)
        if len(self.events) > self._history:
            drop = len(self.events) - self._history
            del self.events[:drop]
            self.first += drop
        if wake:
            self.wake()
        return self.newest - 1

    def at(self, position: int) -> dict[str, Any]:
        return self.events[position - self.first]

    def since(self, position: int, limit: int) -> list[dict[str, Any]]:
        start = position - self.first
        return self.events[start : start + limit]

    async def poll(self, position: int, timeout: float) -> None:  # noqa: ASYNC109
        """A poll from `position`: noted, then waits up to `timeout` for an event there."""
        await self.note_poll(position)
        await self.wait_for_event(position, timeout)

    async def note_poll(self, position: int) -> None:
        """A poll asked from `position` (what `wait_processed` and `wait_polling` see)."""
        async with self._polled:
            self.polled_from = max(self.polled_from, position)
            self.polls += 1
            self._polled.notify_all()

    async def wait_for_event(self, position: int, timeout: float) -> None:  # noqa: ASYNC109
        """Up to `timeout` for an event at `position` (at once when there is one)."""
        if position >= self.newest and not self.closing:
            async with self._new:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._new.wait_for(lambda: self.newest > position or self.closing),
                        timeout,
                    )

    def wake(self) -> None:
        async def notify() -> None:
            async with self._new:
                self._new.notify_all()

        self.spawn(notify())

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run `coroutine` beside (nothing when no loop runs: nobody is waiting)."""
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:
            coroutine.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self.closing = True
        async with self._new:
            self._new.notify_all()
        for task in list(self._tasks):
            task.cancel()

    async def wait_processed(self, position: int, within: float = 10.0) -> None:
        """Until the bot polled past `position`: with updates handled one by one, it has
        handled that event by then."""
        async with self._polled:
            await asyncio.wait_for(
                self._polled.wait_for(lambda: self.polled_from > position), within
            )

    async def wait_polling(self, after: int = 0, within: float = 10.0) -> None:
        """Until a poll beyond the `after`-th (the bot is listening)."""
        async with self._polled:
            await asyncio.wait_for(self._polled.wait_for(lambda: self.polls > after), within)


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """An emulator's aiohttp app listening on host:port (0: any free port); its runner
    and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    real_port = runner.addresses[0][1] if runner.addresses else port
    return runner, f"http://{host}:{real_port}"


class EmulatedServer:
    """The HTTP side of an emulator: `start` serves the routes `_routes` adds, `stop`
    ends it; `requests` are recorded by the subclass, and `after_requests` hooks run once
    that many more have been answered."""

    requests: list[Any]
    feed: EventFeed

    def _init_server(self) -> None:
        self._runner: web.AppRunner | None = None
        self._triggers: list[tuple[int, Callable[[], None]]] = []
        self.base_url = ""

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        self._routes(app)
        self._runner, self.base_url = await serve(app, host, port)
        return self.base_url

    async def stop(self) -> None:
        await self.feed.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def after_requests(self, count: int, action: Callable[[], None]) -> None:
        """Run `action` once `count` more API requests have been answered (a crash)."""
        self._triggers.append((len(self.requests) + count, action))

    def _fire_triggers(self) -> None:
        due = [t for t in self._triggers if len(self.requests) >= t[0]]
        self._triggers = [t for t in self._triggers if len(self.requests) < t[0]]
        for _count, action in due:
            action()

    @property
    def polls(self) -> int:
        return self.feed.polls

    async def wait_processed(self, position: int, within: float = 10.0) -> None:
        await self.feed.wait_processed(position, within)

    async def wait_polling(self, after: int = 0, within: float = 10.0) -> None:
        await self.feed.wait_polling(after, within)
