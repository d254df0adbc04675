"""What the FAQ learns: phrasings of entries confirmed by partners or linked by managers.

A learned phrasing lives in the database, apart from the content folder, so a content
change never loses it. It is *pending* until a manager approves it (`/faq_learned`) or
`faq.auto_approve_after` different people confirmed the same entry for it (one person's
linked chats count once); a manager's link (`/faq_link`) and `partnerbot faq teach`
approve at once. Approved phrasings are
extra wordings of their entry in the matcher of every worker: each change bumps a counter
that workers read at most once a second, and rebuild their index when it moved. When
content is loaded (start-up, /reload), an approved phrasing whose entry left `faq.yaml`
waits for review again, and one still waiting for that reason is approved again once its
entry is back.

Who confirmed a pending phrasing is kept (to count different partners) and dropped once it
is approved; /forget removes the pending phrasings only that partner wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock, as_utc
from bot.content.models import Content, FaqEntry
from bot.content.store import ContentStore, LiveContent
from bot.db.engine import Database, insert
from bot.db.tables import counters, faq_learned, faq_learned_votes, partners
from bot.services.faq_matching import Candidate, FaqMatcher
from bot.services.faq_wordings import (
    MAX_PHRASING,
    learnable,
    one_entry_per_wording,
    phrasing_key,
    read_lines,
    similar_ids,
    teach_line,
    wording_problem,
)

__all__ = [
    "ENTRY_GONE",
    "MAX_PHRASING",
    "FaqLearning",
    "Learned",
    "learnable",
    "phrasing_key",
    "read_lines",
    "similar_ids",
    "wording_problem",
]

logger = logging.getLogger(__name__)

Status = Literal["pending", "approved", "rejected"]
Source = Literal["helped", "link", "teach", "gap"]
COUNTER: Final = "faq_learned"
ENTRY_GONE: Final = "entry-gone"


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


@dataclass(frozen=True)
class TeachProblem:
    line: int
    reason: str


@dataclass(frozen=True)
class TeachReport:
    stored: int
    unchanged: int
    problems: list[TeachProblem]


class FaqLearning:
    VERSION_CHECK_SECONDS: Final = 1.0

    def __init__(self, db: Database, store: ContentStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._matcher: FaqMatcher | None = None
        self._built_for: LiveContent | None = None
        self._version_seen: int | None = None
        self._checked_at = float("-inf")

    # the matcher with learned phrasings

    async def matcher(self) -> FaqMatcher:
        """The live content's matcher with every approved phrasing; the version counter is
        read at most once a second (changes made in this process are seen at once)."""
        live = self._store.live
        now = self._clock.monotonic()
        fresh = self._matcher is not None and self._built_for is live
        if fresh and now - self._checked_at < self.VERSION_CHECK_SECONDS:
            assert self._matcher is not None
            return self._matcher
        self._checked_at = now
        version = await self.version()
        if fresh and version == self._version_seen:
            assert self._matcher is not None
            return self._matcher
        learned = await self._approved(live.content)
        self._matcher = live.matcher.with_learned(learned)
        self._built_for = live
        self._version_seen = version
        return self._matcher

    async def read_only_matcher(self) -> FaqMatcher:
        """The matcher with the approved phrasings, changing nothing (`faq match`)."""
        live = self._store.live
        return live.matcher.with_learned(await self._approved(live.content))

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

    async def _approved(self, content: Content) -> dict[str, list[str]]:
        """Approved phrasings by entry (of entries `content` has)."""
        async with self._db.read() as conn:
            rows = list(
                await conn.execute(
                    sa.select(
                        faq_learned.c.id,
                        faq_learned.c.entry_id,
                        faq_learned.c.phrasing,
                        faq_learned.c.phrasing_key,
                        faq_learned.c.created_at,
                        faq_learned.c.decided_at,
                    )
                    .where(faq_learned.c.status == "approved")
                    .order_by(faq_learned.c.id)
                )
            )
        known = {entry.id for entry in content.faq}
        learned: dict[str, list[str]] = {}
        for row in one_entry_per_wording([row for row in rows if row.entry_id in known]):
            learned.setdefault(str(row.entry_id), []).append(str(row.phrasing))
        return learned

    async def approved_keys(self, content: Content) -> set[str]:
        """The normalised approved wordings (of entries `content` has)."""
        known = [entry.id for entry in content.faq]
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(faq_learned.c.phrasing_key).where(
                    faq_learned.c.status == "approved", faq_learned.c.entry_id.in_(known)
                )
            )
            return {str(row.phrasing_key) for row in rows}

    async def sync(self, content: Content) -> tuple[int, int]:
        """After content is loaded (start-up, /reload): approved phrasings whose entry left
        `faq.yaml` go back to review, marked; marked ones still waiting whose entry is back
        are approved again. (gone, back); every worker's matcher follows the counter.
        Only a load does this, so a worker with older content never undoes it."""
        known = [entry.id for entry in content.faq]
        async with self._db.write() as conn:
            gone = await conn.execute(
                faq_learned.update()
                .where(faq_learned.c.status == "approved", faq_learned.c.entry_id.not_in(known))
                .values(status="pending", note=ENTRY_GONE, decided_at=None)
            )
            back = list(
                await conn.execute(
                    sa.select(
                        faq_learned.c.id, faq_learned.c.entry_id, faq_learned.c.phrasing_key
                    ).where(
                        faq_learned.c.status == "pending",
                        faq_learned.c.note == ENTRY_GONE,
                        faq_learned.c.entry_id.in_(known),
                    )
                )
            )
            back_ids: list[int] = []
            for row in back:
                taken = await self._elsewhere(
                    conn, str(row.entry_id), str(row.phrasing_key), ("approved",)
                )
                if taken:  # approved for another entry meanwhile: a manager decides
                    await conn.execute(
                        faq_learned.update().where(faq_learned.c.id == row.id).values(note=None)
                    )
                    continue
                await self._decide(conn, int(row.id), "approved")
                back_ids.append(int(row.id))
            changed = (int(gone.rowcount or 0), len(back_ids))
            if changed[0]:
                await self._bump(conn)
        if changed[0]:
            logger.info("FAQ: %d learned phrasing(s) lost their entry: back to review", changed[0])
        if changed[1]:
            logger.info("FAQ: %d learned phrasing(s) have their entry back: approved", changed[1])
        return changed

    # learning

    async def propose(self, entry_id: str, phrasing: str, partner_id: int) -> Proposed:
        """A partner confirmed that `entry_id` answers `phrasing` (a picked option, then
        "Helped"): pending, approved once enough different partners confirmed it."""
        key = phrasing_key(phrasing)
        if not learnable(phrasing) or self.unlearnable(phrasing):
            return Proposed(None, auto_approved=False)
        now = self._clock.now()
        threshold = self._store.content.program.faq.auto_approve_after
        async with self._db.write() as conn:
            row = await self._row(conn, entry_id, key)
            if row is None:
                await conn.execute(
                    insert(conn.dialect.name, faq_learned)
                    .values(
                        entry_id=entry_id,
                        phrasing=phrasing.strip()[:MAX_PHRASING],
                        phrasing_key=key,
                        status="pending",
                        source="helped",
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["entry_id", "phrasing_key"])
                )
                row = await self._row(conn, entry_id, key)
            assert row is not None
            if row.status != "pending":  # approved already, or a manager rejected it
                return Proposed(Learned.from_row(row), auto_approved=False)
            await conn.execute(
                insert(conn.dialect.name, faq_learned_votes)
                .values(learned_id=row.id, partner_id=partner_id, created_at=now)
                .on_conflict_do_nothing(index_elements=["learned_id", "partner_id"])
            )
            votes = int(await conn.scalar(people_who_confirmed(row.id)) or 0)
            # approved for another entry (a manager's or partners' decision): a manager
            # decides between the two in /faq_learned, never the votes alone
            taken = await self._elsewhere(conn, entry_id, key, ("approved",))
            if threshold and votes >= threshold and not taken:
                await self._decide(conn, row.id, "approved")
                logger.info("FAQ: %r learned for %s (%d partners)", key, entry_id, votes)
                return Proposed(await self._get(conn, row.id), auto_approved=True)
            return Proposed(Learned.from_row(row, votes), auto_approved=False)

    async def learn(self, entry_id: str, phrasing: str, source: Source) -> Learned | None:
        """A manager's link or a taught line: approved at once for this entry only (copies
        of the wording under other entries are rejected: `moved_from` names them). None for
        a wording that is not `learnable` (no words, or too long)."""
        key = phrasing_key(phrasing)
        if not learnable(phrasing) or self.unlearnable(phrasing):
            return None
        async with self._db.write() as conn:
            return await self._learn(conn, entry_id, phrasing, key, source)

    def unlearnable(self, phrasing: str) -> str | None:
        """Why a wording is not worth learning (see `wording_problem`), None if it is."""
        problem = wording_problem(self._store.live.matcher, phrasing)
        if problem is not None:
            logger.info("FAQ: %r not learned: %s", phrasing[:80], problem)
        return problem

    async def _learn(
        self, conn: AsyncConnection, entry_id: str, phrasing: str, key: str, source: Source
    ) -> Learned:
        now = self._clock.now()
        row = await self._row(conn, entry_id, key)
        if row is None:
            result = await conn.execute(
                faq_learned.insert().values(
                    entry_id=entry_id,
                    phrasing=phrasing.strip()[:MAX_PHRASING],
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
        if status != "pending":  # decided: who confirmed it is no longer kept
            await conn.execute(
                faq_learned_votes.delete().where(faq_learned_votes.c.learned_id == learned_id)
            )
        await self._bump(conn)

    # review

    async def pending(self, limit: int = 50) -> list[Learned]:
        votes = people_who_confirmed(faq_learned.c.id).scalar_subquery()
        query = (
            sa.select(faq_learned, votes.label("votes"))
            .where(faq_learned.c.status == "pending")
            .order_by(faq_learned.c.created_at, faq_learned.c.id)
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [Learned.from_row(row, int(row.votes)) for row in await conn.execute(query)]

    async def get(self, learned_id: int) -> Learned | None:
        async with self._db.read() as conn:
            return await self._get(conn, learned_id)

    async def approve(self, learned_id: int) -> Learned | None:
        """Approved for its entry only: copies under other entries are rejected."""
        return await self._review(learned_id, "approved")

    async def elsewhere(self, item: Learned) -> list[tuple[str, str]]:
        """(entry, status) where the same wording is approved or waiting, besides `item`'s
        entry (a review card warns: approving moves it)."""
        async with self._db.read() as conn:
            key = await conn.scalar(
                sa.select(faq_learned.c.phrasing_key).where(faq_learned.c.id == item.id)
            )
            if key is None:
                return []
            return await self._elsewhere(conn, item.entry_id, str(key), ("approved", "pending"))

    async def reject(self, learned_id: int) -> Learned | None:
        return await self._review(learned_id, "rejected")

    async def _review(self, learned_id: int, status: Status) -> Learned | None:
        async with self._db.write() as conn:
            found = await self._get(conn, learned_id)
            if found is None or found.status != "pending":
                return None
            await self._decide(conn, learned_id, status)
            moved: tuple[str, ...] = ()
            if status == "approved":
                key = await conn.scalar(
                    sa.select(faq_learned.c.phrasing_key).where(faq_learned.c.id == learned_id)
                )
                moved = await self._claim(conn, found.entry_id, str(key))
            decided = await self._get(conn, learned_id)
            return None if decided is None else replace(decided, moved_from=moved)

    async def move(self, learned_id: int, entry_id: str) -> Learned | None:
        """A pending phrasing belongs to another entry: approved there."""
        async with self._db.write() as conn:
            found = await self._get(conn, learned_id)
            if found is None or found.status != "pending":
                return None
            key = phrasing_key(found.phrasing)
            await conn.execute(faq_learned.delete().where(faq_learned.c.id == learned_id))
            return await self._learn(conn, entry_id, found.phrasing, key, "link")

    async def forget(self, partner_id: int) -> int:
        """/forget: the pending phrasings only this partner confirmed go, and their votes."""
        async with self._db.write() as conn:
            own = sa.select(faq_learned_votes.c.learned_id).where(
                faq_learned_votes.c.partner_id == partner_id
            )
            others = sa.select(faq_learned_votes.c.learned_id).where(
                faq_learned_votes.c.partner_id != partner_id
            )
            result = await conn.execute(
                faq_learned.delete().where(
                    faq_learned.c.status == "pending",
                    faq_learned.c.id.in_(own),
                    faq_learned.c.id.not_in(others),
                )
            )
            await conn.execute(
                faq_learned_votes.delete().where(faq_learned_votes.c.partner_id == partner_id)
            )
            return int(result.rowcount or 0)

    async def export(self) -> dict[str, list[str]]:
        """The approved phrasings by entry (`faq learned --export`), a wording under one
        entry only."""
        async with self._db.read() as conn:
            rows = list(
                await conn.execute(
                    sa.select(faq_learned)
                    .where(faq_learned.c.status == "approved")
                    .order_by(faq_learned.c.entry_id, faq_learned.c.id)
                )
            )
        by_entry: dict[str, list[str]] = {}
        for row in one_entry_per_wording(rows):
            by_entry.setdefault(str(row.entry_id), []).append(str(row.phrasing))
        return by_entry

    async def listing(self) -> list[Learned]:
        """Every learned phrasing (approved, pending, rejected), by entry."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(faq_learned).order_by(faq_learned.c.entry_id, faq_learned.c.id)
            )
            return [Learned.from_row(row) for row in rows]

    # partnerbot faq teach

    async def teach(self, lines: Sequence[str], content: Content) -> TeachReport:
        """Lines of JSON {"q": …, "id": …}: each a phrasing approved for its entry; a bad
        line or an unknown id is refused with its number, nothing of it stored."""
        problems: list[TeachProblem] = []
        stored = unchanged = 0
        known = {entry.id for entry in content.faq}
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            parsed = teach_line(line, known)
            if isinstance(parsed, str):
                problems.append(TeachProblem(number, parsed))
                continue
            question, entry_id = parsed
            problem = wording_problem(self._store.live.matcher, question)
            if problem is not None:
                problems.append(TeachProblem(number, problem))
                continue
            key = phrasing_key(question)
            async with self._db.write() as conn:
                other = await conn.scalar(
                    sa.select(faq_learned.c.entry_id).where(
                        faq_learned.c.phrasing_key == key,
                        faq_learned.c.entry_id != entry_id,
                        faq_learned.c.status == "approved",
                    )
                )
                if other is not None:
                    reason = f"already learned for {other!r}: one wording answers one entry"
                    problems.append(TeachProblem(number, reason))
                    continue
                before = await self._row(conn, entry_id, key)
                await self._learn(conn, entry_id, question, key, "teach")
            if before is not None and before.status == "approved":
                unchanged += 1
            else:
                stored += 1
        return TeachReport(stored, unchanged, problems)

    def closest(
        self,
        matcher: FaqMatcher,
        text: str,
        limit: int = 3,
        exclude: str | None = None,
        segments: Collection[str] = (),
    ) -> list[str]:
        """The ids of the entries closest to a text (for buttons), best first; the first
        entries of the FAQ when nothing is close. With `segments`: only entries one of
        those segments can see."""

        def offered(entry: FaqEntry) -> bool:
            visible = not segments or any(entry.visible_to(s) for s in segments)
            return visible and entry.id != exclude

        hidden = sum(not offered(entry) for entry in matcher.entries)
        ranked: list[Candidate] = matcher.rank(text, limit=limit + hidden)
        by_id = {entry.id: entry for entry in matcher.entries}
        ids = [c.entry_id for c in ranked if offered(by_id[c.entry_id])][:limit]
        for entry in matcher.entries:
            if len(ids) >= limit:
                break
            if entry.id not in ids and offered(entry):
                ids.append(entry.id)
        return ids


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
