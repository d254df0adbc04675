"""Router-level filters."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from bot.config import Settings


class IsManager(BaseFilter):
    """True for the platform ids listed in MANAGERS."""

    async def __call__(self, event: Message | CallbackQuery, settings: Settings) -> bool:
        user = event.from_user
        return user is not None and settings.is_manager(f"tg:{user.id}")
