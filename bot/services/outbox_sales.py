"""Sale notices that must not go any more (SPEC §6, §11): a notice names the conversions it
tells of in its subject ("sales:12,15"); one held for the quiet hours (or a retry) whose
sales do not all count any more when it falls due — refunded or cancelled meanwhile, by a
postback or by a CSV import in any process — is dropped with the milestone and tier
messages of the same approval, rather than telling a partner of a sale that is gone. Their
keys are freed, so a milestone reached again later is told then."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.tables import conversions, outbox

PREFIX: Final = "sales:"
DROPPED: Final = "the sale no longer counts (refunded or cancelled before it was told)"


def sales_subject(rows: Iterable[int]) -> str:
    """The subject of a sale notice about these conversions (their `conversions.id`)."""
    return PREFIX + ",".join(str(row) for row in sorted(rows))


def _told(subject: str | None) -> set[int] | None:
    """The conversions a row's subject names, or None when it is no sale notice (or the
    subject is not one this module wrote)."""
    if subject is None or not subject.startswith(PREFIX):
        return None
    parts = subject[len(PREFIX) :].split(",")
    if not all(part.isascii() and part.isdigit() and len(part) < 19 for part in parts):
        return None
    return {int(part) for part in parts}


async def drop_gone_sales(conn: AsyncConnection, rows: Sequence[Any]) -> set[int]:
    """Of the claimed outbox `rows`, drop the sale notices whose sales do not all count
    any more (status "cancelled", key freed); the ids of the rows dropped."""
    told = {row.id: ids for row in rows if (ids := _told(row.subject)) is not None}
    if not told:
        return set()
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
    gone = {row_id for row_id, ids in told.items() if not ids <= counting}
    if gone:
        # the key gets the row's id in front: unique, and free for a later notice
        freed = sa.func.substr(sa.literal("dropped:") + sa.cast(outbox.c.id, sa.String)
                               + sa.literal(":") + outbox.c.key, 1, 200)  # fmt: skip
        await conn.execute(
            outbox.update()
            .where(outbox.c.id.in_(sorted(gone)))
            .values(status="cancelled", error=DROPPED, claimed_until=None, key=freed)
        )
    return gone
