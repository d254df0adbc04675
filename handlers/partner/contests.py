"""/contests: the running contests the partner takes part in, in /top's order (the one
that ends first first), then the upcoming ones, with rules, prizes, dates, restrictions and
the partner's own place (what is left to a threshold, as /top says it)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings
from bot.i18n import L10n
from bot.services.contests import ContestService, my_standings
from bot.services.partner import Partner
from bot.texts import contest_text
from handlers.screens import Screen, send


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
        found = await contests.listed(partner.segment)
        if not found:
            await message.answer(l10n("contests-none"))
            return
        linked = partner.affiliate_id if partner.affiliate_status == "linked" else None
        for contest in found:
            running = contests.is_running(contest)
            mine = await my_standings(contests, contest, linked) if linked else None
            await send(message, Screen(contest_text(contest, mine, running, settings.tz, l10n)))

    return router
