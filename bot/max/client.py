"""The MAX Bot API over aiohttp, for one bot token.

Why not a MAX client library: the ones on PyPI (maxapi and others) are frameworks with
their own dispatcher, router and models; partnerbot keeps aiogram's, and needs the raw
request in hand — pacing every request under MAX's 30 a second with replies first, a
429 holding every sender, the `attachment.not.ready` wait, and sends whose outcome is
unknown told apart from refused ones (docs/max.md).

- The token goes in the `Authorization` header (never in a URL, never in a log).
- Pacing: every request waits for its turn in the platform-neutral pacing (`bot.pacing`,
  `MAX` limits: 30 requests a second per token, shared by replies and broadcasts — and by
  every worker when Redis is configured —, people first). A 429 (MAX gives no
  `retry_after`) holds every sender for a second, then the request is tried again.
- `attachment.not.ready` (a file MAX is still processing): waited out with a growing
  pause, then tried again.
- 5xx and dropped connections: a read (GET) is tried again; a write raises
  `MaxUncertain` — it may have been done — and the caller checks before repeating it.
  A 200 whose body is not JSON is logged and read as an empty answer.
- An upload that gives no usable token (refused, or answered without a field MAX's
  schema requires) raises `MaxUploadError`, the field named (`bot.max.files`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Final

import aiohttp

from bot.pacing import MAX, Pacer, Pacers, Target
from bot.platform.files import excerpt

logger = logging.getLogger(__name__)

MAX_URL: Final = "https://platform-api2.max.ru"  # the schema's `servers` entry
RATE_LIMITED_PAUSE: Final = 1.0  # MAX's 429 carries no retry_after: a second for everyone
RETRIES: Final = 5  # 429 and 5xx on reads
NOT_READY_TRIES: Final = 8
NOT_READY_PAUSE: Final = 0.25  # doubled each try: about a minute in all
# MAX publishes one limit, per token, for every method; none per chat
EVERY_REQUEST: Final = Target(None)


class MaxError(Exception):
    """An error answer of the MAX Bot API (HTTP status, MAX's error key, its message)."""

    def __init__(self, status: int, code: str, message: str, method: str = "") -> None:
        super().__init__(f"MAX {status} {code} in {method}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.method = method


class MaxUploadError(MaxError):
    """An upload that gave no usable token: `POST /uploads` or the upload URL refused it,
    lost it, or answered without a field the schema requires (named in the message).
    Nothing was sent to anyone and nothing is remembered: the next try uploads again."""


class MaxUncertain(Exception):
    """The request left and its answer was lost (timeout, dropped connection, 5xx): a
    write may have been done. `timeout` tells a timeout from the rest."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


def max_pacer(pacers: Pacers, token: str, rate: float = MAX.per_second) -> Pacer:
    """The pacing of one MAX bot token (30 requests a second, `rate` to change it), shared
    by every sender of the process, and of every process on one Redis."""
    return pacers.get(replace(MAX, per_second=rate), token_key(token))


def token_key(token: str) -> str:
    """A token's name in the pacing's keys (never the token itself)."""
    return hashlib.blake2b(token.encode(), digest_size=6).hexdigest()


class MaxClient:
    """One bot token: `request` a method, `upload` a file."""

    def __init__(
        self,
        token: str,
        api_url: str = MAX_URL,
        *,
        pacer: Pacer | None = None,
        timeout: float = 40.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        not_ready_pause: float = NOT_READY_PAUSE,
    ) -> None:
        self._token = token
        self._base = api_url.rstrip("/")
        self.pacer = pacer or Pacer(MAX, token_key(token))
        self._timeout = timeout
        self._sleep = sleep
        self._not_ready_pause = not_ready_pause
        self._http: aiohttp.ClientSession | None = None
        self.on_rate_limited: Callable[[], None] | None = None
        self.rate_limited = 0  # 429 answers seen
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
        wait: float | None = None,
    ) -> Any:
        """The answer's JSON. Raises `MaxError` (refused) or `MaxUncertain` (lost). Made
        in its turn (broadcast traffic when called inside `bot.pacing.bulk()`)."""
        query = {k: _query(v) for k, v in (params or {}).items() if v is not None}
        # one chat's sends leave one at a time, in the order they were asked for
        chat = query.get("chat_id") or query.get("user_id")
        if http_method != "POST" or chat is None:
            return await self._request(http_method, path, query, body, wait)
        async with self.pacer.slot(Target(chat, counted=False)):
            return await self._request(http_method, path, query, body, wait)

    async def _request(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: dict[str, Any] | None,
        wait: float | None,
    ) -> Any:
        name = f"{http_method} {path}"
        waits = 0
        for attempt in range(RETRIES + NOT_READY_TRIES + 1):
            await self.pacer.wait_turn(EVERY_REQUEST)
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
                self.rate_limited += 1
                await self.pacer.hold(None, RATE_LIMITED_PAUSE, bot_wide=True)
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
            if status == 200:  # the callers find the fields they need missing, and say so
                logger.warning(
                    "MAX %s %s answered 200 with a body that is not JSON: %s",
                    http_method,
                    path,
                    excerpt(text),
                )
            answer = {}
        return status, answer if isinstance(answer, dict) else {"result": answer}

    async def upload(self, url: str, filename: str, data: bytes) -> dict[str, Any]:
        """Put a file on the upload URL MAX gave (multipart, field `data`)."""
        form = aiohttp.FormData()
        form.add_field("data", data, filename=filename)
        await self.pacer.wait_turn(EVERY_REQUEST)
        try:
            async with self._session().post(
                url, data=form, timeout=aiohttp.ClientTimeout(total=self._timeout)
            ) as response:
                text = await response.text()
                status = response.status
        except TimeoutError:
            raise MaxUncertain("upload: timeout", timeout=True) from None
        except aiohttp.ClientError as exc:
            raise MaxUncertain(f"upload: {type(exc).__name__}") from None
        if status != 200:
            raise MaxUploadError(
                status, "upload.refused", f"HTTP {status}: {excerpt(text)}", "upload URL"
            )
        try:
            answer = json.loads(text)
        except ValueError:
            raise MaxUploadError(
                status,
                "upload.malformed",
                f"the answer is not JSON: {excerpt(text)}",
                "upload URL",
            ) from None
        if not isinstance(answer, dict):
            raise MaxUploadError(
                status, "upload.malformed", f"not an object: {excerpt(text)}", "upload URL"
            )
        return answer


def _query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)
