"""A partner's sales in figures: the calendar month, tiers and milestones, and the queries
behind `SalesService`'s read side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import as_utc
from bot.content.models import Tier
from bot.db.engine import Database
from bot.db.money import money_sum
from bot.db.tables import conversion_events, conversions
from bot.services.conversions import MAX_AHEAD

MILESTONES: Final = (1, 10, 50, 100)
_CENTS: Final = Decimal("0.01")
_CHUNK: Final = 500  # ids in one IN (…) list
_T = TypeVar("_T")


def _chunks(items: list[_T]) -> list[list[_T]]:
    return [items[start : start + _CHUNK] for start in range(0, len(items), _CHUNK)]


@dataclass(frozen=True)
class ApprovalFacts:
    total: int  # approved sales ever
    total_before: int
    month: int  # approved sales this month
    month_before: int
    new: int  # of the conversions just approved, those still approved
    rows: tuple[int, ...] = ()  # their rows (conversions.id): what a sale notice tells of
    occurred: tuple[datetime, ...] = ()  # when those sales were made (a backdated one: long ago)

    def milestones(self) -> list[int]:
        """The round numbers of approved sales (first, 10, 50, 100) just reached."""
        return [n for n in MILESTONES if self.total_before < n <= self.total]

    def new_tier(self, tiers: list[Tier]) -> Tier | None:
        """The tier this month's approved sales just reached, if they reached one."""
        before, after = tier_for(tiers, self.month_before), tier_for(tiers, self.month)
        if after.tier is not None and after.tier != before.tier:
            return after.tier
        return None


@dataclass(frozen=True)
class MonthStats:
    approved: int
    amount: Decimal
    pending: int


@dataclass(frozen=True)
class RecentSale:
    status: str  # pending | approved | declined
    amount: Decimal
    currency: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class TierStanding:
    tier: Tier | None
    next_tier: Tier | None
    remaining: int  # approved sales still needed for next_tier


