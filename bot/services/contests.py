"""Contests (SPEC §7): who takes part, the standings per prize category, the results.

Only approved conversions count (a reversal re-ranks by itself: the status changed);
pending ones are shown apart. Ties go to whoever reached the value first. Only linked
affiliate ids take part (a conversion for an unknown id counts once the partner links it),
and only partners of the contest's segments, when it names any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock
from bot.content.models import Contest, PrizeCategory
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import conversions, partners
from bot.services.sales import month_start


@dataclass(frozen=True)
class Entry:
    key: str  # the contestant: an affiliate id (or partner:ID for a referrer with none)
    value: Decimal
    reached_at: datetime
    pending: int = 0


@dataclass(frozen=True)
class Placed:
    place: int
    entry: Entry
    prize: str


class ContestService:
    def __init__(self, db: Database, store: ContentStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock

    def contest(self, contest_id: str) -> Contest | None:
        return next((c for c in self._store.content.contests if c.id == contest_id), None)

    def running(self, segment: str | None) -> Contest | None:
        """The contest running now for this segment (the one that ends first)."""
        now = self._clock.now()
        live = [c for c in self.eligible(segment) if c.starts_at <= now]
        return min(live, key=lambda contest: contest.ends_at, default=None)

    async def month_leaderboard(self, zone: ZoneInfo) -> list[Entry]:
        """Most approved sales this calendar month among linked partners (no contest runs)."""
        now = self._clock.now()
        month = Contest.model_validate(
            {
                "id": "month",
                "title": "month",
                "description": "month",
                "starts_at": month_start(now, zone),
                "ends_at": now + timedelta(seconds=1),
                "prizes": [{"category": "most_sales", "places": ["-"]}],
            }
        )
        return await self.standings(month, month.prizes[0])

    def is_running(self, contest: Contest) -> bool:
        return contest.starts_at <= self._clock.now() < contest.ends_at

    def eligible(self, segment: str | None) -> list[Contest]:
        """Upcoming and running contests this segment takes part in, soonest first."""
        now = self._clock.now()
        return sorted(
            (c for c in self._store.content.contests if c.ends_at > now and c.visible_to(segment)),
            key=lambda contest: contest.starts_at,
        )

    def _linked(self, contest: Contest, affiliate: Any) -> Any:
        """A linked partner of the contest's segments has this affiliate id."""
        condition = sa.and_(
            partners.c.affiliate_id == affiliate,
            partners.c.affiliate_status == "linked",
        )
        if contest.segments:
            condition = sa.and_(condition, partners.c.segment.in_(contest.segments))
        return sa.exists(sa.select(partners.c.id).where(condition))

    def _window(self, contest: Contest, status: str) -> Any:
        return sa.and_(
            conversions.c.status == status,
            conversions.c.occurred_at >= contest.starts_at,
            conversions.c.occurred_at <= contest.ends_at,
            self._linked(contest, conversions.c.affiliate_id),
        )

    async def standings(self, contest: Contest, category: PrizeCategory) -> list[Entry]:
        """Everyone in the category, best first; those below `min_value` are left out."""
        if category.category == "most_referrals":
            entries = await self._referrals(contest)
        else:
            entries = await self._sales(contest, category)
        qualified = [entry for entry in entries if entry.value >= category.min_value]
        if category.category == "first_sales":
            return sorted(qualified, key=lambda e: (e.reached_at, e.key))
        return sorted(qualified, key=lambda e: (-e.value, e.reached_at, e.key))

    async def _sales(self, contest: Contest, category: PrizeCategory) -> list[Entry]:
        approved = (
            sa.select(
                conversions.c.affiliate_id,
                sa.func.count().label("n"),
                sa.func.sum(conversions.c.amount).label("total"),
                sa.func.min(conversions.c.occurred_at).label("first_at"),
                sa.func.max(conversions.c.occurred_at).label("last_at"),
            )
            .where(self._window(contest, "approved"))
            .group_by(conversions.c.affiliate_id)
        )
        pending = (
            sa.select(conversions.c.affiliate_id, sa.func.count().label("n"))
            .where(self._window(contest, "pending"))
            .group_by(conversions.c.affiliate_id)
        )
        async with self._db.read() as conn:
            rows = list(await conn.execute(approved))
            waiting = {row.affiliate_id: int(row.n) for row in await conn.execute(pending)}
        entries = []
        for row in rows:
            if category.category == "first_sales":
                value, reached = Decimal(1), _utc(row.first_at)
            elif category.category == "top_amount":
                value, reached = Decimal(str(row.total)), _utc(row.last_at)
            else:
                value, reached = Decimal(int(row.n)), _utc(row.last_at)
            entries.append(
                Entry(row.affiliate_id, value, reached, waiting.get(row.affiliate_id, 0))
            )
        return entries

    async def _referrals(self, contest: Contest) -> list[Entry]:
        """Referrers by their recruits who made an approved sale in the contest."""
        first_sales = (
            sa.select(
                conversions.c.affiliate_id,
                sa.func.min(conversions.c.occurred_at).label("first_at"),
            )
            .where(
                conversions.c.status == "approved",
                conversions.c.occurred_at >= contest.starts_at,
                conversions.c.occurred_at <= contest.ends_at,
            )
            .group_by(conversions.c.affiliate_id)
            .subquery()
        )
        recruit = partners.alias("recruit")
        query = (
            sa.select(
                recruit.c.referrer_id,
                sa.func.count(sa.distinct(recruit.c.id)).label("n"),
                sa.func.max(first_sales.c.first_at).label("reached"),
            )
            .join(first_sales, first_sales.c.affiliate_id == recruit.c.affiliate_id)
            .where(recruit.c.affiliate_status == "linked", recruit.c.referrer_id.is_not(None))
            .group_by(recruit.c.referrer_id)
        )
        referrer = sa.select(
            partners.c.id, partners.c.affiliate_id, partners.c.affiliate_status, partners.c.segment
        )
        async with self._db.read() as conn:
            rows = list(await conn.execute(query))
            people = {row.id: row for row in await conn.execute(referrer)}
        entries = []
        for row in rows:
            person = people.get(row.referrer_id)
            if person is None or (contest.segments and person.segment not in contest.segments):
                continue
            linked = person.affiliate_status == "linked" and person.affiliate_id
            key = person.affiliate_id if linked else f"partner:{person.id}"
            entries.append(Entry(str(key), Decimal(int(row.n)), _utc(row.reached)))
        return entries

    async def results(self, contest: Contest) -> list[list[Placed]]:
        """The winners of each prize category, in the contest's order of categories;
        with `one_prize_per_partner`, a contestant who already won is passed over."""
        winners: set[str] = set()
        results: list[list[Placed]] = []
        for category in contest.prizes:
            placed: list[Placed] = []
            for entry in await self.standings(contest, category):
                if len(placed) == len(category.places):
                    break
                if contest.one_prize_per_partner and entry.key in winners:
                    continue
                placed.append(Placed(len(placed) + 1, entry, category.places[len(placed)]))
                winners.add(entry.key)
            results.append(placed)
        return results


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class MyStanding:
    category: PrizeCategory
    place: int | None  # None: not in the standings (yet)
    entry: Entry | None


async def my_standings(
    service: ContestService, contest: Contest, affiliate_id: str | None
) -> list[MyStanding]:
    """The partner's place in each prize category of a contest."""
    result = []
    for category in contest.prizes:
        standings = await service.standings(contest, category) if affiliate_id else []
        index = next((n for n, e in enumerate(standings) if e.key == affiliate_id), None)
        entry = standings[index] if index is not None else None
        result.append(MyStanding(category, None if index is None else index + 1, entry))
    return result
