"""Managers answering tickets: in the managers' chat (a topic, or replies), or in private
when there is no managers' chat. Also /tickets."""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.content.models import Content
from bot.i18n import L10n, echo
from bot.platforms import platform_of
from bot.services.audit import AuditLog
from bot.services.support import SupportService
from bot.services.tickets import Ticket
from bot.texts import shown_name
from handlers.callbacks import TicketTextCb
from handlers.filters import CommandText, IsManager, ManagersChat, RepliesToBot, TicketOfMessage
from handlers.manager import MANAGER_COMMANDS, links, partners, stats
from handlers.partner.support import rating_keyboard
from handlers.relay import TicketRelay
from handlers.screens import Screen, actor, arguments, no_longer_available, send


def tickets_screen(
    rows: list[tuple[Ticket, str, str, str]], support: SupportService, l10n: L10n
) -> Screen:
    if not rows:
        return Screen(l10n("ticket-list-empty"))
    lines = [l10n("ticket-list-title")]
    for ticket, name, code, who in rows:
        age = int(support.hours_since(ticket.created_at))
        lines.append(
            l10n(
                "ticket-list-row",
                number=ticket.id,
                name=html.escape(shown_name(name, code, l10n)),
                who=who,
                age=age,
                waiting="yes" if ticket.waiting_since is not None else "no",
            )
        )
    return Screen("\n".join(lines))


