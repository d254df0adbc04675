"""Managers teaching the FAQ: /faq_learned (review what partners taught), /faq_link in a
ticket (the partner's question becomes a phrasing of an entry, the partner gets the
answer); the "link to FAQ" buttons under the gaps in /stats are in `faq_gaps`."""

from __future__ import annotations

import html

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, ReplyParameters

from bot.content.models import Content, FaqEntry
from bot.i18n import L10n
from bot.names import without_bidi
from bot.platforms import platform_of
from bot.rendering import at_a_word
from bot.services.audit import AuditLog
from bot.services.faq import FaqService
from bot.services.faq_learned import ENTRY_GONE, Learned, folded_wording
from bot.services.faq_learned_review import refusal_kind
from bot.services.faq_wordings import MAX_PHRASING, learnable, phrasing_key, similar_ids
from bot.services.partners import PartnerService
from bot.services.presses import PRESSABLE_DAYS
from bot.services.support import SupportService
from bot.services.tickets import Ticket
from handlers.callbacks import FaqLearnCb, FaqLinkCb
from handlers.filters import IsManager, ManagersChat, TicketOfMessage
from handlers.manager.faq_browse import BROWSE, Picker, browse_screen
from handlers.partner.faq import entry_text
from handlers.relay import TicketRelay
from handlers.screens import Screen, actor, edit, keyboard, no_longer_available, send

CHOICES = 3  # entries offered as buttons


async def closest_entries(
    faq: FaqService,
    text: str,
    exclude: str | None = None,
    segments: frozenset[str] = frozenset(),
) -> list[str]:
    """The entries closest to a text: what the bot itself answers or offers for it (for
    `segments`), then those with evidence (words shared with the text), possibly none —
    the pickers say so rather than offer noise."""
    return faq.learning.closest(await faq.matcher(), text, CHOICES, exclude, segments)


def _entries(ids: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"«{html.escape(entry_id)}»" for entry_id in ids)


def moved_note(moved_from: tuple[str, ...], l10n: L10n) -> str:
    """The line "moved from «tax-reports»" when a manager's decision took the wording from
    other entries (one wording answers one entry); empty otherwise."""
    return " " + l10n("faq-wording-moved-from", entries=_entries(moved_from)) if moved_from else ""


async def asked_in(
    message: Message, ticket: Ticket, support: SupportService, bot: Bot
) -> tuple[str, int | None, bool]:
    """The question a manager links: the partner's message of the ticket the manager
    replies to (its text or caption, possibly none; and its id), else the ticket's first
    question (and None); and whether it may be learned. A reply to one of the bot's
    notes (reopened, closed) stands for no words of the partner's, surely not the first
    question: the answer goes out, nothing is learned. (The partner's words with no
    message of theirs to copy — a reopen's — come as a message of their own, kept as
    theirs: `TicketRelay.words_to_managers`.)"""
    replied = message.reply_to_message
    if replied is not None:
        chat, platform = message.chat.id, platform_of(bot)
        if await support.is_partner_message(ticket, chat, replied.message_id, platform):
            return replied.text or replied.caption or "", replied.message_id, True
        if await support.is_note(ticket, chat, replied.message_id, platform):
            return ticket.question, None, False
    return ticket.question, None, True


def _picked_about(picker: Message, question: str, learn: bool) -> bool:
    """Whether a picker's press may learn `question`: a picker handed over without the
    message it replies to (on VK after a restart: the session remembers replies; on MAX
    with no `link`) must quote it."""
    if not learn or picker.reply_to_message is not None:
        return learn
    return without_bidi(at_a_word(question, 500)) in (picker.text or "")


# /faq_learned


async def _cannot_teach(callback: CallbackQuery, audit: AuditLog, target: str, l10n: L10n) -> None:
    """A waiting wording that cannot teach (no words that carry meaning) was rejected
    instead of approved or moved."""
    await audit.record(actor(callback), "faq_reject", target=target, details="cannot teach")
    await callback.answer(l10n("faq-learned-cannot-teach"), show_alert=True)


