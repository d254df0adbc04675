"""A Telegram Bot API emulator on 127.0.0.1 for the offline sandbox and the tests.

It implements the methods in `methods.METHODS`, checks every request the way the real
server does (known method, required fields, types, text and caption lengths, callback
data size, HTML entities), enforces rate limits with 429 + `retry_after`, and lets a
client inject messages and button presses and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import BodyPartReader, web

from bot.platform.emulation import serve
from bot.telegram.emulator.api import BotApiMethods
from bot.telegram.emulator.checks import ApiError
from bot.telegram.emulator.limits import RateLimits
from bot.telegram.emulator.methods import METHODS
from bot.telegram.emulator.state import DEFAULT_TOKEN, Request


class BotApiEmulator(BotApiMethods):
    """An in-process Bot API server; one bot token, many users and chats."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "partnerbot_sandbox_bot",
        limits: RateLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        latency: float = 0.0,
        wall: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(
            token=token,
            bot_username=bot_username,
            limits=limits,
            monotonic=monotonic,
            latency=latency,
            wall=wall,
        )
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        # seconds a method takes on top of `latency` (real time: an upload slower than a
        # text, as in the field); tests set it
        self.method_latency: dict[str, float] = {}

    # --- server ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner, self.base_url = await serve(app, host, port)
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        async with self._new_update:
            self._new_update.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            params = await self._read_params(request)
            record = Request(method, params)
            self.requests.append(record)
            latency = self.latency + self.method_latency.get(method, 0.0)
            slow = latency > 0 and method != "getUpdates"
            if slow:
                await asyncio.sleep(latency / 2)
            try:
                result = await self._dispatch(method, params)
            except ApiError as exc:
                record.status = exc.code
                record.description = exc.description
                raise
            finally:
                if slow:
                    await asyncio.sleep(latency / 2)
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            if exc.migrate_to_chat_id is not None:
                body["parameters"] = {"migrate_to_chat_id": exc.migrate_to_chat_id}
            return web.json_response(body, status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename:  # an upload, referred to as attach://<name> or by field
                    data = await part.read()
                    self.files[f"attach://{part.name}"] = (part.filename, bytes(data))
                    if part.name in METHODS.get(request.match_info["method"], {}):
                        params[part.name] = f"attach://{part.name}"
                else:
                    params[part.name] = await part.text()
        elif request.content_type == "application/json":
            body = await request.read()
            if body:
                params.update(json.loads(body))
        elif request.can_read_body:
            params.update(dict(await request.post()))
        return params

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1].removesuffix(".bin")
        data = self._file_bytes(file_id)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)
