"""/link AFFILIATE_ID: the partner asks to link the id used in postbacks; a manager approves.
A bare /link shows its usage and takes the next message as the id when it looks like one
(`A777`, `aff-77`: an id with a digit, no spaces) — never as an FAQ question (decided here)."""

from __future__ import annotations

import html

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.i18n import L10n
from bot.names import without_bidi
from bot.services.conversions import valid_affiliate_id
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.texts import shown_name
from handlers.callbacks import LinkCb
from handlers.relay import TicketRelay
from handlers.screens import arguments, keyboard


class LinkDialog(StatesGroup):
    affiliate = State()  # the /link usage shown: the next message may be the id


def looks_like_id(text: str) -> bool:
    """A reply to the /link usage that is an affiliate id, not words: one token of the
    id's characters with a digit in it («A777», «aff-77», «55501»; «ok», «спасибо» not)."""
    return valid_affiliate_id(text) and any(char.isdigit() for char in text)


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("link"))
    async def link(
        message: Message,
        command: CommandObject,
        bot: Bot,
        partner: Partner,
        partners: PartnerService,
        relay: TicketRelay,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        affiliate = arguments(command)
        if not affiliate:
            await message.answer(l10n("link-usage"))
            await state.set_state(LinkDialog.affiliate)
            return
        if not valid_affiliate_id(affiliate):
            # quoted back without bidi controls: an override would turn the line around
            shown = html.escape(without_bidi(affiliate)[:80])
            await message.answer(l10n("link-invalid", affiliate=shown))
            return
        await _request(message, affiliate, bot, partner, partners, relay, l10n)

    return router


def setup_dialog() -> Router:
    """Goes before the FAQ: the message right after the /link usage. An id is the /link
    argument; anything else ends the wait and goes on as usual (a question, a command)."""
    router = Router(name=f"{__name__}.dialog")

    @router.message(StateFilter(LinkDialog.affiliate))
    async def reply_to_usage(
        message: Message,
        bot: Bot,
        partner: Partner,
        partners: PartnerService,
        relay: TicketRelay,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        await state.clear()
        affiliate = (message.text or "").strip()
        if not looks_like_id(affiliate):
            raise SkipHandler  # the routers after this one read it
        await _request(message, affiliate, bot, partner, partners, relay, l10n)

    return router


async def _request(
    message: Message,
    affiliate: str,
    bot: Bot,
    partner: Partner,
    partners: PartnerService,
    relay: TicketRelay,
    l10n: L10n,
) -> None:
    """The link request: the managers get a card to approve, the partner is told."""
    partner = await partners.request_link(partner, affiliate)
    managers = relay.l10n
    who = partner.who
    card = managers(
        "link-card",
        name=html.escape(shown_name(partner.first_name, partner.partner_code, managers)),
        who=html.escape(who),
        who_id=partner.key,
        affiliate=html.escape(affiliate),
    )
    already = [
        other.key
        for other in (await partners.linked_to([affiliate])).get(affiliate, [])
        if other.id != partner.id
    ]
    if already:  # another chat has this id: approving makes them one person
        card += "\n" + managers("link-card-already", chats=", ".join(already))
    buttons = keyboard(
        [
            (managers("link-approve"), LinkCb(action="approve", partner=partner.id)),
            (managers("link-decline"), LinkCb(action="decline", partner=partner.id)),
        ]
    )
    await relay.tell_managers(bot, card, buttons)
    if partner.requested_affiliate_id is not None:  # linked: the linked id counts till then
        current = html.escape(partner.affiliate_id or "")
        await message.answer(
            l10n("link-requested-keep", affiliate=html.escape(affiliate), current=current)
        )
    else:
        await message.answer(l10n("link-requested", affiliate=html.escape(affiliate)))
