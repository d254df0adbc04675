"""What a partner sees about themselves in /me."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.store import ContentStore
from bot.services.lessons import LessonService
from bot.services.partners import Partner, PartnerService


@dataclass(frozen=True)
class ProfileCard:
    partner: Partner
    segment_title: str | None
    lessons_done: int
    lessons_total: int
    referrals: int


class ProfileService:
    def __init__(
        self, store: ContentStore, partners: PartnerService, lessons: LessonService
    ) -> None:
        self._store = store
        self._partners = partners
        self._lessons = lessons

    async def card(self, partner: Partner) -> ProfileCard:
        course = await self._lessons.course(partner)
        return ProfileCard(
            partner=partner,
            segment_title=self._store.content.program.segment_title(partner.segment),
            lessons_done=course.finished,
            lessons_total=len(course.lessons),
            referrals=await self._partners.referrals_count(partner),
        )
