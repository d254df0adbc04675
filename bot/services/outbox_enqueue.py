"""Making outbox rows (SPEC §11): what a message is, its key, and the rules that depend on
the recipient, applied when the row is made: private rows due in quiet hours wait for
their end, and the weekly cap of automated private messages drops what would exceed it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.content.models import QuietHours
from bot.db.engine import insert
from bot.db.tables import UtcDateTime, outbox, partners
from bot.services.partner import person_column, person_key

# Kinds are the partners' topics (SPEC §5 /settings), plus posts in the community chat.
COMMUNITY: Final = "community"


def community_key(key: str, platform: str) -> str:
    """The outbox key of a post in the partners' group of `platform` (Telegram's keys
    predate VK and stay as they were)."""
    return key if platform == "tg" else f"{key}:{platform}"


# Sale notices answer the partner's own sales; they do not count against the weekly cap.
UNCAPPED: Final = frozenset({"sales", COMMUNITY})
# Digests, nudges and lesson reminders come after contest moments and announcements
# (SPEC §11): they stop one message short of the cap, keeping the last slot of the week.
LOW_PRIORITY: Final = frozenset({"digest", "nudge", "lesson"})
RESERVED_SLOTS: Final = 1
WEEK: Final = timedelta(days=7)
# The columns `partner_rows` selects, in its order.
PARTNER_ROW_COLUMNS: Final = [
    "key", "kind", "subject", "platform", "chat_id", "partner_id", "text", "photo",
    "document", "buttons", "not_before", "status", "created_at",
]  # fmt: skip


@dataclass(frozen=True)
class OutMessage:
    key: str
    kind: str
    platform: str
    chat_id: int
    text: str
    partner_id: int | None = None  # None: a group chat
    subject: str | None = None  # what the send is about (a contest id), for cancelling
    photo: str | None = None  # a file path or a Telegram file_id
    document: str | None = None  # a Telegram file_id
    picture: bytes | None = None  # a generated PNG
    buttons: list[list[dict[str, str]]] | None = None  # inline buttons (text, callback_data)
    not_before: datetime | None = None  # a send planned for later
    # about the partner's own result (a prize won): like a sale notice, the weekly cap
    # does not hold it back
    own: bool = False
    # not about a moment (a lesson reminder): held back by the weekly cap, it is made again
    # a week later (`outbox_again`)
    again: bool = False


@dataclass(frozen=True)
class Enqueued:
    queued: int
    duplicate: int
    capped: int


def weekly_limit(subject: str | None, cap: int) -> int:
    """How many automated private messages in 7 days a person may have before one about
    `subject` is held back: the cap, one less for the low-priority sends (SPEC §11)."""
    return cap - RESERVED_SLOTS if subject in LOW_PRIORITY else cap


def after_quiet_hours(moment: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (program.yaml, local time)."""
    start, end = _clock_time(quiet.start), _clock_time(quiet.end)
    local = moment.astimezone(zone)
    now = local.time()
    if start == end:
        return moment
    inside = (start <= now or now < end) if start > end else (start <= now < end)
    if not inside:
        return moment
    day = local.date() if now < end else local.date() + timedelta(days=1)
    waking = datetime.combine(day, end, tzinfo=zone)
    return waking.astimezone(moment.tzinfo)


NIGHT: Final = time(3, 0)  # quiet hours that hold this moment keep the nights quiet


def quiet_at_night(quiet: QuietHours) -> bool:
    """Whether the quiet hours hold the middle of the night (the consent of /start says
    «никогда ночью» only then): none (start = end) or daytime ones do not."""
    start, end = _clock_time(quiet.start), _clock_time(quiet.end)
    if start == end:
        return False
    return (start <= NIGHT or end > NIGHT) if start > end else (start <= NIGHT < end)


