"""Contest standings (SPEC §7): the entries of each prize category, best first.

Only approved conversions count (a reversal re-ranks by itself: the status changed);
pending ones are shown apart. Ties go to whoever reached the value first. Only linked
affiliate ids take part (a conversion for an unknown id counts once the partner links it),
and only partners of the contest's segments, when it names any — with the sales they made
while in one of them (bot/services/segment_history.py: a partner who switched segment
during the contest).
Standings are cached in the process while no conversion changed (see `StandingsCache`);
`Ranking` computes them for `ContestService`. A contest's sales categories are ranked from
one reading of its sales (`Boards`): they never stand at different moments — a board
cached apart could say «after two sales» beside another's «after three», and a sale
notice that reads several in turn (the first that places the partner) or tells several
chats of one person must get the same moment from each.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock, as_utc
from bot.content.models import Contest, PrizeCategory
from bot.db.engine import Database
from bot.db.money import money_sum
from bot.db.tables import conversions, partners
from bot.services.partner import person_key
from bot.services.sales import SalesService
from bot.services.sales_figures import month_end, month_start
from bot.services.segment_history import (
    Counted,
    chat_counted,
    switched_contestants,
    switches_after,
)

STANDINGS_MAX_AGE: Final = 60.0  # seconds standings are reused while no conversion changed
STANDINGS_SLOW: Final = 0.25  # seconds: standings that took longer to compute (a big program) …
STANDINGS_FRESH: Final = 5.0  # … are reused this long even after a change
_NEVER = datetime.max.replace(tzinfo=UTC)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Entry:
    key: str  # the contestant: an affiliate id (or partner:ID for a referrer with none)
    value: Decimal
    reached_at: datetime
    pending: int = 0
    # switched into the contest's segments after its start: its sales count since then
    # (and, with `breaks`, those made while in them before)
    joined: datetime | None = None
    breaks: bool = False


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
    # its chats switched segment during the contest: only the sales made while in one of
    # its segments count (None: every one in its window)
    counted: Counted | None = None


@dataclass(frozen=True)
class Placed:
    place: int
    entry: Entry
    prize: str


@dataclass(frozen=True)
class MyStanding:
    category: PrizeCategory
    place: int | None  # None: not in the standings (yet)
    entry: Entry | None
    below: Decimal | None = None  # not in them: what they have towards `min_value`


class Boards:
    """A contest's sales categories as of one reading of its sales (`sales_rows`), each
    ranked once, when first asked for."""

    def __init__(self, rows: list[SalesRow]) -> None:
        self.rows = rows
        self._ranked: dict[tuple[str, Decimal], Standings] = {}
        self._counted = {row.affiliate_id: row.counted for row in rows if row.counted}

    def counts(self, contest: Contest, affiliate: str | None, at: datetime) -> bool:
        """Whether a sale of `affiliate` made `at` counts in the contest: made in its
        window, while they were in one of its segments."""
        if not contest.starts_at <= at <= contest.ends_at:
            return False
        counted = self._counted.get(affiliate or "")
        return counted is None or counted.counts(at)

    def standings(self, category: PrizeCategory) -> Standings:
        """Everyone in a sales category (not `most_referrals`), best first."""
        key = (category.category, category.min_value)
        if key not in self._ranked:
            self._ranked[key] = rank(from_sales(self.rows, category), category)
        return self._ranked[key]


class StandingsCache:
    """Computed standings by contest and category, each with the sales version it saw."""

    def __init__(
        self,
        version: Callable[[], int],
        monotonic: Callable[[], float],
        left: Callable[[], int],
    ) -> None:
        self._version = version  # bumped by every write that changed a conversion
        self._left = left  # bumped when someone left the standings (/forget)
        # an entry's age: the services' clock (tests: theirs, which a loaded machine does
        # not move on); a computation's cost: real seconds of work (`time.perf_counter`)
        self._monotonic = monotonic
        self._cache: dict[tuple[Any, ...], tuple[int, int, float, float, Any]] = {}

    async def get(
        self, key: tuple[Any, ...], compute: Callable[[], Awaitable[_T]], *, fresh: bool = False
    ) -> _T:
        """A computed value reused while no conversion changed (up to a minute: links change
        too); one that took long to compute is also reused for a few seconds after a change,
        so a busy /top does not aggregate a million conversions per call — unless `fresh`
        (a sale notice tells the standing the sale made). Never one computed before
        someone left the standings (/forget): the next reading leaves them out, and no
        post gives a place that no longer exists (a tester of session 28)."""
        version, left, now = self._version(), self._left(), self._monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[1] == left:  # nobody left the standings since
            seen, _left, at, cost, value = cached
            age = now - at
            if seen == version and age < STANDINGS_MAX_AGE:
                return cast("_T", value)
            if not fresh and cost > STANDINGS_SLOW and age < STANDINGS_FRESH:
                return cast("_T", value)  # a big aggregate under a stream of sales
        started = time.perf_counter()
        value = await compute()
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = (version, left, now, time.perf_counter() - started, value)
        return value

    def clear(self) -> None:
        self._cache.clear()


def contest_key(contest: Contest, *extra: Any) -> tuple[Any, ...]:
    return (contest.id, contest.starts_at, contest.ends_at, tuple(contest.segments), *extra)


def rank(entries: list[Entry], category: PrizeCategory) -> Standings:
    """The entries at or above `min_value`, best first (first sales: the earliest)."""
    qualified = [entry for entry in entries if entry.value >= category.min_value]
    if category.category == "first_sales":
        return Standings(sorted(qualified, key=lambda e: (e.reached_at, e.key)))
    return Standings(sorted(qualified, key=lambda e: (-e.value, e.reached_at, e.key)))


def from_sales(rows: list[SalesRow], category: PrizeCategory) -> list[Entry]:
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
        joined, breaks = _joined(row.counted)
        entries.append(Entry(row.affiliate_id, value, reached, row.pending, joined, breaks))
    return entries


def _joined(counted: Counted | None) -> tuple[datetime | None, bool]:
    if counted is None:
        return None, False
    return counted.joined, counted.breaks


def _linked(contest: Contest, affiliate: Any) -> Any:
    """A linked partner of the contest's segments has this affiliate id."""
    condition = sa.and_(
        partners.c.affiliate_id == affiliate,
        partners.c.affiliate_status == "linked",
    )
    if contest.segments:
        condition = sa.and_(condition, partners.c.segment.in_(contest.segments))
    return sa.exists(sa.select(partners.c.id).where(condition))


