"""What a partner sees about themselves (/me), and a manager about a partner (/partner)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.content.models import Contest
from bot.content.store import ContentStore
from bot.services.contest_standings import MyStanding
from bot.services.contests import ContestService, my_standings
from bot.services.lessons import LessonService
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.services.sales import SalesService
from bot.services.sales_figures import MonthStats, TierStanding
from bot.services.segment_history import Counted
from bot.services.support import SupportService


@dataclass(frozen=True)
class ProfileCard:
    partner: Partner
    segment_title: str | None
    lessons_done: int
    lessons_total: int
    referrals: int
    month: MonthStats | None  # only once the affiliate id is linked
    standing: TierStanding | None
    place: int | None = None  # on this month's leaderboard (/top's), None: not on it yet
    ranked: int = 0  # how many are on it


@dataclass(frozen=True)
class ManagerCard:
    """What a manager sees about a partner (/partner)."""

    profile: ProfileCard
    open_ticket: int | None
    tickets_total: int
    recent_questions: list[str]
    conversions: dict[str, int]  # all time, by status (linked partners only)
    contest: Contest | None  # the contest running for the partner's segment
    standings: list[MyStanding]
    # in its segments only since some moment after its start: its sales count since then
    counted: Counted | None = None


class ProfileService:
    def __init__(
        self,
        store: ContentStore,
        partners: PartnerService,
        lessons: LessonService,
        support: SupportService,
        sales: SalesService,
        contests: ContestService,
        zone: ZoneInfo,
    ) -> None:
        self._contests = contests
        self._store = store
        self._partners = partners
        self._lessons = lessons
        self._support = support
        self._sales = sales
        self._zone = zone

    async def manager_card(self, query: str) -> ManagerCard | None:
        """A partner by platform id, partner code or affiliate id, for a manager."""
        partner = await self._partners.find(query)
        if partner is None:
            return None
        ticket = await self._support.current(partner)
        linked = partner.affiliate_id if partner.affiliate_status == "linked" else None
        contest = await self._contests.running(partner.segment)
        standings = await my_standings(self._contests, contest, linked) if contest else []
        counted = await self._contests.counted(contest, linked) if contest and linked else None
        return ManagerCard(
            profile=await self.card(partner),
            open_ticket=None if ticket is None else ticket.id,
            tickets_total=len(await self._support.history(partner)),
            recent_questions=await self._support.recent_questions(partner),
            conversions=await self._sales.totals(linked) if linked else {},
            contest=contest,
            standings=standings,
            counted=counted,
        )

    async def card(self, partner: Partner) -> ProfileCard:
        course = await self._lessons.course(partner)
        month = standing = place = None
        ranked = 0
        if partner.affiliate_status == "linked" and partner.affiliate_id:
            month = await self._sales.month(partner.affiliate_id, self._zone)
            standing = self._sales.tier(month.approved)
            board = await self._contests.month_leaderboard(self._zone)
            index = board.index_of(partner.affiliate_id)
            if (0 if index is None else board[index].value) != month.approved:
                # the board is older than the sales just read (written a moment ago,
                # maybe by another process): the card never contradicts itself
                await self._sales.follow(now=True)
                board = await self._contests.month_leaderboard(self._zone, fresh=True)
                index = board.index_of(partner.affiliate_id)
            ranked = len(board)
            place = None if index is None else index + 1
        return ProfileCard(
            partner=partner,
            segment_title=self._store.content.program.segment_title(partner.segment),
            lessons_done=course.finished,
            lessons_total=len(course.lessons),
            referrals=await self._partners.referrals_count(partner),
            month=month,
            standing=standing,
            place=place,
            ranked=ranked,
        )
