"""Which button presses were answered while an update was handled, so the error handler
answers a press only when the failed handler did not (a second answer fails on Telegram:
«query is too old»; VK refuses it too; MAX would show two notifications).

`TrackPresses` (a dispatcher middleware on updates) gives each callback query update a
set of the answered query ids, as `answered_presses` to the handlers (the error handler
too); `NoteAnswers` (a request middleware on every platform's session) adds the id of
each answer that went through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update

_answered: ContextVar[set[str] | None] = ContextVar("answered_presses", default=None)


class NoteAnswers(BaseRequestMiddleware):
    """Notes every press answered (the answer accepted) during the update handled."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        result = await make_request(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            answered = _answered.get()
            if answered is not None:
                answered.add(method.callback_query_id)
        return result


def note_answers(session: BaseSession) -> None:
    """Every answer to a press sent through `session` noted for the update it answers."""
    session.middleware(NoteAnswers())


class TrackPresses(BaseMiddleware):
    """For a callback query update: `answered_presses`, the ids answered while handling it
    (kept in the data the error handler gets, which runs after this middleware returned)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update) or event.callback_query is None:
            return await handler(event, data)
        answered: set[str] = set()
        data["answered_presses"] = answered
        token = _answered.set(answered)
        try:
            return await handler(event, data)
        finally:
            _answered.reset(token)
