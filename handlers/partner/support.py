"""/support, "Ask a manager", and a partner's messages while their ticket is open."""

from __future__ import annotations

import html
import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.config import Settings
from bot.i18n import L10n
from bot.names import shows_nothing
from bot.services.faq import FaqService
from bot.services.partner import Partner
from bot.services.support import SupportService
from bot.services.tickets import Ticket
from bot.texts import shown_name
from handlers.callbacks import AskCb, TicketCb
from handlers.filters import CommandText, OpenTicket
from handlers.relay import TicketRelay
from handlers.screens import Screen, actor, edit, keyboard, no_longer_available

logger = logging.getLogger(__name__)


class SupportDialog(StatesGroup):
    question = State()


def close_keyboard(ticket: Ticket, l10n: L10n) -> InlineKeyboardMarkup:
    """The button carries the ticket's reopen count: given before a reopen, it no longer
    closes the question asked since."""
    data = TicketCb(action="close", ticket=ticket.id, value=str(ticket.reopens))
    return keyboard([(l10n("support-close-button"), data)])


_STAMPED = frozenset({"close", "withdraw", "keep"})  # buttons carrying the reopen count


def _reopened_since(callback_data: TicketCb, ticket: Ticket) -> bool:
    """Whether a close button was given before the ticket's latest reopen. One given
    before the count was carried (no value) counts as given before any reopen."""
    stamp = callback_data.value or "0"
    return stamp != str(ticket.reopens)


def withdraw_keyboard(ticket: Ticket, l10n: L10n) -> InlineKeyboardMarkup:
    """The confirmation carries the ticket's reopen count: given before a reopen, it no
    longer withdraws the question asked since."""
    stamp = str(ticket.reopens)
    return keyboard(
        [
            (
                l10n("support-cancel-yes"),
                TicketCb(action="withdraw", ticket=ticket.id, value=stamp),
            ),
            (l10n("support-cancel-no"), TicketCb(action="keep", ticket=ticket.id, value=stamp)),
        ]
    )


def rating_keyboard(ticket: Ticket, l10n: L10n) -> InlineKeyboardMarkup:
    return keyboard(
        [
            (l10n("support-rate-up"), TicketCb(action="rate", ticket=ticket.id, value="up")),
            (l10n("support-rate-down"), TicketCb(action="rate", ticket=ticket.id, value="down")),
        ]
    )


