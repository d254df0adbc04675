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
from aiogram.exceptions import TelegramMigrateToChat, TelegramRetryAfter
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


class ChatMigrations:
    """Groups upgraded to supergroups (old id → new id), learned from the Bot API."""

    def __init__(self) -> None:
        self._moved: dict[int, int] = {}

    def record(self, old_id: int, new_id: int) -> None:
        logger.warning(
            "chat %s is now the supergroup %s; update its id in the settings", old_id, new_id
        )
        self._moved[old_id] = new_id

    def current(self, chat_id: int) -> int:
        return self._moved.get(chat_id, chat_id)


class MigrationMiddleware(BaseRequestMiddleware):
    """A send to a group that became a supergroup goes to the new chat, now and from then
    on (Telegram answers the old id with migrate_to_chat_id)."""

    def __init__(self, migrations: ChatMigrations) -> None:
        self._migrations = migrations

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if isinstance(chat_id, int) and self._migrations.current(chat_id) != chat_id:
            method.chat_id = self._migrations.current(chat_id)  # type: ignore[attr-defined]
        try:
            return await make_request(bot, method)
        except TelegramMigrateToChat as exc:
            if not isinstance(chat_id, int):
                raise
            self._migrations.record(chat_id, exc.migrate_to_chat_id)
            method.chat_id = exc.migrate_to_chat_id  # type: ignore[attr-defined]
            return await make_request(bot, method)


def create_bot(
    token: str,
    api_url: str | None = None,
    migrations: ChatMigrations | None = None,
    **session_kwargs: Any,
) -> Bot:
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(api_url)
        if api_url
        else TelegramAPIServer.from_base("https://api.telegram.org"),
        **session_kwargs,
    )
    session.middleware(RetryAfterMiddleware())
    if migrations is not None:
        session.middleware(MigrationMiddleware(migrations))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
