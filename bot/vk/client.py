"""A typed wrapper around vk-api (which has no types) for one community token.

vk-api is synchronous: every call runs in a worker thread. Its URL is fixed to
api.vk.ru, so the `requests.Session` it is given sends those requests to `VK_API_URL`
instead (the emulator in tests and the sandbox). Its built-in delay between requests is
off: every call waits for its turn in the platform-neutral pacing (`bot.pacing`, 20
requests a second per token shared by replies and deliveries, people first, a peer's
messages one at a time). Error 6 ("too many requests") holds every call for a second and
error 9 (flood control) holds that peer, then the call is tried again; 10 ("internal
error") is retried here with a growing pause.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final, cast

import requests
import vk_api
from requests.adapters import HTTPAdapter
from vk_api.exceptions import ApiError, ApiHttpError

from bot.pacing import VK, Pacer, Target
from bot.platform.files import excerpt

logger = logging.getLogger(__name__)

VK_URL: Final = "https://api.vk.ru"
API_VERSION: Final = "5.199"
RATE: Final = 20.0  # requests a second for a community token
RETRIES: Final = 5  # for error 10
TOO_MANY_REQUESTS, INTERNAL, FLOOD = 6, 10, 9
CHAT_PEER_BASE: Final = 2_000_000_000
PER_PEER: Final = frozenset({"messages.send", "messages.edit"})  # count against a peer


class VkError(Exception):
    """An error answer of the VK API."""

    def __init__(self, code: int, message: str, method: str = "") -> None:
        super().__init__(f"VK error {code} in {method}: {message}")
        self.code = code
        self.message = message
        self.method = method


class VkUploadError(VkError):
    """An upload that gave no usable attachment: the upload server or URL refused it, lost
    it, or answered without a field VK's schema requires (named in the message). Nothing
    was sent to anyone and nothing is remembered: the next try uploads again."""

    def __init__(self, message: str, method: str = "upload", code: int = 0) -> None:
        super().__init__(code, message, method)


class VkNetworkError(Exception):
    """The request may not have reached VK, or its answer was lost."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


