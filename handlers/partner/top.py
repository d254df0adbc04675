"""/top: the running contest's standings per category (or the month's leaderboard): the
top 10 by public name, and the partner's own place with the gap to the place above."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings
from bot.i18n import L10n
from bot.services.contests import ContestService, Entry
from bot.services.partners import Partner, PartnerService
from handlers.partner.contests import number
from handlers.screens import Screen, send

TOP = 10


def public_name(partner: Partner | None, key: str, l10n: L10n) -> str:
    if partner is None:
        return l10n("top-anonymous", code=key[-4:])
    if partner.public_name == "anonymous":
        return l10n("top-anonymous", code=partner.partner_code[-4:])
    if partner.public_name == "nickname" and partner.username:
        return f"@{partner.username}"
    return partner.first_name


def board_text(
    header: str,
    entries: list[Entry],
    people: dict[str, Partner],
    me: str | None,
    l10n: L10n,
    *,
    gaps: bool = True,
    personal: bool = True,
) -> str:
    if not entries:
        return f"{header}\n{l10n('top-empty')}"
    lines = [header]
    for place, entry in enumerate(entries[:TOP], start=1):
        name = html.escape(public_name(people.get(entry.key), entry.key, l10n))
        lines.append(l10n("top-row", place=place, name=name, value=number(entry.value)))
    if not personal:  # in the group: no "you"
        return "\n".join(lines)
    mine = next((n for n, entry in enumerate(entries) if entry.key == me), None)
    if me is None or mine is None:
        lines.append(l10n("top-me-none"))
    elif mine == 0 or not gaps:
        lines.append(l10n("top-me", place=mine + 1, value=number(entries[mine].value)))
    else:
        gap = entries[mine - 1].value - entries[mine].value
        lines.append(
            l10n(
                "top-me-gap",
                place=mine + 1,
                value=number(entries[mine].value),
                above=mine,
                gap=number(gap),
            )
        )
    return "\n".join(lines)


async def leaderboards(
    partner: Partner | None,
    partners: PartnerService,
    contests: ContestService,
    settings: Settings,
    l10n: L10n,
) -> list[Screen]:
    """The running contest's boards (one per category), or the month's; `partner` None
    means the group: contests for everyone, and no personal line."""
    me = partner.affiliate_id if partner and partner.affiliate_status == "linked" else None
    contest = contests.running(partner.segment if partner else None)
    if contest is None:
        entries = await contests.month_leaderboard(settings.tz)
        people = await partners.by_affiliates([e.key for e in entries[:TOP]])
        text = board_text(
            l10n("top-month"), entries, people, me, l10n, personal=partner is not None
        )
        return [Screen(text)]
    screens = []
    for category in contest.prizes:
        entries = await contests.standings(contest, category)
        people = await partners.by_affiliates([e.key for e in entries[:TOP]])
        header = l10n(
            "top-contest",
            title=html.escape(contest.title),
            category=l10n(f"category-{category.category}"),
        )
        text = board_text(
            header,
            entries,
            people,
            me,
            l10n,
            gaps=category.category != "first_sales",
            personal=partner is not None,
        )
        screens.append(Screen(text))
    return screens


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("top"))
    async def top(
        message: Message,
        partner: Partner,
        partners: PartnerService,
        contests: ContestService,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        for screen in await leaderboards(partner, partners, contests, settings, l10n):
            await send(message, screen)

    return router
