"""Contests (SPEC §7): who takes part, the standings per prize category, the results.

Only approved conversions count (a reversal re-ranks by itself: the status changed);
pending ones are shown apart. Ties go to whoever reached the value first. Only linked
affiliate ids take part (a conversion for an unknown id counts once the partner links it),
and only partners of the contest's segments, when it names any.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock, as_utc
from bot.content.models import Contest, PrizeCategory
from bot.content.store import ContentStore
from bot.db.engine import Database, insert
from bot.db.tables import contests as contests_table
from bot.db.tables import conversions, partners
from bot.services.partners import Partner, PartnerService, person_key
from bot.services.sales import SalesService, month_end, month_start


@dataclass(frozen=True)
class Entry:
    key: str  # the contestant: an affiliate id (or partner:ID for a referrer with none)
    value: Decimal
    reached_at: datetime
    pending: int = 0


class Standings(list[Entry]):
    """Entries best first, with the place of a contestant found without a scan."""

    _places: dict[str, int] | None = None

    def index_of(self, key: str | None) -> int | None:
        """The 0-based position of `key`, or None."""
        if key is None:
            return None
        if self._places is None:
            self._places = {entry.key: n for n, entry in enumerate(self)}
        return self._places.get(key)


@dataclass(frozen=True)
class SalesRow:
    affiliate_id: str
    approved: int
    total: Decimal
    first_at: datetime
    last_at: datetime
    pending: int


_NEVER = datetime.max.replace(tzinfo=UTC)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Placed:
    place: int
    entry: Entry
    prize: str


@dataclass(frozen=True)
class Managed:
    """A contest's state kept in the database: made with /contest_new, or a file contest
    that was announced or cancelled."""

    contest: Contest
    source: str  # manager | file
    status: str  # active | cancelled
    announced_at: datetime | None


@dataclass(frozen=True)
class Moment:
    """What to send to whom for one moment of a contest (SPEC §7); the schedule and the
    delivery decide when and how."""

    name: str  # announcement | reminder | started | standings | last_day | results | cancelled
    # | rescheduled
    contest: Contest
    partners: list[Partner]  # private recipients
    community: bool  # also a post in the community chat
    tag: str = ""  # which one of a repeated moment: days before the start, the week
    results: list[list[Placed]] = field(default_factory=list)
    winners: dict[int, list[tuple[PrizeCategory, Placed]]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        suffix = f":{self.tag}" if self.tag else ""
        return f"contest:{self.contest.id}:{self.name}{suffix}"


class ContestRefused(Exception):
    """A contest change that is not allowed (it started, it was cancelled, unknown id)."""


STANDINGS_MAX_AGE: Final = 60.0  # seconds standings are reused while no conversion changed
STANDINGS_SLOW: Final = 0.25  # seconds: standings that took longer to compute (a big program) …
STANDINGS_FRESH: Final = 5.0  # … are reused this long even after a change


class ContestService:
    def __init__(
        self,
        db: Database,
        store: ContentStore,
        clock: Clock,
        partners: PartnerService,
        sales: SalesService,
    ) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._partners = partners
        self._sales_service = sales
        self._cache: dict[tuple[Any, ...], tuple[int, float, float, Any]] = {}

    async def managed(self) -> dict[str, Managed]:
        """Every contest the database knows, by id (file contests only once announced or
        cancelled)."""
        async with self._db.read() as conn:
            rows = list(await conn.execute(sa.select(contests_table)))
        files = {contest.id: contest for contest in self._store.content.contests}
        result = {}
        for row in rows:
            if row.definition is not None:
                contest = Contest.model_validate(row.definition)
            elif row.id in files:
                contest = files[row.id]
            else:
                continue  # its file was removed
            announced = None if row.announced_at is None else as_utc(row.announced_at)
            result[row.id] = Managed(contest, row.source, row.status, announced)
        return result

    async def all(self) -> list[Managed]:
        """File contests and managers' contests, cancelled ones included, by start."""
        known = await self.managed()
        for contest in self._store.content.contests:
            known.setdefault(contest.id, Managed(contest, "file", "active", None))
        return sorted(known.values(), key=lambda item: (item.contest.starts_at, item.contest.id))

    async def find(self, contest_id: str) -> Managed | None:
        """A contest by id, cancelled or not, from a file or the database."""
        return next((item for item in await self.all() if item.contest.id == contest_id), None)

    async def active(self) -> list[Contest]:
        return [item.contest for item in await self.all() if item.status == "active"]

    async def contest(self, contest_id: str) -> Contest | None:
        return next((c for c in await self.active() if c.id == contest_id), None)

    async def running(self, segment: str | None) -> Contest | None:
        """The contest running now for this segment (the one that ends first)."""
        now = self._clock.now()
        live = [c for c in await self.eligible(segment) if c.starts_at <= now]
        return min(live, key=lambda contest: contest.ends_at, default=None)

    async def eligible(self, segment: str | None) -> list[Contest]:
        """Upcoming and running contests this segment takes part in, soonest first. An
        upcoming contest is shown only once it was announced (a file contest too close to
        announce by itself waits for a manager): partners never hear of it earlier."""
        now = self._clock.now()
        return [
            item.contest
            for item in await self.all()
            if item.status == "active"
            and item.contest.ends_at > now
            and item.contest.visible_to(segment)
            and (item.announced_at is not None or item.contest.starts_at <= now)
        ]

    def is_running(self, contest: Contest) -> bool:
        return contest.starts_at <= self._clock.now() < contest.ends_at

    def lead_days(self) -> int:
        return self._store.content.program.schedule.announce_lead_days

    def short_notice(self, starts_at: datetime) -> bool:
        """A contest starting then, announced now, gives less than `announce_lead_days`."""
        return starts_at - self._clock.now() < timedelta(days=self.lead_days())

    def too_soon_after_announcement(self, item: Managed, starts_at: datetime) -> bool:
        """Moving an announced contest to start less than `announce_lead_days` after its
        announcement (refused: cancel and make a new one to start sooner)."""
        if item.announced_at is None:
            return False
        return starts_at - item.announced_at < timedelta(days=self.lead_days())

    def problems(self, contest: Contest) -> list[str]:
        """Why this contest cannot be saved as it is (keys of texts, with no arguments)."""
        found = []
        if contest.starts_at <= self._clock.now():
            found.append("contest-error-start-past")
        segments = {segment.id for segment in self._store.content.program.segments}
        if any(segment not in segments for segment in contest.segments):
            found.append("contest-error-segments")
        return found

    async def create(self, contest: Contest, by: str) -> None:
        """Save a manager's contest; its id must be new."""
        known = {item.contest.id for item in await self.all()}
        if contest.id in known:
            raise ContestRefused(f"a contest {contest.id} exists")
        async with self._db.write() as conn:
            await conn.execute(
                contests_table.insert().values(
                    id=contest.id,
                    source="manager",
                    definition=contest.model_dump(mode="json"),
                    status="active",
                    created_by=by,
                    created_at=self._clock.now(),
                )
            )

    async def update(self, contest: Contest) -> None:
        """Replace a manager's contest before it starts (dates, prizes, texts)."""
        current = (await self.managed()).get(contest.id)
        if current is None or current.source != "manager":
            raise ContestRefused("only contests made with /contest_new are edited here")
        if current.status != "active" or current.contest.starts_at <= self._clock.now():
            raise ContestRefused("it has started or was cancelled")
        async with self._db.write() as conn:
            await conn.execute(
                contests_table.update()
                .where(contests_table.c.id == contest.id)
                .values(definition=contest.model_dump(mode="json"))
            )

    async def mark_announced(self, contest: Contest) -> None:
        await self._set_state(contest, announced_at=self._clock.now())

    async def cancel(self, contest: Contest) -> None:
        await self._set_state(contest, status="cancelled", cancelled_at=self._clock.now())

    async def _set_state(self, contest: Contest, **values: Any) -> None:
        """Set a contest's state; a file contest gets its row the first time (an upsert:
        two processes, or two planner runs, may do it at once)."""
        upsert = (
            insert(self._db.engine.dialect.name, contests_table)
            .values(
                {
                    "id": contest.id,
                    "source": "file",
                    "status": "active",
                    "created_at": self._clock.now(),
                }
                | values
            )
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )
        async with self._db.write() as conn:
            await conn.execute(upsert)

    async def month_leaderboard(self, zone: ZoneInfo, at: datetime | None = None) -> Standings:
        """Most approved sales this calendar month among linked partners (no contest runs);
        `at`: the month so far as it stood then (for "your place a week ago")."""
        now = self._clock.now()
        start = month_start(at or now, zone)
        end = at if at is not None else month_end(now, zone)
        month = Contest.model_validate(
            {
                "id": "month",
                "title": "month",
                "description": "month",
                "starts_at": start,
                "ends_at": end,
                "prizes": [{"category": "most_sales", "places": ["-"]}],
            }
        )
        return await self.standings(month, month.prizes[0])

    # The moments of a contest (SPEC §7): what to send to whom.

    async def audience(self, contest: Contest) -> list[Partner]:
        """Partners who hear about the contest: its segments, subscribed to contests."""
        return await self._partners.audience("contests", contest.segments or None)

    async def moment(self, name: str, contest: Contest, tag: str = "") -> Moment:
        """announcement, reminder (tag: days before), started, last_day: everyone eligible
        and the community chat; standings (tag: the week): the community chat."""
        if name == "standings":
            return Moment(name, contest, [], community=True, tag=tag)
        return Moment(name, contest, await self.audience(contest), community=True, tag=tag)

    async def results_moment(self, contest: Contest) -> Moment:
        """The results in the community chat, and a congratulation to each winner."""
        results = await self.results(contest)
        keys = {placed.entry.key for category in results for placed in category}
        linked = await self._partners.linked_to(sorted(keys))
        winners: dict[int, list[tuple[PrizeCategory, Placed]]] = {}
        for category, placed_list in zip(contest.prizes, results, strict=True):
            for placed in placed_list:
                for partner in linked.get(placed.entry.key, []):
                    winners.setdefault(partner.id, []).append((category, placed))
        people = [p for group in linked.values() for p in group if p.id in winners]
        return Moment("results", contest, people, community=True, results=results, winners=winners)

    async def cancellation(self, contest: Contest, told: list[int]) -> Moment:
        """A cancel reaches every partner who was told about the contest (and the chat)."""
        people = [p for p in [await self._partners.get(i) for i in told] if p is not None]
        return Moment("cancelled", contest, people, community=True)

    async def rescheduling(self, contest: Contest, told: list[int]) -> Moment:
        """New dates reach every partner who was told the old ones (and the chat); the tag
        is the new dates, so a second change is a second message."""
        people = [p for p in [await self._partners.get(i) for i in told] if p is not None]
        tag = f"{contest.starts_at:%Y%m%d%H%M}-{contest.ends_at:%Y%m%d%H%M}"
        return Moment("rescheduled", contest, people, community=True, tag=tag)

    def _linked(self, contest: Contest, affiliate: Any) -> Any:
        """A linked partner of the contest's segments has this affiliate id."""
        condition = sa.and_(
            partners.c.affiliate_id == affiliate,
            partners.c.affiliate_status == "linked",
        )
        if contest.segments:
            condition = sa.and_(condition, partners.c.segment.in_(contest.segments))
        return sa.exists(sa.select(partners.c.id).where(condition))

    def _key(self, contest: Contest, *extra: Any) -> tuple[Any, ...]:
        return (contest.id, contest.starts_at, contest.ends_at, tuple(contest.segments), *extra)

    async def _cached(self, key: tuple[Any, ...], compute: Callable[[], Awaitable[_T]]) -> _T:
        """A computed value reused while no conversion changed (up to a minute: links change
        too); one that took long to compute is also reused for a few seconds after a change,
        so a busy /top does not aggregate a million conversions per call."""
        version, now = self._sales_service.version, time.monotonic()
        cached = self._cache.get(key)
        if cached is not None:
            seen, at, cost, value = cached
            age = now - at
            if seen == version and age < STANDINGS_MAX_AGE:
                return cast("_T", value)
            if cost > STANDINGS_SLOW and age < STANDINGS_FRESH:
                return cast("_T", value)  # a big aggregate under a stream of sales
        value = await compute()
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = (version, now, time.monotonic() - now, value)
        return value

    def clear_cache(self) -> None:
        self._cache.clear()

    async def standings(self, contest: Contest, category: PrizeCategory) -> Standings:
        """Everyone in the category, best first; those below `min_value` are left out."""
        key = self._key(contest, category.category, category.min_value)
        return await self._cached(key, lambda: self._compute(contest, category))

    async def _compute(self, contest: Contest, category: PrizeCategory) -> Standings:
        if category.category == "most_referrals":
            entries = await self._referrals(contest)
        else:
            entries = self._from_sales(await self._sales(contest), category)
        qualified = [entry for entry in entries if entry.value >= category.min_value]
        if category.category == "first_sales":
            return Standings(sorted(qualified, key=lambda e: (e.reached_at, e.key)))
        return Standings(sorted(qualified, key=lambda e: (-e.value, e.reached_at, e.key)))

    @staticmethod
    def _from_sales(rows: list[SalesRow], category: PrizeCategory) -> list[Entry]:
        entries = []
        for row in rows:
            if not row.approved:
                continue
            if category.category == "first_sales":
                value, reached = Decimal(1), row.first_at
            elif category.category == "top_amount":
                value, reached = row.total, row.last_at
            else:
                value, reached = Decimal(row.approved), row.last_at
            entries.append(Entry(row.affiliate_id, value, reached, row.pending))
        return entries

    async def _sales(self, contest: Contest) -> list[SalesRow]:
        """Approved and pending conversions in the contest's window, per linked affiliate:
        one pass over the window (grouped first, then the linked partners looked up)."""
        return await self._cached(self._key(contest, "sales"), lambda: self._sales_query(contest))

    async def _sales_query(self, contest: Contest) -> list[SalesRow]:
        approved = conversions.c.status == "approved"
        grouped = (
            sa.select(
                conversions.c.affiliate_id,
                sa.func.count().filter(approved).label("n"),
                sa.func.sum(conversions.c.amount).filter(approved).label("total"),
                sa.func.min(conversions.c.occurred_at).filter(approved).label("first_at"),
                sa.func.max(conversions.c.occurred_at).filter(approved).label("last_at"),
                sa.func.count().filter(conversions.c.status == "pending").label("waiting"),
            )
            .where(
                conversions.c.status.in_(("approved", "pending")),
                conversions.c.occurred_at >= contest.starts_at,
                conversions.c.occurred_at <= contest.ends_at,
            )
            .group_by(conversions.c.affiliate_id)
            .subquery()
        )
        query = sa.select(grouped).where(self._linked(contest, grouped.c.affiliate_id))
        async with self._db.read() as conn:
            rows = list(await conn.execute(query))
        return [
            SalesRow(
                affiliate_id=row.affiliate_id,
                approved=int(row.n),
                total=Decimal(str(row.total or 0)),
                first_at=as_utc(row.first_at) if row.first_at is not None else _NEVER,
                last_at=as_utc(row.last_at) if row.last_at is not None else _NEVER,
                pending=int(row.waiting),
            )
            for row in rows
        ]

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
            sa.select(recruit.c.referrer_id, recruit.c.affiliate_id, first_sales.c.first_at)
            .join(first_sales, first_sales.c.affiliate_id == recruit.c.affiliate_id)
            .where(recruit.c.affiliate_status == "linked", recruit.c.referrer_id.is_not(None))
        )
        referrer = sa.select(
            partners.c.id, partners.c.affiliate_id, partners.c.affiliate_status, partners.c.segment
        )
        async with self._db.read() as conn:
            rows = list(await conn.execute(query))
            people = {row.id: row for row in await conn.execute(referrer)}
        # one person (chats linked to one affiliate id) is one referrer and one recruit;
        # one's own other chats are never a recruit
        recruits: dict[str, set[str]] = {}
        reached: dict[str, datetime] = {}
        for row in rows:
            person = people.get(row.referrer_id)
            if person is None or (contest.segments and person.segment not in contest.segments):
                continue
            key = person_key(person.id, person.affiliate_id, person.affiliate_status)
            if row.affiliate_id == person.affiliate_id and person.affiliate_status == "linked":
                continue
            key = key.removeprefix("affiliate:")
            recruits.setdefault(key, set()).add(str(row.affiliate_id))
            first_at = as_utc(row.first_at)
            reached[key] = max(reached.get(key, first_at), first_at)
        return [Entry(key, Decimal(len(who)), reached[key]) for key, who in recruits.items()]

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
        standings = await service.standings(contest, category) if affiliate_id else Standings()
        index = standings.index_of(affiliate_id) if affiliate_id else None
        entry = standings[index] if index is not None else None
        result.append(MyStanding(category, None if index is None else index + 1, entry))
    return result