class _Elsewhere(HTTPAdapter):
    """Sends requests for api.vk.ru to another base URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__(pool_maxsize=8)
        self._base = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if request.url and request.url.startswith(VK_URL):
            request.url = self._base + request.url[len(VK_URL) :]
        return super().send(request, *args, **kwargs)


@dataclass(frozen=True)
class ExecuteResult:
    results: list[Any]  # False where the call failed
    errors: list[VkError]  # the failed calls, in order


class VkClient:
    """One community token: `call` a method, `execute` up to 25 calls, long-poll, upload."""

    def __init__(
        self,
        token: str,
        api_url: str = VK_URL,
        *,
        rate: float = RATE,
        timeout: float = 30.0,
        retry_pause: float = 0.35,
        pacer: Pacer | None = None,
    ) -> None:
        self.http = requests.Session()
        if api_url.rstrip("/") != VK_URL:
            self.http.mount(VK_URL, _Elsewhere(api_url))
        self._timeout = timeout
        self._retry_pause = retry_pause
        self._api = vk_api.VkApi(token=token, api_version=API_VERSION, session=self.http)
        # vk-api spaces requests from the end of the previous one; the limit counts their
        # starts, so the pacing (shared with every other sender) decides, and vk-api's own
        # delay is off
        self._api.RPS_DELAY = 0.0
        group = token.encode().hex()[-12:]
        self.pacer = pacer or Pacer(replace(VK, per_second=rate), group)
        # error 6 is handled by the pacing, not by vk-api's endless recursion
        self._api.error_handlers.pop(TOO_MANY_REQUESTS, None)
        self.rate_limited = 0  # error 6 answers seen
        self.on_rate_limited: Callable[[], None] | None = None  # told of each one

    def close(self) -> None:
        self.http.close()

    async def __call__(self, method: str, **params: Any) -> Any:
        return await self._paced(method, params)

    async def _paced(self, method: str, params: dict[str, Any], *, raw: bool = False) -> Any:
        """The call in its turn; refused for the rate, held and tried again in place."""
        target = _target(method, params)
        limits = self.pacer.limits
        async with self.pacer.slot(target):
            for attempt in range(limits.attempts):
                try:
                    answer = await asyncio.to_thread(self.call, method, params, raw=raw)
                    if target.chat is not None:
                        _raise_flood(answer)  # one recipient's error 9, in the answer
                    return answer
                except VkError as exc:
                    if exc.code == TOO_MANY_REQUESTS:
                        self.rate_limited += 1
                        if self.on_rate_limited is not None:
                            self.on_rate_limited()
                        await self.pacer.hold(None, 1.0, bot_wide=True)  # VK counts by second
                    elif exc.code == FLOOD and target.chat is not None:
                        await self.pacer.hold(target.chat, limits.flood_hold, bot_wide=False)
                    else:
                        raise
                    logger.info("VK error %s on %s: held, trying again", exc.code, method)
                    if attempt == limits.attempts - 1:
                        raise
                    await self.pacer.wait_turn(target)
        raise AssertionError("unreachable")

    def call(self, method: str, params: dict[str, Any], *, raw: bool = False) -> Any:
        """One request now (blocking; callers go through the pacing: `await client(…)`)."""
        values = {key: _form(value) for key, value in params.items() if value is not None}
        for attempt in range(RETRIES + 1):
            try:
                return self._api.method(method, values, raw=raw)
            except ApiError as exc:
                code = int(exc.code)
                if code == INTERNAL and attempt < RETRIES:
                    time.sleep(self._retry_pause * 2**attempt)
                    continue
                raise VkError(code, str(exc.error.get("error_msg", "")), method) from None
            except ApiHttpError as exc:
                raise VkNetworkError(f"{method}: HTTP {exc.response.status_code}") from None
            except requests.Timeout:
                raise VkNetworkError(f"{method}: timeout", timeout=True) from None
            except (requests.RequestException, ValueError) as exc:
                raise VkNetworkError(f"{method}: {type(exc).__name__}") from None
        raise AssertionError("unreachable")

    async def execute(self, calls: list[tuple[str, dict[str, Any]]]) -> ExecuteResult:
        """Up to 25 calls in one request (VK's `execute`)."""
        assert 0 < len(calls) <= 25
        code = (
            "return ["
            + ",".join(
                f"API.{method}({json.dumps(_execute_params(params), ensure_ascii=False)})"
                for method, params in calls
            )
            + "];"
        )
        body = await self._paced("execute", {"code": code}, raw=True)
        results = list(cast("list[Any]", body.get("response") or []))
        errors = [
            VkError(int(e.get("error_code", 0)), str(e.get("error_msg", "")), e.get("method", ""))
            for e in body.get("execute_errors") or []
        ]
        return ExecuteResult(results, errors)

    def long_poll(self, server: str, key: str, ts: str, wait: int) -> dict[str, Any]:
        """One `a_check` request (blocking; run it in a thread)."""
        try:
            query: dict[str, str | int] = {"act": "a_check", "key": key, "ts": ts, "wait": wait}
            response = self.http.get(
                server,
                params=query,
                timeout=wait + 10,
            )
            return cast("dict[str, Any]", response.json())
        except requests.Timeout:
            raise VkNetworkError("long poll: timeout", timeout=True) from None
        except (requests.RequestException, ValueError) as exc:
            raise VkNetworkError(f"long poll: {type(exc).__name__}") from None

    def upload(self, url: str, field: str, filename: str, data: bytes) -> dict[str, Any]:
        """The file to the upload URL VK gave (blocking; run it in a thread): its answer,
        a JSON object; `VkUploadError` when refused or unreadable, `VkNetworkError` lost."""
        try:
            response = self.http.post(url, files={field: (filename, data)}, timeout=self._timeout)
        except requests.RequestException as exc:
            raise VkNetworkError(f"upload: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise VkUploadError(f"HTTP {response.status_code}: {excerpt(response.text)}")
        try:
            answer = response.json()
        except ValueError:
            raise VkUploadError(f"the answer is not JSON: {excerpt(response.text)}") from None
        if not isinstance(answer, dict):
            raise VkUploadError(f"not an object: {excerpt(response.text)}")
        return cast("dict[str, Any]", answer)


def _target(method: str, params: dict[str, Any]) -> Target:
    """Every call counts against the token; a message to one peer, against that peer too."""
    peers = params.get("peer_ids")
    peer = params.get("peer_id")
    if isinstance(peers, (list, tuple)) and len(peers) == 1:
        peer = peers[0]
    elif peers is not None:
        peer = None
    if method not in PER_PEER or not isinstance(peer, int):
        return Target(None)
    return Target(peer, group=peer >= CHAT_PEER_BASE)


def _raise_flood(answer: Any) -> None:
    """`messages.send` to `peer_ids` answers each recipient's error in the list."""
    if isinstance(answer, list) and len(answer) == 1 and isinstance(answer[0], dict):
        error = answer[0].get("error")
        if isinstance(error, dict) and error.get("code") == FLOOD:
            raise VkError(FLOOD, str(error.get("description", "")), "messages.send")


def _form(value: Any) -> Any:
    """VK takes lists comma-separated and objects as JSON text."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def _execute_params(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}
