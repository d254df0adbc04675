"""Sales in (SPEC §6): conversions from postbacks and CSV imports, validated the same way
(`conversions`), idempotent on `conversion_id`, with only the allowed status changes, each
kept as an event (`sales_ledger`); a partner's figures read through `sales_figures`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock
from bot.content.store import ContentStore
from bot.db.engine import Database, DatabaseUnreachable
from bot.db.migrate import UNUSABLE
from bot.db.tables import counters, partners
from bot.services.conversions import (
    ConversionIn,
    InvalidConversion,
    Result,
    TransitionRefused,
    parse_conversion,
)
from bot.services.inactivity import Quiet, inactive
from bot.services.partner import Partner
from bot.services.sales_csv import csv_rows
from bot.services.sales_figures import (
    ApprovalFacts,
    MonthStats,
    PostbackApproval,
    RecentSale,
    TierStanding,
    approval_facts,
    approved_between,
    approved_between_many,
    approved_by_postback,
    approved_occurred,
    last_approvals,
    last_approved,
    month_stats,
    month_stats_many,
    recent_sales,
    tier_for,
    totals_by_status,
)
from bot.services.sales_ledger import (
    COUNTER,
    IMPORT_CHUNK,
    LEFT,
    Approved,
    ImportReport,
    Written,
    last_event,
    moved,
    record_chunk,
    record_one,
)

logger = logging.getLogger(__name__)
FOLLOW_EVERY: Final = 1.0  # seconds: how often the database's `sales` counter is read
CHUNK_ATTEMPTS: Final = 3  # a chunk that met another worker's insert is written again


async def _logged(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        logger.exception("a listener of approved sales failed")


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
        self._writing = asyncio.Lock()  # held by the writer from a batch taken to its answers
        # bumped by every write that changed a conversion, here or in another process
        # (`follow`): the leaderboards recompute
        self.version = 0
        # bumped when someone left the standings (/forget), here or in another process:
        # standings computed before are never shown again (`StandingsCache`)
        self.left = 0
        self._shared: int | None = None  # the database's `sales` counter as last read
        self._shared_left: int | None = None  # and its `standings_left` one
        self._followed_at = float("-inf")
        # told, after the commit, which postbacks approved a sale: (affiliate id, conversion id)
        self.approved_listeners: list[Callable[[list[Approved]], Awaitable[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_told: asyncio.Task[None] | None = None

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
            async with self._writing:
                await self._write_batches()

    async def _write_batches(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.BATCH], self._queue[self.BATCH :]
            try:
                items = [item for item, _future in batch]
                written = await self._write_chunk(items, "postback")
                self._written(written.changed)
                self._tell(written.approved)
            except Exception as exc:  # noqa: BLE001 - the database failed: every waiter hears it
                for _item, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_item, future), outcome in zip(batch, written.outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, TransitionRefused):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _write_chunk(self, items: list[ConversionIn], source: str) -> Written:
        """One transaction for the chunk (of postbacks, or of a CSV import's lines).
        Another process may insert one of its new conversions between this one's read and
        its insert (two postbacks for it at once on two workers, or a postback during
        `partnerbot sales import`): the unique key refuses the insert, and the chunk is
        decided and written again, the other's row now known — not a 500 for every
        postback in it, nor an import stopped halfway."""
        for attempt in itertools.count(1):
            try:
                async with self._db.write() as conn:
                    return await record_chunk(conn, items, self._clock.now(), source)
            except sa.exc.IntegrityError:
                if attempt == CHUNK_ATTEMPTS:
                    raise
                logger.info("%s: a conversion was inserted meanwhile; written again", source)
        raise AssertionError("unreachable")

    def _written(self, changed: bool) -> None:
        if changed:
            self.version += 1

    async def follow(self, *, now: bool = False) -> None:
        """Conversions written by another process — `partnerbot sales import`, another
        worker's postbacks — move the `sales` counter in the database (`sales_ledger`);
        read at most once a second (`now`: at once), a move bumps `version`, so cached
        standings are recomputed here too, as /reload reaches every worker. Its
        `standings_left` counter (a /forget: `someone_left`) bumps `left`."""
        moment = self._clock.monotonic()
        if not now and moment - self._followed_at < FOLLOW_EVERY:
            return
        self._followed_at = moment
        query = sa.select(counters.c.name, counters.c.value).where(
            counters.c.name.in_((COUNTER, LEFT))
        )
        async with self._db.read() as conn:
            values = {row.name: row.value for row in await conn.execute(query)}
        if values.get(COUNTER) != self._shared:
            self._shared = values.get(COUNTER)
            self.version += 1
        if values.get(LEFT) != self._shared_left:
            self._shared_left = values.get(LEFT)
            self.left += 1

    async def someone_left(self) -> None:
        """Someone left the standings (/forget, their partner row deleted): every
        process's cached standings are read again — this one's at once, another's at its
        next `follow` (within a second) — however long they took to compute."""
        async with self._db.write() as conn:
            await moved(conn, LEFT)
        await self.follow(now=True)

    def _tell(self, approved: list[Approved]) -> None:
        """Run the approval listeners in the background: the postback's answer waits for
        nobody's notifications. One commit's listeners after the previous commit's: what
        they do (sale notices queued) comes in the order the sales came, however long
        one took (a partner's first sale is told before their second)."""
        if not approved:
            return
        previous = self._last_told

        async def in_order() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            for listener in self.approved_listeners:
                await _logged(listener(approved))

        task = asyncio.create_task(in_order())
        self._last_told = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the approval listeners running now (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    async def close(self) -> None:
        """Stop the writer between batches (never halfway through one: its postbacks
        would get no answer), write what is queued, then wait for the listeners."""
        if self._writer is not None:
            async with self._writing:
                self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        await self._write_batches()
        await self.settle()

    @property
    def status_map(self) -> Mapping[str, str]:
        return self._store.content.program.postback.status_map

    async def month(self, affiliate_id: str, zone: ZoneInfo) -> MonthStats:
        return await month_stats(self._db, affiliate_id, self._clock.now(), zone)

    async def month_of_each(
        self, affiliate_ids: list[str], zone: ZoneInfo
    ) -> dict[str, MonthStats]:
        """`month` of many affiliate ids in a few queries (an id left out: all zero)."""
        return await month_stats_many(self._db, affiliate_ids, self._clock.now(), zone)

    async def approval(
        self,
        affiliate_id: str,
        conversion_ids: list[str],
        zone: ZoneInfo,
        mark: int | None = None,
    ) -> ApprovalFacts:
        """Where an affiliate stands after these conversions were approved: approved sales
        ever and this month, before and after them (for milestones and tiers). `mark`:
        `Approved.mark` — sales approved by later commits are left out."""
        return await approval_facts(
            self._db, affiliate_id, conversion_ids, self._clock.now(), zone, mark
        )

    async def approved_rows(self, rows: list[int]) -> dict[int, datetime]:
        """Of these conversions (`conversions.id`), those approved now: when each was made."""
        return await approved_occurred(self._db, rows)

    async def last_approvals(self, affiliate_ids: list[str]) -> dict[str, datetime]:
        """When a sale of each of these affiliate ids was last written as approved."""
        return await last_approvals(self._db, affiliate_ids)

    async def between(self, affiliate_id: str, since: datetime) -> tuple[int, Decimal]:
        """Approved sales and their amount since `since` (up to now)."""
        return await approved_between(self._db, affiliate_id, since, self._clock.now())

    async def between_of_each(
        self, affiliate_ids: list[str], since: datetime
    ) -> dict[str, tuple[int, Decimal]]:
        """`between` of many affiliate ids in a few queries (an id left out: none)."""
        return await approved_between_many(self._db, affiliate_ids, since, self._clock.now())

    async def approved_by_postback(self, affiliate_id: str) -> list[PostbackApproval]:
        """The affiliate id's sales approved now by a postback, oldest approval first."""
        return await approved_by_postback(self._db, affiliate_id)

    async def last_approved(self, affiliate_id: str) -> datetime | None:
        return await last_approved(self._db, affiliate_id)

    async def database_answers(self, within: float = 3.0) -> bool:
        """Whether the database answers a query within `within` seconds (/health)."""
        try:
            async with asyncio.timeout(within), self._db.read() as conn:
                await conn.execute(sa.select(1))
        except (TimeoutError, DatabaseUnreachable, *UNUSABLE):  # away, refused, too slow
            return False
        return True

    async def inactive(
        self, chats: Iterable[Partner], days: int, at: datetime | None = None
    ) -> list[Quiet]:
        """The chats of `chats` whose person is inactive now, or at `at` as things are now
        (bot/services/inactivity.py)."""
        return await inactive(self._db, chats, at or self._clock.now(), days)

    async def totals(self, affiliate_id: str) -> dict[str, int]:
        """All conversions of an affiliate id ever, by status."""
        return await totals_by_status(self._db, affiliate_id)

    async def recent(self, affiliate_id: str, limit: int = 5) -> list[RecentSale]:
        """The latest conversions of an affiliate id (any status), newest first."""
        return await recent_sales(self._db, affiliate_id, limit)

    def tier(self, approved_this_month: int) -> TierStanding:
        return tier_for(self._store.content.program.tiers, approved_this_month)

    def parse(self, raw: Mapping[str, str]) -> ConversionIn:
        postback = self._store.content.program.postback
        return parse_conversion(raw, postback.status_map, self._clock.now(), postback.currency)

    async def record(self, item: ConversionIn, source: str) -> Result:
        """Store a conversion, or change its status; the same one twice changes nothing."""
        tell = False
        async with self._db.write() as conn:
            result, before = await record_one(conn, item, source, self._clock.now())
            # a sale approved before (its amount corrected, a CSV's history) is no news
            tell = (
                result != "unchanged"
                and item.status == "approved"
                and before != "approved"
                and source == "postback"
            )
            mark = await last_event(conn) if tell else None
        self._written(result != "unchanged")
        if tell:
            self._tell([Approved(item.affiliate_id, item.conversion_id, mark)])
        return result

    async def import_csv(
        self, path: Path, progress: Callable[[int], None] | None = None
    ) -> ImportReport:
        """Import a CSV with the postback's field names as its header row."""
        report = ImportReport()
        rows = csv_rows(path, report)
        ids: Counter[str] = Counter()
        while chunk := list(itertools.islice(rows, IMPORT_CHUNK)):
            items: list[tuple[int, ConversionIn]] = []
            for line, raw in chunk:
                try:
                    items.append((line, self.parse(raw)))
                except InvalidConversion as exc:
                    report.rejected.append((line, str(exc)))
            written = await self._write_chunk([item for _line, item in items], "csv")
            self._written(written.changed)
            for (line, item), outcome in zip(items, written.outcomes, strict=True):
                if isinstance(outcome, TransitionRefused):
                    report.rejected.append((line, str(outcome)))
                else:
                    report.count(outcome)
                    ids[item.affiliate_id] += 1
            if progress is not None:
                progress(chunk[-1][0])
        report.rejected.sort()
        linked = await self._linked(list(ids))
        unlinked = [(i, n) for i, n in ids.items() if i not in linked]
        report.unlinked = dict(sorted(unlinked, key=lambda pair: (-pair[1], pair[0])))
        return report

    async def _linked(self, affiliate_ids: list[str]) -> set[str]:
        """Which of these affiliate ids a partner is linked to."""
        found: set[str] = set()
        async with self._db.read() as conn:
            for start in range(0, len(affiliate_ids), 500):
                query = sa.select(partners.c.affiliate_id).where(
                    partners.c.affiliate_id.in_(affiliate_ids[start : start + 500]),
                    partners.c.affiliate_status == "linked",
                )
                found.update(str(row[0]) for row in await conn.execute(query))
        return found
