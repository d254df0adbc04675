"""/me: the partner's own card."""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.i18n import L10n
from bot.platforms import platform_of
from bot.services.partner import Partner
from bot.services.profile import ProfileCard, ProfileService
from bot.texts import number, shown_name
from handlers.callbacks import MenuCb
from handlers.screens import Screen, reply, start_link


def sales_lines(card: ProfileCard, l10n: L10n, *, for_manager: bool = False) -> list[str]:
    """The month's sales and the tier (or how to get them shown); also on /partner, where
    the partner's own hint ("/link YOUR_ID") becomes what a manager needs to know."""
    partner = card.partner
    affiliate = html.escape(partner.affiliate_id or "")
    if partner.affiliate_status == "pending":
        return [l10n("me-link-pending", affiliate=affiliate)]
    requested = partner.requested_affiliate_id
    waiting = (
        [l10n("me-link-other-pending", affiliate=html.escape(requested))] if requested else []
    )
    if card.month is None or card.standing is None:
        return [l10n("partner-link-none" if for_manager else "me-link-none")]
    month, standing = card.month, card.standing
    lines = [] if for_manager else [l10n("me-affiliate", affiliate=affiliate)]  # card has it
    lines += waiting
    lines += [
        l10n(
            "me-month",
            approved=month.approved,
            amount=number(month.amount, l10n.language),
            pending=month.pending,
        ),
    ]
    if card.place is not None:
        lines.append(l10n("me-rank", place=card.place, total=card.ranked))
    elif not for_manager:
        lines.append(l10n("me-rank-none"))
    if standing.tier is not None:
        lines.append(
            l10n(
                "me-tier",
                tier=html.escape(standing.tier.title),
                perk=html.escape(standing.tier.perk),
            )
        )
    if standing.next_tier is not None:
        lines.append(
            l10n(
                "me-tier-next",
                tier=html.escape(standing.next_tier.title),
                remaining=standing.remaining,
            )
        )
    elif standing.tier is not None:
        lines.append(l10n("me-tier-top"))
    return lines


def me_screen(card: ProfileCard, bot_username: str, l10n: L10n, platform: str = "tg") -> Screen:
    partner = card.partner
    link = start_link(bot_username, platform, f"ref_{partner.partner_code}")
    lines = [
        l10n(
            "me-title",
            name=html.escape(shown_name(partner.first_name, partner.partner_code, l10n)),
        ),
        l10n("me-code", code=partner.partner_code),
        l10n("me-segment", segment=html.escape(card.segment_title or l10n("me-segment-none"))),
        *sales_lines(card, l10n),
        l10n("me-lessons", done=card.lessons_done, total=card.lessons_total),
        l10n("me-referrals", count=card.referrals),
        l10n("me-ref-link", link=link),
    ]
    if partner.stopped:
        lines.append(l10n("me-stopped" if partner.wants_newsletters else "me-stopped-none"))
    elif not partner.wants_newsletters:  # «no» in onboarding, or every topic off
        lines.append(l10n("me-newsletters-none"))
    return Screen("\n".join(lines))


def setup() -> Router:
    router = Router(name=__name__)

    async def _screen(bot: Bot, partner: Partner, profile: ProfileService, l10n: L10n) -> Screen:
        me = await bot.me()
        return me_screen(await profile.card(partner), me.username or "", l10n, platform_of(bot))

    @router.message(Command("me"))
    @router.callback_query(MenuCb.filter(F.item == "me"))
    async def me_command(
        event: Message | CallbackQuery,
        bot: Bot,
        partner: Partner,
        profile: ProfileService,
        l10n: L10n,
    ) -> None:
        await reply(event, await _screen(bot, partner, profile, l10n))

    return router
