"""What is left: wrong arguments, unknown commands, stickers, voice and other media."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.content.models import Content
from bot.i18n import L10n
from bot.services.audit import AuditLog
from bot.services.partner import Partner
from handlers.filters import CommandText
from handlers.manager import MANAGER_BUTTONS, MANAGER_COMMANDS
from handlers.partner.menu import menu_screen
from handlers.screens import actor, no_longer_available, send

NO_ARGUMENT_COMMANDS = (
    "help", "menu", "lessons", "creatives", "me", "settings", "stop", "forget", "contests", "top",
    "cancel",
)  # fmt: skip


def setup_usage(
    commands: Sequence[str] = NO_ARGUMENT_COMMANDS, *filters: Filter, name: str = "usage"
) -> Router:
    """A command of `commands` (they take no arguments), given some, gets its usage and
    nothing is done. Goes before the handlers of those commands (partners': first of the
    commands; managers': before the dialogs and tickets too, see `setup_routers`); `filters`
    say whose and where."""
    router = Router(name=f"{__name__}.{name}")
    if filters:
        router.message.filter(*filters)

    @router.message(Command(*commands, magic=F.args))
    async def usage(message: Message, command: CommandObject, l10n: L10n) -> None:
        await message.answer(l10n("usage-no-arguments", command=command.command))

    return router


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command(*MANAGER_COMMANDS))
    async def not_a_manager(
        message: Message,
        command: CommandObject,
        audit: AuditLog,
        partner: Partner | None,
        settings: Settings,
        l10n: L10n,
        content: Content,
    ) -> None:
        await audit.record(actor(message), command.command, details=command.args, allowed=False)
        await _unknown(message, partner, settings, l10n, content)

    @router.message(CommandText())
    async def unknown_command(
        message: Message,
        partner: Partner | None,
        settings: Settings,
        l10n: L10n,
        content: Content,
    ) -> None:
        await _unknown(message, partner, settings, l10n, content)

    return router


async def _unknown(
    message: Message, partner: Partner | None, settings: Settings, l10n: L10n, content: Content
) -> None:
    """An unknown command: the menu, with the manager's commands for a manager (as their
    /help shows it); to someone who has not started (or used /forget), to /start first —
    the menu's buttons would only say so."""
    manager = settings.is_manager(actor(message))
    if partner is None and not manager:
        await message.answer(l10n("start-first"))
        return
    await message.answer(l10n("unknown-command"))
    await send(message, menu_screen(l10n, manager=manager, content=content))


def setup_unsupported() -> Router:
    """Goes last: anything that is not text gets a polite hint."""
    router = Router(name=f"{__name__}.unsupported")

    @router.message()
    async def unsupported(message: Message, l10n: L10n) -> None:
        await message.answer(l10n("unsupported-message"))

    return router


def setup_stale_buttons() -> Router:
    """Goes last: a button no handler took (an old keyboard, a manager's button pressed by
    someone else, data from nowhere) gets "no longer available" instead of a spinner."""
    router = Router(name=f"{__name__}.stale_buttons")

    @router.callback_query()
    async def stale(
        callback: CallbackQuery, settings: Settings, audit: AuditLog, l10n: L10n
    ) -> None:
        prefix = (callback.data or "").split(":", 1)[0]
        who = actor(callback)
        if prefix in MANAGER_BUTTONS and not settings.is_manager(who):
            # a manager's button pressed by someone else: refused, and kept in the audit log
            await audit.record(
                who, MANAGER_BUTTONS[prefix], details=(callback.data or "")[:64], allowed=False
            )
        await no_longer_available(callback, l10n)

    return router
