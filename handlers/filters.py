"""Router-level filters.

These are `BaseFilter` classes rather than magic filters (`F.…`) on purpose: aiogram runs
a synchronous filter in a worker thread (`asyncio.to_thread`) for every update, which on
the hot path costs more than everything else an update does.
"""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from bot.config import Settings


class IsManager(BaseFilter):
    """True for the platform ids listed in MANAGERS."""

    async def __call__(self, event: Message | CallbackQuery, settings: Settings) -> bool:
        user = event.from_user
        return user is not None and settings.is_manager(f"tg:{user.id}")


class PrivateChat(BaseFilter):
    """Messages and button presses in a private chat with the bot."""

    async def __call__(self, event: Message | CallbackQuery) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return message is not None and message.chat.type == "private"


class CommandText(BaseFilter):
    """A message that starts with a slash (a command, known or not)."""

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text.startswith("/")


class PlainText(BaseFilter):
    """A text message that is not a command."""

    async def __call__(self, message: Message) -> bool:
        return bool(message.text) and not (message.text or "").startswith("/")
