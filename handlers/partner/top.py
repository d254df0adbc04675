"""/top: the running contest's standings per category (or the month's leaderboard): the
top 10 by public name, and the partner's own place with the gap to the place above."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings
from bot.i18n import L10n
from bot.services.contests import ContestService
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.texts import leaderboards
from handlers.screens import Screen, send


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
            await send(message, Screen(board.text))

    return router
