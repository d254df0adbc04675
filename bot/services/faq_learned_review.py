"""Learning and reviewing: a partner's confirmation (pending, approved by itself once
enough different people confirmed it), a manager's link (approved at once), and
/faq_learned (approve, reject, move) and /forget."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.engine import insert
from bot.db.tables import faq_learned, faq_learned_votes, faq_questions
from bot.services.faq_learned import (
    AUTO_APPROVED,
    Learned,
    LearnedRows,
    Proposed,
    Source,
    Status,
    folded_wording,
    people_who_confirmed,
)
from bot.services.faq_wordings import (
    MAX_PHRASING,
    NO_MEANING,
    SMALL_TALK,
    has_contacts,
    learnable,
    owner_elsewhere,
    phrasing_key,
    without_controls,
    wording_problem,
)

logger = logging.getLogger(__name__)


OWN_WORDING = "reads as a wording of faq.yaml's entry"


def refusal_kind(problem: str) -> str:
    """A reason of `wording_problem` (or `unlearnable`'s) as a short kind the managers'
    texts name: meaningless | question-words | small-talk | own (another entry's own
    wording) (other: a reason without its own text)."""
    if problem.startswith(OWN_WORDING):
        return "own"
    if problem == NO_MEANING:
        return "meaningless"
    if problem == SMALL_TALK:
        return "small-talk"
    if problem.startswith("only question words"):
        return "question-words"
    return "other"


class LearnedReview(LearnedRows):
    # learning

    async def propose(self, entry_id: str, phrasing: str, partner_id: int) -> Proposed:
        """A partner confirmed that `entry_id` answers `phrasing` (a picked option, then
        "Helped"): pending, approved once enough different partners confirmed it."""
        if has_contacts(phrasing):  # personal data: nothing of it is learned (a manager's
            return Proposed(None, auto_approved=False)  # /faq_link learns it without them)
        phrasing = folded_wording(phrasing)  # stored as the letters it shows
        key = phrasing_key(phrasing)
        if not learnable(phrasing) or self.unlearnable(phrasing, entry_id):
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
            # approved for another entry (a manager's or partners' decision), or partners
            # confirmed it for another entry too (the votes disagree): a manager decides
            # between them in /faq_learned, never the votes alone
            taken = await self._elsewhere(conn, entry_id, key, ("approved",))
            disputed = bool(taken) or bool(await self._voted_elsewhere(conn, entry_id, key))
            if threshold and votes >= threshold and not disputed:
                await self._decide(conn, row.id, "approved")
                await conn.execute(  # /faq_learned shows it (`recently_taught`)
                    faq_learned.update()
                    .where(faq_learned.c.id == row.id)
                    .values(note=AUTO_APPROVED)
                )
                logger.info("FAQ: %r learned for %s (%d partners)", key, entry_id, votes)
                return Proposed(await self._get(conn, row.id), auto_approved=True)
            return Proposed(Learned.from_row(row, votes), auto_approved=False)

    async def learn(self, entry_id: str, phrasing: str, source: Source) -> Learned | None:
        """A manager's link or a taught line: approved at once for this entry only (copies
        of the wording under other entries are rejected: `moved_from` names them). None for
        a wording that is not `learnable` (no words, or too long)."""
        phrasing = folded_wording(phrasing)  # stored as the letters it shows
        key = phrasing_key(phrasing)
        if not learnable(phrasing) or self.unlearnable(phrasing, entry_id):
            return None
        async with self._db.write() as conn:
            return await self._learn(conn, entry_id, phrasing, key, source)

    def unlearnable(self, phrasing: str, entry_id: str | None = None) -> str | None:
        """Why a wording is not worth learning (see `wording_problem`; for `entry_id`, also
        when it reads as another entry's own wording: `owner`), None if it is."""
        problem = wording_problem(self._store.live.matcher, phrasing)
        if problem is None and entry_id is not None:
            owner = self.owner(phrasing, entry_id)
            problem = None if owner is None else f"{OWN_WORDING} {owner!r}"
        if problem is not None:
            logger.info("FAQ: %r not learned: %s", phrasing[:80], problem)
        return problem

    def owner(self, phrasing: str, entry_id: str) -> str | None:
        """The entry (not `entry_id`) one of whose own wordings in faq.yaml the phrasing
        reads as: it answers that entry whatever is learned, so it is learned for no other
        (None: no such entry)."""
        return owner_elsewhere(self._store.live.matcher, folded_wording(phrasing), entry_id)

    async def _voted_elsewhere(self, conn: AsyncConnection, entry_id: str, key: str) -> list[str]:
        """The other entries partners confirmed the same wording for (still waiting)."""
        voted = sa.select(faq_learned_votes.c.learned_id)
        rows = await conn.execute(
            sa.select(faq_learned.c.entry_id).where(
                faq_learned.c.phrasing_key == key,
                faq_learned.c.entry_id != entry_id,
                faq_learned.c.status == "pending",
                faq_learned.c.id.in_(voted),
            )
        )
        return [str(row.entry_id) for row in rows]

    async def disputed(self, item: Learned) -> list[str]:
        """The other entries partners confirmed `item`'s wording for (waiting too): the
        votes disagree, so only a manager approves it (the review card says so)."""
        async with self._db.read() as conn:
            key = await conn.scalar(
                sa.select(faq_learned.c.phrasing_key).where(faq_learned.c.id == item.id)
            )
            return [] if key is None else await self._voted_elsewhere(conn, item.entry_id, key)

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

    async def recently_taught(self, days: int = 7, limit: int = 10) -> list[Learned]:
        """The wordings partners' presses of «Helped» taught by themselves in the last
        `days` days (`faq.auto_approve_after` confirmations, no manager), newest first:
        what /faq_learned shows once nothing waits, each a tap from being taken back (a
        program that approves after one partner learns from anyone — a tester of
        session 22 taught «где скачать порно бесплатно» the banners entry)."""
        since = self._clock.now() - timedelta(days=days)
        query = (
            sa.select(faq_learned)
            .where(
                faq_learned.c.status == "approved",
                faq_learned.c.note == AUTO_APPROVED,
                faq_learned.c.decided_at >= since,
            )
            .order_by(faq_learned.c.decided_at.desc(), faq_learned.c.id.desc())
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [Learned.from_row(row) for row in await conn.execute(query)]

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
        """The pending wording decided: a wording that cannot teach (`unlearnable`: waiting
        from before that rule, or read so since the content changed) is rejected, never
        approved (the result's status says which)."""
        async with self._db.write() as conn:
            found = await self._get(conn, learned_id)
            if found is None or found.status != "pending":
                return None
            if status == "approved" and self.unlearnable(found.phrasing, found.entry_id):
                status = "rejected"
            await self._decide(conn, learned_id, status)
            if status == "rejected":
                await _picks_taken_back(conn, learned_id, found.entry_id)
            moved: tuple[str, ...] = ()
            if status == "approved":
                key = await conn.scalar(
                    sa.select(faq_learned.c.phrasing_key).where(faq_learned.c.id == learned_id)
                )
                moved = await self._claim(conn, found.entry_id, str(key))
            decided = await self._get(conn, learned_id)
            return None if decided is None else replace(decided, moved_from=moved)

    async def move(self, learned_id: int, entry_id: str) -> Learned | None:
        """A pending phrasing belongs to another entry: approved there (one that cannot
        teach is rejected where it is, as by `approve`)."""
        async with self._db.write() as conn:
            found = await self._get(conn, learned_id)
            if found is None or found.status != "pending":
                return None
            if self.unlearnable(found.phrasing, entry_id):
                await self._decide(conn, learned_id, "rejected")
                return await self._get(conn, learned_id)
            key = phrasing_key(found.phrasing)
            await conn.execute(faq_learned.delete().where(faq_learned.c.id == learned_id))
            return await self._learn(conn, entry_id, found.phrasing, key, "move")

    async def unlearn(self, phrasing: str) -> list[Learned]:
        """A learned wording taken back (`partnerbot faq unlearn`): each of its rows, approved
        or waiting, under any entry, is rejected, so the question gets what the model says
        again at once, and a partner's "Helped" never proposes it for that entry again."""
        key = phrasing_key(folded_wording(phrasing))
        async with self._db.write() as conn:
            ids = (
                await conn.scalars(
                    sa.select(faq_learned.c.id)
                    .where(faq_learned.c.phrasing_key == key, faq_learned.c.status != "rejected")
                    .order_by(faq_learned.c.id)
                )
            ).all()
            taken: list[Learned] = []
            for learned_id in ids:
                await self._decide(conn, learned_id, "rejected")
                if (row := await self._get(conn, learned_id)) is not None:
                    taken.append(row)
            return taken

    async def forget(self, partner_id: int) -> int:
        """/forget: the phrasings not approved (pending or rejected) that only this partner
        confirmed go, and their votes (an approved one keeps no link to who wrote it)."""
        async with self._db.write() as conn:
            own = sa.select(faq_learned_votes.c.learned_id).where(
                faq_learned_votes.c.partner_id == partner_id
            )
            others = sa.select(faq_learned_votes.c.learned_id).where(
                faq_learned_votes.c.partner_id != partner_id
            )
            result = await conn.execute(
                faq_learned.delete().where(
                    faq_learned.c.status.in_(("pending", "rejected")),
                    faq_learned.c.id.in_(own),
                    faq_learned.c.id.not_in(others),
                )
            )
            await conn.execute(
                faq_learned_votes.delete().where(faq_learned_votes.c.partner_id == partner_id)
            )
            return int(result.rowcount or 0)


async def _picks_taken_back(conn: AsyncConnection, learned_id: int, entry_id: str) -> None:
    """A rejected wording: the partners' questions that picked `entry_id` in its words
    (the pick and 👍 that proposed it) did not get their answer after all — they count as
    offered options again, so the FAQ's gaps (/stats, the digest) show them (they were
    lost: neither answered nor a gap)."""
    key = await conn.scalar(
        sa.select(faq_learned.c.phrasing_key).where(faq_learned.c.id == learned_id)
    )
    picked = await conn.execute(
        sa.select(faq_questions.c.id, faq_questions.c.question).where(
            faq_questions.c.entry_id == entry_id,
            faq_questions.c.outcome.in_(("picked", "repicked")),
        )
    )
    ids = [
        row.id
        for row in picked
        if key in (phrasing_key(row.question), phrasing_key(without_controls(row.question)))
    ]
    for start in range(0, len(ids), 500):
        await conn.execute(
            faq_questions.update()
            .where(faq_questions.c.id.in_(ids[start : start + 500]))
            .values(outcome="suggested")
        )
