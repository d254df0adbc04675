"""Private rows held for the end of the quiet hours, after the quiet hours changed.

A private row decided in the quiet hours is queued for their end (`after_quiet_hours`);
its `not_before` is then later than the moment it was meant for: when it was made
(`created_at`), or a broadcast's time (`announcements.send_at`). When program.yaml's
quiet hours change (/reload, a restart), such a row goes by the new ones: at their end,
or now if the moment it waits from is outside them. Rows waiting for a retry (an error
written, an attempt counted) are not held for the quiet hours: they stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import as_utc
from bot.db.tables import announcements, outbox, partners
from bot.services.outbox_ahead import will_go

ANNOUNCEMENT = "announcement:"


async def move_held(
    conn: AsyncConnection, now: datetime, waking: Callable[[datetime], datetime]
) -> int:
    """Move the private rows held for the quiet hours to when `waking` (the quiet hours
    as they are now) sends them; the number of rows moved that will go (`will_go`, as
    /schedule counts them: a row for someone who sent /stop moves too, in case they come
    back, but is not counted)."""
    held = (
        sa.select(outbox.c.subject, outbox.c.created_at, outbox.c.not_before)
        .where(
            outbox.c.status == "queued",
            outbox.c.partner_id.is_not(None),
            outbox.c.not_before > now,
            outbox.c.not_before > outbox.c.created_at,
            outbox.c.attempts == 0,
            outbox.c.error.is_(None),
        )
        .distinct()
    )
    groups = [
        (row.subject, as_utc(row.created_at), as_utc(row.not_before))
        for row in await conn.execute(held)
    ]
    planned = await _broadcast_times(conn, {subject for subject, _, _ in groups})
    moved = 0
    for subject, created, waits_until in groups:
        meant = max(created, planned.get(subject, created))
        goes = waking(max(now, meant))
        if goes == waits_until:
            continue
        these = (
            outbox.c.status == "queued",
            outbox.c.partner_id.is_not(None),
            outbox.c.subject.is_not_distinct_from(subject),
            outbox.c.created_at == created,
            outbox.c.not_before == waits_until,
            outbox.c.attempts == 0,
            outbox.c.error.is_(None),
        )
        going = (
            sa.select(sa.func.count())
            .select_from(outbox.join(partners, partners.c.id == outbox.c.partner_id))
            .where(*these, will_go())
        )
        moved += int((await conn.execute(going)).scalar_one())
        await conn.execute(outbox.update().where(*these).values(not_before=goes))
    return moved


async def _broadcast_times(
    conn: AsyncConnection, subjects: set[str | None]
) -> dict[str | None, datetime]:
    """The time each broadcast among `subjects` was planned for (its rows' moment)."""
    numbers = {
        int(subject.removeprefix(ANNOUNCEMENT)): subject
        for subject in subjects
        if subject
        and subject.startswith(ANNOUNCEMENT)
        and subject.removeprefix(ANNOUNCEMENT).isdigit()
    }
    if not numbers:
        return {}
    query = sa.select(announcements.c.id, announcements.c.send_at).where(
        announcements.c.id.in_(sorted(numbers))
    )
    return {numbers[row.id]: as_utc(row.send_at) for row in await conn.execute(query)}
