"""/contests: the upcoming and running contests the partner takes part in, with rules,
prizes, dates, restrictions and the partner's own place."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings
from bot.content.models import Contest
from bot.i18n import L10n
from bot.services.contests import ContestService, MyStanding, my_standings
from bot.services.partners import Partner
from handlers.screens import Screen, send


def number(value: object) -> str:
    """12 500.50, or 12 500 for whole numbers."""
    text = f"{value:,.2f}".replace(",", " ")
    return text.removesuffix(".00")


def contest_text(
    contest: Contest,
    mine: list[MyStanding] | None,
    running: bool,
    zone: ZoneInfo,
    l10n: L10n,
    *,
    personal: bool = True,
) -> str:
    """A contest's card; `personal` adds the partner's place (or how to take part)."""
    start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
    end = contest.ends_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
    lines = [
        l10n("contest-title", title=html.escape(contest.title)),
        l10n("contest-running" if running else "contest-upcoming", start=start, end=end),
        html.escape(contest.description.strip()),
    ]
    if contest.restrictions.strip():
        lines.append(l10n("contest-restrictions", text=html.escape(contest.restrictions.strip())))
    lines.append(l10n("contest-prizes"))
    for category in contest.prizes:
        places = "; ".join(
            l10n("contest-place", place=n, prize=html.escape(prize))
            for n, prize in enumerate(category.places, start=1)
        )
        minimum = number(category.min_value) if category.min_value else 0
        name = l10n(f"category-{category.category}")
        lines.append(l10n("contest-category", name=name, min=minimum, places=places))
    if not personal:
        pass
    elif mine is None:
        lines.append(l10n("contest-link-first"))
    elif running:
        lines.append(l10n("contest-mine"))
        for standing in mine:
            name = l10n(f"category-{standing.category.category}")
            if standing.place is None or standing.entry is None:
                lines.append(l10n("contest-mine-none", name=name))
            else:
                lines.append(
                    l10n(
                        "contest-mine-row",
                        name=name,
                        place=standing.place,
                        value=number(standing.entry.value),
                        pending=standing.entry.pending,
                    )
                )
    return "\n".join(lines)


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("contests"))
    async def contests_command(
        message: Message,
        partner: Partner,
        contests: ContestService,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        found = contests.eligible(partner.segment)
        if not found:
            await message.answer(l10n("contests-none"))
            return
        linked = partner.affiliate_id if partner.affiliate_status == "linked" else None
        for contest in found:
            running = contests.is_running(contest)
            mine = await my_standings(contests, contest, linked) if linked else None
            await send(message, Screen(contest_text(contest, mine, running, settings.tz, l10n)))

    return router
