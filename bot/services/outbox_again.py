"""Messages the weekly cap held back that are tried again (SPEC §11). Most automated
messages are about a moment (a contest's reminder, this week's digest, this period's
nudge): held back, they are not worth sending later, and a later moment has its own key.
A lesson reminder is not: the next lesson is as worth taking a week later, and its key
(`lesson:ID:platform:user`) is the same then — kept as a "capped" row, it barred the
reminder for good. A message marked `again` (`OutMessage.again`) whose row the cap held
back is made again, under the same key, when its sender next offers it `AGAIN` after it
was held back: queued if the cap has room then, else held back once more, to be tried
`AGAIN` after that. The key stays unique, and only a "capped" row is written over, so it
goes once at most; /stop, the topics, the quiet hours and the cap hold as for a new row
(`new_rows` decides it again)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import as_utc
from bot.db.tables import outbox
from bot.services.outbox_enqueue import WEEK, OutMessage

AGAIN: Final = WEEK  # a held-back message is tried again a week after it was held back
# the columns a row made again writes over its capped row (its key stays)
_WRITTEN: Final = (
    "kind", "subject", "platform", "chat_id", "partner_id", "text", "photo", "document",
    "picture", "buttons", "not_before", "status", "created_at",
)  # fmt: skip


async def capped_at(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, datetime]:
    """When each of these keys' rows was held back by the cap, if it was (the moment it
    was to go: its `not_before`)."""
    query = sa.select(outbox.c.key, outbox.c.not_before).where(outbox.c.status == "capped")
    found: dict[str, datetime] = {}
    for start in range(0, len(keys), 500):  # a bound list of keys at a time
        chunk = list(keys[start : start + 500])
        for row in await conn.execute(query.where(outbox.c.key.in_(chunk))):
            found[row.key] = as_utc(row.not_before)
    return found


async def due_again(
    conn: AsyncConnection, messages: Sequence[OutMessage], now: datetime
) -> set[str]:
    """The keys of `messages` marked `again` whose row the cap held back `AGAIN` or more
    before `now`: made again now (`new_rows`, then `write_again`)."""
    held = await capped_at(conn, [message.key for message in messages if message.again])
    return {key for key, at in held.items() if at + AGAIN <= now}


async def write_again(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """The rows `new_rows` made again (`due_again`) written over their capped rows: queued,
    or held back again (tried `AGAIN` after this try: its `not_before`). Only a row still
    capped is written: one queued meanwhile by another run is not made twice."""
    if not rows:
        return
    update = (
        outbox.update()
        .where(outbox.c.key == sa.bindparam("row_key"), outbox.c.status == "capped")
        .values(
            {name: sa.bindparam(f"new_{name}", type_=outbox.c[name].type) for name in _WRITTEN}
        )
    )
    await conn.execute(
        update,
        [
            {"row_key": row["key"], **{f"new_{name}": row[name] for name in _WRITTEN}}
            for row in rows
        ],
    )
