"""The MAX Bot API over aiohttp, for one bot token.

Why not a MAX client library: the ones on PyPI (maxapi and others) are frameworks with
their own dispatcher, router and models; partnerbot keeps aiogram's, and needs the raw
request in hand — pacing every request under MAX's 30 a second with replies first, a
429 holding every sender, the `attachment.not.ready` wait, and sends whose outcome is
unknown told apart from refused ones (docs/max.md).

- The token goes in the `Authorization` header (never in a URL, never in a log).
- 429: the request waits (every sender with it, see `MaxRate`) and is tried again.
- `attachment.not.ready` (a file MAX is still processing): waited out with a growing
  pause, then tried again.
- 5xx and dropped connections: a read (GET) is tried again; a write raises
  `MaxUncertain` — it may have been done — and the caller checks before repeating it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp

logger = logging.getLogger(__name__)

MAX_URL: Final = "https://platform-api2.max.ru"  # the schema's `servers` entry
RATE: Final = 30.0  # requests a second (MAX's published limit)
MARGIN: Final = 1.05  # starts 5% further apart than the limit: clocks and networks jitter
RATE_LIMITED_PAUSE: Final = 1.0  # MAX's 429 carries no retry_after: a second for everyone
RETRIES: Final = 5  # 429 and 5xx on reads
NOT_READY_TRIES: Final = 8
NOT_READY_PAUSE: Final = 0.25  # doubled each try: about a minute in all


class MaxError(Exception):
    """An error answer of the MAX Bot API (HTTP status, MAX's error key, its message)."""

    def __init__(self, status: int, code: str, message: str, method: str = "") -> None:
        super().__init__(f"MAX {status} {code} in {method}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.method = method


class MaxUncertain(Exception):
    """The request left and its answer was lost (timeout, dropped connection, 5xx): a
    write may have been done. `timeout` tells a timeout from the rest."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


class MaxRate:
    """MAX's request limit for one token, shared by every sender of the process: request
    starts at most `rate` a second, people's requests (`urgent`) before broadcast
    traffic, and a 429 holds every request for `RATE_LIMITED_PAUSE`. One small class so
    that a shared pacing layer can take its place."""

    def __init__(
        self,
        rate: float = RATE,
        *,
        margin: float = MARGIN,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = margin / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._held_until = 0.0
        self._urgent = 0
        self._quiet: asyncio.Event | None = None
        self.limited = 0  # 429s seen

    async def turn(self, *, urgent: bool = True) -> None:
        """Wait for this request's slot. People's requests take the next slot at once;
        broadcast traffic takes a slot only when it is due and nobody urgent waits."""
        quiet = self._quiet_event()
        if not urgent:
            while True:
                while self._urgent:
                    await quiet.wait()
                now = self._monotonic()
                slot = max(self._next, self._held_until)
                if slot <= now:
                    # due: the cadence is kept from the slot, not from a late wake-up;
                    # a slot long past is banked for half an interval at most (no burst
                    # after a quiet spell)
                    self._next = max(slot, now - self.interval / 2) + self.interval
                    return
                await self._sleep(slot - now)
        self._urgent += 1
        quiet.clear()
        try:
            now = self._monotonic()
            start = max(now, self._next, self._held_until)
            self._next = start + self.interval
            while start > self._monotonic():
                await self._sleep(start - self._monotonic())
                if self._held_until > start:  # a 429 arrived while this one waited
                    start = max(self._held_until, self._next)
                    self._next = start + self.interval
        finally:
            self._urgent -= 1
            if not self._urgent:
                quiet.set()

    def hold(self, seconds: float = RATE_LIMITED_PAUSE) -> None:
        """A 429: nobody sends before `seconds` from now."""
        self.limited += 1
        self._held_until = max(self._held_until, self._monotonic() + seconds)

    def _quiet_event(self) -> asyncio.Event:
        if self._quiet is None:
            self._quiet = asyncio.Event()
            self._quiet.set()
        return self._quiet


class MaxClient:
    """One bot token: `request` a method, `upload` a file."""

    def __init__(
        self,
        token: str,
        api_url: str = MAX_URL,
        *,
        rate: MaxRate | None = None,
        timeout: float = 40.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        not_ready_pause: float = NOT_READY_PAUSE,
    ) -> None:
        self._token = token
        self._base = api_url.rstrip("/")
        self.rate = rate or MaxRate()
        self._timeout = timeout
        self._sleep = sleep
        self._not_ready_pause = not_ready_pause
        self._http: aiohttp.ClientSession | None = None
        self.on_rate_limited: Callable[[], None] | None = None
        self.not_ready_waits = 0  # attachment.not.ready answers waited out

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                headers={"Authorization": self._token},
                connector=aiohttp.TCPConnector(limit=32),
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def request(
        self,
        http_method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        urgent: bool = True,
        wait: float | None = None,
    ) -> Any:
        """The answer's JSON. Raises `MaxError` (refused) or `MaxUncertain` (lost)."""
        query = {k: _query(v) for k, v in (params or {}).items() if v is not None}
        name = f"{http_method} {path}"
        waits = 0
        for attempt in range(RETRIES + NOT_READY_TRIES + 1):
            await self.rate.turn(urgent=urgent)
            try:
                status, answer = await self._once(http_method, path, query, body, wait)
            except MaxUncertain:
                if http_method == "GET" and attempt < RETRIES:
                    await self._sleep(0.2 * 2**attempt)
                    continue
                raise
            if status == 200:
                return answer
            code = str(answer.get("code") or answer.get("error") or status)
            message = str(answer.get("message") or "")
            if status == 429 and attempt < RETRIES:
                self.rate.hold()
                if self.on_rate_limited is not None:
                    self.on_rate_limited()
                logger.warning("MAX 429 on %s: every request waits", name)
                continue
            if code == "attachment.not.ready" and waits < NOT_READY_TRIES:
                self.not_ready_waits += 1
                await self._sleep(self._not_ready_pause * 2**waits)
                waits += 1
                continue
            if status >= 500:
                if http_method == "GET" and attempt < RETRIES:
                    await self._sleep(0.2 * 2**attempt)
                    continue
                raise MaxUncertain(f"{name}: HTTP {status}")
            raise MaxError(status, code, message, name)
        raise MaxError(429, "too.many.requests", "still limited after retries", name)

    async def _once(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: dict[str, Any] | None,
        wait: float | None,
    ) -> tuple[int, dict[str, Any]]:
        limit = aiohttp.ClientTimeout(total=wait or self._timeout)
        try:
            async with self._session().request(
                http_method, self._base + path, params=query, json=body, timeout=limit
            ) as response:
                text = await response.text()
                status = response.status
        except TimeoutError:
            raise MaxUncertain(f"{http_method} {path}: timeout", timeout=True) from None
        except aiohttp.ClientError as exc:
            raise MaxUncertain(f"{http_method} {path}: {type(exc).__name__}") from None
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            answer = {}
        return status, answer if isinstance(answer, dict) else {"result": answer}

    async def upload(self, url: str, filename: str, data: bytes) -> dict[str, Any]:
        """Put a file on the upload URL MAX gave (multipart, field `data`)."""
        form = aiohttp.FormData()
        form.add_field("data", data, filename=filename)
        await self.rate.turn()
        try:
            async with self._session().post(
                url, data=form, timeout=aiohttp.ClientTimeout(total=self._timeout)
            ) as response:
                text = await response.text()
                if response.status != 200:
                    raise MaxError(response.status, "upload", text[:200], "upload")
        except TimeoutError:
            raise MaxUncertain("upload: timeout", timeout=True) from None
        except aiohttp.ClientError as exc:
            raise MaxUncertain(f"upload: {type(exc).__name__}") from None
        try:
            answer = json.loads(text)
        except ValueError:
            raise MaxError(200, "upload", "not JSON", "upload") from None
        return answer if isinstance(answer, dict) else {}


def _query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)
