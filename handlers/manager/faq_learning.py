"""Managers teaching the FAQ: /faq_learned (review what partners taught), /faq_link in a
ticket (the partner's question becomes a phrasing of an entry, the partner gets the
answer), and the "link to FAQ" buttons under the gaps in /stats."""

from __future__ import annotations

import html

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.content.models import Content, FaqEntry
from bot.i18n import L10n
from bot.names import without_bidi
from bot.rendering import at_a_word
from bot.services.audit import AuditLog
from bot.services.faq import FaqService, Gap
from bot.services.faq_learning import ENTRY_GONE, Learned, similar_ids
from bot.services.support import SupportService, Ticket
from handlers.callbacks import FaqGapCb, FaqLearnCb, FaqLinkCb
from handlers.filters import IsManager, ManagersChat, TicketOfMessage
from handlers.partner.faq import entry_text
from handlers.relay import TicketRelay
from handlers.screens import Screen, actor, edit, keyboard, no_longer_available, send

BUTTON_LABEL_LIMIT = 60
CHOICES = 3  # entries offered as buttons


def _label(entry: FaqEntry) -> str:
    text = f"{entry.id}: {entry.question}"
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"


async def _closest(faq: FaqService, text: str, exclude: str | None = None) -> list[str]:
    return faq.learning.closest(await faq.matcher(), text, CHOICES, exclude)


# /faq_learned


async def review_screen(faq: FaqService, content: Content, l10n: L10n) -> Screen:
    waiting = await faq.learning.pending()
    if not waiting:
        return Screen(l10n("faq-learned-empty"))
    item = waiting[0]
    entry = content.faq_entry(item.entry_id)
    text = l10n(
        "faq-learned-item",
        phrasing=html.escape(without_bidi(item.phrasing)),
        entry=html.escape(item.entry_id),
        question=html.escape(entry.question) if entry is not None else "—",
        source=item.source,
        votes=item.votes,
        gone="yes" if item.note == ENTRY_GONE or entry is None else "no",
        left=len(waiting),
    )
    buttons = keyboard(
        [
            (l10n("faq-learned-approve"), FaqLearnCb(action="ok", item=item.id)),
            (l10n("faq-learned-move"), FaqLearnCb(action="mv", item=item.id)),
            (l10n("faq-learned-reject"), FaqLearnCb(action="no", item=item.id)),
        ]
    )
    return Screen(text, buttons)


async def _move_screen(faq: FaqService, content: Content, item: Learned, l10n: L10n) -> Screen:
    ids = await _closest(faq, item.phrasing, exclude=item.entry_id)
    rows = [
        [(_label(entry), FaqLearnCb(action="to", item=item.id, entry=entry.id))]
        for entry_id in ids
        if (entry := content.faq_entry(entry_id)) is not None
    ]
    rows.append([(l10n("button-back"), FaqLearnCb(action="show", item=item.id))])
    return Screen(
        l10n("faq-learned-move-to", phrasing=html.escape(without_bidi(item.phrasing))),
        keyboard(*rows),
    )


# /faq_link


async def link_ticket(
    bot: Bot,
    ticket: Ticket,
    entry: FaqEntry,
    faq: FaqService,
    relay: TicketRelay,
    l10n: L10n,
) -> str:
    """The ticket's question learned for the entry, the answer sent: the note for managers."""
    learned = await faq.learning.learn(entry.id, ticket.question, "link")
    delivered = await relay.text_to_partner(bot, ticket, entry_text(entry))
    return l10n(
        "faq-linked",
        entry=html.escape(entry.id),
        learned="yes" if learned is not None else "no",
        delivered="yes" if delivered else "no",
    )