def tier_for(tiers: list[Tier], approved_this_month: int) -> TierStanding:
    """The highest tier reached by this month's approved sales, and what is left to the next."""
    ordered = sorted(tiers, key=lambda tier: tier.monthly_sales)
    reached = [tier for tier in ordered if tier.monthly_sales <= approved_this_month]
    ahead = [tier for tier in ordered if tier.monthly_sales > approved_this_month]
    following = ahead[0] if ahead else None
    remaining = following.monthly_sales - approved_this_month if following else 0
    return TierStanding(reached[-1] if reached else None, following, remaining)


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """The first moment of `now`'s calendar month in `zone`, in UTC."""
    local = now.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def month_end(now: datetime, zone: ZoneInfo) -> datetime:
    """The first moment of the next calendar month in `zone`, in UTC (a bound, excluded)."""
    local = now.astimezone(zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return local.replace(
        year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0
    ).astimezone(UTC)


def in_month(now: datetime, zone: ZoneInfo) -> sa.ColumnElement[bool]:
    """Conversions of `now`'s calendar month: bounded on both ends (a sale dated ahead is
    not this month's)."""
    return sa.and_(
        conversions.c.occurred_at >= month_start(now, zone),
        conversions.c.occurred_at < month_end(now, zone),
    )


async def month_stats(
    db: Database, affiliate_id: str, now: datetime, zone: ZoneInfo
) -> MonthStats:
    """Approved (count, amount) and pending conversions of the calendar month so far."""
    found = await month_stats_many(db, [affiliate_id], now, zone)
    return found.get(affiliate_id, MonthStats(approved=0, amount=Decimal(0), pending=0))


async def month_stats_many(
    db: Database, affiliate_ids: list[str], now: datetime, zone: ZoneInfo
) -> dict[str, MonthStats]:
    """`month_stats` of many affiliate ids at once (a batch of digests): one query per 500
    ids; an id without a conversion this month is left out (all zero)."""
    found: dict[str, dict[str, tuple[int, Decimal]]] = {}
    for chunk in _chunks(affiliate_ids):
        query = (
            sa.select(
                conversions.c.affiliate_id,
                conversions.c.status,
                sa.func.count().label("n"),
                sa.func.coalesce(money_sum(conversions.c.amount), 0).label("amount"),
            )
            .where(
                conversions.c.affiliate_id.in_(chunk),
                in_month(now, zone),
            )
            .group_by(conversions.c.affiliate_id, conversions.c.status)
        )
        async with db.read() as conn:
            for row in await conn.execute(query):
                amount = Decimal(str(row.amount)).quantize(Decimal("0.01"))
                found.setdefault(row.affiliate_id, {})[row.status] = (int(row.n), amount)
    return {
        affiliate_id: MonthStats(
            approved=statuses.get("approved", (0, Decimal(0)))[0],
            amount=statuses.get("approved", (0, Decimal(0)))[1],
            pending=statuses.get("pending", (0, Decimal(0)))[0],
        )
        for affiliate_id, statuses in found.items()
    }


async def approval_facts(
    db: Database,
    affiliate_id: str,
    conversion_ids: list[str],
    now: datetime,
    zone: ZoneInfo,
    mark: int | None = None,
) -> ApprovalFacts:
    """Where an affiliate stands after these conversions were approved: approved sales
    ever and this month, before and after them (for milestones and tiers). `mark`: the
    newest `conversion_events` id when they were written — a sale approved after them
    (an event past `mark`: postbacks that came together, told after all were written)
    is not counted, so the commit that took the affiliate past 10 is the one that says
    so, whichever commit's listener reads first."""
    this_month = in_month(now, zone)
    mine = conversions.c.affiliate_id == affiliate_id
    approved = conversions.c.status == "approved"
    counts = sa.select(
        sa.func.count(),
        sa.func.count().filter(this_month),
    ).where(mine, approved)
    new = sa.select(
        conversions.c.id, conversions.c.occurred_at, this_month.label("this_month")
    ).where(mine, approved, conversions.c.conversion_id.in_(conversion_ids))
    async with db.read() as conn:
        total, month = (await conn.execute(counts)).one()
        rows = list(await conn.execute(new))
        if mark is not None:
            later_ever, later_month = (await conn.execute(
                _approved_after(mark, affiliate_id, [row.id for row in rows], this_month)
            )).one()  # fmt: skip
            total, month = int(total) - int(later_ever), int(month) - int(later_month)
    new_month = sum(1 for row in rows if row.this_month)
    return ApprovalFacts(
        total=int(total),
        total_before=int(total) - len(rows),
        month=int(month),
        month_before=int(month) - new_month,
        new=len(rows),
        rows=tuple(sorted(int(row.id) for row in rows)),
        occurred=tuple(sorted(as_utc(row.occurred_at) for row in rows)),
    )


def _approved_after(
    mark: int, affiliate_id: str, mine: list[int], this_month: sa.ColumnElement[bool]
) -> sa.Select[int, int]:
    """(ever, this month) the affiliate's approved sales, other than `mine`, whose latest
    approval is an event past `mark`: approved after them. Reads only the events since
    `mark` (the primary key), a handful."""
    later = (
        sa.select(conversion_events.c.conversion_id)
        .where(conversion_events.c.id > mark, conversion_events.c.to_status == "approved")
        .distinct()
        .subquery()
    )
    return (
        sa.select(sa.func.count(), sa.func.count().filter(this_month))
        .select_from(conversions.join(later, later.c.conversion_id == conversions.c.id))
        .where(
            conversions.c.affiliate_id == affiliate_id,
            conversions.c.status == "approved",
            conversions.c.id.not_in(mine),
        )
    )


async def approved_between(
    db: Database, affiliate_id: str, since: datetime, now: datetime
) -> tuple[int, Decimal]:
    """Approved sales and their amount since `since` (up to now)."""
    found = await approved_between_many(db, [affiliate_id], since, now)
    return found.get(affiliate_id, (0, _CENTS * 0))


async def approved_between_many(
    db: Database, affiliate_ids: list[str], since: datetime, now: datetime
) -> dict[str, tuple[int, Decimal]]:
    """`approved_between` of many affiliate ids at once: one query per 500 ids; an id
    without such a sale is left out (none). The status is picked in the aggregate, not
    the WHERE: PostgreSQL's generic plan of the prepared statement would otherwise read
    the week's approved sales of everyone by (status, occurred_at) — 0.3 s a batch at
    55,000 conversions — instead of these ids' by `ix_conversions_affiliate_status`."""
    found: dict[str, tuple[int, Decimal]] = {}
    approved = conversions.c.status == "approved"
    for chunk in _chunks(affiliate_ids):
        query = (
            sa.select(
                conversions.c.affiliate_id,
                sa.func.count().filter(approved).label("n"),
                money_sum(conversions.c.amount).filter(approved).label("amount"),
            )
            .where(
                conversions.c.affiliate_id.in_(chunk),
                conversions.c.occurred_at >= since,
                conversions.c.occurred_at <= now + MAX_AHEAD,
            )
            .group_by(conversions.c.affiliate_id)
        )
        async with db.read() as conn:
            for row in await conn.execute(query):
                if row.n:
                    amount = Decimal(str(row.amount)).quantize(Decimal("0.01"))
                    found[row.affiliate_id] = (int(row.n), amount)
    return found


async def last_approved(db: Database, affiliate_id: str) -> datetime | None:
    query = sa.select(sa.func.max(conversions.c.occurred_at)).where(
        conversions.c.affiliate_id == affiliate_id, conversions.c.status == "approved"
    )
    async with db.read() as conn:
        moment = (await conn.execute(query)).scalar()
    return as_utc(moment) if isinstance(moment, datetime) else None


async def approved_occurred(db: Database, rows: list[int]) -> dict[int, datetime]:
    """Of these conversions (`conversions.id`), those approved: when each sale was made."""
    found: dict[int, datetime] = {}
    for chunk in _chunks(rows):
        query = sa.select(conversions.c.id, conversions.c.occurred_at).where(
            conversions.c.id.in_(chunk), conversions.c.status == "approved"
        )
        async with db.read() as conn:
            found.update({int(r.id): as_utc(r.occurred_at) for r in await conn.execute(query)})
    return found


async def last_approvals(db: Database, affiliate_ids: list[str]) -> dict[str, datetime]:
    """When a sale of each of these affiliate ids was last approved (written as approved:
    a postback, an import), for those that have one."""
    found: dict[str, datetime] = {}
    for chunk in _chunks(affiliate_ids):
        query = (
            sa.select(conversions.c.affiliate_id, sa.func.max(conversions.c.updated_at))
            .where(
                conversions.c.affiliate_id.in_(chunk),
                conversions.c.status == "approved",
            )
            .group_by(conversions.c.affiliate_id)
        )
        async with db.read() as conn:
            for affiliate_id, moment in await conn.execute(query):
                if isinstance(moment, datetime):
                    found[affiliate_id] = as_utc(moment)
    return found


@dataclass(frozen=True)
class PostbackApproval:
    row: int  # conversions.id
    conversion_id: str
    at: datetime  # when the postback approved it


async def approved_by_postback(db: Database, affiliate_id: str) -> list[PostbackApproval]:
    """The affiliate id's sales approved now whose approval came by postback — the ones a
    sale notice tells of (a CSV import's are history: never told) —, oldest approval
    first."""
    approving = sa.or_(
        conversion_events.c.from_status.is_(None),
        conversion_events.c.from_status != "approved",
    )
    query = (
        sa.select(
            conversions.c.id,
            conversions.c.conversion_id,
            sa.func.max(conversion_events.c.at).label("at"),
        )
        .select_from(
            conversions.join(
                conversion_events, conversion_events.c.conversion_id == conversions.c.id
            )
        )
        .where(
            conversions.c.affiliate_id == affiliate_id,
            conversions.c.status == "approved",
            conversion_events.c.to_status == "approved",
            conversion_events.c.source == "postback",
            approving,
        )
        .group_by(conversions.c.id, conversions.c.conversion_id)
    )
    async with db.read() as conn:
        found = [
            PostbackApproval(int(row.id), row.conversion_id, as_utc(row.at))
            for row in await conn.execute(query)
        ]
    return sorted(found, key=lambda approval: (approval.at, approval.row))


async def totals_by_status(db: Database, affiliate_id: str) -> dict[str, int]:
    """All conversions of an affiliate id ever, by status."""
    query = (
        sa.select(conversions.c.status, sa.func.count().label("n"))
        .where(conversions.c.affiliate_id == affiliate_id)
        .group_by(conversions.c.status)
    )
    async with db.read() as conn:
        return {row.status: int(row.n) for row in await conn.execute(query)}


async def recent_sales(db: Database, affiliate_id: str, limit: int) -> list[RecentSale]:
    """The latest conversions of an affiliate id (any status), newest first."""
    query = (
        sa.select(
            conversions.c.status,
            conversions.c.amount,
            conversions.c.currency,
            conversions.c.occurred_at,
        )
        .where(conversions.c.affiliate_id == affiliate_id)
        .order_by(conversions.c.occurred_at.desc(), conversions.c.id.desc())
        .limit(limit)
    )
    async with db.read() as conn:
        return [
            RecentSale(
                status=row.status,
                amount=Decimal(str(row.amount)).quantize(Decimal("0.01")),
                currency=row.currency,
                occurred_at=as_utc(row.occurred_at),
            )
            for row in await conn.execute(query)
        ]
