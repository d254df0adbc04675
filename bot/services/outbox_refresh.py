"""Private messages written again when they fall due (SPEC §11): what a partner receives
is true when it is sent, not when it was queued — a digest queued before a manager approved
the partner's /link, then held by the queue or the quiet hours, tells the sales of the id
now linked; a sale notice some of whose sales were refunded meanwhile names the ones that
still count (`outbox_sales`), and one held (the quiet hours, a backlog) names the place
as it is then — the morning's notices agree with each other and the digest; a nudge to
a partner who sold meanwhile, or the reminder of a lesson finished meanwhile, is dropped.
A message claimed within `FRESH` of being written to go at once goes as written: its facts
are minutes old, and a broadcast of thousands sent at the platform's pace is not written
twice (bench/digest_refresh.py); one held for later (the quiet hours) is always written
again, so the morning's messages agree — and so are a chat's sale notices claimed together
however fresh (a burst of postbacks: one notice of them all, not one a sale).

Whoever writes such a message registers a refresher for its subject (`Outbox.refreshers`;
`outbox_sales.PREFIX` for the sale notices held or corrected). It gets the claimed rows and
returns their new texts (`Rewritten`: with a new subject), None for a row that must not go
any more (dropped: "cancelled", its key kept, so the same moment is not queued again), or
`Merged` for a row another row of the batch now tells (a morning's held sale notices to one
partner go as one: "cancelled", its key kept, the error naming that row); the rows keep
their key, recipient, time and status, so the outbox's rules hold as they were decided when
the rows were made (never twice, the quiet hours, the weekly cap), and `/stop` is still
checked right before the send. A row that may have left already (marked as being sent when
its worker stopped, or timed out after the request left) keeps the text it may have arrived
with. A refresher that fails leaves its rows as they were queued (logged). A sale notice to
correct that is not rewritten (it may have left, its refresher failed or is not registered)
is dropped: none is better than a wrong one.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

import sqlalchemy as sa

from bot.db.engine import Database
from bot.db.tables import outbox
from bot.services.outbox_sales import PREFIX, drop, told_sales

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queued:
    id: int
    key: str
    kind: str
    subject: str | None
    platform: str
    chat_id: int
    partner_id: int | None
    text: str
    photo: str | None
    document: str | None
    picture: bytes | None
    buttons: list[list[dict[str, str]]] | None
    attempts: int
    uncertain: bool
    sending: bool = False  # marked as being sent when its worker stopped (see mark_sending)
    created_at: datetime | None = None  # when the send was decided
    not_before: datetime | None = None  # when it was to go (later than `created_at`: held)


@dataclass(frozen=True)
class Rewritten:
    """A row's new text with a new subject (a sale notice that now tells of more sales)."""

    text: str
    subject: str


@dataclass(frozen=True)
class Merged:
    """A row told by another row of the same batch (`into`): it does not go, its key kept."""

    into: int


# claimed rows → their texts now by row id (None: drop it; a row left out keeps its text)
Refresher = Callable[[list[Queued]], Awaitable[Mapping[int, str | Rewritten | Merged | None]]]
NOT_SO: Final = "no longer so: what it told changed before it was sent"
MERGED: Final = "merged: told by outbox row {into}"
# a row claimed this soon after it was written goes as it is (a digest broadcast sent at
# the platform's pace, not held by the quiet hours or a backlog)
FRESH: Final = timedelta(minutes=10)


def _fresh(row: Queued, now: datetime | None) -> bool:
    """Written less than `FRESH` before `now` to go at once: a row held for later (the
    quiet hours) is never fresh, however late in the night it was written — the morning's
    messages are all written again, so they agree."""
    if now is None or row.created_at is None:
        return False
    held = row.not_before is not None and row.not_before > row.created_at
    return not held and now - row.created_at < FRESH


async def refresh(
    db: Database,
    refreshers: Mapping[str, Refresher],
    rows: Sequence[Queued],
    partial: Mapping[int, str],
    now: datetime | None = None,
) -> list[Queued]:
    """`rows` (claimed) with the texts of those a refresher is registered for written
    again, in the outbox too; `partial`: the sale notices only some of whose sales still
    count, with the subject naming those — rewritten by the `PREFIX` refresher, or dropped.
    A row written less than `FRESH` before `now` is left as it is (unless in `partial`).
    The rows to send."""
    groups: dict[str, list[Queued]] = {}
    # a chat's sale notices claimed together go as one, however fresh: a burst of
    # postbacks told each sale on its own (37 messages in a minute: the tester of session 20)
    notices = Counter(
        (row.platform, row.chat_id)
        for row in rows
        if told_sales(row.subject) and not (row.sending or row.uncertain)
    )
    for row in rows:
        if row.sending or row.uncertain:
            continue  # it may have arrived already: as it was
        together = told_sales(row.subject) is not None and notices[row.platform, row.chat_id] > 1
        if row.id not in partial and _fresh(row, now) and not together:
            continue  # written minutes ago to go at once: as it is
        subject = partial.get(row.id, row.subject)
        # a sale notice held (quiet hours, a backlog) names the place as it is now
        name = PREFIX if row.id in partial or told_sales(row.subject) else row.subject
        if name is not None and name in refreshers:
            groups.setdefault(name, []).append(replace(row, subject=subject))
    texts: dict[int, str] = {}
    subjects = dict(partial)  # the rows' subjects where they change
    stale: set[int] = set()  # dropped, keys kept
    merged: dict[int, int] = {}  # told by another row (its id), keys kept
    for name, group in groups.items():
        try:
            found = await refreshers[name](group)
        except Exception:
            logger.exception("writing %s rows again failed; they go as queued", name)
            continue
        for row in group:
            if row.id in found:
                value = found[row.id]
                if value is None:
                    stale.add(row.id)
                elif isinstance(value, Merged):
                    merged[row.id] = value.into
                elif isinstance(value, Rewritten):
                    texts[row.id], subjects[row.id] = value.text, value.subject
                else:
                    texts[row.id] = value
    dropped = {row_id for row_id in partial if row_id not in texts and row_id not in merged}
    stale -= dropped  # keys freed
    changes = [
        {
            "row_id": row.id,
            "new_text": texts[row.id],
            "new_subject": subjects.get(row.id, row.subject),
        }
        for row in rows
        if row.id in texts and (texts[row.id] != row.text or row.id in subjects)
    ]
    if changes or dropped or stale or merged:
        async with db.write() as conn:
            if changes:
                await conn.execute(
                    outbox.update()
                    .where(outbox.c.id == sa.bindparam("row_id"), outbox.c.status == "queued")
                    .values(text=sa.bindparam("new_text"), subject=sa.bindparam("new_subject")),
                    changes,
                )
            await drop(conn, dropped)
            if stale:
                await conn.execute(
                    outbox.update()
                    .where(outbox.c.id.in_(sorted(stale)), outbox.c.status == "queued")
                    .values(status="cancelled", error=NOT_SO, claimed_until=None)
                )
            if merged:
                await conn.execute(
                    outbox.update()
                    .where(outbox.c.id == sa.bindparam("row_id"), outbox.c.status == "queued")
                    .values(status="cancelled", error=sa.bindparam("why"), claimed_until=None),
                    [
                        {"row_id": row_id, "why": MERGED.format(into=into)}
                        for row_id, into in merged.items()
                    ],
                )
    return [
        replace(row, text=texts[row.id], subject=subjects.get(row.id, row.subject))
        if row.id in texts
        else row
        for row in rows
        if row.id not in dropped and row.id not in stale and row.id not in merged
    ]
