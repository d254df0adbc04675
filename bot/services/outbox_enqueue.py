"""Making outbox rows (SPEC §11): what a message is, its key, and the rules that depend on
the recipient, applied when the row is made: private rows due in quiet hours wait for
their end, and the weekly cap of automated private messages drops what would exceed it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.content.models import QuietHours
from bot.db.engine import insert
from bot.db.tables import UtcDateTime, outbox, partners
from bot.services.partner import person_column

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


@dataclass(frozen=True)
class Enqueued:
    queued: int
    duplicate: int
    capped: int


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


async def new_rows(
    conn: AsyncConnection,
    messages: Sequence[OutMessage],
    now: datetime,
    cap: int,
    waking: Callable[[datetime], datetime],
) -> list[dict[str, Any]]:
    """The rows to insert for `messages`: known keys skipped, the weekly cap applied
    (status "capped"), private rows moved past the quiet hours by `waking`."""
    known = await known_keys(conn, [message.key for message in messages])
    counts = await _recent_counts(conn, messages, now)
    rows: list[dict[str, Any]] = []
    for message in messages:
        if message.key in known:
            continue
        known.add(message.key)
        status = "queued"
        if message.partner_id is not None and message.kind not in UNCAPPED:
            sent = counts.get(message.partner_id, 0)
            low = message.subject in LOW_PRIORITY
            if sent >= (cap - RESERVED_SLOTS if low else cap):
                status = "capped"
            else:
                counts[message.partner_id] = sent + 1
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
    making it: each partner's person (`person_column`) and the row's status ("queued", or
    "capped" by the weekly cap)."""
    status, source = _partner_status(kind, now, cap)
    return (
        sa.select(person_column().label("person"), status.label("status"))
        .select_from(source)
        .where(condition)
    )


def _partner_status(kind: str, now: datetime, cap: int) -> tuple[Any, Any]:
    """The status of a partner's new row of `kind` (SQL: "capped" once the partner had
    `cap` automated private messages in the last 7 days, else "queued"), and the partners
    joined with what that needs."""
    recent = (
        sa.select(outbox.c.partner_id, sa.func.count().label("n"))
        .where(*_counted(now), outbox.c.partner_id.is_not(None))
        .group_by(outbox.c.partner_id)
        .subquery()
    )
    status = (
        sa.case((sa.func.coalesce(recent.c.n, 0) >= cap, "capped"), else_="queued")
        if kind not in UNCAPPED
        else sa.literal("queued")
    )
    return status, partners.outerjoin(recent, recent.c.partner_id == partners.c.id)


def _counted(now: datetime) -> list[sa.ColumnElement[bool]]:
    """The rows that count against the weekly cap: automated private messages queued or
    sent in the last 7 days."""
    return [
        outbox.c.created_at > now - WEEK,
        outbox.c.status.in_(("queued", "sent")),
        outbox.c.kind.not_in(sorted(UNCAPPED)),
    ]


async def _recent_counts(
    conn: AsyncConnection, messages: Iterable[OutMessage], now: datetime
) -> dict[int, int]:
    """Automated private messages each recipient got or will get in the last 7 days."""
    ids = sorted({m.partner_id for m in messages if m.partner_id is not None})
    if not ids:
        return {}
    counts: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        query = (
            sa.select(outbox.c.partner_id, sa.func.count().label("n"))
            .where(outbox.c.partner_id.in_(ids[start : start + 500]), *_counted(now))
            .group_by(outbox.c.partner_id)
        )
        counts.update({row.partner_id: int(row.n) for row in await conn.execute(query)})
    return counts


async def known_keys(conn: AsyncConnection, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        query = sa.select(outbox.c.key).where(outbox.c.key.in_(keys[start : start + 500]))
        found.update(row.key for row in await conn.execute(query))
    return found


def insert_ignoring_keys(dialect: str) -> Any:
    """INSERT that skips a key another process queued meanwhile."""
    return insert(dialect, outbox).on_conflict_do_nothing(index_elements=["key"])


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
