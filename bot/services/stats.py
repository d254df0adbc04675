"""/stats: the program at a glance for managers."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock, as_utc
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.money import money_sum
from bot.db.tables import conversions, faq_questions, outbox, partners, tickets
from bot.services.faq import ANSWERED, FaqService, partners_asked
from bot.services.outbox_ahead import queued_to_go
from bot.services.partner import person_column
from bot.services.sales_figures import in_month, month_start

WEEKS = 8


@dataclass(frozen=True)
class ProgramStats:
    partners: int
    active_month: int
    inactive: int
    by_segment: list[tuple[str, int]]
    approved: int
    approved_amount: Decimal
    pending: int
    declined: int
    faq_answered: int  # this month's questions answered at once
    faq_suggested: int  # … offered "did you mean" options (whatever was pressed then)
    faq_missed: int  # … given neither
    top_misses: list[tuple[str, int]]  # a gap and the people who asked
    open_tickets: int
    first_reply_hours: float | None  # median, this month
    ratings_up: int
    ratings_down: int
    delivery: dict[str, int]  # automated private messages this month, by outbox status
    weeks: list[datetime]  # the Monday of each of the last 8 weeks
    approved_per_week: list[int]
    active_per_week: list[int]  # partners (affiliate ids) with an approved sale that week


class StatsService:
    def __init__(self, db: Database, store: ContentStore, clock: Clock, faq: FaqService) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._faq = faq

    async def collect(self, zone: ZoneInfo, managers: Sequence[str] = ()) -> ProgramStats:
        """`managers`: platform ids (MANAGERS) not counted as partners."""
        await self._faq.flush()  # the question log is written in batches
        now = self._clock.now()
        month = month_start(now, zone)
        delivery_query = (
            sa.select(outbox.c.status, sa.func.count().label("n"))
            # partners' private messages (also a forgotten partner's: anonymous, kept)
            .where(outbox.c.created_at >= month, outbox.c.kind.not_in(("community", "report")))
            .group_by(outbox.c.status)
        )
        async with self._db.read() as conn:
            delivery = {row.status: int(row.n) for row in await conn.execute(delivery_query)}
            # queued: only what will go, as /schedule counts it (not a refunded sale's notice)
            delivery["queued"] = await queued_to_go(conn, month)
        inactive_days = self._store.content.program.schedule.inactive_after_days
        count = sa.func.count()
        people = _not_managers(managers)
        # one person's chats (linked to one affiliate id) are one partner
        who = person_column()
        persons = sa.func.count(sa.distinct(who))
        last_seen = (
            sa.select(who.label("who"), sa.func.max(partners.c.last_seen_at).label("seen"))
            .where(people)
            .group_by(who)
            .subquery()
        )
        async with self._db.read() as conn:
            total = int(
                (
                    await conn.execute(sa.select(persons).select_from(partners).where(people))
                ).scalar_one()
            )
            active = int(
                (
                    await conn.execute(
                        sa.select(persons).where(people, partners.c.last_seen_at >= month)
                    )
                ).scalar_one()
            )
            inactive = int(
                (
                    await conn.execute(
                        sa.select(count)
                        .select_from(last_seen)
                        .where(last_seen.c.seen < now - timedelta(days=inactive_days))
                    )
                ).scalar_one()
            )
            segments = [
                (row.segment or "—", int(row.n))
                for row in await conn.execute(
                    sa.select(partners.c.segment, persons.label("n"))
                    .where(people)
                    .group_by(partners.c.segment)
                    .order_by(sa.desc("n"))
                )
            ]
            sales = {
                row.status: (int(row.n), Decimal(str(row.total or 0)))
                for row in await conn.execute(
                    sa.select(
                        conversions.c.status,
                        count.label("n"),
                        money_sum(conversions.c.amount).label("total"),
                    )
                    .where(in_month(now, zone))
                    .group_by(conversions.c.status)
                )
            }
            offered = faq_questions.c.suggestions.is_not(None).label("offered")
            faq = _questions(
                await conn.execute(
                    sa.select(faq_questions.c.outcome, offered, count.label("n"))
                    .where(faq_questions.c.created_at >= month, partners_asked(managers))
                    .group_by(faq_questions.c.outcome, offered)
                )
            )
            ticket_rows = list(
                await conn.execute(
                    sa.select(tickets.c.status, tickets.c.created_at, tickets.c.first_reply_at,
                              tickets.c.rating, tickets.c.earlier_up, tickets.c.earlier_down)
                )
            )  # fmt: skip
            weekly = list(
                await conn.execute(
                    sa.select(conversions.c.affiliate_id, conversions.c.occurred_at).where(
                        conversions.c.status == "approved",
                        conversions.c.occurred_at
                        >= _monday(now, zone) - timedelta(weeks=WEEKS - 1),
                    )
                )
            )
        # unanswered questions of the last 30 days, similar wordings together
        misses = [(gap.question, gap.people) for gap in await self._faq.gaps(days=30, limit=5)]
        replies = sorted(
            (row.first_reply_at - row.created_at).total_seconds() / 3600
            for row in ticket_rows
            if row.first_reply_at is not None and as_utc(row.created_at) >= month
        )
        weeks = [_monday(now, zone) - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
        approved_per_week = [0] * WEEKS
        active_per_week: list[set[str]] = [set() for _ in range(WEEKS)]
        for row in weekly:
            index = _week_index(weeks, as_utc(row.occurred_at))
            if index is not None:
                approved_per_week[index] += 1
                active_per_week[index].add(row.affiliate_id)
        return ProgramStats(
            partners=total,
            active_month=active,
            inactive=inactive,
            by_segment=segments,
            approved=sales.get("approved", (0, Decimal(0)))[0],
            approved_amount=sales.get("approved", (0, Decimal(0)))[1],
            pending=sales.get("pending", (0, Decimal(0)))[0],
            declined=sales.get("declined", (0, Decimal(0)))[0],
            faq_answered=faq["answered"],
            faq_suggested=faq["suggested"],
            faq_missed=faq["missed"],
            top_misses=misses,
            open_tickets=sum(1 for row in ticket_rows if row.status == "open"),
            first_reply_hours=replies[len(replies) // 2] if replies else None,
            ratings_up=sum((row.rating == "up") + row.earlier_up for row in ticket_rows),
            ratings_down=sum((row.rating == "down") + row.earlier_down for row in ticket_rows),
            delivery=delivery,
            weeks=weeks,
            approved_per_week=approved_per_week,
            active_per_week=[len(ids) for ids in active_per_week],
        )


def _questions(rows: Any) -> dict[str, int]:
    """The month's questions by what the bot did when asked: answered at once, offered
    "did you mean" options (whatever the partner pressed then: an option, «Нет, другое» or
    nothing), or neither. Each question counts once; the three add up to all of them."""
    found = {"answered": 0, "suggested": 0, "missed": 0}
    for row in rows:
        if row.offered and row.outcome in ("suggested", "picked", "missed"):
            found["suggested"] += int(row.n)
        elif row.outcome in ANSWERED:  # an answer went (a pick under «Не то?» after one too)
            found["answered"] += int(row.n)
        else:  # a miss, or options none of which exists any more (a miss was shown)
            found["missed"] += int(row.n)
    return found


def _not_managers(managers: Sequence[str]) -> Any:
    """SQL: a partner row that is not one of the MANAGERS' (platform:id)."""
    ids = [(platform, int(user)) for platform, _, user in (m.partition(":") for m in managers)]
    if not ids:
        return sa.true()
    return sa.not_(
        sa.or_(
            *(
                sa.and_(partners.c.platform == platform, partners.c.user_id == user)
                for platform, user in ids
            )
        )
    )


