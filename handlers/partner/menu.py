"""/help: the menu of everything a partner can do."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.i18n import L10n
from bot.platforms import platform_of
from handlers.callbacks import MenuCb
from handlers.screens import Screen, reply

MENU_ITEMS = ("faq", "lessons", "creatives", "me", "settings")


def menu_keyboard(l10n: L10n) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item in MENU_ITEMS:
        builder.button(text=l10n(f"menu-{item}"), callback_data=MenuCb(item=item))
    builder.adjust(2)
    return builder.as_markup()


def menu_screen(l10n: L10n, *, manager: bool = False) -> Screen:
    """The partner's menu; a manager's has their own commands under it."""
    text = l10n("menu-text") + ("\n\n" + l10n("menu-manager") if manager else "")
    return Screen(text, menu_keyboard(l10n))


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("help", "menu"))
    async def show_help(message: Message, l10n: L10n, settings: Settings, bot: Bot) -> None:
        user = message.from_user
        manager = user is not None and settings.is_manager(f"{platform_of(bot)}:{user.id}")
        await reply(message, menu_screen(l10n, manager=manager))

    return router
