"""/link AFFILIATE_ID: the partner asks to link the id used in postbacks; a manager approves."""

from __future__ import annotations

import html

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.i18n import L10n
from bot.services.conversions import valid_affiliate_id
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.texts import shown_name
from handlers.callbacks import LinkCb
from handlers.relay import TicketRelay
from handlers.screens import keyboard


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
        l10n: L10n,
    ) -> None:
        affiliate = (command.args or "").strip()
        if not affiliate:
            await message.answer(l10n("link-usage"))
            return
        if not valid_affiliate_id(affiliate):
            await message.answer(l10n("link-invalid", affiliate=html.escape(affiliate[:80])))
            return
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
        await message.answer(l10n("link-requested", affiliate=html.escape(affiliate)))

    return router
