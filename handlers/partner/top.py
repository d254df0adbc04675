"""/top: the running contest's standings per category (or the month's leaderboard): the
top 10 by public name, and the partner's own place with the gap to the place above."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Board:
    """One leaderboard: as text, and as the rows of its picture."""

    screen: Screen
    title: str
    subtitle: str
    rows: list[tuple[int, str, str]]


async def leaderboards(
    partner: Partner | None,
    partners: PartnerService,
    contests: ContestService,
    settings: Settings,
    l10n: L10n,
) -> list[Board]:
    """The running contest's boards (one per category), or the month's; `partner` None
    means the group: contests for everyone, and no personal line."""
    me = partner.affiliate_id if partner and partner.affiliate_status == "linked" else None
    contest = contests.running(partner.segment if partner else None)
    boards: list[tuple[str, str | None, list[Entry]]]
    if contest is None:
        boards = [(l10n("top-month"), None, await contests.month_leaderboard(settings.tz))]
    else:
        boards = [
            (
                l10n(
                    "top-contest",
                    title=html.escape(contest.title),
                    category=l10n(f"category-{category.category}"),
                ),
                category.category,
                await contests.standings(contest, category),
            )
            for category in contest.prizes
        ]
    result = []
    for header, kind, entries in boards:
        people = await partners.by_affiliates([e.key for e in entries[:TOP]])
        text = board_text(
            header,
            entries,
            people,
            me,
            l10n,
            gaps=kind != "first_sales",
            personal=partner is not None,
        )
        rows = [
            (place, public_name(people.get(entry.key), entry.key, l10n), number(entry.value))
            for place, entry in enumerate(entries[:TOP], start=1)
        ]
        plain = html.unescape(re.sub(r"<[^>]+>", "", header)).removeprefix("🏆 ")
        title, _, subtitle = plain.partition(" — ")
        result.append(Board(Screen(text), title, subtitle, rows))
    return result


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
        for board in await leaderboards(partner, partners, contests, settings, l10n):
            await send(message, board.screen)

    return router