async def review_screen(faq: FaqService, content: Content, l10n: L10n) -> Screen:
    waiting = await faq.learning.pending()
    if not waiting:
        return Screen(l10n("faq-learned-empty"))
    item = waiting[0]
    entry = content.faq_entry(item.entry_id)
    elsewhere = await faq.learning.elsewhere(item)
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
    approved = [entry_id for entry_id, status in elsewhere if status == "approved"]
    waiting_there = [entry_id for entry_id, status in elsewhere if status != "approved"]
    if approved:  # approving it here takes it from there: one wording answers one entry
        text += "\n" + l10n("faq-learned-elsewhere-approved", entries=_entries(approved))
    if waiting_there:
        text += "\n" + l10n("faq-learned-elsewhere-pending", entries=_entries(waiting_there))
    buttons = keyboard(
        [
            (l10n("faq-learned-approve"), FaqLearnCb(action="ok", item=item.id)),
            (l10n("faq-learned-move"), FaqLearnCb(action="mv", item=item.id)),
            (l10n("faq-learned-reject"), FaqLearnCb(action="no", item=item.id)),
        ]
    )
    return Screen(text, buttons)


def _move_picker(item: Learned) -> Picker:
    """Any entry but the one the wording is on now."""

    def data(action: str, value: str) -> FaqLearnCb:
        return FaqLearnCb(action=action, item=item.id, entry=value)

    return Picker(
        item.phrasing,
        offered=lambda entry: entry.id != item.entry_id,
        data=data,
        closest=data("mv", ""),
    )


async def _move_screen(faq: FaqService, content: Content, item: Learned, l10n: L10n) -> Screen:
    """Which entry a wording belongs to: the closest ones sharing words with it ("no close
    entries" when none does), or any other under «📋 Другая статья»."""
    picker = _move_picker(item)
    ids = await closest_entries(faq, item.phrasing, exclude=item.entry_id)
    rows = picker.rows(content, ids)
    text = l10n("faq-learned-move-to", phrasing=html.escape(without_bidi(item.phrasing)))
    if not rows:
        text += "\n" + l10n("faq-pick-none")
    back = [(l10n("button-back"), FaqLearnCb(action="show", item=item.id))]
    return Screen(text, keyboard(*rows, picker.other_row(l10n), back))


# /faq_link


async def link_ticket(
    bot: Bot,
    ticket: Ticket,
    entry: FaqEntry,
    faq: FaqService,
    relay: TicketRelay,
    l10n: L10n,
    question: str,
    learn: bool = True,
) -> str:
    """The partner's question learned for the entry (for it alone), the answer sent: the
    note for managers. A question with no text (a photo) or longer than MAX_PHRASING is
    not learned, nor one `learn` says is not known for sure, nor one that could never
    match (`faq teach`'s reasons: no meaning, small talk, question words only) — the note
    says which; the partner still gets the answer."""
    learned = None
    question = folded_wording(question)  # as it is stored: «Zalgo» marks count for nothing
    if not learn:
        state = "unsure"
    elif not phrasing_key(question):
        state = "empty"
    elif not learnable(question):
        state = "long"
    elif (problem := faq.learning.unlearnable(question)) is not None:
        state = refusal_kind(problem)
    else:
        learned = await faq.learning.learn(entry.id, question, "link")
        state = "yes" if learned is not None else "no"
    delivered = await relay.text_to_partner(bot, ticket, entry_text(entry))
    note = l10n(
        "faq-linked",
        entry=html.escape(entry.id),
        learned=state,
        limit=MAX_PHRASING,
        delivered="yes" if delivered else "no",
    )
    return note + moved_note(learned.moved_from if learned is not None else (), l10n)


