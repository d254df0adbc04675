"""/forget: a partner's personal data deleted everywhere it is kept."""

from __future__ import annotations

from bot.services.faq import FaqService
from bot.services.partners import Partner, PartnerService


class PrivacyService:
    def __init__(self, partners: PartnerService, faq: FaqService) -> None:
        self._partners = partners
        self._faq = faq

    async def forget(self, partner: Partner) -> None:
        """Delete the partner with their answers, progress and questions (cascades)."""
        await self._faq.flush()  # queued questions are written first, then deleted with them
        await self._faq.learning.forget(partner.id)  # the phrasings only they confirmed
        await self._partners.forget(partner)
