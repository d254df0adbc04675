"""The aiogram Bot for Telegram (or the emulator), with 429 handling on every request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

logger = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Wait out `retry_after` on 429 and send again (a few times), instead of failing."""

    def __init__(
        self,
        attempts: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._attempts = attempts
        self._max_wait = max_wait
        self._sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(self._attempts):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self._attempts - 1 or isinstance(method, GetUpdates):
                    raise
                wait = min(float(exc.retry_after), self._max_wait)
                logger.info("429 on %s, waiting %.0f s", type(method).__name__, wait)
                await self._sleep(wait)
        raise AssertionError("unreachable")


def create_bot(token: str, api_url: str | None = None, **session_kwargs: Any) -> Bot:
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(api_url)
        if api_url
        else TelegramAPIServer.from_base("https://api.telegram.org"),
        **session_kwargs,
    )
    session.middleware(RetryAfterMiddleware())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
