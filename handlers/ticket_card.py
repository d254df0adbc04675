"""The ticket card the managers see (SPEC §8): who the partner is, the question (shortened,
with a button for the whole of it), their tier and latest sales, what they asked before;
and the name of the ticket's forum topic."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import L10n
from bot.names import without_bidi
from bot.rendering import shorten
from bot.services.partner import Partner
from bot.services.tickets import Ticket, TicketCard
from bot.texts import number, shown_name
from handlers.callbacks import TicketTextCb

TOPIC_NAME_LIMIT = 128
CARD_QUESTION_LIMIT = 1500  # characters of the question on a ticket card; the rest a tap away


def ticket_card(
    ticket: Ticket, partner: Partner, card: TicketCard, l10n: L10n, zone: ZoneInfo, forum: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The ticket card, and a button for the whole question when the card shows it
    shortened."""
    who = partner.who
    question, shortened = shorten(without_bidi(ticket.question), CARD_QUESTION_LIMIT)
    text = l10n(
        "ticket-card",
        number=ticket.id,
        name=html.escape(shown_name(partner.first_name, partner.partner_code, l10n)),
        who=html.escape(who),
        segment=html.escape(card.segment_title or l10n("ticket-none")),
        affiliate=_affiliate(partner, l10n),
        question=html.escape(question or l10n("ticket-none")),
    )
    text += "\n" + _sales_lines(card, l10n, zone)
    asked = [q for q in card.recent_questions if q != ticket.question][:5]
    if asked:
        text += "\n" + l10n("ticket-card-asked-before")
        text += "".join(f"\n• {html.escape(shorten(without_bidi(q), 200)[0])}" for q in asked)
    text += "\n\n" + l10n("ticket-card-howto" if forum else "ticket-card-howto-reply")
    markup = None
    if shortened:
        button = InlineKeyboardButton(
            text=l10n("ticket-card-whole-question"),
            callback_data=TicketTextCb(ticket=ticket.id).pack(),
        )
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    return text, markup


def _affiliate(partner: Partner, l10n: L10n) -> str:
    """The affiliate id as the tier line below it reads: one waiting for a manager's
    approval (/link) is shown as waiting, not as the partner's."""
    if partner.affiliate_id is None:
        return l10n("ticket-none")
    if partner.affiliate_status == "pending":
        return l10n("ticket-card-affiliate-pending", affiliate=html.escape(partner.affiliate_id))
    return html.escape(partner.affiliate_id)


def _sales_lines(card: TicketCard, l10n: L10n, zone: ZoneInfo) -> str:
    """The partner's tier this month and their latest conversions (SPEC §8)."""
    if card.month is None or card.standing is None:
        pending = card.partner.affiliate_status == "pending" and card.partner.affiliate_id
        return l10n("ticket-card-tier-pending" if pending else "ticket-card-tier-unlinked")
    tier = card.standing.tier
    lines = [
        l10n(
            "ticket-card-tier",
            tier=html.escape(tier.title) if tier else l10n("ticket-none"),
            approved=card.month.approved,
        )
    ]
    if card.recent_sales:
        lines.append(l10n("ticket-card-recent-sales"))
    for sale in card.recent_sales:
        currency = "₽" if sale.currency in (None, "RUB") else sale.currency
        when = sale.occurred_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
        amount = f"{number(sale.amount, l10n.language)} {html.escape(currency or '')}"
        lines.append(l10n("ticket-card-sale", when=when, amount=amount, status=sale.status))
    return "\n".join(lines)


def topic_name(ticket: Ticket, partner: Partner, segment: str, l10n: L10n) -> str:
    """The forum topic of a ticket: its number, the partner's name and segment."""
    name = l10n(
        "ticket-topic",
        number=ticket.id,
        name=shown_name(partner.first_name, partner.partner_code, l10n),
        segment=segment,
    )
    return name[:TOPIC_NAME_LIMIT]