async def open_ticket(
    answer_to: Message,
    bot: Bot,
    partner: Partner,
    support: SupportService,
    relay: TicketRelay,
    l10n: L10n,
    question: str,
    original: Message | None = None,
    said_in: int | None = None,
) -> None:
    """Open (or reopen, or add to) the partner's ticket and tell them its number. The
    question is the partner's message `original` (copied), or words from elsewhere
    (/support TEXT in their message `said_in`, "Ask a manager"): on a new ticket its card
    shows them, else they go to the managers as their own message."""
    opened = await support.open_for(partner, question)
    ticket = await relay.retitle(bot, opened.ticket, partner)  # a new name since, say
    if opened.reopened:
        await relay.note_to_managers(bot, ticket, relay.l10n("ticket-reopened", number=ticket.id))
    if opened.created or original is not None:
        await relay.to_managers(bot, ticket, partner, original)
    else:  # more words for an existing ticket, with no message of the partner's to copy
        name = html.escape(shown_name(partner.first_name, partner.partner_code, relay.l10n))
        intro = relay.l10n("ticket-partner-wrote", number=ticket.id, name=name)
        if not await relay.words_to_managers(bot, ticket, intro, question, said_in):
            # never "sent" for what was not: the partner knows, and may try again
            await answer_to.answer(l10n("support-not-delivered", number=ticket.id))
            return
        await support.partner_wrote(ticket)
    key = (
        "support-opened"
        if opened.created
        else ("support-reopened" if opened.reopened else "support-still-open")
    )
    hours = int(support.sla.total_seconds() // 3600)
    await answer_to.answer(
        l10n(key, number=ticket.id, hours=hours), reply_markup=close_keyboard(ticket, l10n)
    )


async def ask_for_question(
    message: Message, partner: Partner, support: SupportService, state: FSMContext, l10n: L10n
) -> None:
    """/support without text: the question is asked for, or, with a ticket open, the
    partner is told it is and that what they write next goes to it (as every message
    does while it is open)."""
    ticket = await support.current(partner)
    if ticket is None:
        await state.set_state(SupportDialog.question)
        await message.answer(l10n("support-ask-text"))
        return
    await state.clear()
    await message.answer(
        l10n("support-ask-open", number=ticket.id), reply_markup=close_keyboard(ticket, l10n)
    )


async def _pressed_ticket(
    callback: CallbackQuery,
    callback_data: TicketCb,
    partner: Partner,
    support: SupportService,
    l10n: L10n,
) -> Ticket | None:
    """The partner's own ticket a button names; a forged press (someone else's ticket, a
    made-up number, a reopen count that is no number) is refused and logged (None)."""
    stamp = callback_data.value
    stamped = callback_data.action in _STAMPED
    ticket = await support.get(callback_data.ticket)
    mine = ticket is not None and ticket.partner_id == partner.id
    if mine and not (stamped and stamp and not (stamp.isascii() and stamp.isdigit())):
        return ticket
    logger.warning(
        "ticket %s refused: %s pressed for ticket %s",
        callback_data.action,
        partner.key,
        callback_data.ticket,
    )
    await no_longer_available(callback, l10n)
    return None


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("support"))
    async def support_command(
        message: Message,
        command: CommandObject,
        bot: Bot,
        partner: Partner,
        support: SupportService,
        relay: TicketRelay,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        if not command.args or shows_nothing(command.args):  # «/support ​​​»: no words
            await ask_for_question(message, partner, support, state, l10n)
            return
        await open_ticket(
            message, bot, partner, support, relay, l10n, command.args, said_in=message.message_id
        )

    @router.callback_query(AskCb.filter(F.action == "manager"))
    async def ask_manager(
        callback: CallbackQuery,
        callback_data: AskCb,
        bot: Bot,
        partner: Partner,
        faq: FaqService,
        support: SupportService,
        relay: TicketRelay,
        l10n: L10n,
    ) -> None:
        question = await faq.question_text(partner, callback_data.question)
        if question is None:  # not a question of theirs (forged, or gone): no empty ticket
            logger.warning(
                "FAQ: %s asked a manager about question %d, not theirs: refused",
                partner.key,
                callback_data.question,
            )
            await no_longer_available(callback, l10n)
            return
        await callback.answer()
        await faq.feedback(partner, callback_data.question, "manager")
        if isinstance(callback.message, Message):
            await open_ticket(callback.message, bot, partner, support, relay, l10n, question)

    @router.callback_query(TicketCb.filter(F.action == "close"))
    async def partner_closes(
        callback: CallbackQuery,
        callback_data: TicketCb,
        bot: Bot,
        partner: Partner,
        support: SupportService,
        relay: TicketRelay,
        l10n: L10n,
    ) -> None:
        ticket = await _pressed_ticket(callback, callback_data, partner, support, l10n)
        if ticket is None:
            return
        if not ticket.is_open:
            await callback.answer(l10n("support-not-open"), show_alert=True)
            return
        if _reopened_since(callback_data, ticket):
            await callback.answer(
                l10n("support-close-reopened", number=ticket.id), show_alert=True
            )
            return
        ticket = await support.close(ticket)
        await callback.answer()
        await relay.note_to_managers(
            bot, ticket, relay.l10n("ticket-closed-by-partner", number=ticket.id)
        )
        if isinstance(callback.message, Message):
            await callback.message.answer(
                l10n("support-closed", number=ticket.id),
                reply_markup=rating_keyboard(ticket, l10n),
            )

    @router.message(Command("cancel"))
    async def cancel(
        message: Message,
        partner: Partner | None,
        support: SupportService,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        """/cancel outside the step asking for the question: with a ticket open, withdraw
        it (asked first); with none, nothing to cancel (never "unknown command"; a manager
        is told what /cancel stops for them, not sent to /support)."""
        ticket = None if partner is None else await support.current(partner)
        if ticket is None:
            manager = settings.is_manager(actor(message))
            await message.answer(
                l10n("support-cancel-nothing-manager" if manager else "support-cancel-nothing")
            )
            return
        await message.answer(
            l10n("support-cancel-ask", number=ticket.id),
            reply_markup=withdraw_keyboard(ticket, l10n),
        )

    @router.callback_query(TicketCb.filter(F.action.in_({"withdraw", "keep"})))
    async def withdraw(
        callback: CallbackQuery,
        callback_data: TicketCb,
        bot: Bot,
        partner: Partner,
        support: SupportService,
        relay: TicketRelay,
        l10n: L10n,
    ) -> None:
        ticket = await _pressed_ticket(callback, callback_data, partner, support, l10n)
        if ticket is None:
            return
        if callback_data.value != str(ticket.reopens):
            # given before the ticket was reopened (or forged): it stands for a question
            # that is no longer the one open
            await no_longer_available(callback, l10n)
            return
        if not ticket.is_open:
            await callback.answer(l10n("support-not-open"), show_alert=True)
            return
        await callback.answer()
        if callback_data.action == "keep":
            await edit(callback, Screen(l10n("support-cancel-kept", number=ticket.id)))
            return
        ticket = await support.close(ticket)
        await relay.note_to_managers(bot, ticket, relay.l10n("ticket-withdrawn", number=ticket.id))
        await edit(callback, Screen(l10n("support-cancelled", number=ticket.id)))

    @router.callback_query(TicketCb.filter(F.action == "rate"))
    async def rate(
        callback: CallbackQuery,
        callback_data: TicketCb,
        bot: Bot,
        partner: Partner,
        support: SupportService,
        relay: TicketRelay,
        l10n: L10n,
    ) -> None:
        ticket = await support.rate(partner, callback_data.ticket, callback_data.value)
        if ticket is None:
            await no_longer_available(callback, l10n)
            return
        await callback.answer(l10n("support-rated"))
        if isinstance(callback.message, Message):  # the choice stays in the chat
            key = "support-rated-up" if callback_data.value == "up" else "support-rated-down"
            await callback.message.edit_text(l10n(key, number=ticket.id), reply_markup=None)
        rating = "👍" if callback_data.value == "up" else "👎"
        await relay.note_to_managers(
            bot, ticket, relay.l10n("ticket-rated", number=ticket.id, rating=rating)
        )

    return router


def setup_dialog() -> Router:
    """Goes before the FAQ: the question asked for by /support, and every message of a
    partner whose ticket is open."""
    router = Router(name=f"{__name__}.dialog")

    # /cancel given arguments: its usage (handlers/partner/fallback.py), the step goes on
    @router.message(StateFilter(SupportDialog.question), Command("cancel", magic=~F.args))
    async def changed_mind(message: Message, state: FSMContext, l10n: L10n) -> None:
        await state.clear()
        await message.answer(l10n("support-ask-cancelled"))

    @router.message(StateFilter(SupportDialog.question), ~CommandText())
    async def typed_question(
        message: Message,
        bot: Bot,
        partner: Partner,
        support: SupportService,
        relay: TicketRelay,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        question = message.text or message.caption or ""
        if _blank(message):  # nothing to pass on: asked again, the step goes on
            await message.answer(l10n("support-blank") + "\n" + l10n("support-ask-text"))
            return
        await state.clear()
        await open_ticket(message, bot, partner, support, relay, l10n, question, message)

    @router.message(OpenTicket(), ~CommandText())
    async def to_ticket(
        message: Message,
        bot: Bot,
        ticket: Ticket,
        partner: Partner,
        relay: TicketRelay,
        l10n: L10n,
    ) -> None:
        if _blank(message):  # a blank-looking message is not relayed into the topic
            await message.answer(l10n("support-blank"))
            return
        await relay.to_managers(bot, ticket, partner, message)

    return router


def _blank(message: Message) -> bool:
    """A text message that would look empty (zero-width spaces, fillers): a photo, a
    document or a sticker is something to pass on, whatever its caption."""
    return message.text is not None and shows_nothing(message.text)
