"""When each chat was in which segment (session 28): a contest open to some segments counts
only the sales a partner made while in one of them (docs/partners.md, "Contests and
segments"). A designer who sold during a bloggers' contest and then switched to «Блогер»
took every prize with sales made while not eligible.

A chat's switches are kept as the segment it left and when (`segment_changes`); the segment
now is `partners.segment`. The first segment a chat chose covers all time before its first
switch: sales that came for an affiliate id before its chat existed count once it is linked,
as they always did, and so do those of a chat that never switched. One person's chats
(linked to one affiliate id) switch together (`PersonChats._update_person`), and a chat that
joins a person takes the person's history for its own (`adopt`): its past in another
segment, before it was theirs, is not the person's.

For a contest, `switched_contestants` gives, by affiliate id, those whose linked chats
switched after its start (`Counted`): the spans of its window in which one of their chats
was in one of its segments. One not in its segments at its end (or now, while it runs) is
not in it at all — no spans: a switch out drops a partner from its boards until they are
back, and then the sales made while in its segments count again. Everyone else takes part
or not by the segment they are in now, with every sale in the window, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import as_utc
from bot.content.models import Contest
from bot.db.tables import partners, segment_changes
from bot.services.sales_ledger import moved

Span = tuple[datetime, datetime]  # [since, until): a sale made then counts
DAWN: Final = datetime.min.replace(tzinfo=UTC)
NEVER: Final = datetime.max.replace(tzinfo=UTC)
_CHUNK: Final = 500
_INSTANT: Final = timedelta(microseconds=1)  # a window's end is in it: [start, end + this)


@dataclass(frozen=True)
class Counted:
    """Which of a contestant's sales a contest counts: the spans of its window they were in
    one of its segments, in order (none: they are not in it — not in its segments at its
    end); `partial` when that is not the whole window."""

    spans: tuple[Span, ...]
    partial: bool = True

    def counts(self, at: datetime) -> bool:
        return any(since <= at < until for since, until in self.spans)

    @property
    def joined(self) -> datetime | None:
        """Since when their sales count, when that is after the start (the last time they
        came into its segments)."""
        return self.spans[-1][0] if self.spans and self.partial else None

    @property
    def breaks(self) -> bool:
        """Whether they were in its segments before that too, with a break."""
        return self.partial and len(self.spans) > 1


async def record_left(conn: AsyncConnection, partner_id: int, segment: str, at: datetime) -> None:
    """A chat left `segment` at `at`. The contests' standings change with it: every process
    reads them again (the counter conversions move, `SalesService.follow`)."""
    await conn.execute(
        segment_changes.insert().values(partner_id=partner_id, segment=segment, left_at=at)
    )
    await moved(conn)


async def adopt(conn: AsyncConnection, partner_id: int, source_id: int) -> None:
    """A chat joining a person takes the history of the person's chat `source_id`."""
    await conn.execute(segment_changes.delete().where(segment_changes.c.partner_id == partner_id))
    rows = sa.select(
        sa.literal(partner_id, sa.Integer), segment_changes.c.segment, segment_changes.c.left_at
    ).where(segment_changes.c.partner_id == source_id)
    await conn.execute(
        segment_changes.insert().from_select(["partner_id", "segment", "left_at"], rows)
    )


async def switches_after(
    conn: AsyncConnection, moment: datetime, ids: Sequence[int] | None = None
) -> dict[int, list[tuple[str, datetime]]]:
    """By chat (of `ids`, or every one), the segments it left after `moment` and when, in
    order: all that is needed to know its segment at any time since then."""
    found: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    chunks = [None] if ids is None else [ids[n : n + _CHUNK] for n in range(0, len(ids), _CHUNK)]
    for chunk in chunks:
        query = (
            sa.select(
                segment_changes.c.partner_id, segment_changes.c.segment, segment_changes.c.left_at
            )
            .where(segment_changes.c.left_at > moment)
            .order_by(
                segment_changes.c.partner_id, segment_changes.c.left_at, segment_changes.c.id
            )
        )
        if chunk is not None:
            query = query.where(segment_changes.c.partner_id.in_(chunk))
        for row in await conn.execute(query):
            found[int(row.partner_id)].append((str(row.segment), as_utc(row.left_at)))
    return dict(found)


def spans_in(
    current: str | None, left: Iterable[tuple[str, datetime]], segments: set[str]
) -> list[Span]:
    """The time a chat was in one of `segments`, given the segment it is in now and the
    ones it left (in order; those before the time asked about may be left out)."""
    spans: list[Span] = []
    since = DAWN
    for segment, at in left:
        if segment in segments:
            spans.append((since, at))
        since = at
    if current in segments:
        spans.append((since, NEVER))
    return spans


def union(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for since, until in sorted(spans):
        if merged and since <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], until))
        else:
            merged.append((since, until))
    return merged


def counted_in(contest: Contest, spans: list[Span]) -> Counted:
    """What a contest counts of a contestant in one of its segments over `spans` (their
    chats' union): no spans when they are not in its segments at its end."""
    if not any(since <= contest.ends_at < until for since, until in spans):
        return Counted(())
    start, end = contest.starts_at, contest.ends_at + _INSTANT
    inside = tuple(
        (max(since, start), min(until, end))
        for since, until in union(spans)
        if max(since, start) < min(until, end)
    )
    return Counted(inside, partial=inside != ((start, end),))


async def switched_contestants(
    conn: AsyncConnection, contest: Contest, only: Sequence[str] | None = None
) -> dict[str, Counted]:
    """By affiliate id (of `only`, or every one), the contestants of a contest open to some
    segments whose linked chats switched segment after its start (or after its end: they
    are in it by the segment they were in then), and what it counts of them; the others
    are in it, or not, by their segment now, with every sale in its window."""
    if not contest.segments:
        return {}
    switches = await switches_after(conn, contest.starts_at)
    if not switches:
        return {}
    linked = sa.and_(partners.c.affiliate_status == "linked", partners.c.affiliate_id.is_not(None))
    ids = sorted(switches)
    affiliates: set[str] = set()
    for n in range(0, len(ids), _CHUNK):
        query = sa.select(partners.c.affiliate_id).where(
            linked, partners.c.id.in_(ids[n : n + _CHUNK])
        )
        affiliates.update(str(row.affiliate_id) for row in await conn.execute(query))
    if only is not None:
        affiliates &= set(only)
    chats: dict[str, list[Span]] = defaultdict(list)
    names = sorted(affiliates)
    segments = set(contest.segments)
    for n in range(0, len(names), _CHUNK):
        query = sa.select(partners.c.id, partners.c.affiliate_id, partners.c.segment).where(
            linked, partners.c.affiliate_id.in_(names[n : n + _CHUNK])
        )
        for row in await conn.execute(query):
            left = switches.get(int(row.id), [])
            chats[str(row.affiliate_id)].extend(spans_in(row.segment, left, segments))
    return {affiliate: counted_in(contest, chats[affiliate]) for affiliate in names}


def chat_counted(
    contest: Contest, current: str | None, left: Iterable[tuple[str, datetime]]
) -> Counted | None:
    """What a contest counts of one chat that is in `current` now and left those segments
    after the contest's start (`counted_in`); None for a contest open to everyone."""
    if not contest.segments:
        return None
    return counted_in(contest, spans_in(current, left, set(contest.segments)))