def _ticket_router(name: str) -> Router:
    router = Router(name=name)
    router.message.filter(IsManager(), TicketOfMessage())

    @router.message(Command("faq_link"))
    async def faq_link(
        message: Message,
        command: CommandObject,
        bot: Bot,
        ticket: Ticket,
        faq: FaqService,
        content: Content,
        relay: TicketRelay,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        wanted = (command.args or "").strip()
        await audit.record(
            actor(message), "faq_link", target=f"ticket:{ticket.id}", details=wanted
        )
        if wanted:
            entry = content.faq_entry(wanted)
            if entry is not None:
                await message.reply(await link_ticket(bot, ticket, entry, faq, relay, l10n))
                return
            ids = [entry.id for entry in content.faq]
            close = similar_ids(wanted, ids, CHOICES) or await _closest(faq, ticket.question)
            await message.reply(
                l10n(
                    "faq-link-unknown",
                    entry=html.escape(wanted[:64]),
                    closest=", ".join(close) or "—",
                )
            )
            return
        rows = [
            [(_label(entry), FaqLinkCb(ticket=ticket.id, entry=entry.id))]
            for entry_id in await _closest(faq, ticket.question)
            if (entry := content.faq_entry(entry_id)) is not None
        ]
        await send(
            message,
            Screen(
                l10n("faq-link-pick", question=html.escape(without_bidi(ticket.question)[:500])),
                keyboard(*rows),
            ),
        )

    return router


def setup_commands(name: str = f"{__name__}.commands") -> Router:
    """/faq_learned for managers (inside a router that checks MANAGERS)."""
    router = Router(name=name)

    @router.message(Command("faq_learned"))
    async def faq_learned(
        message: Message, faq: FaqService, content: Content, audit: AuditLog, l10n: L10n
    ) -> None:
        await audit.record(actor(message), "faq_learned")
        await send(message, await review_screen(faq, content, l10n))

    return router


def setup_private_ticket() -> Router:
    """/faq_link as a manager's reply to a ticket message in private (no managers' chat)."""
    return _ticket_router(f"{__name__}.private")


def setup_chat() -> Router:
    """/faq_link in a ticket of the managers' chat, /faq_learned there, and every button."""
    router = Router(name=f"{__name__}.chat")
    router.callback_query.filter(IsManager())
    router.include_router(_ticket_router(f"{__name__}.chat.ticket"))
    learned = Router(name=f"{__name__}.chat.learned")
    learned.message.filter(IsManager(), ManagersChat())
    learned.include_router(setup_commands(f"{__name__}.chat.commands"))
    router.include_router(learned)

    @router.callback_query(FaqLearnCb.filter())
    async def review(
        callback: CallbackQuery,
        callback_data: FaqLearnCb,
        faq: FaqService,
        content: Content,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        item = await faq.learning.get(callback_data.item)
        if item is None or item.status != "pending":
            await no_longer_available(callback, l10n)
            return
        action = callback_data.action
        if action == "mv":
            await callback.answer()
            await edit(callback, await _move_screen(faq, content, item, l10n))
            return
        if action == "show":
            await callback.answer()
            await edit(callback, await review_screen(faq, content, l10n))
            return
        target = f"faq:{item.entry_id}:{item.id}"
        if action == "ok":
            if content.faq_entry(item.entry_id) is None:
                await callback.answer(l10n("faq-learned-entry-gone"), show_alert=True)
                return
            await faq.learning.approve(item.id)
            await audit.record(actor(callback), "faq_approve", target=target)
            await callback.answer(l10n("faq-learned-approved"))
        elif action == "no":
            await faq.learning.reject(item.id)
            await audit.record(actor(callback), "faq_reject", target=target)
            await callback.answer(l10n("faq-learned-rejected"))
        elif action == "to" and content.faq_entry(callback_data.entry) is not None:
            await faq.learning.move(item.id, callback_data.entry)
            await audit.record(
                actor(callback), "faq_move", target=target, details=callback_data.entry
            )
            await callback.answer(l10n("faq-learned-moved", entry=callback_data.entry))
        else:
            await no_longer_available(callback, l10n)
            return
        await edit(callback, await review_screen(faq, content, l10n))

    @router.callback_query(FaqLinkCb.filter())
    async def link_picked(
        callback: CallbackQuery,
        callback_data: FaqLinkCb,
        bot: Bot,
        faq: FaqService,
        content: Content,
        support: SupportService,
        relay: TicketRelay,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        ticket = await support.get(callback_data.ticket)
        entry = content.faq_entry(callback_data.entry)
        if ticket is None or entry is None:
            await no_longer_available(callback, l10n)
            return
        await audit.record(
            actor(callback), "faq_link", target=f"ticket:{ticket.id}", details=entry.id
        )
        note = await link_ticket(bot, ticket, entry, faq, relay, l10n)
        await callback.answer()
        await edit(callback, Screen(note))

    @router.callback_query(FaqGapCb.filter())
    async def gap(
        callback: CallbackQuery,
        callback_data: FaqGapCb,
        faq: FaqService,
        content: Content,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        found = await faq.gap_of(callback_data.question)
        if found is None:
            await no_longer_available(callback, l10n)
            return
        if callback_data.action == "pick":
            await callback.answer()
            await edit(callback, await _gap_screen(faq, content, found, l10n))
            return
        entry = content.faq_entry(callback_data.entry)
        if entry is None:
            await no_longer_available(callback, l10n)
            return
        learned = 0
        for wording in found.wordings[:20]:  # one of no meaningful words is not learned
            learned += await faq.learning.learn(entry.id, wording, "gap") is not None
        await audit.record(
            actor(callback), "faq_link", target=f"gap:{found.question_id}", details=entry.id
        )
        await callback.answer()
        await edit(
            callback,
            Screen(
                l10n(
                    "faq-gap-linked",
                    question=html.escape(without_bidi(found.question)),
                    entry=html.escape(entry.id),
                    count=learned,
                )
            ),
        )

    return router


async def _gap_screen(faq: FaqService, content: Content, found: Gap, l10n: L10n) -> Screen:
    rows = [
        [(_label(entry), FaqGapCb(action="to", question=found.question_id, entry=entry.id))]
        for entry_id in await _closest(faq, found.question)
        if (entry := content.faq_entry(entry_id)) is not None
    ]
    return Screen(
        l10n(
            "faq-gap-pick", question=html.escape(without_bidi(found.question)), count=found.count
        ),
        keyboard(*rows),
    )


def gaps_markup(gaps: list[Gap], l10n: L10n) -> InlineKeyboardMarkup | None:
    """Under /stats: a "link to the FAQ" button per gap (None when there is none)."""
    if not gaps:
        return None
    return keyboard(
        *[
            [
                (
                    l10n(
                        "faq-gap-button",
                        number=number,
                        question=at_a_word(without_bidi(found.question), 40),
                    ),
                    FaqGapCb(action="pick", question=found.question_id),
                )
            ]
            for number, found in enumerate(gaps, start=1)
        ]
    )
