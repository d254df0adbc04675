"""/forget in the outbox (docs/privacy.md): the partner's own rows keep nothing personal,
and the rows not of a partner — posts in the partners' group, messages to the managers —
that name them lose their text once sent, or are written again while they wait
(`Notices.forget_in_posts`).

A row names the partner when one of their name's forms stands whole in the text it shows
(`bot.names.Naming`): not a piece of another word («Анна» in «Жанна», «Иван» in
«Иванов») nor of another partner's longer name («Анна Петрова»), nor of the row's HTML (a
partner «amp» is not in «&amp;», «href» not in a link's tag). The database narrows the
rows to those that have a form anywhere, as the HTML may write it (LIKE, its wildcards
escaped: the same on SQLite and PostgreSQL, the forms bound, never part of the SQL); the
words' edges are read here, in the text as shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.tables import outbox
from bot.names import Naming
from bot.services.outbox_enqueue import COMMUNITY, OutMessage

# a group post naming a partner who used /forget that could not be written again
UNWRITTEN: Final = "named a partner who used /forget; could not be written without them"


@dataclass(frozen=True)
class GroupPost:
    """A post in a partners' group waiting in the outbox: which one (its key and subject
    say what it shows) and where it goes."""

    id: int
    key: str
    subject: str | None
    platform: str
    chat_id: int


def _said(naming: Naming) -> sa.ColumnElement[bool] | None:
    """SQL: the row's text has one of the forms somewhere, as its HTML may write it (the
    candidates `in_text` reads); None when there is no form to look for."""
    said = [outbox.c.text.contains(form, autoescape=True) for form in naming.written]
    return sa.or_(*said) if said else None


async def forget(conn: AsyncConnection, partner_id: int, naming: Naming | None) -> None:
    """The partner's rows stay for the delivery figures, with nothing personal (no partner,
    chat or text), whatever they say; what still waits is not sent. A row not of a partner
    that named them (`naming`) keeps no text or picture once sent (the name stayed in the
    database — a tester of session 22)."""
    said = _said(naming) if naming is not None else None
    if naming is not None and said is not None:
        query = sa.select(outbox.c.id, outbox.c.text).where(
            outbox.c.partner_id.is_(None), outbox.c.status != "queued", said
        )
        named = [row.id for row in await conn.execute(query) if naming.in_text(row.text)]
        for start in range(0, len(named), 500):  # a bound list of row ids at a time
            await conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(named[start : start + 500]))
                .values(text="", picture=None, photo=None, buttons=None)
            )
    await conn.execute(
        outbox.update()
        .where(outbox.c.partner_id == partner_id)
        .values(
            key=sa.literal("forgotten:") + sa.cast(outbox.c.id, sa.String),
            partner_id=None,
            chat_id=0,
            text="",
            photo=None,
            document=None,
            picture=None,
            buttons=None,
            error=None,
            status=sa.case((outbox.c.status == "queued", "cancelled"), else_=outbox.c.status),
        )
    )


async def posts_naming(conn: AsyncConnection, naming: Naming) -> list[GroupPost]:
    """The partners' group posts still waiting to go that name the person (`naming`)."""
    said = _said(naming)
    if said is None:
        return []
    query = (
        sa.select(
            outbox.c.id,
            outbox.c.key,
            outbox.c.subject,
            outbox.c.platform,
            outbox.c.chat_id,
            outbox.c.text,
        )
        .where(
            outbox.c.kind == COMMUNITY,
            outbox.c.partner_id.is_(None),
            outbox.c.status == "queued",
            said,
        )
        .order_by(outbox.c.id)
    )
    return [
        GroupPost(row.id, row.key, row.subject, row.platform, row.chat_id)
        for row in await conn.execute(query)
        if naming.in_text(row.text)
    ]


async def rewrite(conn: AsyncConnection, posts: Mapping[int, OutMessage | None]) -> None:
    """Waiting rows written again (text and picture; the key, chat, time and status stay
    as they were decided), by row id; None: the row does not go (cancelled, `UNWRITTEN`)."""
    changes = [
        {"row_id": row_id, "new_text": post.text, "new_picture": post.picture}
        for row_id, post in posts.items()
        if post is not None
    ]
    dropped = sorted(row_id for row_id, post in posts.items() if post is None)
    if changes:
        await conn.execute(
            outbox.update()
            .where(outbox.c.id == sa.bindparam("row_id"), outbox.c.status == "queued")
            .values(text=sa.bindparam("new_text"), picture=sa.bindparam("new_picture")),
            changes,
        )
    if dropped:
        await conn.execute(
            outbox.update()
            .where(outbox.c.id.in_(dropped), outbox.c.status == "queued")
            .values(status="cancelled", error=UNWRITTEN, claimed_until=None)
        )
