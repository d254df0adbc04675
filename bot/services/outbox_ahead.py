"""What the outbox says of the sends ahead, for /schedule: the rows already queued for
later (a broadcast planned for later, anything private held for the end of the quiet
hours, a contest's post in the partners' group held for their end) counted as the
delivery worker will send them, and who of some chats an automated private send made at
a moment ahead would reach under the weekly cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import as_utc
from bot.db.tables import conversions, lesson_progress, outbox, partners
from bot.services.outbox_enqueue import (
    COMMUNITY,
    UNCAPPED,
    WEEK,
    partner_counts,
    weekly_limit,
)
from bot.services.outbox_sales import gone_sales, told_sales
from bot.services.partner import TOPICS, audience_condition, person_column

DRIP: Final = "lesson:"  # a lesson reminder's key: lesson:ID:platform:user


@dataclass(frozen=True)
class Held:
    """Rows queued for one later moment, about one thing: private ones and, `community`,
    posts in the partners' group."""

    at: datetime
    what: str  # "announcement:N", "contest:ID", "nudge", or the rows' kind (a topic)
    people: int  # a person's linked chats once
    messages: int
    community: bool = False  # a post in the partners' group goes then too


async def held(conn: AsyncConnection, now: datetime, until: datetime) -> list[Held]:
    """The private rows queued to go after `now` and by `until`, grouped by when and what,
    counting only the rows the delivery worker will send: the recipient reachable, not
    stopped and with the row's topic on, in the chat chosen (`audience_condition`, the
    SQL of `Partner.receives` that `bot.delivery.not_for` checks). A forgotten partner's
    rows are cancelled: not counted. A contest's posts in the partners' group held for the
    end of the quiet hours (`ContestNotices.contest_moment`) go on the line of the private
    rows of the same moment and subject (`community`), or on their own."""
    found: list[Held] = []
    for topic in TOPICS:  # a row's kind is its topic
        if topic == "sales":
            found.extend(await _held_sales(conn, now, until))
            continue
        rows = _held_rows(now, until, topic).subquery()
        for row in await conn.execute(_grouped(rows)):
            found.append(Held(as_utc(row.at), str(row.what), int(row.people), int(row.messages)))
    lines = {(item.at, item.what): item for item in found}
    for at, what in await _held_posts(conn, now, until):
        line = lines.get((at, what))
        lines[at, what] = (
            Held(at, what, 0, 0, True) if line is None else replace(line, community=True)
        )
    return sorted(lines.values(), key=lambda item: (item.at, item.what))


async def _held_posts(
    conn: AsyncConnection, now: datetime, until: datetime
) -> set[tuple[datetime, str]]:
    """(when, subject) of a contest's posts in the partners' group queued to go after
    `now` and by `until` (its scheduled posts wait for the end of the quiet hours)."""
    query = (
        sa.select(outbox.c.not_before, outbox.c.subject)
        .where(
            outbox.c.status == "queued",
            outbox.c.kind == COMMUNITY,
            outbox.c.partner_id.is_(None),
            outbox.c.subject.startswith("contest:"),
            outbox.c.not_before > now,
            outbox.c.not_before <= until,
        )
        .distinct()
    )
    return {(as_utc(row.not_before), str(row.subject)) for row in await conn.execute(query)}