def _grouped(contest: Contest, *conditions: Any) -> Any:
    """Approved and pending conversions in the contest's window (and `conditions`), per
    affiliate id."""
    approved = conversions.c.status == "approved"
    return (
        sa.select(
            conversions.c.affiliate_id,
            sa.func.count().filter(approved).label("n"),
            money_sum(conversions.c.amount).filter(approved).label("total"),
            sa.func.min(conversions.c.occurred_at).filter(approved).label("first_at"),
            sa.func.max(conversions.c.occurred_at).filter(approved).label("last_at"),
            sa.func.count().filter(conversions.c.status == "pending").label("waiting"),
        )
        .where(
            conversions.c.status.in_(("approved", "pending")),
            conversions.c.occurred_at >= contest.starts_at,
            conversions.c.occurred_at <= contest.ends_at,
            *conditions,
        )
        .group_by(conversions.c.affiliate_id)
    )


def _in_spans(switched: dict[str, Counted]) -> Any:
    """The conversions of these contestants made while they were in the contest's
    segments."""
    return sa.or_(
        *(
            sa.and_(
                conversions.c.affiliate_id == affiliate,
                conversions.c.occurred_at >= since,
                conversions.c.occurred_at < until,
            )
            for affiliate, counted in switched.items()
            for since, until in counted.spans
        )
    )


async def sales_rows(db: Database, contest: Contest) -> list[SalesRow]:
    """Approved and pending conversions in the contest's window, per linked affiliate:
    one pass over the window (grouped first, then the linked partners looked up); those
    whose chats switched segment during it apart, with the sales made while in one of its
    segments (`switched_contestants`)."""
    grouped = _grouped(contest).subquery()
    query = sa.select(grouped).where(_linked(contest, grouped.c.affiliate_id))
    async with db.read() as conn:
        switched = await switched_contestants(conn, contest)
        rows = [row for row in await conn.execute(query) if row.affiliate_id not in switched]
        inside = {key: counted for key, counted in switched.items() if counted.spans}
        names = sorted(inside)
        for n in range(0, len(names), 100):  # a bounded OR: SQLite's expression depth
            chunk = {name: inside[name] for name in names[n : n + 100]}
            rows.extend(await conn.execute(_grouped(contest, _in_spans(chunk))))
    return [
        SalesRow(
            affiliate_id=row.affiliate_id,
            approved=int(row.n),
            total=Decimal(str(row.total or 0)),
            first_at=as_utc(row.first_at) if row.first_at is not None else _NEVER,
            last_at=as_utc(row.last_at) if row.last_at is not None else _NEVER,
            pending=int(row.waiting),
            counted=switched.get(row.affiliate_id),
        )
        for row in rows
    ]


