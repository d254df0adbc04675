"""Sale notices that must not go any more (SPEC §6, §11), decided when they fall due.

A sale notice names the conversions it tells of in its subject ("sales:12,15"); one held
for the quiet hours (or a retry) whose sales do not all count any more by then — refunded
or cancelled meanwhile, by a postback or by a CSV import in any process — is dropped when
none counts, rather than telling a partner of a sale that is gone; when some still count,
it is written again for those (`Outbox.refreshers`, `PREFIX`) with the subject naming
only them.

A milestone or tier message names what it congratulates on instead: so many approved sales
of an affiliate id, ever or in a month ("reached:10:ever:aff-9",
"reached:10:1764536400-1767214800:aff-9"). It goes when the affiliate id still has them
then, whichever sales they are now (the sale that reached the milestone may be refunded
while a later one, approved meanwhile, keeps it reached), and is dropped otherwise.
A dropped row's key is freed, so a milestone reached again later is told then."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import as_utc
from bot.db.tables import conversions, outbox

PREFIX: Final = "sales:"
REACHED: Final = "reached:"
EVER: Final = "ever"
DROPPED: Final = "no longer so: a sale refunded or cancelled before it was told"
Window = tuple[datetime, datetime] | None  # None: ever


def sales_subject(rows: Iterable[int]) -> str:
    """The subject of a sale notice about these conversions (their `conversions.id`)."""
    return PREFIX + ",".join(str(row) for row in sorted(rows))


def reached_subject(affiliate: str, count: int, window: Window = None) -> str:
    """The subject of a congratulation on `count` approved sales of `affiliate`, ever or
    with `occurred_at` in `window` (start included, end excluded)."""
    bounds = EVER if window is None else f"{_epoch(window[0])}-{_epoch(window[1])}"
    return f"{REACHED}{count}:{bounds}:{affiliate}"


def congratulation(subject: str | None) -> bool:
    """A milestone or tier message (sent right after its sale's notice: `in_order`)."""
    return subject is not None and subject.startswith(REACHED)


def in_order(rows: Sequence[Any], gone: set[int]) -> list[Any]:
    """Claimed outbox rows in the order they go: by (`not_before`, id), each milestone or
    tier message right after the notice of the sale that reached it (queued just before
    it, to the same chat) — a partner reads «10 sales!» after the tenth sale's notice, not
    after all the night's. When that notice was dropped (`gone`: the sale refunded while
    a later one keeps the milestone reached), after the next notice to that chat that
    goes; when there is none in the batch, at the batch's end (after any sale is told)."""
    ordered = sorted(rows, key=lambda row: (as_utc(row.not_before), row.id))
    after: dict[int, list[Any]] = {}  # a sale notice's id → the congratulations after it
    last: list[Any] = []
    notice: dict[tuple[str, int], Any] = {}  # chat → its latest sale notice so far
    waiting: dict[tuple[str, int], list[Any]] = {}  # chat → those whose notice was dropped
    for row in ordered:
        chat = (row.platform, row.chat_id)
        if told_sales(row.subject) is not None:
            notice[chat] = row
            if row.id not in gone:
                after.setdefault(row.id, []).extend(waiting.pop(chat, []))
        elif congratulation(row.subject) and chat in notice:
            if notice[chat].id in gone:
                waiting.setdefault(chat, []).append(row)
            else:
                after.setdefault(notice[chat].id, []).append(row)
    for rest in waiting.values():
        last.extend(rest)
    placed = {row.id for rows_after in after.values() for row in rows_after}
    placed |= {row.id for row in last}
    result: list[Any] = []
    for row in ordered:
        if row.id in placed:
            continue
        result.append(row)
        result.extend(after.get(row.id, ()))
    return result + last


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) < 19


def told_sales(subject: str | None) -> set[int] | None:
    """The conversions a row's subject names, or None when it is no sale notice (or the
    subject is not one this module wrote)."""
    if subject is None or not subject.startswith(PREFIX):
        return None
    parts = subject[len(PREFIX) :].split(",")
    if not all(_digits(part) for part in parts):
        return None
    return {int(part) for part in parts}