async def _held_sales(conn: AsyncConnection, now: datetime, until: datetime) -> list[Held]:
    """The sale notices and congratulations held, less those that will be dropped when
    they fall due (`gone_sales`: every sale they tell of refunded or cancelled since, a
    milestone not reached any more) — as things are now; a chat's sale notices held to
    one moment counted as the one message they go as."""
    query = _held_rows(now, until, "sales").add_columns(
        outbox.c.id, outbox.c.subject, outbox.c.platform, outbox.c.chat_id
    )
    rows = list(await conn.execute(query))
    gone: set[int] = set()
    for start in range(0, len(rows), 500):  # a bound list of conversion ids at a time
        gone |= (await gone_sales(conn, rows[start : start + 500]))[0]
    groups: dict[tuple[datetime, str], tuple[set[str], int]] = {}
    merged: set[tuple[datetime, str, int]] = set()  # a chat's sale notices at a moment
    for row in rows:
        if row.id in gone:
            continue
        at = as_utc(row.at)
        people, messages = groups.get((at, str(row.what)), (set(), 0))
        people.add(str(row.person))
        # a chat's sale notices held to one moment go as one (`SaleNotices.refresh_sales`)
        one = told_sales(row.subject) is not None and (at, row.platform, row.chat_id) in merged
        if told_sales(row.subject) is not None:
            merged.add((at, row.platform, row.chat_id))
        groups[at, str(row.what)] = (people, messages + (0 if one else 1))
    return [
        Held(at, what, len(people), messages) for (at, what), (people, messages) in groups.items()
    ]


def _held_rows(now: datetime, until: datetime, topic: str) -> sa.Select[Any]:
    """The private rows of `topic` queued to go after `now` and by `until` that the
    delivery worker will send (see `held`): when, about what, to whom."""
    subject = outbox.c.subject
    what = sa.case(
        (
            sa.or_(
                subject.startswith("announcement:"),
                subject.startswith("contest:"),
                subject == "nudge",
            ),
            subject,
        ),
        else_=outbox.c.kind,
    )
    return (
        sa.select(
            outbox.c.not_before.label("at"),
            what.label("what"),
            person_column().label("person"),
        )
        .select_from(outbox.join(partners, partners.c.id == outbox.c.partner_id))
        .where(
            outbox.c.status == "queued",
            outbox.c.not_before > now,
            outbox.c.not_before <= until,
            outbox.c.kind == topic,
            audience_condition(topic),
            _still_so(),
        )
    )


def _still_so() -> sa.ColumnElement[bool]:
    """SQL (outbox joined with its partner): not a nudge or a lesson reminder that its
    refresher would drop if it fell due now (`refresh_nudges`: a sale of the partner's
    linked id approved since the nudge was decided; `refresh_drips`: that lesson
    finished since)."""
    sold = sa.exists().where(
        partners.c.affiliate_status == "linked",
        conversions.c.affiliate_id == partners.c.affiliate_id,
        conversions.c.status == "approved",
        conversions.c.updated_at > outbox.c.created_at,
    )
    key = sa.literal(DRIP) + lesson_progress.c.lesson_id + sa.literal(":")
    finished = sa.exists().where(
        lesson_progress.c.partner_id == outbox.c.partner_id,
        sa.func.substr(outbox.c.key, 1, sa.func.length(key)) == key,
    )
    subject = sa.func.coalesce(outbox.c.subject, "")
    return sa.and_(
        sa.or_(subject != "nudge", ~sold),
        sa.or_(subject != "lesson", ~finished),
    )


def _grouped(rows: sa.Subquery) -> sa.Select[Any]:
    """`_held_rows` by when and what: the people (a person's chats once) and messages."""
    return sa.select(
        rows.c.at,
        rows.c.what,
        sa.func.count(sa.distinct(rows.c.person)).label("people"),
        sa.func.count().label("messages"),
    ).group_by(rows.c.at, rows.c.what)


async def waits_at(conn: AsyncConnection, subject: str, at: datetime) -> bool:
    """Whether private rows about `subject` are queued for `at` (whoever they are for)."""
    query = sa.select(outbox.c.id).where(
        outbox.c.subject == subject,
        outbox.c.status == "queued",
        outbox.c.partner_id.is_not(None),
        outbox.c.not_before == at,
    )
    return (await conn.execute(query.limit(1))).first() is not None


def will_go() -> sa.ColumnElement[bool]:
    """Whether a private row (joined with its partner) goes by its recipient's rules: the
    recipient reachable, not stopped and with the row's topic on (`audience_condition`,
    the SQL of `Partner.receives` that `bot.delivery.not_for` checks; what `held` counts)."""
    return sa.or_(
        *(sa.and_(outbox.c.kind == topic, audience_condition(topic)) for topic in TOPICS)
    )


