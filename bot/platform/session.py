"""The shape every non-Telegram platform session shares (`VkSession`, `MaxSession`): an
aiogram `BaseSession` whose `make_request` turns each aiogram method the bot uses into
the platform's calls, and the platform's errors into aiogram's, so the same routers,
filters and handlers serve every messenger. A platform's folder fills in the methods
(`_poll`, `_send_message`, …) and says how its errors read (`_aiogram_error`)."""

from __future__ import annotations

import abc
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CopyMessages,
    DeleteMessage,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChat,
    GetMe,
    GetUpdates,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import ChatFullInfo, Message, MessageId, Update, User


class FileNotSent(TelegramBadRequest):
    """aiogram's error for a file a platform would not take: its upload was refused, lost,
    or answered without a field the platform's schema requires (the session logged which).
    Nothing was sent and nothing remembered, so a screen can go on without the file
    (`handlers.screens.file_or_notice`) and the next try uploads it again."""


class PlatformSession(BaseSession, abc.ABC):
    """aiogram's methods → a platform's calls. `name` is said in errors ("VK", "MAX")."""

    name: str = ""

    def forget_person(self, user_id: int) -> None:
        """/forget: drop what the session keeps of a person (their name: VK, MAX)."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        try:
            result = await self._dispatch(bot, method)
        except Exception as exc:
            if self._answer_lost(exc):
                message = "Request timeout error" if getattr(exc, "timeout", False) else str(exc)
                raise TelegramNetworkError(method=method, message=message) from None
            error = self._aiogram_error(method, exc)
            if error is None:
                raise
            raise error from None
        return cast("TelegramType", result)

    async def _dispatch(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetUpdates):
            return await self._poll(bot, method)
        if isinstance(method, SendMessage):
            return await self._send_message(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            return await self._answer_callback(bot, method)
        if isinstance(method, EditMessageText):
            return await self._edit_text(bot, method)
        if isinstance(method, EditMessageReplyMarkup):
            return await self._edit_markup(bot, method)
        if isinstance(method, (SendPhoto, SendDocument)):
            return await self._send_file(bot, method)
        if isinstance(method, CopyMessage):
            ids = await self._copy(bot, method.chat_id, method.from_chat_id, [method.message_id])
            return MessageId(message_id=ids[0])
        if isinstance(method, CopyMessages):
            ids = await self._copy(bot, method.chat_id, method.from_chat_id, method.message_ids)
            return [MessageId(message_id=i) for i in ids]
        if isinstance(method, DeleteMessage):
            await self._delete(int(method.chat_id), method.message_id)
            return True
        if isinstance(method, GetMe):
            return await self._get_me()
        if isinstance(method, GetChat):
            return await self._get_chat(int(method.chat_id))
        if isinstance(method, (SetMyCommands, DeleteWebhook)):
            # no Telegram command menu or webhook: each platform sets those its own way
            return True
        return await self._other(bot, method)

    async def _other(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        """A method only some platforms have (override to add one)."""
        raise TelegramBadRequest(
            method=method, message=f"{type(method).__name__} is not available on {self.name}"
        )

    @abc.abstractmethod
    def _answer_lost(self, exc: Exception) -> bool:
        """Whether `exc` is the platform's "the answer was lost" (the request may be done)."""

    @abc.abstractmethod
    def _aiogram_error(self, method: TelegramMethod[Any], exc: Exception) -> Exception | None:
        """aiogram's exception for the platform's refusal `exc` (None: not a refusal)."""

    @abc.abstractmethod
    async def _poll(self, bot: Bot, method: GetUpdates) -> list[Update]: ...

    @abc.abstractmethod
    async def _send_message(self, bot: Bot, method: SendMessage) -> Message: ...

    @abc.abstractmethod
    async def _answer_callback(self, bot: Bot, method: AnswerCallbackQuery) -> bool: ...

    @abc.abstractmethod
    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool: ...

    @abc.abstractmethod
    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> Message | bool: ...

    @abc.abstractmethod
    async def _send_file(self, bot: Bot, method: SendPhoto | SendDocument) -> Message: ...

    @abc.abstractmethod
    async def _copy(
        self, bot: Bot, chat_id: int | str, from_chat_id: int | str, ids: list[int]
    ) -> list[int]: ...

    @abc.abstractmethod
    async def _delete(self, chat_id: int, message_id: int) -> None: ...

    @abc.abstractmethod
    async def _get_me(self) -> User: ...

    @abc.abstractmethod
    async def _get_chat(self, chat_id: int) -> ChatFullInfo: ...
