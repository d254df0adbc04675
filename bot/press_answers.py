"""Which button presses were answered while an update was handled, so the error handler
answers a press only when the failed handler did not (a second answer fails on Telegram:
«query is too old»; VK refuses it too; MAX would show two notifications).

`TrackPresses` (a dispatcher middleware on updates) gives each callback query update a
set of the answered query ids, as `answered_presses` to the handlers (the error handler
too); `NoteAnswers` (a request middleware on every platform's session) adds the id of
each answer that went through.

A press the platform no longer takes an answer to (Telegram: «query is too old … or query
ID is invalid», a press handled long after it was made, or one never issued; MAX's 404
«callback not found» and VK's error 100 on the event id, which the sessions report in
Telegram's words) is the same: nothing more can be said to it. `NoteAnswers` logs it as
one warning and answers the handler as if it went, so the rest of the handler goes on
(the rating kept and shown, the screen drawn) and no error handler reports a failure."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, Final, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update

logger = logging.getLogger(__name__)

_answered: ContextVar[set[str] | None] = ContextVar("answered_presses", default=None)
# Telegram's words for a press it no longer takes an answer to (the other platforms' own
# errors are reported in them: bot/max/session.py, bot/vk/session.py)
PRESS_GONE: Final = "query is too old and response timeout expired or query ID is invalid"


def press_gone(exc: Exception) -> bool:
    """Whether answering a press failed because the platform no longer takes an answer."""
    return isinstance(exc, TelegramBadRequest) and (
        "query is too old" in exc.message or "query ID is invalid" in exc.message
    )


class NoteAnswers(BaseRequestMiddleware):
    """Notes every press answered (the answer accepted) during the update handled; one
    the platform no longer takes an answer to is a warning, and done."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            result = await make_request(bot, method)
        except TelegramBadRequest as exc:
            if not isinstance(method, AnswerCallbackQuery) or not press_gone(exc):
                raise
            logger.warning(
                "press %s could not be answered (too late, or not issued): %s",
                method.callback_query_id,
                exc.message,
            )
            result = cast("Response[TelegramType]", True)
        if isinstance(method, AnswerCallbackQuery):
            answered = _answered.get()
            if answered is not None:  # nothing more can be said to it: not again on an error
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