async def queued_to_go(conn: AsyncConnection, since: datetime) -> int:
    """The private rows made since `since`, still queued, that the delivery worker will
    send as things are now (/stats' «в очереди»): what `held` counts for /schedule —
    the recipient's rules (`will_go`), not a nudge or lesson reminder its refresher would
    drop (`_still_so`), not a sale notice or congratulation that would be dropped
    (`gone_sales`: every sale it tells of refunded since, a milestone not reached now)."""
    base = (
        sa.select(outbox.c.id, outbox.c.subject)
        .select_from(outbox.join(partners, partners.c.id == outbox.c.partner_id))
        .where(outbox.c.status == "queued", outbox.c.created_at >= since, will_go(), _still_so())
    )
    others = base.where(outbox.c.kind != "sales").subquery()
    count = int((await conn.execute(sa.select(sa.func.count()).select_from(others))).scalar_one())
    rows = list(await conn.execute(base.where(outbox.c.kind == "sales")))
    gone: set[int] = set()
    for start in range(0, len(rows), 500):  # a bound list of conversion ids at a time
        gone |= (await gone_sales(conn, rows[start : start + 500]))[0]
    return count + len(rows) - len(gone)


async def unreached(conn: AsyncConnection, subject: str) -> int:
    """The people (`person_column`) with private rows about `subject` queued none of
    which the delivery worker will send (`audience_condition` false for each: stopped,
    the topic off, unreachable since the rows were made) — the rows `held` leaves out."""
    person = person_column()
    goes = will_go()
    rows = (
        sa.select(person.label("person"), sa.case((goes, 1), else_=0).label("goes"))
        .select_from(outbox.join(partners, partners.c.id == outbox.c.partner_id))
        .where(outbox.c.subject == subject, outbox.c.status == "queued")
        .subquery()
    )
    people = (
        sa.select(rows.c.person)
        .group_by(rows.c.person)
        .having(sa.func.max(rows.c.goes) == 0)
        .subquery()
    )
    return int((await conn.execute(sa.select(sa.func.count()).select_from(people))).scalar_one())


@dataclass
class Foreseen:
    """The automated private sends /schedule plans ahead, per person (`person_column`):
    when each is made. Each counts against the weekly cap of the sends after it, as the
    rows it will make will (SPEC §11)."""

    made: dict[str, list[datetime]] = field(default_factory=dict)

    def add(self, people: Iterable[str], at: datetime) -> None:
        for person in people:
            self.made.setdefault(person, []).append(at)

    def in_the_week(self, person: str, at: datetime) -> int:
        """How many of the person's planned sends fall in the 7 days up to `at`."""
        return sum(1 for made in self.made.get(person, ()) if at - WEEK < made <= at)


async def under_cap(
    conn: AsyncConnection,
    partner_ids: Sequence[int],
    kind: str,
    subject: str | None,
    at: datetime,
    cap: int,
    foreseen: Foreseen | None = None,
) -> set[str]:
    """The people (`person_column`) of these chats whom an automated private message of
    `kind` about `subject`, made at `at`, would reach: the weekly cap as the rows would be
    made then (`weekly_limit`, counted as `partner_reach` counts it), from what is queued
    or sent now and, when given, the sends `foreseen` before `at`."""
    limit = weekly_limit(subject, cap)
    ids = sorted(set(partner_ids))
    people: set[str] = set()
    for start in range(0, len(ids), 500):
        condition = partners.c.id.in_(ids[start : start + 500])
        if kind in UNCAPPED:
            query = sa.select(person_column().label("person")).where(condition)
            people.update(str(row.person) for row in await conn.execute(query))
            continue
        for row in await conn.execute(partner_counts(condition, at)):
            person = str(row.person)
            planned = foreseen.in_the_week(person, at) if foreseen else 0
            if int(row.n) + planned < limit:
                people.add(person)
    return people
