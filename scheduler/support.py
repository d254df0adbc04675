"""The ticket SLA job: reads overdue tickets from the database (no per-ticket timers) and
raises each in the managers' chat at `ticket_sla_hours`, and again 24 hours later. It also
forgets the /faq_link picker presses no button can repeat any more (`PressedOnce.prune`)."""

from __future__ import annotations

import html
import logging

from aiogram import Bot

from bot.services.partners import PartnerService
from bot.services.support import SupportService
from bot.texts import shown_name
from handlers.relay import TicketRelay

logger = logging.getLogger(__name__)


async def raise_overdue_tickets(
    bot: Bot, support: SupportService, relay: TicketRelay, partners: PartnerService
) -> int:
    if pruned := await support.presses.prune():
        logger.info("forgot %d /faq_link picker press(es) older than a week", pruned)
    raised = 0
    for ticket in await support.overdue():
        partner = await partners.get(ticket.partner_id)
        name = (
            html.escape(shown_name(partner.first_name, partner.partner_code, relay.l10n))
            if partner
            else "?"
        )
        hours = int(support.hours_since(ticket.waiting_since or ticket.created_at))
        text = relay.l10n("ticket-overdue", number=ticket.id, name=name, hours=hours)
        await relay.note_to_managers(bot, ticket, text)
        await support.escalated(ticket)
        raised += 1
    if raised:
        logger.info("raised %d overdue ticket(s)", raised)
    return raised