async def referral_entries(db: Database, contest: Contest) -> list[Entry]:
    """Referrers by their recruits who made an approved sale in the contest (while the
    referrer was in one of its segments, for one who switched during it)."""
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
    async with db.read() as conn:
        rows = list(await conn.execute(query))
        people = {row.id: row for row in await conn.execute(referrer)}
        switches = await switches_after(conn, contest.starts_at) if contest.segments else {}
        counted = {
            row.referrer_id: chat_counted(
                contest, people[row.referrer_id].segment, switches[row.referrer_id]
            )
            for row in rows
            if row.referrer_id in switches and row.referrer_id in people
        }
        # the moments the recruits of those referrers sold: the first that counts
        sold = await _sale_moments(
            conn, contest, {str(row.affiliate_id) for row in rows if counted.get(row.referrer_id)}
        )
    # one person (chats linked to one affiliate id) is one referrer and one recruit;
    # one's own other chats are never a recruit
    recruits: dict[str, set[str]] = {}
    reached: dict[str, datetime] = {}
    joined: dict[str, Counted] = {}
    for row in rows:
        person = people.get(row.referrer_id)
        if person is None:
            continue
        first_at: datetime | None = as_utc(row.first_at)
        if person.id in counted:
            spans = counted[person.id]
            if spans is not None:  # switched during it: the first sale made while in it
                first_at = next(
                    (at for at in sold.get(row.affiliate_id, []) if spans.counts(at)), None
                )
        elif contest.segments and person.segment not in contest.segments:
            continue
        if first_at is None:
            continue
        key = person_key(person.id, person.affiliate_id, person.affiliate_status)
        if row.affiliate_id == person.affiliate_id and person.affiliate_status == "linked":
            continue
        key = key.removeprefix("affiliate:")
        recruits.setdefault(key, set()).add(str(row.affiliate_id))
        reached[key] = max(reached.get(key, first_at), first_at)
        if (spans := counted.get(person.id)) is not None:
            joined[key] = spans
    return [
        Entry(key, Decimal(len(who)), reached[key], 0, *_joined(joined.get(key)))
        for key, who in recruits.items()
    ]


async def _sale_moments(
    conn: Any, contest: Contest, affiliates: set[str]
) -> dict[str, list[datetime]]:
    """When each of these affiliate ids made its approved sales in the contest's window,
    in order."""
    found: dict[str, list[datetime]] = {}
    names = sorted(affiliates)
    for n in range(0, len(names), 500):
        query = (
            sa.select(conversions.c.affiliate_id, conversions.c.occurred_at)
            .where(
                conversions.c.status == "approved",
                conversions.c.occurred_at >= contest.starts_at,
                conversions.c.occurred_at <= contest.ends_at,
                conversions.c.affiliate_id.in_(names[n : n + 500]),
            )
            .order_by(conversions.c.occurred_at)
        )
        for row in await conn.execute(query):
            found.setdefault(str(row.affiliate_id), []).append(as_utc(row.occurred_at))
    return found


class Ranking:
    """The standings of contests and of the calendar month, computed from the database
    and cached (`StandingsCache`); `ContestService` is one."""

    def __init__(self, db: Database, clock: Clock, sales: SalesService) -> None:
        self._db = db
        self._clock = clock
        self._sales_in = sales
        self._standings = StandingsCache(
            lambda: sales.version, clock.monotonic, lambda: sales.left
        )

    async def month_leaderboard(
        self, zone: ZoneInfo, at: datetime | None = None, *, fresh: bool = False
    ) -> Standings:
        """Most approved sales this calendar month among linked partners (no contest runs);
        `at`: the month so far as it stood then (for "your place a week ago"); `fresh`: as
        of the last change (`standings`)."""
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
        return await self.standings(month, month.prizes[0], fresh=fresh)

    def clear_cache(self) -> None:
        self._standings.clear()

    async def standings(
        self, contest: Contest, category: PrizeCategory, *, fresh: bool = False
    ) -> Standings:
        """Everyone in the category, best first; those below `min_value` are left out.
        `fresh`: as of the last change, even when computing them is slow."""
        if category.category != "most_referrals":
            return (await self.boards(contest, fresh=fresh)).standings(category)
        key = contest_key(contest, category.category, category.min_value)
        await self._sales_in.follow()  # a CSV import or another worker's sales
        return await self._standings.get(
            key, lambda: self._referrals(contest, category), fresh=fresh
        )

    async def boards(self, contest: Contest, *, fresh: bool = False) -> Boards:
        """The contest's sales categories as of one reading of its sales (approved and
        pending conversions in its window, per linked affiliate), cached as one: every
        category of it stands at the same moment. `fresh`: as in `standings`."""
        key = contest_key(contest, "sales")
        await self._sales_in.follow()  # a CSV import or another worker's sales
        return await self._standings.get(key, lambda: self._read(contest), fresh=fresh)

    async def counted(self, contest: Contest, affiliate_id: str) -> Counted | None:
        """What the contest counts of a contestant's sales (None: every one in its window:
        their chats did not switch segment during it)."""
        async with self._db.read() as conn:
            found = await switched_contestants(conn, contest, [affiliate_id])
        return found.get(affiliate_id)

    async def chat_counted(
        self, contest: Contest, partner_id: int, segment: str | None
    ) -> Counted | None:
        """What the contest counts of one chat's time, its segment being `segment` now."""
        async with self._db.read() as conn:
            switches = await switches_after(conn, contest.starts_at, [partner_id])
        return chat_counted(contest, segment, switches.get(partner_id, []))

    async def _read(self, contest: Contest) -> Boards:
        return Boards(await sales_rows(self._db, contest))

    async def _referrals(self, contest: Contest, category: PrizeCategory) -> Standings:
        return rank(await referral_entries(self._db, contest), category)
