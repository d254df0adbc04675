"""The outbox (ARCHITECTURE.md, "Schedule and delivery"): every message the bot sends on its
own is a row, created when the send is decided and delivered by the delivery worker.

A row's `key` says what is sent, to whom, for which moment; enqueueing the same key twice
adds nothing, so a moment decided twice (a double fire, a restart) is sent once. The rules
of SPEC §11 that depend on the recipient are applied when the row is made
(`outbox_enqueue`). `/stop`, topics and unreachable partners are checked again by the
worker right before sending, so a `/stop` stops what is already queued.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock, as_utc
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import outbox, partners
from bot.names import Naming
from bot.services.outbox_again import capped_at, due_again, write_again
from bot.services.outbox_ahead import Foreseen, Held, held, under_cap, unreached, waits_at
from bot.services.outbox_enqueue import (
    PARTNER_ROW_COLUMNS,
    Enqueued,
    OutMessage,
    after_quiet_hours,
    insert_ignoring_keys,
    known_keys,
    new_rows,
    partner_rows,
)
from bot.services.outbox_forget import GroupPost, forget, posts_naming, rewrite
from bot.services.outbox_quiet import move_held
from bot.services.outbox_refresh import Queued, Refresher, refresh
from bot.services.outbox_sales import drop_gone_sales, in_order, named_sales
from bot.services.partner import person_column

__all__ = ["CLAIM", "GroupPost", "Held", "Outbox", "Outcome", "Queued"]  # Queued: outbox_refresh

CLAIM: Final = timedelta(minutes=5)  # how long a worker holds the rows it took


@dataclass(frozen=True)
class Outcome:
    id: int
    status: str  # sent | blocked | failed | skipped | queued (retry later)
    error: str | None = None
    retry_at: datetime | None = None
    uncertain: bool = False  # timed out after the request left
    count_attempt: bool = True  # a 429 is not the row's fault


class Outbox:
    def __init__(self, db: Database, store: ContentStore, clock: Clock, zone: ZoneInfo) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._zone = zone
        self.listeners: list[Any] = []  # callables woken when rows are queued
        # subject → what writes its rows again when they fall due (`outbox_refresh`)
        self.refreshers: dict[str, Refresher] = {}

    def after_quiet_hours(self, moment: datetime) -> datetime:
        """`moment`, or the end of the quiet hours it falls in (program.yaml, local time)."""
        quiet = self._store.content.program.schedule.quiet_hours
        return after_quiet_hours(moment, quiet, self._zone)

    async def enqueue(self, messages: Sequence[OutMessage]) -> Enqueued:
        """Queue messages in one transaction; known keys are skipped, and private automated
        messages over `max_automated_per_week` are dropped — kept as "capped", made again
        a week later when marked `again` (`outbox_again`)."""
        if not messages:
            return Enqueued(0, 0, 0)
        now = self._clock.now()
        cap = self._store.content.program.schedule.max_automated_per_week
        async with self._db.write() as conn:
            again = await due_again(conn, messages, now)
            rows = await new_rows(conn, messages, now, cap, self.after_quiet_hours, again)
            if fresh := [row for row in rows if row["key"] not in again]:
                await conn.execute(insert_ignoring_keys(conn.dialect.name), fresh)
            await write_again(conn, [row for row in rows if row["key"] in again])
        if any(row["status"] == "queued" for row in rows):
            self._wake()
        capped = sum(1 for row in rows if row["status"] == "capped")
        queued = len(rows) - capped
        return Enqueued(queued, len(messages) - len(rows), capped)

    async def enqueue_for_partners(
        self, message: OutMessage, key_prefix: str, condition: Any, send_at: datetime | None
    ) -> int:
        """Queue `message` for every partner matching `condition` (SQL) in one INSERT …
        SELECT: the recipients are fixed in one statement, nothing is loaded into memory.
        The key of each row is `key_prefix` + the partner's platform:id; the weekly cap
        applies as in `enqueue`. The number of rows queued."""
        now = self._clock.now()
        cap = self._store.content.program.schedule.max_automated_per_week
        not_before = self.after_quiet_hours(max(now, send_at or now))
        select = partner_rows(message, key_prefix, condition, not_before, now, cap)
        insert = insert_ignoring_keys(self._db.engine.dialect.name)
        count = sa.select(sa.func.count()).where(
            outbox.c.key.startswith(key_prefix, autoescape=True),
            outbox.c.status == "queued",
        )
        async with self._db.write() as conn:
            before = int((await conn.execute(count)).scalar_one())
            await conn.execute(insert.from_select(PARTNER_ROW_COLUMNS, select))
            queued = int((await conn.execute(count)).scalar_one()) - before
        if queued:
            self._wake()
        return queued

    async def held(self, until: datetime) -> list[Held]:
        """The private rows waiting to go later, by `until`, as they will go (`outbox_ahead`)."""
        async with self._db.read() as conn:
            return await held(conn, self._clock.now(), until)

    async def held_for_quiet_hours(self, subject: str, moment: datetime) -> datetime | None:
        """When the private rows about `subject` made for `moment` go, if they wait for the
        end of the quiet hours `moment` (or now, once it has passed) falls in; None when
        they go at `moment`, or none waits. Whoever they are for: a row for someone who
        stopped the messages meanwhile waits as well, to be dropped then (/schedule counts
        only who will get it: `held`; /announcements says who will not: `unreached`)."""
        now = self._clock.now()
        meant = max(now, moment)
        waking = self.after_quiet_hours(meant)
        if waking == meant:
            return None
        async with self._db.read() as conn:
            return waking if await waits_at(conn, subject, waking) else None

    async def unreached(self, subject: str) -> int:
        """The people whose private rows about `subject` still wait but will not go: they
        stopped the messages, turned the topic off or became unreachable since
        (`outbox_ahead.unreached`; the rows `held` leaves out)."""
        async with self._db.read() as conn:
            return await unreached(conn, subject)

    async def forgotten(self, subject: str) -> int:
        """The rows about `subject` that still waited when their partner used /forget
        (cancelled by `forget`, keyed `forgotten:ID`): people who will not get it — they
        vanished from a broadcast's counts (the tester of session 20)."""
        query = sa.select(sa.func.count()).where(
            outbox.c.subject == subject,
            outbox.c.status == "cancelled",
            outbox.c.key.startswith("forgotten:"),
        )
        async with self._db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def follow_quiet_hours(self) -> int:
        """The private rows held for the quiet hours moved to when the quiet hours as they
        are now send them (a /reload or a restart that changed them: `outbox_quiet`); the
        number of the rows moved that will go."""
        async with self._db.write() as conn:
            moved = await move_held(conn, self._clock.now(), self.after_quiet_hours)
        if moved:
            self._wake()
        return moved

    async def under_cap(
        self,
        partner_ids: Sequence[int],
        kind: str,
        subject: str | None,
        at: datetime,
        foreseen: Foreseen | None = None,
    ) -> set[str]:
        """The people of these chats the weekly cap lets a message made at `at` reach (the
        sends `foreseen` before it counted too)."""
        cap = self._store.content.program.schedule.max_automated_per_week
        async with self._db.read() as conn:
            return await under_cap(conn, partner_ids, kind, subject, at, cap, foreseen)

    def _wake(self) -> None:
        for listener in self.listeners:
            listener()

    async def claim(self, limit: int = 100, platform: str | None = None) -> list[Queued]:
        """Take the rows due now, oldest first (of one platform's chats, when given), for
        `CLAIM` (a lease): another worker skips them meanwhile (PostgreSQL: FOR UPDATE
        SKIP LOCKED, so two workers never wait on each other or take the same row). The
        outcome written by `finish` ends the claim. A sale notice none of whose sales
        counts any more is dropped here, not sent, one only some of whose sales count is
        written again for those (`outbox_sales`); so is a message whose subject has a
        refresher (the digest: `outbox_refresh`)."""
        now = self._clock.now()
        due = (
            sa.select(outbox.c.id)
            .where(
                outbox.c.status == "queued",
                outbox.c.not_before <= now,
                sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            .order_by(outbox.c.not_before, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if platform is not None:
            due = due.where(outbox.c.platform == platform)
        # a CTE, run once: as `IN (subquery)` PostgreSQL may rescan it for each row it
        # updates, and each rescan skips the rows just claimed and locks the next ones
        # (a claim of 1 took 3 in CI)
        taken = due.cte("due").prefix_with("MATERIALIZED")
        claim = (
            outbox.update()
            .where(outbox.c.id.in_(sa.select(taken.c.id)))
            .values(claimed_until=now + CLAIM)
            .returning(*outbox.c)
        )
        while True:
            async with self._db.write() as conn:
                rows = list(await conn.execute(claim))
                # a sale reversed before it was told
                gone, partial = await drop_gone_sales(conn, rows)
            # a congratulation right after its sale's notice (outbox_sales)
            claimed = [_queued(row) for row in in_order(rows, gone) if row.id not in gone]
            queued = await refresh(self._db, self.refreshers, claimed, partial, now)
            if queued or not (gone or claimed):  # a batch of dropped notices only: the next one
                return queued

    async def mark_sending(self, ids: Sequence[int]) -> None:
        """Mark rows whose requests are about to leave; `finish` clears the mark, so a
        row still marked after a crash may or may not have been delivered."""
        if not ids:
            return
        async with self._db.write() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(list(ids)))
                .values(sending_at=self._clock.now())
            )

    async def release_claims(self, platform: str | None = None) -> int:
        """Drop every claim (a worker taking over: the claims of one that died)."""
        query = (
            outbox.update()
            .where(outbox.c.status == "queued", outbox.c.claimed_until.is_not(None))
            .values(claimed_until=None)
        )
        if platform is not None:
            query = query.where(outbox.c.platform == platform)
        async with self._db.write() as conn:
            return int((await conn.execute(query)).rowcount or 0)

    async def next_due_at(self) -> datetime | None:
        query = sa.select(sa.func.min(outbox.c.not_before)).where(outbox.c.status == "queued")
        async with self._db.read() as conn:
            moment = (await conn.execute(query)).scalar()
        return None if moment is None else as_utc(moment)

    async def finish(self, outcomes: Sequence[Outcome]) -> None:
        """Write a batch of delivery outcomes at once."""
        if not outcomes:
            return
        now = self._clock.now()
        async with self._db.write() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id == sa.bindparam("row_id"))
                .values(
                    status=sa.bindparam("new_status"),
                    error=sa.bindparam("new_error"),
                    attempts=outbox.c.attempts + sa.bindparam("new_attempt"),
                    uncertain=sa.or_(outbox.c.uncertain, sa.bindparam("new_uncertain")),
                    sent_at=sa.bindparam("new_sent_at"),
                    not_before=sa.bindparam("new_not_before"),
                    claimed_until=None,
                    sending_at=None,
                ),
                [
                    {
                        "row_id": outcome.id,
                        "new_status": outcome.status,
                        "new_error": outcome.error,
                        "new_attempt": 1 if outcome.count_attempt else 0,
                        "new_uncertain": outcome.uncertain,
                        "new_sent_at": now if outcome.status == "sent" else None,
                        "new_not_before": outcome.retry_at or now,
                    }
                    for outcome in outcomes
                ],
            )

    async def count(self, partner_id: int, subject: str, since: datetime) -> int:
        """Rows about `subject` queued or sent to a partner since `since`."""
        query = sa.select(sa.func.count()).where(
            outbox.c.partner_id == partner_id,
            outbox.c.subject == subject,
            outbox.c.created_at > since,
            outbox.c.status.in_(("queued", "sent")),
        )
        async with self._db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def forget(self, partner_id: int, naming: Naming | None = None) -> None:
        """/forget: the partner's rows keep nothing personal and what waits is not sent;
        a sent row not of a partner that names them (`naming`: in the partners' group,
        to the managers) keeps no text or picture (`outbox_forget`)."""
        async with self._db.write() as conn:
            await forget(conn, partner_id, naming)

    async def posts_naming(self, naming: Naming) -> list[GroupPost]:
        """The partners' group posts still waiting to go that name the person (/forget:
        `Notices.forget_in_posts` writes them again; `outbox_forget`)."""
        async with self._db.read() as conn:
            return await posts_naming(conn, naming)

    async def rewrite(self, posts: Mapping[int, OutMessage | None]) -> None:
        """Waiting rows written again, by row id; None: the row does not go (cancelled,
        `UNWRITTEN`: `outbox_forget.rewrite`)."""
        if posts:
            async with self._db.write() as conn:
                await rewrite(conn, posts)

    async def known(self, keys: list[str]) -> set[str]:
        """Which of these keys were queued already (whatever became of them)."""
        async with self._db.read() as conn:
            return await known_keys(conn, keys)

    async def capped_at(self, keys: list[str]) -> dict[str, datetime]:
        """When each of these keys' rows was held back by the weekly cap, if it was."""
        async with self._db.read() as conn:
            return await capped_at(conn, keys)

    async def cancel(self, subject: str, keys: Sequence[str] | None = None) -> int:
        """Drop what is still queued about `subject` (only these `keys`, when given); the
        number of rows dropped."""
        condition = sa.and_(outbox.c.subject == subject, outbox.c.status == "queued")
        if keys is None:
            return await self._cancel(condition)
        dropped = 0
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            dropped += await self._cancel(sa.and_(condition, outbox.c.key.in_(chunk)))
        return dropped

    async def _cancel(self, condition: sa.ColumnElement[bool]) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                outbox.update().where(condition).values(status="cancelled")
            )
        return int(result.rowcount or 0)

    async def waiting(self, subject: str) -> list[tuple[str, int | None]]:
        """(key, partner) of every row about `subject` still queued (partner None: a
        group chat)."""
        query = sa.select(outbox.c.key, outbox.c.partner_id).where(
            outbox.c.subject == subject, outbox.c.status == "queued"
        )
        async with self._db.read() as conn:
            return [(row.key, row.partner_id) for row in await conn.execute(query)]

    async def sales_named(self, rows: set[int], since: datetime) -> set[int]:
        """Of these conversions (`conversions.id`), those a sale notice made since `since`
        names already (`outbox_sales.named_sales`)."""
        if not rows:
            return set()
        async with self._db.read() as conn:
            return await named_sales(conn, rows, since)

    async def report(self, subject: str | None = None) -> dict[str, int]:
        """Rows per status of everything sent about `subject` (None: of everything)."""
        query = sa.select(outbox.c.status, sa.func.count().label("n")).group_by(outbox.c.status)
        if subject is not None:
            query = query.where(outbox.c.subject == subject)
        async with self._db.read() as conn:
            return {row.status: int(row.n) for row in await conn.execute(query)}

    async def people(
        self, subject: str, merge: Mapping[str, str] | None = None, status: str | None = None
    ) -> dict[str, int]:
        """The people each status of the rows about `subject` is for, as the announcement
        preview counts them: a person's linked chats once, a row without a partner (one who
        used /forget) as its chat. `merge` counts a status as another (a person once);
        `status`: that status only."""
        person = sa.case(
            (
                partners.c.id.is_(None),
                sa.literal("chat:")
                + outbox.c.platform
                + sa.literal(":")
                + sa.cast(outbox.c.chat_id, sa.String),
            ),
            else_=person_column(),
        )
        query = (
            sa.select(outbox.c.status, person.label("person"))
            .select_from(outbox.outerjoin(partners, partners.c.id == outbox.c.partner_id))
            .where(outbox.c.subject == subject)
            .distinct()
        )
        if status is not None:
            query = query.where(outbox.c.status == status)
        found: dict[str, set[str]] = {}
        async with self._db.read() as conn:
            for row in await conn.execute(query):
                status = (merge or {}).get(row.status, row.status)
                found.setdefault(status, set()).add(str(row.person))
        return {status: len(people) for status, people in found.items()}

    async def told(self, subject: str, status: str = "sent") -> list[tuple[str, int, int | None]]:
        """(platform, chat, partner) of every chat that was sent something about `subject`
        (status "queued": that something waits for)."""
        query = (
            sa.select(outbox.c.platform, outbox.c.chat_id, outbox.c.partner_id)
            .where(outbox.c.subject == subject, outbox.c.status == status)
            .distinct()
        )
        async with self._db.read() as conn:
            return [
                (row.platform, row.chat_id, row.partner_id) for row in await conn.execute(query)
            ]


def _queued(row: Any) -> Queued:
    """A claimed outbox row as the delivery worker reads it."""
    return Queued(
        id=row.id,
        key=row.key,
        kind=row.kind,
        subject=row.subject,
        platform=row.platform,
        chat_id=row.chat_id,
        partner_id=row.partner_id,
        text=row.text,
        photo=row.photo,
        document=row.document,
        picture=row.picture,
        buttons=row.buttons,
        attempts=row.attempts,
        uncertain=row.uncertain,
        sending=row.sending_at is not None,
        created_at=as_utc(row.created_at),
        not_before=as_utc(row.not_before),
    )