async def named_sales(conn: AsyncConnection, rows: set[int], since: datetime) -> set[int]:
    """Of these conversions (`conversions.id`), those a sale notice made at or after
    `since` names (queued, sent or not: told or decided about), whoever it was for."""
    query = sa.select(outbox.c.subject).where(
        outbox.c.kind == "sales",
        outbox.c.subject.like(PREFIX + "%"),
        outbox.c.created_at >= since,
    )
    named: set[int] = set()
    for subject in (await conn.execute(query)).scalars():
        named |= (told_sales(subject) or set()) & rows
    return named


def _reached(subject: str | None) -> tuple[int, str, Window] | None:
    """(count, affiliate id, window) of a congratulation's subject, or None."""
    if subject is None or not subject.startswith(REACHED):
        return None
    parts = subject[len(REACHED) :].split(":", 2)
    if len(parts) != 3 or not _digits(parts[0]) or not parts[2]:
        return None
    count, bounds, affiliate = parts
    if bounds == EVER:
        return int(count), affiliate, None
    since, _, until = bounds.partition("-")
    if not (_digits(since) and _digits(until)):
        return None
    window = (datetime.fromtimestamp(int(since), UTC), datetime.fromtimestamp(int(until), UTC))
    return int(count), affiliate, window


async def _approved(conn: AsyncConnection, affiliate: str, window: Window) -> int:
    query = sa.select(sa.func.count()).where(
        conversions.c.affiliate_id == affiliate, conversions.c.status == "approved"
    )
    if window is not None:
        query = query.where(
            conversions.c.occurred_at >= window[0], conversions.c.occurred_at < window[1]
        )
    return int((await conn.execute(query)).scalar_one())


async def drop_gone_sales(
    conn: AsyncConnection, rows: Sequence[Any]
) -> tuple[set[int], dict[int, str]]:
    """Of the claimed outbox `rows`, drop the sale notices none of whose sales counts any
    more and the congratulations on what is not reached any more (`drop`); the ids of the
    rows dropped, and of the sale notices only some of whose sales still count, the
    subject naming those (the row is not changed here: see `Outbox.claim`)."""
    gone, partial = await gone_sales(conn, rows)
    await drop(conn, gone)
    return gone, partial


async def gone_sales(
    conn: AsyncConnection, rows: Sequence[Any]
) -> tuple[set[int], dict[int, str]]:
    """Of outbox `rows` (with `id` and `subject`), the sale notices none of whose sales
    counts now and the congratulations on what is not reached now — those that would be
    dropped if they fell due now (`drop_gone_sales`; /schedule leaves them out) —, and of
    the sale notices only some of whose sales still count, the subject naming those.
    Nothing is changed."""
    told = {row.id: ids for row in rows if (ids := told_sales(row.subject)) is not None}
    reached = {row.id: what for row in rows if (what := _reached(row.subject)) is not None}
    gone: set[int] = set()
    partial: dict[int, str] = {}
    if told:
        wanted = sorted(set().union(*told.values()))
        counting = set(
            (
                await conn.execute(
                    sa.select(conversions.c.id).where(
                        conversions.c.id.in_(wanted), conversions.c.status == "approved"
                    )
                )
            ).scalars()
        )
        for row_id, ids in told.items():
            if not ids & counting:
                gone.add(row_id)
            elif not ids <= counting:
                partial[row_id] = sales_subject(ids & counting)
    counts: dict[tuple[str, Window], int] = {}
    for row_id, (count, affiliate, window) in reached.items():
        if (affiliate, window) not in counts:
            counts[affiliate, window] = await _approved(conn, affiliate, window)
        if counts[affiliate, window] < count:
            gone.add(row_id)
    return gone, partial


async def drop(conn: AsyncConnection, ids: Iterable[int]) -> None:
    """Drop these outbox rows as no longer so (status "cancelled", key freed)."""
    ids = sorted(ids)
    if not ids:
        return
    # the key gets the row's id in front: unique, and free for a later notice
    freed = sa.func.substr(sa.literal("dropped:") + sa.cast(outbox.c.id, sa.String)
                           + sa.literal(":") + outbox.c.key, 1, 200)  # fmt: skip
    await conn.execute(
        outbox.update()
        .where(outbox.c.id.in_(ids), outbox.c.status == "queued")
        .values(status="cancelled", error=DROPPED, claimed_until=None, key=freed)
    )
