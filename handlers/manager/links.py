"""Managers approve or decline a partner's /link request (a button, or /approve_link ID)."""

from __future__ import annotations

import html
import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.content.models import Content, Program
from bot.i18n import L10n, echo
from bot.notices import Notices
from bot.services.audit import AuditLog
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.texts import shown_name
from handlers.callbacks import LinkCb
from handlers.filters import IsManager
from handlers.person import tell_joined
from handlers.relay import TicketRelay
from handlers.screens import actor, arguments

logger = logging.getLogger(__name__)


async def _decide(
    bot: Bot,
    partner: Partner,
    approve: bool,
    partners: PartnerService,
    relay: TicketRelay,
    audit: AuditLog,
    manager: str,
    program: Program,
    notices: Notices,
) -> str:
    """Approve or decline; the text for the managers. An approved chat then hears of the
    sales approved for the id before (`Notices.sales_before_link`)."""
    affiliate = partner.requested_id or ""
    joined: Partner | None = None
    if approve:
        changes = await partners.join(partner)
        await tell_joined(bot, relay, changes, program, html.escape(affiliate))
        joined = changes[0][1]
    else:
        await partners.decline_link(partner)
        await relay.notify(bot, partner, "link-declined", affiliate=html.escape(affiliate))
    await audit.record(
        manager,
        "approve_link" if approve else "decline_link",
        target=partner.key,
        details=affiliate,
    )
    if joined is not None:
        try:
            await notices.sales_before_link(joined)
        except Exception:  # the link stands; the managers hear it is approved
            logger.exception("telling %s of the sales before the link failed", partner.key)
    key = "link-done-approved" if approve else "link-done-declined"
    return relay.l10n(
        key,
        affiliate=html.escape(affiliate),
        name=html.escape(shown_name(partner.first_name, partner.partner_code, relay.l10n)),
    )


def setup_buttons() -> Router:
    """The buttons on a link request card, wherever the managers see it."""
    router = Router(name=f"{__name__}.buttons")
    router.callback_query.filter(IsManager())

    @router.callback_query(LinkCb.filter(F.action.in_({"approve", "decline"})))
    async def decide(
        callback: CallbackQuery,
        callback_data: LinkCb,
        bot: Bot,
        partners: PartnerService,
        relay: TicketRelay,
        audit: AuditLog,
        content: Content,
        notices: Notices,
        l10n: L10n,
    ) -> None:
        partner = await partners.get(callback_data.partner)
        if partner is None or not partner.link_pending:
            await callback.answer(l10n("link-nothing-pending"), show_alert=True)
            return
        text = await _decide(
            bot, partner, callback_data.action == "approve", partners, relay, audit,
            actor(callback), content.program, notices,
        )  # fmt: skip
        await callback.answer()
        if isinstance(callback.message, Message):
            await callback.message.edit_text(text)

    return router


def setup_command(name: str = __name__) -> Router:
    router = Router(name=name)

    @router.message(Command("approve_link"))
    async def approve_link(
        message: Message,
        command: CommandObject,
        bot: Bot,
        partners: PartnerService,
        relay: TicketRelay,
        audit: AuditLog,
        content: Content,
        notices: Notices,
        l10n: L10n,
    ) -> None:
        query = arguments(command)
        if not query:
            await message.answer(l10n("approve-link-usage"))
            return
        partner = await partners.find(query)
        if partner is None:
            await message.answer(l10n("partner-not-found", query=echo(query)))
            return
        if not partner.link_pending:
            await message.answer(l10n("link-nothing-pending"))
            return
        text = await _decide(
            bot, partner, True, partners, relay, audit, actor(message), content.program,
            notices,
        )  # fmt: skip
        await message.answer(text)

    return router
