"""What the outbox says of the sends ahead, for /schedule: the rows already queued for
later (a broadcast planned for later, anything private held for the end of the quiet
hours) counted as the delivery worker will send them, and who of some chats an automated
private send made at a moment ahead would reach under the weekly cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import as_utc
from bot.db.tables import outbox, partners
from bot.services.outbox_enqueue import partner_reach, weekly_limit
from bot.services.partner import TOPICS, audience_condition, person_column


@dataclass(frozen=True)
class Held:
    """Private rows queued for one later moment, about one thing."""

    at: datetime
    what: str  # "announcement:N", "contest:ID", "nudge", or the rows' kind (a topic)
    people: int  # a person's linked chats once
    messages: int


async def held(conn: AsyncConnection, now: datetime, until: datetime) -> list[Held]:
    """The private rows queued to go after `now` and by `until`, grouped by when and what,
    counting only the rows the delivery worker will send: the recipient reachable, not
    stopped and with the row's topic on, in the chat chosen (`audience_condition`, the
    SQL of `Partner.receives` that `bot.delivery.not_for` checks). A forgotten partner's
    rows are cancelled: not counted."""
    found: list[Held] = []
    for topic in TOPICS:  # a row's kind is its topic
        for row in await conn.execute(_held_query(now, until, topic)):
            found.append(Held(as_utc(row.at), str(row.what), int(row.people), int(row.messages)))
    return sorted(found, key=lambda item: (item.at, item.what))


def _held_query(now: datetime, until: datetime, topic: str) -> sa.Select[Any]:
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
    rows = (
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
        )
        .subquery()
    )
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


async def under_cap(
    conn: AsyncConnection,
    partner_ids: Sequence[int],
    kind: str,
    subject: str | None,
    at: datetime,
    cap: int,
) -> set[str]:
    """The people (`person_column`) of these chats whom an automated private message of
    `kind` about `subject`, made at `at`, would reach: the weekly cap as the rows would be
    made then (`weekly_limit`, counted as `partner_reach` counts it), from what is queued
    or sent now."""
    limit = weekly_limit(subject, cap)
    ids = sorted(set(partner_ids))
    people: set[str] = set()
    for start in range(0, len(ids), 500):
        condition = partners.c.id.in_(ids[start : start + 500])
        rows = partner_reach(kind, condition, at, limit).subquery()
        query = sa.select(rows.c.person).where(rows.c.status == "queued")
        people.update(str(row.person) for row in await conn.execute(query))
    return people
