"""/help: the menu of everything a partner can do."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.content.models import Content
from bot.i18n import L10n
from bot.platforms import platform_of
from handlers.callbacks import MenuCb
from handlers.screens import Screen, reply

MENU_ITEMS = ("faq", "lessons", "creatives", "me", "settings")


def _offered(content: Content | None) -> dict[str, bool]:
    """Which of the content's sections the menu offers: lessons and creatives only when
    the program has some (only `program.yaml` and `faq.yaml` are required); without the
    content (it failed to load at the start) every section."""
    return {
        "lessons": content is None or bool(content.lessons),
        "creatives": content is None or bool(content.creatives),
    }


def menu_keyboard(l10n: L10n, content: Content | None = None) -> InlineKeyboardMarkup:
    offered = _offered(content)
    builder = InlineKeyboardBuilder()
    for item in MENU_ITEMS:
        if offered.get(item, True):
            builder.button(text=l10n(f"menu-{item}"), callback_data=MenuCb(item=item))
    builder.adjust(2)
    return builder.as_markup()


def menu_screen(l10n: L10n, *, manager: bool = False, content: Content | None = None) -> Screen:
    """The partner's menu (the program's sections it has); a manager's has their own
    commands under it."""
    sections = {name: "yes" if on else "no" for name, on in _offered(content).items()}
    text = l10n("menu-text", **sections) + ("\n\n" + l10n("menu-manager") if manager else "")
    return Screen(text, menu_keyboard(l10n, content))


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("help", "menu"))
    async def show_help(
        message: Message, l10n: L10n, settings: Settings, bot: Bot, content: Content
    ) -> None:
        user = message.from_user
        manager = user is not None and settings.is_manager(f"{platform_of(bot)}:{user.id}")
        await reply(message, menu_screen(l10n, manager=manager, content=content))

    return router
