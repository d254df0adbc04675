"""A typed wrapper around vk-api (which has no types) for one community token.

vk-api is synchronous: every call runs in a worker thread. Its URL is fixed to
api.vk.ru, so the `requests.Session` it is given sends those requests to `VK_API_URL`
instead (the emulator in tests and the sandbox). Its built-in delay between requests is
set to the community token's limit, 20 a second; error 6 ("too many requests") and 10
("internal error") are retried here with a growing pause.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, cast

import requests
import vk_api
from requests.adapters import HTTPAdapter
from vk_api.exceptions import ApiError, ApiHttpError

logger = logging.getLogger(__name__)

VK_URL: Final = "https://api.vk.ru"
API_VERSION: Final = "5.199"
RATE: Final = 20.0  # requests a second for a community token
RETRIES: Final = 5  # for errors 6 and 10
MARGIN: Final = 1.03  # requests 3% further apart than the limit: clocks and networks jitter
TOO_MANY_REQUESTS, INTERNAL, FLOOD = 6, 10, 9


class VkError(Exception):
    """An error answer of the VK API."""

    def __init__(self, code: int, message: str, method: str = "") -> None:
        super().__init__(f"VK error {code} in {method}: {message}")
        self.code = code
        self.message = message
        self.method = method


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
    ) -> None:
        self.http = requests.Session()
        if api_url.rstrip("/") != VK_URL:
            self.http.mount(VK_URL, _Elsewhere(api_url))
        self._timeout = timeout
        self._retry_pause = retry_pause
        self._api = vk_api.VkApi(token=token, api_version=API_VERSION, session=self.http)
        # vk-api spaces requests from the end of the previous one; the limit counts their
        # starts, so the spacing is kept here (by start) and vk-api's own delay is off
        self._api.RPS_DELAY = 0.0
        self._interval = MARGIN / rate
        self._next_start = 0.0
        self._pacing = threading.Lock()
        # error 6 is retried here with a limit, not by vk-api's endless recursion
        self._api.error_handlers.pop(TOO_MANY_REQUESTS, None)
        self.rate_limited = 0  # error 6 answers seen
        self.on_rate_limited: Callable[[], None] | None = None  # told of each one

    def close(self) -> None:
        self.http.close()

    async def __call__(self, method: str, **params: Any) -> Any:
        return await asyncio.to_thread(self.call, method, params)

    def call(self, method: str, params: dict[str, Any], *, raw: bool = False) -> Any:
        values = {key: _form(value) for key, value in params.items() if value is not None}
        for attempt in range(RETRIES + 1):
            self._wait_turn()
            try:
                return self._api.method(method, values, raw=raw)
            except ApiError as exc:
                code = int(exc.code)
                if code in (TOO_MANY_REQUESTS, INTERNAL) and attempt < RETRIES:
                    if code == TOO_MANY_REQUESTS:
                        self.rate_limited += 1
                        if self.on_rate_limited is not None:
                            self.on_rate_limited()
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

    def _wait_turn(self) -> None:
        """Block until this request's slot: starts `1/rate` apart, for every thread."""
        with self._pacing:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
        if start > now:
            time.sleep(start - now)

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
        body = await asyncio.to_thread(self.call, "execute", {"code": code}, raw=True)
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
        try:
            response = self.http.post(url, files={field: (filename, data)}, timeout=self._timeout)
            return cast("dict[str, Any]", response.json())
        except (requests.RequestException, ValueError) as exc:
            raise VkNetworkError(f"upload: {type(exc).__name__}") from None


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