def _ticket_router(name: str) -> Router:
    """Handlers for messages that belong to a ticket (`TicketOfMessage` injects it)."""
    router = Router(name=name)
    router.message.filter(TicketOfMessage())

    @router.message(Command("close"))
    async def close(
        message: Message,
        bot: Bot,
        ticket: Ticket,
        support: SupportService,
        relay: TicketRelay,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        await audit.record(actor(message), "close", target=f"ticket:{ticket.id}")
        if not ticket.is_open:
            await message.reply(l10n("support-not-open"))
            return
        ticket = await support.close(ticket)
        await relay.note_to_managers(bot, ticket, l10n("ticket-closed", number=ticket.id))
        await relay.tell_partner(bot, ticket, "support-closed", markup=rating_keyboard)

    @router.message(Command("t"))
    async def template(
        message: Message,
        command: CommandObject,
        bot: Bot,
        ticket: Ticket,
        content: Content,
        relay: TicketRelay,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        await audit.record(actor(message), "t", target=f"ticket:{ticket.id}", details=command.args)
        keys = ", ".join(item.key for item in content.templates) or "—"
        key = arguments(command)
        if not key:
            forum = "yes" if await relay.is_forum(bot) else "no"
            await message.reply(l10n("ticket-template-usage", keys=keys, forum=forum))
            return
        found = next((item for item in content.templates if item.key == key), None)
        if found is None:
            await message.reply(l10n("ticket-template-unknown", key=echo(key), keys=keys))
            return
        if await relay.text_to_partner(bot, ticket, html.escape(found.text)):
            # what the partner got, where the colleagues read the ticket
            sent = l10n("ticket-template-sent", key=echo(key), text=html.escape(found.text))
            await message.reply(sent)

    @router.message(~CommandText())
    async def answer(
        message: Message,
        bot: Bot,
        ticket: Ticket,
        relay: TicketRelay,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        text = message.text or message.caption or ""
        if text.startswith("!"):  # an internal note: it stays in the managers' chat
            await audit.record(actor(message), "note", target=f"ticket:{ticket.id}")
            await message.reply(l10n("ticket-note-kept", number=ticket.id))
            return
        await audit.record(actor(message), "reply", target=f"ticket:{ticket.id}")
        await relay.to_partner(bot, ticket, message)

    return router


def _forgotten_ticket(name: str) -> Router:
    """Words, /close, /t or /faq_link in a ticket whose partner used /forget: nothing
    reaches them any more, and that is said (it was «Это не сообщение обращения… пишите
    в его теме» while the manager did). A note («!…») is a note."""
    router = Router(name=name)

    @router.message(TicketOfMessage(forgotten=True), Command("close", "t", "faq_link"))
    @router.message(TicketOfMessage(forgotten=True), ~CommandText(), ~F.text.startswith("!"))
    async def forgotten(message: Message, ticket: Ticket, l10n: L10n) -> None:
        await message.reply(l10n("ticket-forgotten", number=ticket.id))

    return router


def _outside_a_ticket(name: str) -> Router:
    """/close, /t or /faq_link away from a ticket, or words replying to a bot message that is
    no ticket's: a hint on where they work. Any other command in a reply (/stats, /tickets
    replying to the /tickets list or to a ticket's card) is that command, as without one."""
    router = Router(name=name)

    @router.message(Command("close", "t", "faq_link"))
    @router.message(RepliesToBot(), ~CommandText())
    async def hint(message: Message, l10n: L10n) -> None:
        await message.reply(l10n("ticket-not-found"))

    return router


async def _list_tickets(
    message: Message, support: SupportService, relay: TicketRelay, audit: AuditLog, l10n: L10n
) -> None:
    await audit.record(actor(message), "tickets")
    screen = tickets_screen(await support.open_tickets(), support, l10n)
    chat, platform = relay.managers_chat, relay.managers_platform
    here = (platform_of(message.bot), message.chat.id) if message.bot else None
    if chat is not None and platform is not None and here != (platform, chat):
        # outside the managers' chat (a manager on VK or MAX, or in private): where to answer
        where = l10n("person-platform", platform=platform)
        forum = "yes" if message.bot and await relay.is_forum(message.bot) else "no"
        where = l10n("ticket-list-where", where=where, forum=forum)
        screen = Screen(screen.text + "\n\n" + where)
    await send(message, screen)


def _refused(name: str) -> Router:
    """Someone in the managers' chat who is not in MANAGERS: membership grants nothing.
    A manager command gets what an unknown command gets there (no answer); a reply in a
    ticket does not reach the partner. Both are kept in the audit log as refused."""
    router = Router(name=name)

    @router.message(Command(*MANAGER_COMMANDS))
    async def command(message: Message, command: CommandObject, audit: AuditLog) -> None:
        await audit.record(actor(message), command.command, details=command.args, allowed=False)

    @router.message(TicketOfMessage(), ~CommandText())
    async def ticket_reply(message: Message, ticket: Ticket, audit: AuditLog) -> None:
        text = message.text or message.caption or ""
        if not text.startswith("!"):
            await audit.record(
                actor(message), "reply", target=f"ticket:{ticket.id}", allowed=False
            )

    return router


# the bot's own commands a manager may type in the managers' chat by habit (the manager
# commands that work only in private are answered so too)
PRIVATE_ONLY = ("help", "menu", "start")


def setup_managers_chat() -> Router:
    """Everything in TG_MANAGERS_CHAT_ID (VK_MANAGERS_PEER_ID): managers act; anyone
    else in the chat is refused (`_refused`)."""
    router = Router(name=__name__)
    router.message.filter(ManagersChat())
    managers = Router(name=f"{__name__}.managers")
    managers.message.filter(IsManager())
    managers.message.register(_list_tickets, Command("tickets"))
    managers.include_routers(
        partners.setup(f"{__name__}.partner"),
        links.setup_command(f"{__name__}.links"),
        stats.setup(f"{__name__}.stats"),
        _ticket_router(f"{__name__}.chat"),
        _forgotten_ticket(f"{__name__}.forgotten"),
        _outside_a_ticket(f"{__name__}.outside"),
        _private_only(f"{__name__}.private_only"),  # last: what none of the above took
    )
    router.include_routers(managers, _refused(f"{__name__}.refused"))
    return router


def _private_only(name: str) -> Router:
    """A manager's command that works only in private (/schedule, /announce, /reload, …),
    given in the managers' chat: said so (it got no answer, and was logged as refused)."""
    router = Router(name=name)

    @router.message(Command(*MANAGER_COMMANDS, *PRIVATE_ONLY))
    async def private_only(message: Message, command: CommandObject, l10n: L10n) -> None:
        await message.reply(l10n("managers-chat-private-only", command=command.command))

    return router


def setup_private() -> Router:
    """A manager's replies to ticket messages in their private chat (no managers' chat)."""
    router = Router(name=f"{__name__}.private")
    router.message.filter(IsManager())
    router.include_routers(
        _ticket_router(f"{__name__}.private.ticket"),
        _forgotten_ticket(f"{__name__}.private.forgotten"),
        _outside_a_ticket(f"{__name__}.private.outside"),
    )
    return router


def setup_command() -> Router:
    """/tickets in a manager's private chat; /close and /t outside a ticket."""
    router = Router(name=f"{__name__}.command")
    router.message.register(_list_tickets, Command("tickets"))

    router.include_router(_outside_a_ticket(f"{__name__}.command.outside"))
    return router


def setup_buttons() -> Router:
    """ "The whole question" under a ticket card that shows it shortened (managers only)."""
    router = Router(name=f"{__name__}.buttons")
    router.callback_query.filter(IsManager())

    @router.callback_query(TicketTextCb.filter())
    async def whole_question(
        callback: CallbackQuery,
        callback_data: TicketTextCb,
        bot: Bot,
        support: SupportService,
        relay: TicketRelay,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        ticket = await support.get(callback_data.ticket)
        if ticket is None or not isinstance(callback.message, Message):
            await no_longer_available(callback, l10n)
            return
        await audit.record(actor(callback), "ticket_question", target=f"ticket:{ticket.id}")
        await callback.answer()
        await relay.whole_question(bot, ticket, callback.message.chat.id)

    return router
