"""Who is inactive — one definition, for the daily nudge (SPEC §11) and the «💤 Неактивным»
audience of /announce (SPEC §10):

a person (chats linked to one affiliate id are one) is inactive after `inactive_after_days`
days in the program with no approved sale: their first chat with the bot is at least that
old, and no approved conversion of their affiliate id occurred in that time (someone not
linked has none). Someone who joined minutes ago is not inactive yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.clock import as_utc
from bot.db.engine import Database
from bot.db.tables import conversions, partners
from bot.services.partner import Partner

CHUNK = 500  # affiliate ids a query


@dataclass(frozen=True)
class Quiet:
    """An inactive chat and its person's last approved sale (None: never)."""

    partner: Partner
    last_sale: datetime | None


def linked_id(partner: Partner) -> str | None:
    return partner.affiliate_id if partner.affiliate_status == "linked" else None


async def inactive(
    db: Database, chats: Iterable[Partner], now: datetime, days: int
) -> list[Quiet]:
    """The chats of `chats` whose person is inactive at `now` (see the module), in order."""
    since = now - timedelta(days=days)
    chats = list(chats)
    ids = sorted({a for a in map(linked_id, chats) if a})
    last_sale: dict[str, datetime] = {}
    joined: dict[str, datetime] = {}  # a linked person's first chat, all their chats counted
    async with db.read() as conn:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            sales = (
                sa.select(conversions.c.affiliate_id, sa.func.max(conversions.c.occurred_at))
                .where(conversions.c.status == "approved", conversions.c.affiliate_id.in_(chunk))
                .group_by(conversions.c.affiliate_id)
            )
            first = (
                sa.select(partners.c.affiliate_id, sa.func.min(partners.c.created_at))
                .where(partners.c.affiliate_status == "linked", partners.c.affiliate_id.in_(chunk))
                .group_by(partners.c.affiliate_id)
            )
            for affiliate_id, moment in await conn.execute(sales):
                if isinstance(moment, datetime):
                    last_sale[affiliate_id] = as_utc(moment)
            for affiliate_id, moment in await conn.execute(first):
                if isinstance(moment, datetime):
                    joined[affiliate_id] = as_utc(moment)
    quiet = []
    for chat in chats:
        linked = linked_id(chat)
        first_seen = min(
            as_utc(chat.created_at), joined.get(linked or "", as_utc(chat.created_at))
        )
        sale = last_sale.get(linked) if linked else None
        if first_seen <= since and (sale is None or sale <= since):
            quiet.append(Quiet(chat, sale))
    return quiet