@dataclass(frozen=True)
class Operations:
    """What an operator watches (the /metrics endpoint)."""

    deliveries: dict[str, int]  # outbox rows by status
    outbox_lag: float  # seconds the oldest due, unsent row has waited (0: none waits)
    first_reply_median: float | None  # seconds to a manager's first reply, last 7 days
    first_reply_count: int


async def operations(db: Database, clock: Clock) -> Operations:
    now = clock.now()
    async with db.read() as conn:
        statuses = {
            row.status: int(row.n)
            for row in await conn.execute(
                sa.select(outbox.c.status, sa.func.count().label("n")).group_by(outbox.c.status)
            )
        }
        oldest = (
            await conn.execute(
                sa.select(sa.func.min(outbox.c.not_before)).where(
                    outbox.c.status == "queued", outbox.c.not_before <= now
                )
            )
        ).scalar()
        replies = [
            (as_utc(row.first_reply_at) - as_utc(row.created_at)).total_seconds()
            for row in await conn.execute(
                sa.select(tickets.c.created_at, tickets.c.first_reply_at)
                .where(tickets.c.first_reply_at >= now - timedelta(days=7))
                .limit(10_000)
            )
        ]
    lag = 0.0 if oldest is None else max(0.0, (now - as_utc(oldest)).total_seconds())
    median = statistics.median(replies) if replies else None
    return Operations(statuses, lag, median, len(replies))


def _monday(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    start = local - timedelta(days=local.weekday())
    return start.replace(hour=0, minute=0, second=0, microsecond=0)


def _week_index(weeks: list[datetime], moment: datetime) -> int | None:
    for index in range(len(weeks) - 1, -1, -1):
        if moment >= weeks[index]:
            return index
    return None
