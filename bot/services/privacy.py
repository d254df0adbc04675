"""/forget: a partner's personal data deleted everywhere it is kept."""

from __future__ import annotations

from bot.services.faq import FaqService
from bot.services.outbox import Outbox
from bot.services.partners import Partner, PartnerService
from bot.services.support import SupportService


class PrivacyService:
    def __init__(
        self, partners: PartnerService, faq: FaqService, support: SupportService, outbox: Outbox
    ) -> None:
        self._partners = partners
        self._faq = faq
        self._support = support
        self._outbox = outbox

    async def forget(self, partner: Partner) -> None:
        """Delete the partner with their answers, progress and questions (cascades); their
        tickets and sent messages stay for the program's numbers, anonymous."""
        await self._faq.flush()  # queued questions are written first, then deleted with them
        await self._support.forget(partner)
        await self._outbox.forget(partner.id)
        await self._partners.forget(partner)
