"""Sales in (SPEC §6): conversions from postbacks and CSV imports, validated the same way,
idempotent on `conversion_id`, with only the allowed status changes, each kept as an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import itertools
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock, as_utc
from bot.content.models import Tier
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import conversion_events, conversions

logger = logging.getLogger(__name__)

STATUSES: Final = ("pending", "approved", "declined")
ALLOWED: Final = frozenset(
    {("pending", "approved"), ("pending", "declined"), ("approved", "declined")}
)
FIELDS: Final = ("partner", "conversion_id", "status", "amount", "currency", "ts")
MAX_AMOUNT: Final = Decimal("9999999999.99")
MAX_AHEAD: Final = timedelta(days=1)  # a sale's ts may be this far ahead of our clock
IMPORT_CHUNK: Final = 1000  # CSV rows per transaction
_AFFILIATE = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
_CONVERSION = re.compile(r"^[\x21-\x7e]{1,128}$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")

Result = Literal["inserted", "updated", "unchanged"]


class InvalidConversion(Exception):
    """A postback or CSV row that cannot be stored; names the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


class TransitionRefused(Exception):
    """A status change that is not allowed (declined → approved, approved → pending)."""

    field = "status"

    def __init__(self, conversion_id: str, old: str, new: str) -> None:
        super().__init__(f"conversion {conversion_id}: {old} → {new} is not allowed")
        self.old = old
        self.new = new


class OtherPartnersConversion(TransitionRefused):
    """A conversion id already stored for another affiliate id: never an edit of someone
    else's sale (the other id is not told)."""

    field = "partner"

    def __init__(self, conversion_id: str) -> None:
        Exception.__init__(
            self, f"conversion {conversion_id} belongs to another partner; nothing changed"
        )
        self.old = self.new = ""


@dataclass(frozen=True)
class ConversionIn:
    affiliate_id: str
    conversion_id: str
    status: str
    amount: Decimal
    currency: str | None
    occurred_at: datetime | None


def valid_affiliate_id(text: str) -> bool:
    return bool(_AFFILIATE.match(text))


def parse_conversion(
    raw: Mapping[str, str], status_map: Mapping[str, str], now: datetime | None = None
) -> ConversionIn:
    """Validate one postback or CSV row; the first bad field raises InvalidConversion.
    With `now`, a `ts` more than a day after it is refused (a wrong year, a wrong zone)."""

    def value(name: str) -> str:
        return (raw.get(name) or "").strip()

    affiliate = value("partner")
    if not affiliate:
        raise InvalidConversion("partner", "required")
    if not _AFFILIATE.match(affiliate):
        raise InvalidConversion("partner", "letters, digits and _.:@- only, at most 64")
    conversion_id = value("conversion_id")
    if not conversion_id:
        raise InvalidConversion("conversion_id", "required")
    if not _CONVERSION.match(conversion_id):
        raise InvalidConversion("conversion_id", "no spaces, at most 128 characters")
    raw_status = value("status")
    if not raw_status:
        raise InvalidConversion("status", "required")
    status = status_map.get(raw_status) or status_map.get(raw_status.lower()) or raw_status.lower()
    if status not in STATUSES:
        raise InvalidConversion("status", f"unknown status {raw_status!r}")
    return ConversionIn(
        affiliate_id=affiliate,
        conversion_id=conversion_id,
        status=status,
        amount=_amount(value("amount")),
        currency=_currency(value("currency")),
        occurred_at=_moment(value("ts"), now),
    )


