"""The gate: someone the bot keeps nothing about is asked to /start first, and nothing about
them is stored until they do (after /forget, only /start starts over)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Router
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from bot.content.models import Content
from bot.i18n import L10n
from bot.services.partner import Partner
from handlers.partner.menu import menu_screen

HELP_COMMANDS = frozenset({"help", "menu"})


class Unknown(BaseFilter):
    """Someone the bot keeps nothing about (never started, or /forget-ed) and who did not
    /start (the middleware made no partner for them), asking for something a partner has:
    a button, a question, a partner's command. Unknown commands, managers' commands and
    media get their usual answers, which need no partner."""

    def __init__(self, commands: Sequence[str]) -> None:
        self._commands = frozenset(commands)

    async def __call__(self, event: Message | CallbackQuery, partner: Partner | None) -> bool:
        if partner is not None:
            return False
        if isinstance(event, CallbackQuery):
            return True
        if event.text is None:
            return False
        if not event.text.startswith("/"):
            return True
        command = _command(event.text)
        return command in self._commands or command in HELP_COMMANDS


def _command(text: str) -> str:
    """ "/Help@bot x" → "help" ("" for no command)."""
    if not text.startswith("/") or not text[1:]:
        return ""
    return text[1:].split(maxsplit=1)[0].split("@", maxsplit=1)[0].lower()


def setup(commands: Sequence[str]) -> Router:
    """Goes first in private chats (before /start and the onboarding)."""
    router = Router(name=__name__)

    @router.message(Unknown(commands))
    async def start_first(message: Message, l10n: L10n, content: Content) -> None:
        if _command(message.text or "") in HELP_COMMANDS:  # SPEC: /help shows the menu
            menu = menu_screen(l10n, content=content).text
            await message.answer(menu + "\n\n" + l10n("start-first"))
            return
        await message.answer(l10n("start-first"))

    @router.callback_query(Unknown(commands))
    async def start_first_button(callback: CallbackQuery, l10n: L10n) -> None:
        await callback.answer(l10n("start-first"), show_alert=True)

    return router