async def new_rows(
    conn: AsyncConnection,
    messages: Sequence[OutMessage],
    now: datetime,
    cap: int,
    waking: Callable[[datetime], datetime],
    again: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The rows to insert for `messages`: known keys skipped (but those `again`, capped
    rows made again: `outbox_again`), and a message the person (`person_column`: every
    chat linked to one affiliate id) already has in another chat (queued or sent); the
    weekly cap applied per person (status "capped": one message to several chats of
    theirs counts once), private rows moved past the quiet hours by `waking`."""
    known = await known_keys(conn, [message.key for message in messages]) - (again or set())
    people = await _People.load(conn, {m.partner_id for m in messages if m.partner_id})
    goes = {id(m): waking(max(now, m.not_before or now)) for m in messages if m.partner_id}
    # the cap of each moment the messages go at (a broadcast planned for later: its week)
    by_moment = {moment: await people.recent(conn, moment) for moment in set(goes.values())}
    had = await known_keys(
        conn,
        [key for m in messages for key in people.elsewhere(m.key, m.partner_id)],
        statuses=("queued", "sent"),
    )
    decided: dict[tuple[str, str], str] = {}  # (person, message) → its status in this batch
    rows: list[dict[str, Any]] = []
    for message in messages:
        if message.key in known:
            continue
        known.add(message.key)
        status = "queued"
        if message.partner_id is not None:
            if had.intersection(people.elsewhere(message.key, message.partner_id)):
                continue  # the person has it in another chat
            person = people.person.get(message.partner_id, f"partner:{message.partner_id}")
            same = (person, people.message(message.key, message.partner_id))
            if message.kind in UNCAPPED or message.own:
                pass
            elif same in decided:
                status = decided[same]  # another chat of theirs: counted once
            else:
                counts = by_moment[goes[id(message)]]
                sent = counts.get(person, 0)
                if sent >= weekly_limit(message.subject, cap):
                    status = "capped"
                else:
                    for moment, others in by_moment.items():  # counted where it falls
                        if abs(goes[id(message)] - moment) < WEEK:
                            others[person] = others.get(person, 0) + 1
                decided[same] = status
        private = message.partner_id is not None
        rows.append(
            {
                "key": message.key,
                "kind": message.kind,
                "subject": message.subject,
                "platform": message.platform,
                "chat_id": message.chat_id,
                "partner_id": message.partner_id,
                "text": message.text,
                "photo": message.photo,
                "document": message.document,
                "picture": message.picture,
                "buttons": message.buttons,
                "not_before": waking(max(now, message.not_before or now))
                if private
                else max(now, message.not_before or now),
                "status": status,
                "created_at": now,
            }
        )
    return rows


@dataclass
class _People:
    """The people behind some partner ids: each chat's person and platform:user id, and
    every chat of those people."""

    person: dict[int, str]  # partner id → person_key
    chat: dict[int, str]  # partner id → "platform:user_id", the end of its rows' keys
    chats: dict[str, list[int]]  # person → their partner ids

    @classmethod
    async def load(cls, conn: AsyncConnection, ids: set[int]) -> _People:
        columns = (
            partners.c.id,
            partners.c.platform,
            partners.c.user_id,
            partners.c.affiliate_id,
            partners.c.affiliate_status,
        )
        found = await _chunked(conn, sa.select(*columns), partners.c.id, sorted(ids))
        linked = sorted(
            {
                row.affiliate_id
                for row in found
                if row.affiliate_status == "linked" and row.affiliate_id
            }
        )
        twins = await _chunked(
            conn,
            sa.select(*columns).where(partners.c.affiliate_status == "linked"),
            partners.c.affiliate_id,
            linked,
        )
        people = cls({}, {}, {})
        for row in [*found, *twins]:
            if row.id in people.person:
                continue
            person = person_key(row.id, row.affiliate_id, row.affiliate_status)
            people.person[row.id] = person
            people.chat[row.id] = f"{row.platform}:{row.user_id}"
            people.chats.setdefault(person, []).append(row.id)
        return people

    def message(self, key: str, partner_id: int) -> str:
        """What a row's key says is sent, whoever to: the key without its chat."""
        chat = self.chat.get(partner_id)
        return key if chat is None else key.removesuffix(f":{chat}")

    def elsewhere(self, key: str, partner_id: int | None) -> list[str]:
        """The keys the same message has for the person's other chats."""
        if partner_id is None or partner_id not in self.person:
            return []
        what = self.message(key, partner_id)
        if what == key:
            return []  # a key not of a chat: nothing to compare
        person = self.person[partner_id]
        return [f"{what}:{self.chat[chat]}" for chat in self.chats[person] if chat != partner_id]

    async def recent(self, conn: AsyncConnection, now: datetime) -> dict[str, int]:
        """How many automated private messages each person got or will get within 7 days
        of `now` (`_counted`; one message to several of their chats once), in SQL."""
        counts: dict[str, int] = {}
        chunk: list[int] = []
        people = list(self.chats.values())
        for index, chats in enumerate(people):  # a person's chats in one chunk
            chunk.extend(chats)
            if len(chunk) < 500 and index < len(people) - 1:
                continue
            query = _messages_by_person(now, outbox.c.partner_id.in_(chunk))
            counts.update({row.person: int(row.n) for row in await conn.execute(query)})
            chunk = []
        return counts


def _messages_by_person(now: datetime, *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """SQL: per person (`person`), how many automated private messages they got or will get
    within 7 days of `now` (`_counted`; `n`: one message to several of their chats once)."""
    sent = (
        sa.select(person_column().label("person"), _message().label("message"))
        .select_from(outbox.join(partners, partners.c.id == outbox.c.partner_id))
        .where(*_counted(now), *where)
        .subquery()
    )
    # grouped by a column: PostgreSQL groups by an expression only without bound parameters
    return sa.select(
        sent.c.person, sa.func.count(sa.distinct(sent.c.message)).label("n")
    ).group_by(sent.c.person)


def _message() -> Any:
    """SQL: what an outbox row's key says is sent, whoever to (`_People.message`): the key
    without the platform:user id of its partner (outbox joined with partners)."""
    chat = (
        sa.literal_column("':'", sa.String)
        + partners.c.platform
        + sa.literal_column("':'", sa.String)
        + sa.cast(partners.c.user_id, sa.String)
    )
    rest = sa.func.length(outbox.c.key) - sa.func.length(chat)
    return sa.case(
        (sa.func.substr(outbox.c.key, rest + 1) == chat, sa.func.substr(outbox.c.key, 1, rest)),
        else_=outbox.c.key,
    )


async def _chunked(
    conn: AsyncConnection, query: sa.Select[Any], column: Any, values: Sequence[Any]
) -> list[Any]:
    """`query`'s rows where `column` is one of `values` (asked 500 at a time)."""
    rows: list[Any] = []
    for start in range(0, len(values), 500):
        rows.extend(await conn.execute(query.where(column.in_(values[start : start + 500]))))
    return rows


def partner_rows(
    message: OutMessage,
    key_prefix: str,
    condition: Any,
    not_before: datetime,
    now: datetime,
    cap: int,
) -> sa.Select[Any]:
    """A row of `message` for every partner matching `condition` (SQL), columns as in
    `PARTNER_ROW_COLUMNS`: the key is `key_prefix` + the partner's platform:id, and the
    weekly cap applies as in `new_rows`."""
    status, source = _partner_status(message.kind, now, cap)
    return (
        sa.select(
            (
                sa.literal(key_prefix)
                + partners.c.platform
                + sa.literal(":")
                + sa.cast(partners.c.user_id, sa.String)
            ).label("key"),
            sa.literal(message.kind).label("kind"),
            sa.literal(message.subject).label("subject"),
            partners.c.platform,
            partners.c.chat_id,
            partners.c.id.label("partner_id"),
            sa.literal(message.text).label("text"),
            sa.literal(message.photo, sa.Text).label("photo"),
            sa.literal(message.document, sa.Text).label("document"),
            sa.literal(message.buttons, sa.JSON).label("buttons"),
            sa.literal(not_before, UtcDateTime).label("not_before"),
            status.label("status"),
            sa.literal(now, UtcDateTime).label("created_at"),
        )
        .select_from(source)
        .where(condition)
    )


def partner_reach(kind: str, condition: Any, now: datetime, cap: int) -> sa.Select[Any]:
    """What `partner_rows` would make for the partners matching `condition`, without
    making it: each partner's person (`person_column`), the row's status ("queued", or
    "capped" by the weekly cap) and `n`, the automated private messages the weekly cap
    counts for that person before this one (0 for a kind it does not hold back)."""
    counted, source = _counted_by_person(kind, now)
    status = _status(kind, counted, cap)
    return (
        sa.select(person_column().label("person"), status.label("status"), counted.label("n"))
        .select_from(source)
        .where(condition)
    )


def partner_counts(condition: Any, now: datetime) -> sa.Select[Any]:
    """For the partners matching `condition`: each one's person (`person_column`) and how
    many automated private messages that person got or will get within 7 days of `now`
    (`n`, counted as the weekly cap counts them: `_counted`)."""
    recent = _messages_by_person(now).subquery()
    return (
        sa.select(person_column().label("person"), sa.func.coalesce(recent.c.n, 0).label("n"))
        .select_from(partners.outerjoin(recent, recent.c.person == person_column()))
        .where(condition)
    )


def _partner_status(kind: str, now: datetime, cap: int) -> tuple[Any, Any]:
    """The status of a partner's new row of `kind` (SQL: "capped" once the partner's
    person has `cap` automated private messages within 7 days of `now` — one message to
    several of their chats once — else "queued"), and the partners joined with what that
    needs."""
    counted, source = _counted_by_person(kind, now)
    return _status(kind, counted, cap), source


def _status(kind: str, counted: Any, cap: int) -> Any:
    """SQL: "capped" once `counted` (`_counted_by_person`) reaches `cap`, else "queued"."""
    if kind in UNCAPPED:
        return sa.literal("queued")
    return sa.case((counted >= cap, "capped"), else_="queued")


def _counted_by_person(kind: str, now: datetime) -> tuple[Any, Any]:
    """SQL: how many automated private messages the weekly cap counts for a partner's
    person around `now` (`_messages_by_person`; 0 for a kind it does not hold back), and
    the partners joined with what that needs."""
    if kind in UNCAPPED:
        return sa.literal(0), partners
    recent = _messages_by_person(now).subquery()
    counted = sa.func.coalesce(recent.c.n, 0)
    return counted, partners.outerjoin(recent, recent.c.person == person_column())


def _counted(now: datetime) -> list[sa.ColumnElement[bool]]:
    """The rows that count against the weekly cap of a message going at `now`: automated
    private messages queued or sent that go (went) within 7 days of it, before or after —
    by when they go, not when they were made: a broadcast planned for the 25th counts
    around the 25th, not in the week it was planned in (it held back that week's contest
    reminders, and a send planned for a week with room was refused by this week's: a
    tester of session 22); and one planned ahead counts for the sends made later in the
    days before it (a reminder queued on the 11th did not see a broadcast planned for the
    12th, and 4 messages went in 4 days under a cap of 3: the next tester). A 7-day window
    holding this one then never holds more than the cap; what fell 6 days before and what
    falls 6 days after both count, a little stricter than any one window."""
    return [  # when a row goes: `not_before` (always set; ix_outbox_partner_not_before)
        outbox.c.not_before > now - WEEK,
        outbox.c.not_before < now + WEEK,
        outbox.c.status.in_(("queued", "sent")),
        outbox.c.kind.not_in(sorted(UNCAPPED)),
    ]


async def known_keys(
    conn: AsyncConnection, keys: list[str], statuses: Sequence[str] = ()
) -> set[str]:
    """Which of `keys` have a row (of one of `statuses`, when given)."""
    query = sa.select(outbox.c.key)
    if statuses:
        query = query.where(outbox.c.status.in_(list(statuses)))
    return {row.key for row in await _chunked(conn, query, outbox.c.key, keys)}


def insert_ignoring_keys(dialect: str) -> Any:
    """INSERT that skips a key another process queued meanwhile."""
    return insert(dialect, outbox).on_conflict_do_nothing(index_elements=["key"])


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
