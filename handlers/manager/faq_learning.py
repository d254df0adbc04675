"""Managers teaching the FAQ in a ticket: /faq_link (the partner's question becomes a
phrasing of an entry, the partner gets the answer) and its picker. The review of what
partners taught (/faq_learned) is in `faq_review`; the "link to FAQ" buttons under the
gaps in /stats are in `faq_gaps`."""

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
from bot.services.faq_learned import folded_wording
from bot.services.faq_learned_review import refusal_kind
from bot.services.faq_wordings import MAX_PHRASING, learnable, phrasing_key, similar_ids
from bot.services.partners import PartnerService
from bot.services.presses import PRESSABLE_DAYS
from bot.services.support import SupportService
from bot.services.tickets import Ticket
from handlers.callbacks import FaqLinkCb
from handlers.filters import IsManager, ManagersChat, TicketOfMessage
from handlers.manager import faq_review
from handlers.manager.faq_browse import BROWSE, Picker, browse_screen
from handlers.manager.faq_common import CHOICES, closest_entries, moved_note
from handlers.message_copy import partner_words
from handlers.partner.faq import entry_text
from handlers.relay import TicketRelay
from handlers.screens import Screen, actor, arguments, edit, keyboard, no_longer_available


async def asked_in(
    message: Message, ticket: Ticket, support: SupportService, bot: Bot, relay: TicketRelay
) -> tuple[str, int | None, bool]:
    """The question a manager links: the partner's message of the ticket the manager
    replies to (its text or caption, possibly none; and its id), else the ticket's first
    question (and None); and whether it may be learned. A reply to one of the bot's
    notes (reopened, closed) stands for no words of the partner's, surely not the first
    question: the answer goes out, nothing is learned. (The partner's words with no
    message of theirs to copy — a reopen's — come as a message of their own, kept as
    theirs: `TicketRelay.words_to_managers`.) A copy from another messenger is read
    without the bot's line for what could not cross (`partner_words`): a sticker's
    «📎 [вложение — …]» is no question."""
    replied = message.reply_to_message
    if replied is not None:
        chat, platform = message.chat.id, platform_of(bot)
        if await support.is_partner_message(ticket, chat, replied.message_id, platform):
            words = partner_words(replied.text or replied.caption or "", relay.l10n)
            return words, replied.message_id, True
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
    not_theirs: str = "",
) -> str:
    """The partner's question learned for the entry (for it alone), the answer sent: the
    note for managers. A question with no text (a photo) or longer than MAX_PHRASING is
    not learned, nor one `learn` says is not known for sure, nor one that could never
    match (`faq teach`'s reasons: no meaning, small talk, question words only), nor one
    that reads as another entry's own wording in faq.yaml (that entry answers it) — the
    note says which; the partner still gets the answer."""
    learned = None
    owner = ""
    question = folded_wording(question)  # as it is stored: «Zalgo» marks count for nothing
    if not_theirs:  # the segments the entry is for: the partner is in none of them
        state = "segment"
    elif not learn:
        state = "unsure"
    elif not phrasing_key(question):
        state = "empty"
    elif not learnable(question):
        state = "long"
    elif (problem := faq.learning.unlearnable(question)) is not None:
        state = refusal_kind(problem)
    elif (owner := faq.learning.owner(question, entry.id) or "") != "":
        state = "own"  # another entry's own wording: it answers that entry anyway
    else:
        learned = await faq.learning.learn(entry.id, question, "link")
        state = "yes" if learned is not None else "no"
    delivered = await relay.text_to_partner(bot, ticket, entry_text(entry))
    note = l10n(
        "faq-linked",
        entry=html.escape(entry.id),
        learned=state,
        owner=html.escape(owner),
        only=html.escape(not_theirs),
        limit=MAX_PHRASING,
        delivered="yes" if delivered else "no",
    )
    return note + moved_note(learned.moved_from if learned is not None else (), l10n)


def _segment_titles(entry: FaqEntry, content: Content) -> str:
    return ", ".join(content.program.segment_title(s) or s for s in entry.segments)


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
    """/faq_link without an entry: the 3 closest entries the partner can see, those sharing
    words with the question first ("no close entries" and how to name one when the matcher
    ranks none for it), and
    «📋 Другая статья» to pick one of theirs by topic, as under a gap."""
    picker = _link_picker(ticket, question, segments, day)
    # SPEC §10: the 3 closest, those with evidence first
    closest = await closest_entries(faq, question, segments=segments, fill=True)
    rows = picker.rows(content, closest)
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
        wanted = arguments(command)
        await audit.record(
            actor(message), "faq_link", target=f"ticket:{ticket.id}", details=wanted
        )
        question, partner_message, learn = await asked_in(message, ticket, support, bot, relay)
        segments = await _seen_by(partners, ticket)
        theirs = _link_picker(ticket, question, segments, 0).offered
        if wanted:
            entry = content.faq_entry(wanted.lower())  # ids are lower case (ID_PATTERN)
            if entry is not None:
                # another segment's entry is sent as asked (the manager named it), but not
                # learned: it would never answer this partner, who does not see it — and
                # the note says so (it said «Формулировка запомнена»)
                only = "" if theirs(entry) else _segment_titles(entry, content)
                note = await link_ticket(
                    bot, ticket, entry, faq, relay, l10n, question, learn, not_theirs=only
                )
                await message.reply(note)
                return
            ids = [entry.id for entry in content.faq if theirs(entry)]
            close = similar_ids(wanted, ids, CHOICES) or await closest_entries(
                faq, question, segments=segments
            )
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
    learned.include_router(faq_review.setup_commands(f"{__name__}.chat.commands"))
    router.include_router(learned)
    router.include_router(faq_review.setup_buttons(f"{__name__}.chat.review"))

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
                question, _, _ = await asked_in(callback.message, ticket, support, bot, relay)
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
            question, _, learn = await asked_in(callback.message, ticket, support, bot, relay)
            learn = _picked_about(callback.message, question, learn)
        note = await link_ticket(bot, ticket, entry, faq, relay, l10n, question, learn)
        await callback.answer()
        await edit(callback, Screen(note))

    return router