_PLAIN_DECIMAL: Final = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def _amount(text: str) -> Decimal:
    """A plain decimal: ASCII digits with one `.` or `,` (no exponent, `_`, spaces, other
    scripts' digits, `+`); a `-` is read, then refused as below zero."""
    if not text:
        raise InvalidConversion("amount", "required")
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise InvalidConversion("amount", f"not a plain decimal number: {text[:40]!r}")
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidConversion("amount", f"not a number: {text[:40]!r}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidConversion("amount", "a decimal ≥ 0")
    if amount > MAX_AMOUNT:
        raise InvalidConversion("amount", "too large")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidConversion("amount", "at most 2 decimal places")
    return amount.quantize(Decimal("0.01"))


def _currency(text: str) -> str | None:
    if not text:
        return None
    if not _CURRENCY.match(text):
        raise InvalidConversion("currency", "an ISO code such as RUB")
    return text.upper()


def _moment(text: str, now: datetime | None) -> datetime | None:
    """An ISO 8601 moment (with its offset; none: UTC) or unix seconds, in UTC."""
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
            moment = datetime.fromtimestamp(float(text), UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidConversion("ts", "ISO 8601 or unix seconds") from None
    if now is not None and moment > now + MAX_AHEAD:
        raise InvalidConversion("ts", "more than a day in the future")
    return moment


def decide(current: Mapping[str, Any] | None, item: ConversionIn) -> Result:
    """What a conversion does to the stored one (a row's status, amount and currency):
    inserted, updated, unchanged; or TransitionRefused. The one rule for both paths."""
    if current is None:
        return "inserted"
    if current["affiliate_id"] != item.affiliate_id:
        raise OtherPartnersConversion(item.conversion_id)
    same_status = current["status"] == item.status
    if (
        same_status
        and current["amount"] == item.amount
        and (item.currency is None or current["currency"] == item.currency)
    ):
        return "unchanged"
    if not same_status and (current["status"], item.status) not in ALLOWED:
        raise TransitionRefused(item.conversion_id, current["status"], item.status)
    return "updated"


@dataclass(frozen=True)
class Approved:
    affiliate_id: str
    conversion_id: str


async def _logged(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        logger.exception("a listener of approved sales failed")


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def count(self, result: Result) -> None:
        setattr(self, result, getattr(self, result) + 1)


class SalesService:
    """Conversions in. Postbacks are written by group commit: each request waits for the
    transaction that carries it, and one transaction carries whatever arrived meanwhile."""

    BATCH: Final = 500

    def __init__(self, db: Database, store: ContentStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._queue: list[tuple[ConversionIn, asyncio.Future[Result]]] = []
        self._queued = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        # bumped by every write that changed a conversion (leaderboards recompute)
        self.version = 0
        # told, after the commit, which postbacks approved a sale: (affiliate id, conversion id)
        self.approved_listeners: list[Callable[[list[Approved]], Awaitable[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: ConversionIn) -> Result:
        """Record a postback's conversion in the next group commit; its result, or
        TransitionRefused."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._queued.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="postback-writer")
        return await future

    async def _write_queued(self) -> None:
        while True:
            await self._queued.wait()
            self._queued.clear()
            while self._queue:
                batch, self._queue = self._queue[: self.BATCH], self._queue[self.BATCH :]
                try:
                    async with self._db.write() as conn:
                        outcomes, approved = await self._record_chunk(
                            conn, [item for item, _future in batch], self._clock.now(), "postback"
                        )
                    self._tell(approved)
                except Exception as exc:  # noqa: BLE001 - the database failed: every waiter hears it
                    for _item, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_item, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if isinstance(outcome, TransitionRefused):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)

    def _tell(self, approved: list[Approved]) -> None:
        """Run the approval listeners in the background: the postback's answer waits for
        nobody's notifications."""
        if not approved:
            return
        for listener in self.approved_listeners:
            task = asyncio.create_task(_logged(listener(approved)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the approval listeners running now (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    async def close(self) -> None:
        await self.settle()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    @property
    def status_map(self) -> Mapping[str, str]:
        return self._store.content.program.postback.status_map

    async def month(self, affiliate_id: str, zone: ZoneInfo) -> MonthStats:
        return await month_stats(self._db, affiliate_id, self._clock.now(), zone)

    async def approval(
        self, affiliate_id: str, conversion_ids: list[str], zone: ZoneInfo
    ) -> ApprovalFacts:
        """Where an affiliate stands after these conversions were approved: approved sales
        ever and this month, before and after them (for milestones and tiers)."""
        this_month = in_month(self._clock.now(), zone)
        mine = conversions.c.affiliate_id == affiliate_id
        approved = conversions.c.status == "approved"
        counts = sa.select(
            sa.func.count(),
            sa.func.count().filter(this_month),
        ).where(mine, approved)
        new = sa.select(
            sa.func.count(),
            sa.func.count().filter(this_month),
        ).where(mine, approved, conversions.c.conversion_id.in_(conversion_ids))
        async with self._db.read() as conn:
            total, month = (await conn.execute(counts)).one()
            new_total, new_month = (await conn.execute(new)).one()
        return ApprovalFacts(
            total=int(total),
            total_before=int(total) - int(new_total),
            month=int(month),
            month_before=int(month) - int(new_month),
            new=int(new_total),
        )

    async def between(self, affiliate_id: str, since: datetime) -> tuple[int, Decimal]:
        """Approved sales and their amount since `since` (up to now)."""
        query = sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(conversions.c.amount), 0)
        ).where(
            conversions.c.affiliate_id == affiliate_id,
            conversions.c.status == "approved",
            conversions.c.occurred_at >= since,
            conversions.c.occurred_at <= self._clock.now() + MAX_AHEAD,
        )
        async with self._db.read() as conn:
            count, amount = (await conn.execute(query)).one()
        return int(count), Decimal(str(amount)).quantize(Decimal("0.01"))

    async def last_approved(self, affiliate_id: str) -> datetime | None:
        query = sa.select(sa.func.max(conversions.c.occurred_at)).where(
            conversions.c.affiliate_id == affiliate_id, conversions.c.status == "approved"
        )
        async with self._db.read() as conn:
            moment = (await conn.execute(query)).scalar()
        return as_utc(moment) if isinstance(moment, datetime) else None

    async def totals(self, affiliate_id: str) -> dict[str, int]:
        """All conversions of an affiliate id ever, by status."""
        query = (
            sa.select(conversions.c.status, sa.func.count().label("n"))
            .where(conversions.c.affiliate_id == affiliate_id)
            .group_by(conversions.c.status)
        )
        async with self._db.read() as conn:
            return {row.status: int(row.n) for row in await conn.execute(query)}

    async def recent(self, affiliate_id: str, limit: int = 5) -> list[RecentSale]:
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
        async with self._db.read() as conn:
            return [
                RecentSale(
                    status=row.status,
                    amount=Decimal(str(row.amount)).quantize(Decimal("0.01")),
                    currency=row.currency,
                    occurred_at=as_utc(row.occurred_at),
                )
                for row in await conn.execute(query)
            ]

    def tier(self, approved_this_month: int) -> TierStanding:
        return tier_for(self._store.content.program.tiers, approved_this_month)

    def parse(self, raw: Mapping[str, str]) -> ConversionIn:
        return parse_conversion(raw, self.status_map, self._clock.now())

    async def record(self, item: ConversionIn, source: str) -> Result:
        """Store a conversion, or change its status; the same one twice changes nothing."""
        async with self._db.write() as conn:
            result = await self._record(conn, item, source, self._clock.now())
        if result != "unchanged":
            self.version += 1
        if result != "unchanged" and item.status == "approved" and source == "postback":
            self._tell([Approved(item.affiliate_id, item.conversion_id)])
        return result

    async def _record(
        self, conn: AsyncConnection, item: ConversionIn, source: str, now: datetime
    ) -> Result:
        row = (
            await conn.execute(
                sa.select(conversions).where(conversions.c.conversion_id == item.conversion_id)
            )
        ).first()
        outcome = decide(None if row is None else dict(row._mapping), item)
        if row is None:
            result = await conn.execute(
                conversions.insert().values(
                    conversion_id=item.conversion_id,
                    affiliate_id=item.affiliate_id,
                    status=item.status,
                    amount=item.amount,
                    currency=item.currency,
                    occurred_at=item.occurred_at or now,
                    created_at=now,
                    updated_at=now,
                )
            )
            key = int(result.inserted_primary_key[0])  # type: ignore[index]
            await self._event(conn, key, None, item, source, now)
            return outcome
        if outcome == "unchanged":
            return outcome
        await conn.execute(
            conversions.update()
            .where(conversions.c.id == row.id)
            .values(
                status=item.status,
                amount=item.amount,
                currency=item.currency or row.currency,
                updated_at=now,
            )
        )
        await self._event(conn, row.id, row.status, item, source, now)
        return outcome

    @staticmethod
    async def _event(
        conn: AsyncConnection,
        key: int,
        old: str | None,
        item: ConversionIn,
        source: str,
        now: datetime,
    ) -> None:
        await conn.execute(
            conversion_events.insert().values(
                conversion_id=key,
                from_status=old,
                to_status=item.status,
                amount=item.amount,
                source=source,
                at=now,
            )
        )

    async def import_csv(
        self, path: Path, progress: Callable[[int], None] | None = None
    ) -> ImportReport:
        """Import a CSV with the postback's field names as its header row."""
        report = ImportReport()
        rows = _rows(path, report)
        while chunk := list(itertools.islice(rows, IMPORT_CHUNK)):
            items: list[tuple[int, ConversionIn]] = []
            for line, raw in chunk:
                try:
                    items.append((line, self.parse(raw)))
                except InvalidConversion as exc:
                    report.rejected.append((line, str(exc)))
            async with self._db.write() as conn:  # one transaction per chunk
                outcomes, _approved = await self._record_chunk(
                    conn, [item for _line, item in items], self._clock.now(), "csv"
                )
            for (line, _item), outcome in zip(items, outcomes, strict=True):
                if isinstance(outcome, TransitionRefused):
                    report.rejected.append((line, str(outcome)))
                else:
                    report.count(outcome)
            if progress is not None:
                progress(chunk[-1][0])
        report.rejected.sort()
        return report

    async def _record_chunk(
        self, conn: AsyncConnection, items: list[ConversionIn], now: datetime, source: str
    ) -> tuple[list[Result | TransitionRefused], list[Approved]]:
        """The same rules as `record`, for many conversions with a handful of statements:
        the known ones are read at once, decided in memory (in order), written in bulk.
        Also says which conversions became approved."""
        outcomes: list[Result | TransitionRefused] = []
        ids = sorted({item.conversion_id for item in items})
        known: dict[str, dict[str, Any]] = {}
        if ids:
            query = sa.select(conversions).where(conversions.c.conversion_id.in_(ids))
            for row in await conn.execute(query):
                known[row.conversion_id] = dict(row._mapping)
        inserts: dict[str, dict[str, Any]] = {}
        updates: dict[int, dict[str, Any]] = {}
        events: list[tuple[str, str | None, ConversionIn]] = []
        for item in items:
            current = known.get(item.conversion_id)
            try:
                outcome = decide(current, item)
            except TransitionRefused as refused:
                outcomes.append(refused)
                continue
            outcomes.append(outcome)
            if current is None:
                values = {
                    "conversion_id": item.conversion_id,
                    "affiliate_id": item.affiliate_id,
                    "status": item.status,
                    "amount": item.amount,
                    "currency": item.currency,
                    "occurred_at": item.occurred_at or now,
                    "created_at": now,
                    "updated_at": now,
                }
                inserts[item.conversion_id] = values
                known[item.conversion_id] = values
                events.append((item.conversion_id, None, item))
                continue
            if outcome == "unchanged":
                continue
            events.append((item.conversion_id, current["status"], item))
            current.update(
                status=item.status,
                amount=item.amount,
                currency=item.currency or current["currency"],
                updated_at=now,
            )
            if "id" in current:  # stored before this chunk
                updates[current["id"]] = current
        if inserts:
            await conn.execute(conversions.insert(), list(inserts.values()))
            query = sa.select(conversions.c.id, conversions.c.conversion_id).where(
                conversions.c.conversion_id.in_(list(inserts))
            )
            for row in await conn.execute(query):
                known[row.conversion_id]["id"] = row.id
        if updates:
            await conn.execute(
                conversions.update()
                .where(conversions.c.id == sa.bindparam("key"))
                .values(
                    status=sa.bindparam("new_status"),
                    amount=sa.bindparam("new_amount"),
                    currency=sa.bindparam("new_currency"),
                    updated_at=sa.bindparam("new_updated_at"),
                ),
                [
                    {
                        "key": key,
                        "new_status": values["status"],
                        "new_amount": values["amount"],
                        "new_currency": values["currency"],
                        "new_updated_at": now,
                    }
                    for key, values in updates.items()
                ],
            )
        if events:
            await conn.execute(
                conversion_events.insert(),
                [
                    {
                        "conversion_id": known[conversion_id]["id"],
                        "from_status": old,
                        "to_status": item.status,
                        "amount": item.amount,
                        "source": source,
                        "at": now,
                    }
                    for conversion_id, old, item in events
                ],
            )
            self.version += 1
        approved = [
            Approved(item.affiliate_id, conversion_id)
            for conversion_id, _old, item in events
            if item.status == "approved"
        ]
        return outcomes, approved


def _rows(path: Path, report: ImportReport) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [
            name for name in ("partner", "conversion_id", "status", "amount") if name not in header
        ]
        if missing:
            report.rejected.append((1, f"header: missing {', '.join(missing)}"))
            return
        for raw in reader:
            line = reader.line_num
            if None in raw:
                report.rejected.append((line, "more values than columns"))
                continue
            yield line, {key.strip(): value or "" for key, value in raw.items() if key}


MILESTONES: Final = (1, 10, 50, 100)


@dataclass(frozen=True)
class ApprovalFacts:
    total: int  # approved sales ever
    total_before: int
    month: int  # approved sales this month
    month_before: int
    new: int  # of the conversions just approved, those still approved

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
    query = (
        sa.select(
            conversions.c.status,
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(conversions.c.amount), 0).label("amount"),
        )
        .where(
            conversions.c.affiliate_id == affiliate_id,
            in_month(now, zone),
        )
        .group_by(conversions.c.status)
    )
    async with db.read() as conn:
        rows = {row.status: row for row in await conn.execute(query)}
    approved = rows.get("approved")
    pending = rows.get("pending")
    return MonthStats(
        approved=int(approved.n) if approved else 0,
        amount=Decimal(str(approved.amount)).quantize(Decimal("0.01")) if approved else Decimal(0),
        pending=int(pending.n) if pending else 0,
    )