async def _seen_by(partners: PartnerService, ticket: Ticket) -> frozenset[str]:
    """The ticket's partner's segment ("" for none); no filter if the partner is gone."""
    partner = await partners.get(ticket.partner_id)
    return frozenset() if partner is None else frozenset({partner.segment or ""})


def _link_picker(ticket: Ticket, question: str, segments: frozenset[str], day: int) -> Picker:
    """The entries the ticket's partner can see (their segment's and the common ones: SPEC
    "only these segments get this answer"); any other is linked by id (/faq_link ID).
    Its buttons carry `day`, the day they are drawn (`PressedOnce.pressable`)."""

    def data(action: str, value: str) -> FaqLinkCb:
        return FaqLinkCb(ticket=ticket.id, entry=value, action=action, day=day)

    return Picker(
        question,
        offered=lambda entry: not segments or any(entry.visible_to(s) for s in segments),
        data=data,
        closest=data("pick", ""),
    )


async def _link_screen(
    faq: FaqService,
    content: Content,
    ticket: Ticket,
    question: str,
    segments: frozenset[str],
    l10n: L10n,
    day: int,
) -> Screen:
    """/faq_link without an entry: the closest entries the partner can see sharing words
    with the question ("no close entries" and how to name one when none does), and
    «📋 Другая статья» to pick one of theirs by topic, as under a gap."""
    picker = _link_picker(ticket, question, segments, day)
    rows = picker.rows(content, await closest_entries(faq, question, segments=segments))
    text = l10n("faq-link-pick", question=html.escape(without_bidi(at_a_word(question, 500))))
    if not rows:  # nothing shares a word with it: say so, and how to pick any entry
        example = html.escape(content.faq[0].id if content.faq else "ID")
        text += "\n" + l10n("faq-pick-none") + " " + l10n("faq-link-any", example=example)
    return Screen(text, keyboard(*rows, picker.other_row(l10n)))


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
        support: SupportService,
        partners: PartnerService,
        relay: TicketRelay,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        wanted = (command.args or "").strip()
        await audit.record(
            actor(message), "faq_link", target=f"ticket:{ticket.id}", details=wanted
        )
        question, partner_message, learn = await asked_in(message, ticket, support, bot)
        if wanted:
            entry = content.faq_entry(wanted)
            if entry is not None:
                note = await link_ticket(bot, ticket, entry, faq, relay, l10n, question, learn)
                await message.reply(note)
                return
            ids = [entry.id for entry in content.faq]
            close = similar_ids(wanted, ids, CHOICES) or await closest_entries(faq, question)
            shown = html.escape(wanted[:64])
            if close:
                await message.reply(
                    l10n("faq-link-unknown", entry=shown, closest=", ".join(close))
                )
            else:  # nothing spelled or asked like it: how to go on, not the first entries
                await message.reply(l10n("faq-link-unknown-none", entry=shown))
            return
        if not learn:  # a reply to a note: which words it stands for is not known
            await message.reply(l10n("faq-link-unsure"))
            return
        if not phrasing_key(question):  # a photo, a sticker: nothing to learn or match
            await message.reply(l10n("faq-link-no-text"))
            return
        # the picker replies to the partner's message it is about: its button reads it there
        segments = await _seen_by(partners, ticket)
        day = support.presses.day()
        screen = await _link_screen(faq, content, ticket, question, segments, l10n, day)
        picker = await message.answer(
            screen.text,
            reply_markup=screen.markup,
            reply_parameters=None
            if partner_message is None
            else ReplyParameters(message_id=partner_message, allow_sending_without_reply=True),
        )
        # a new picker: no press under an older message that had its id counts for it
        await support.presses.fresh(platform_of(bot), picker.chat.id, picker.message_id)

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
        if action == "mv" or action in BROWSE:
            await callback.answer()
            if action == "mv":
                screen = await _move_screen(faq, content, item, l10n)
            else:
                screen = browse_screen(
                    content, _move_picker(item), action, callback_data.entry, l10n
                )
            await edit(callback, screen)
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
            approved = await faq.learning.approve(item.id)
            if approved is not None and approved.status == "rejected":
                await _cannot_teach(callback, audit, target, l10n)
                await edit(callback, await review_screen(faq, content, l10n))
                return
            moved = approved.moved_from if approved is not None else ()
            await audit.record(
                actor(callback), "faq_approve", target=target, details=",".join(moved)
            )
            note = l10n("faq-learned-approved") + moved_note(moved, l10n)
            await callback.answer(_plain(note), show_alert=bool(moved))
        elif action == "no":
            await faq.learning.reject(item.id)
            await audit.record(actor(callback), "faq_reject", target=target)
            await callback.answer(l10n("faq-learned-rejected"))
        elif (
            action == "to"
            and callback_data.entry != item.entry_id  # not offered: ✅ approves it there
            and content.faq_entry(callback_data.entry) is not None
        ):
            moved_to = await faq.learning.move(item.id, callback_data.entry)
            if moved_to is not None and moved_to.status == "rejected":
                await _cannot_teach(callback, audit, target, l10n)
                await edit(callback, await review_screen(faq, content, l10n))
                return
            moved = tuple(
                entry_id
                for entry_id in (moved_to.moved_from if moved_to is not None else ())
                if entry_id != callback_data.entry
            )
            await audit.record(
                actor(callback), "faq_move", target=target, details=callback_data.entry
            )
            note = l10n("faq-learned-moved", entry=callback_data.entry) + moved_note(moved, l10n)
            await callback.answer(_plain(note), show_alert=bool(moved))
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
        partners: PartnerService,
        relay: TicketRelay,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        ticket = await support.get(callback_data.ticket)
        action = callback_data.action
        # the picker sends its answer once (a double tap, two managers): then it is done
        # (kept by its message; VK's and MAX's presses name it when they can, else 0)
        pressed = callback.message
        where = None
        if pressed is not None and pressed.message_id:
            where = (platform_of(bot), pressed.chat.id, pressed.message_id)
        if not support.presses.pressable(callback_data.day):  # drawn over a week ago
            await callback.answer(l10n("faq-link-expired", days=PRESSABLE_DAYS), show_alert=True)
            return
        if ticket is not None and where is not None and await support.presses.done(*where):
            await callback.answer(l10n("faq-link-done"), show_alert=True)
            return
        if ticket is not None and (action == "pick" or action in BROWSE):
            await callback.answer()
            question = ticket.question
            if isinstance(callback.message, Message):  # the picker replies to the message
                question, _, _ = await asked_in(callback.message, ticket, support, bot)
            segments = await _seen_by(partners, ticket)
            day = support.presses.day()
            if action == "pick":
                screen = await _link_screen(faq, content, ticket, question, segments, l10n, day)
            else:
                picker = _link_picker(ticket, question, segments, day)
                screen = browse_screen(content, picker, action, callback_data.entry, l10n)
            await edit(callback, screen)
            return
        entry = content.faq_entry(callback_data.entry)
        if ticket is None or entry is None or action != "to":
            await no_longer_available(callback, l10n)
            return
        if where is not None and not await support.presses.claim(*where):
            await callback.answer(l10n("faq-link-done"), show_alert=True)  # pressed just now
            return
        await audit.record(
            actor(callback), "faq_link", target=f"ticket:{ticket.id}", details=entry.id
        )
        question, learn = ticket.question, False
        if isinstance(callback.message, Message):  # the picker replies to the message
            question, _, learn = await asked_in(callback.message, ticket, support, bot)
            learn = _picked_about(callback.message, question, learn)
        note = await link_ticket(bot, ticket, entry, faq, relay, l10n, question, learn)
        await callback.answer()
        await edit(callback, Screen(note))

    return router


def _plain(text: str) -> str:
    """A callback answer: plain text (no HTML), at most 200 characters."""
    plain = html.unescape(text)
    return plain if len(plain) <= 200 else plain[:199] + "…"
