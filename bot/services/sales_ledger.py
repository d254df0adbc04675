"""The conversions ledger: writing conversions and their status events, one at a time or a
chunk at once (postbacks by group commit, CSV imports), by the rules of `decide`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.engine import insert
from bot.db.tables import conversion_events, conversions, counters
from bot.services.conversions import (
    ConversionIn,
    OtherPartnersConversion,
    Result,
    TransitionRefused,
    decide,
)

IMPORT_CHUNK: Final = 1000  # CSV rows per transaction
COUNTER: Final = "sales"  # `counters` row moved by every write that changed a conversion
# `counters` row moved when someone left the standings (/forget): no standings computed
# before are shown again, however long they took (`SalesService.follow`)
LEFT: Final = "standings_left"
# PostgreSQL: the advisory locks' first key (the second: the affiliate id's hash)
APPROVALS_LOCK: Final = 0x73616C65  # "sale"
_LOCK_AFFILIATES: Final = sa.text(
    "SELECT count(pg_advisory_xact_lock(:space, k)) FROM ("
    " SELECT DISTINCT hashtext(a) AS k FROM unnest(CAST(:ids AS text[])) AS a ORDER BY k"
    ") AS keys"
).bindparams(sa.bindparam("ids", type_=ARRAY(sa.Text)))


async def moved(conn: AsyncConnection, counter: str = COUNTER) -> None:
    """Tell every process (the bot's workers, whoever imports a CSV) that conversions
    changed (`LEFT`: that someone left the standings): their cached standings are
    recomputed (`SalesService.follow`)."""
    statement = insert(conn.dialect.name, counters).values(name=counter, value=1)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": counters.c.value + 1}
        )
    )


@dataclass(frozen=True)
class Approved:
    affiliate_id: str
    conversion_id: str
    # the newest `conversion_events` id when the approval was written (its transaction):
    # sales approved by later commits are not counted "before" it (`approval_facts`)
    mark: int | None = None


async def approving(conn: AsyncConnection, items: Iterable[ConversionIn]) -> None:
    """Take, until the transaction ends, the lock of each affiliate id these conversions
    approve a sale of (PostgreSQL; SQLite has one writer at a time anyway). Two workers
    approving one affiliate's sales at once then write them one after the other: the
    later one's events come after the earlier one's commit, and each one's `mark` tells
    its listener exactly which approvals were before it, so the milestone between them
    is told once — not by neither (each counting the other's sale as before its own).
    Taken in one statement, in the order of the keys: two chunks never wait for each
    other crosswise."""
    if conn.dialect.name != "postgresql":
        return
    ids = sorted({item.affiliate_id for item in items if item.status == "approved"})
    if ids:
        await conn.execute(_LOCK_AFFILIATES, {"space": APPROVALS_LOCK, "ids": ids})


async def last_event(conn: AsyncConnection) -> int:
    """The newest `conversion_events` id this transaction sees (0: none)."""
    return int(await conn.scalar(sa.select(sa.func.max(conversion_events.c.id))) or 0)


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # rows by affiliate id that no partner is linked to (yet): the most rows first
    unlinked: dict[str, int] = field(default_factory=dict)

    def count(self, result: Result) -> None:
        setattr(self, result, getattr(self, result) + 1)


@dataclass(frozen=True)
class Written:
    """What a chunk did: each conversion's outcome (in order), the sales it approved, and
    whether any conversion changed."""

    outcomes: list[Result | TransitionRefused]
    approved: list[Approved]
    changed: bool


async def record_one(
    conn: AsyncConnection, item: ConversionIn, source: str, now: datetime
) -> tuple[Result, str | None]:
    """The outcome, and the conversion's status before (None: a new one)."""
    await approving(conn, [item])
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
        await _event(conn, key, None, item, source, now)
        await moved(conn)
        return outcome, None
    if outcome == "unchanged":
        return outcome, row.status
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
    await _event(conn, row.id, row.status, item, source, now)
    await moved(conn)
    return outcome, row.status


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


async def record_chunk(
    conn: AsyncConnection, items: list[ConversionIn], now: datetime, source: str
) -> Written:
    """The same rules as `record_one`, for many conversions with a handful of statements:
    the known ones are read at once, decided in memory (in order), written in bulk.
    Also says which conversions became approved, and whether anything changed."""
    await approving(conn, items)
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
    replays = _Replays(enabled=source == "csv")
    for item in items:
        current = known.get(item.conversion_id)
        try:
            outcome = decide(current, item)
        except TransitionRefused as refused:
            if not await replays.applied_before(conn, known, item, refused):
                outcomes.append(refused)
                continue
            outcome = "unchanged"  # imported again: the conversion has moved on since
        if outcome == "updated" and await replays.was_in(conn, known, item):
            outcome = "unchanged"  # an amount it had before: history, as a status going back
        replays.note(item)
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
    if events:
        await moved(conn)
    sold = [  # became approved: an approved sale's amount corrected is no new sale
        (item.affiliate_id, number)
        for number, old, item in events
        if item.status == "approved" and old != "approved"
    ]
    mark = await last_event(conn) if sold else None
    approved = [Approved(affiliate, number, mark) for affiliate, number in sold]
    return Written(outcomes, approved, changed=bool(events))


State = tuple[str, Decimal]  # a conversion's status and amount


class _Replays:
    """A CSV imported again (SPEC §6: importing the same file again adds nothing): a row
    whose state (status and amount) the conversion has already been in — in its stored
    events, or earlier in this chunk — is history, applied before: "unchanged", whether
    its status goes back (`trial` then `paid` in one file: not refused) or only its
    amount differs (1200 then 1300: not updated back to 1200). A status going back to a
    state it never had is still refused; postbacks are not replays (409, or an update)."""

    def __init__(self, *, enabled: bool) -> None:
        self._enabled = enabled
        self._seen: dict[str, set[State]] = defaultdict(set)  # applied in this chunk
        self._stored: dict[str, set[State]] | None = None  # read when first needed

    def note(self, item: ConversionIn) -> None:
        if self._enabled:
            self._seen[item.conversion_id].add((item.status, item.amount))

    async def applied_before(
        self,
        conn: AsyncConnection,
        known: dict[str, dict[str, Any]],
        item: ConversionIn,
        refused: TransitionRefused,
    ) -> bool:
        if isinstance(refused, OtherPartnersConversion):
            return False
        return await self.was_in(conn, known, item)

    async def was_in(
        self, conn: AsyncConnection, known: dict[str, dict[str, Any]], item: ConversionIn
    ) -> bool:
        """Whether the conversion has been in this row's state before (CSV only)."""
        if not self._enabled:
            return False
        if self._stored is None:
            self._stored = await _states(conn, known)
        state = (item.status, item.amount)
        return state in self._seen[item.conversion_id] or state in self._stored[item.conversion_id]


async def _states(
    conn: AsyncConnection, known: dict[str, dict[str, Any]]
) -> dict[str, set[State]]:
    """Every state each stored conversion has been in (its events)."""
    states: dict[str, set[State]] = defaultdict(set)
    stored = {row["id"]: conversion_id for conversion_id, row in known.items() if "id" in row}
    if stored:
        query = sa.select(
            conversion_events.c.conversion_id,
            conversion_events.c.to_status,
            conversion_events.c.amount,
        ).where(conversion_events.c.conversion_id.in_(list(stored)))
        for key, status, amount in await conn.execute(query):
            states[stored[key]].add((status, amount))
    return states
