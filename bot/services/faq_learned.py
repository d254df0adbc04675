"""What a learned phrasing is (a row of `faq_learned`), and the writes every way of learning
shares: a wording approved for one entry only (copies under other entries rejected), a
decision (who confirmed it no longer kept), and the counter every worker follows. The
capabilities build on it: `faq_learned_index` (the matcher with learned phrasings),
`faq_learned_review` (partners' votes, managers' decisions), `faq_learned_teach` (the
command line); `faq_learning.FaqLearning` is all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock, as_utc
from bot.content.store import ContentStore, LiveContent
from bot.db.engine import Database, insert
from bot.db.tables import counters, faq_learned, faq_learned_votes, partners
from bot.services.faq_matching import FaqMatcher
from bot.services.faq_reading import plain_question
from bot.services.faq_text import fold
from bot.services.faq_wordings import MAX_PHRASING, without_contacts

logger = logging.getLogger(__name__)

Status = Literal["pending", "approved", "rejected"]
Source = Literal["helped", "link", "teach", "gap", "move"]
COUNTER: Final = "faq_learned"
ENTRY_GONE: Final = "entry-gone"
AUTO_APPROVED: Final = "auto"  # approved by partners' confirmations, no manager saw it


def folded_wording(text: str) -> str:
    """A wording as it is learned, stored and exported: its words as the matcher reads a
    question (`plain_question`: no HTML tags or entities, no emoji — «<script>» and «&gt;»
    learned as words would lead questions with «script» or «gt» to the entry), and the
    letters they show (`faq_text.fold`: NFKC, combining marks stacked on letters dropped —
    «Zalgo» — but «й» and «ё» kept, however typed), «№» as typed; contact details (an
    e-mail address, a phone, a @handle, a link) left out: a partner's own, they would
    outlive /forget in an approved wording."""
    folded = "№".join(fold(part) for part in without_contacts(plain_question(text)).split("№"))
    return " ".join(folded.split())


@dataclass(frozen=True)
class Learned:
    id: int
    entry_id: str
    phrasing: str
    status: str
    source: str
    note: str | None
    created_at: datetime
    decided_at: datetime | None
    votes: int = 0
    # the entries this wording was approved or waiting for before a manager chose this one
    moved_from: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Any, votes: int = 0) -> Learned:
        return cls(
            id=int(row.id),
            entry_id=str(row.entry_id),
            phrasing=str(row.phrasing),
            status=str(row.status),
            source=str(row.source),
            note=row.note,
            created_at=as_utc(row.created_at),
            decided_at=None if row.decided_at is None else as_utc(row.decided_at),
            votes=votes,
        )


@dataclass(frozen=True)
class Proposed:
    learned: Learned | None
    auto_approved: bool


class LearnedRows:
    """The database side of learned phrasings, shared by every capability."""

    VERSION_CHECK_SECONDS: Final = 1.0

    def __init__(self, db: Database, store: ContentStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._matcher: FaqMatcher | None = None
        self._built_for: LiveContent | None = None
        self._version_seen: int | None = None
        self._checked_at = float("-inf")

    def _changed(self) -> None:
        self._checked_at = float("-inf")

    async def version(self) -> int:
        async with self._db.read() as conn:
            value = await conn.scalar(
                sa.select(counters.c.value).where(counters.c.name == COUNTER)
            )
        return int(value or 0)

    async def _bump(self, conn: AsyncConnection) -> None:
        dialect = conn.dialect.name
        statement = insert(dialect, counters).values(name=COUNTER, value=1)
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": counters.c.value + 1}
        )
        await conn.execute(statement)
        self._changed()

    async def _learn(
        self, conn: AsyncConnection, entry_id: str, phrasing: str, key: str, source: Source
    ) -> Learned:
        now = self._clock.now()
        row = await self._row(conn, entry_id, key)
        if row is None:
            result = await conn.execute(
                faq_learned.insert().values(
                    entry_id=entry_id,
                    phrasing=folded_wording(phrasing).strip()[:MAX_PHRASING],
                    phrasing_key=key,
                    status="approved",
                    source=source,
                    created_at=now,
                    decided_at=now,
                )
            )
            learned_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            await self._bump(conn)
        else:
            learned_id = int(row.id)
            if row.status != "approved":
                await self._decide(conn, learned_id, "approved")
        moved = await self._claim(conn, entry_id, key)
        learned = await self._get(conn, learned_id)
        assert learned is not None
        return replace(learned, moved_from=moved)

    async def _elsewhere(
        self, conn: AsyncConnection, entry_id: str, key: str, statuses: Sequence[str]
    ) -> list[tuple[str, str]]:
        """(entry, status) of the same wording under other entries."""
        rows = await conn.execute(
            sa.select(faq_learned.c.entry_id, faq_learned.c.status)
            .where(
                faq_learned.c.phrasing_key == key,
                faq_learned.c.entry_id != entry_id,
                faq_learned.c.status.in_(statuses),
            )
            .order_by(faq_learned.c.id)
        )
        return [(str(row.entry_id), str(row.status)) for row in rows]

    async def _claim(self, conn: AsyncConnection, entry_id: str, key: str) -> tuple[str, ...]:
        """One wording answers one entry: a manager chose `entry_id`, so the same wording
        approved or waiting under other entries is rejected there (in the caller's
        transaction). The entries it was taken from, approved ones first."""
        found = await self._elsewhere(conn, entry_id, key, ("approved", "pending"))
        if not found:
            return ()
        await conn.execute(
            faq_learned.update()
            .where(
                faq_learned.c.phrasing_key == key,
                faq_learned.c.entry_id != entry_id,
                faq_learned.c.status.in_(("approved", "pending")),
            )
            .values(status="rejected", decided_at=self._clock.now(), note=None)
        )
        taken = sa.select(faq_learned.c.id).where(
            faq_learned.c.phrasing_key == key, faq_learned.c.entry_id != entry_id
        )
        await conn.execute(
            faq_learned_votes.delete().where(faq_learned_votes.c.learned_id.in_(taken))
        )
        await self._bump(conn)
        approved = [entry for entry, status in found if status == "approved"]
        waiting = [entry for entry, status in found if status != "approved"]
        logger.info("FAQ: %r learned for %s, taken from %s", key, entry_id, approved + waiting)
        return tuple(dict.fromkeys(approved + waiting))

    async def _row(self, conn: AsyncConnection, entry_id: str, key: str) -> Any:
        query = sa.select(faq_learned).where(
            faq_learned.c.entry_id == entry_id, faq_learned.c.phrasing_key == key
        )
        return (await conn.execute(query)).first()

    async def _get(self, conn: AsyncConnection, learned_id: int) -> Learned | None:
        row = (
            await conn.execute(sa.select(faq_learned).where(faq_learned.c.id == learned_id))
        ).first()
        if row is None:
            return None
        votes = await conn.scalar(people_who_confirmed(learned_id))
        return Learned.from_row(row, int(votes or 0))

    async def _decide(self, conn: AsyncConnection, learned_id: int, status: Status) -> None:
        await conn.execute(
            faq_learned.update()
            .where(faq_learned.c.id == learned_id)
            .values(status=status, decided_at=self._clock.now(), note=None)
        )
        # approved: who confirmed it is no longer kept (a rejected one keeps its votes until
        # those partners /forget, which removes it: docs/privacy.md)
        if status == "approved":
            await conn.execute(
                faq_learned_votes.delete().where(faq_learned_votes.c.learned_id == learned_id)
            )
        await self._bump(conn)


def people_who_confirmed(learned_id: Any) -> sa.Select[int]:
    """How many different people confirmed a phrasing: partners linked to one affiliate id
    are one person (one person's Telegram, VK and MAX chats vote once)."""
    linked = sa.and_(partners.c.affiliate_status == "linked", partners.c.affiliate_id.isnot(None))
    person = sa.case(
        (linked, sa.literal("a:") + partners.c.affiliate_id),
        else_=sa.literal("p:") + sa.cast(faq_learned_votes.c.partner_id, sa.String),
    )
    return (
        sa.select(sa.func.count(sa.distinct(person)))
        .select_from(
            faq_learned_votes.outerjoin(partners, partners.c.id == faq_learned_votes.c.partner_id)
        )
        .where(faq_learned_votes.c.learned_id == learned_id)
    )
