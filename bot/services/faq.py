"""Partners' questions: answered from the FAQ, suggested, or logged as a miss."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Final

import sqlalchemy as sa

from bot.clock import Clock
from bot.content.models import FaqEntry
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import faq_questions, partners
from bot.services.faq_gaps import Gap, gap_of_wordings, group, wordings
from bot.services.faq_learned import Proposed
from bot.services.faq_learning import FaqLearning
from bot.services.faq_matching import FaqMatcher, Match
from bot.services.faq_thread import beside_loop
from bot.services.partner import Partner

logger = logging.getLogger(__name__)
# a question's outcome (faq_questions): answered | suggested | missed, then, after a press,
# picked (a "did you mean" option) | repicked (answered, then an entry under «Не то?»)
PICKED: Final = frozenset({"picked", "repicked"})
ANSWERED: Final = frozenset({"answered", *PICKED})  # an answer went: 👍 may follow


@dataclass(frozen=True)
class Answer:
    question_id: int
    match: Match
    entry: FaqEntry | None
    suggestions: tuple[FaqEntry, ...]


@dataclass(frozen=True)
class Helped:
    """What "Helped" under an answer did: the wording proposed (or not), and the entry the
    question was answered with when that answer came with «Не то?» options (answered,
    options offered, none picked): its message then loses the line announcing them."""

    proposed: Proposed
    unsure: FaqEntry | None


class _QuestionIds:
    """Time-ordered ids made in the process, so a question's id is known before its row is
    written and can go into its buttons: milliseconds since 2026, then the process (10
    bits of its pid, so worker processes never make the same id), then a counter (12 bits)."""

    EPOCH_MS: Final = 1_767_225_600_000

    def __init__(self) -> None:
        self._last = 0
        self._process = (os.getpid() & 0x3FF) << 12

    def next(self) -> int:
        now = (time.time_ns() // 1_000_000 - self.EPOCH_MS) << 22 | self._process
        self._last = max(self._last + 1, now)
        return self._last


class FaqService:
    """Answers from the FAQ; every question is logged for the managers.

    The log is written off the hot path: `ask` queues the row and a background task
    writes whatever has queued up in one statement, at most every WRITE_INTERVAL seconds
    (one round trip for many questions under load). `flush()` forces it; `close()`
    drains it.
    """

    WRITE_INTERVAL: Final = 0.05

    def __init__(
        self,
        db: Database,
        store: ContentStore,
        clock: Clock,
        learning: FaqLearning | None = None,
        managers: Sequence[str] = (),
        commands: Collection[str] = (),
    ) -> None:
        self._db = db
        self._managers = managers  # MANAGERS: their questions are no partner's gap
        self._commands = commands  # the bot's commands: typed as words, no gap either
        self._store = store
        self._clock = clock
        self.learning = learning if learning is not None else FaqLearning(db, store, clock)
        self._ids = _QuestionIds()
        self._pending: list[dict[str, Any]] = []
        self._queued = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None

    def topics(self, segment: str | None) -> list[str]:
        seen: dict[str, None] = {}
        for entry in self._store.content.faq:
            if entry.visible_to(segment):
                seen.setdefault(entry.topic)
        return list(seen)

    def entries(self, topic: str, segment: str | None) -> list[FaqEntry]:
        return [
            entry
            for entry in self._store.content.faq
            if entry.topic == topic and entry.visible_to(segment)
        ]

    def entry(self, entry_id: str, segment: str | None) -> FaqEntry | None:
        entry = self._store.content.faq_entry(entry_id)
        return entry if entry is not None and entry.visible_to(segment) else None

    async def ask(self, partner: Partner, question: str) -> Answer:
        """Match a free-text question and log it (misses are what managers read)."""
        matcher = await self.learning.matcher()
        match = await beside_loop(matcher.match, question, partner.segment or "")
        content = self._store.content
        entry = content.faq_entry(match.entry_id) if match.entry_id else None
        suggestions = tuple(
            found
            for candidate in match.suggestions
            if (found := content.faq_entry(candidate.entry_id)) is not None
        )
        outcome = {"answer": "answered", "suggest": "suggested", "miss": "missed"}[match.outcome]
        question_id = self._ids.next()
        self._pending.append(
            {
                "id": question_id,
                "partner_id": partner.id,
                "question": question,  # whole: a manager may need every word
                "entry_id": match.entry_id,
                "score": match.score,
                "outcome": outcome,
                "feedback": None,
                "created_at": self._clock.now(),
                "suggestions": ",".join(entry.id for entry in suggestions) or None,
            }
        )
        self._queued.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="faq-question-log")
        return Answer(question_id, match, entry, suggestions)

    async def _write_queued(self) -> None:
        while True:
            await self._queued.wait()
            self._queued.clear()
            try:
                await self.flush()
            except Exception:
                logger.exception("could not write the FAQ question log")
            # at most one write per interval: under load, one statement carries many rows
            await asyncio.sleep(self.WRITE_INTERVAL)

    async def flush(self) -> None:
        """Write every queued question now."""
        async with self._flush_lock:
            rows, self._pending = self._pending, []
            if rows:
                async with self._db.write() as conn:
                    await conn.execute(faq_questions.insert(), rows)

    async def close(self) -> None:
        if self._writer is not None:
            async with self._flush_lock:  # between writes: a write cut short loses its rows
                self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        await self.flush()

    async def matcher(self) -> FaqMatcher:
        return await self.learning.matcher()

    async def resolve(self, partner: Partner, question_id: int, entry_id: str | None) -> bool:
        """The partner picked a suggestion (or none of them). A pick of an entry that was
        not among the options offered for that question of theirs is refused (False)."""
        if entry_id is None:
            return await self._set(partner, question_id, {"outcome": "missed"})
        row = await self._question(partner, question_id)
        offered = (row.suggestions or "").split(",") if row is not None else []
        if row is None or entry_id not in offered:
            logger.warning(
                "FAQ: %s picked %r for question %d, which was not offered: refused",
                partner.key,
                entry_id,
                question_id,
            )
            return False
        # answered, then another entry picked under «Не то?»: the bot answered (/stats counts
        # it so); otherwise a "did you mean" option picked
        outcome = "repicked" if row.outcome in ("answered", "repicked") else "picked"
        return await self._set(partner, question_id, {"entry_id": entry_id, "outcome": outcome})

    async def feedback(self, partner: Partner, question_id: int, feedback: str) -> bool:
        return await self._set(partner, question_id, {"feedback": feedback})

    async def helped(self, partner: Partner, question_id: int) -> Helped | None:
        """ "Helped" under an answer: recorded; when the answer was a picked "did you mean"
        option, the question's words are proposed as a phrasing of that entry. Pressed for
        an answer the partner did not get (forged or stale data): refused, logged, None."""
        row = await self._question(partner, question_id)
        if row is None or row.entry_id is None or row.outcome not in ANSWERED:
            logger.warning(
                "FAQ: %s pressed Helped for question %d without an answer to it: refused",
                partner.key,
                question_id,
            )
            return None
        await self._set(partner, question_id, {"feedback": "helped"})
        entry = self._store.content.faq_entry(str(row.entry_id))
        if row.outcome not in PICKED or entry is None:
            unsure = entry if row.outcome == "answered" and row.suggestions else None
            return Helped(Proposed(None, auto_approved=False), unsure)
        proposed = await self.learning.propose(str(row.entry_id), str(row.question), partner.id)
        return Helped(proposed, None)

    async def _question(self, partner: Partner, question_id: int) -> Any:
        await self.flush()
        query = sa.select(faq_questions).where(
            faq_questions.c.id == question_id, faq_questions.c.partner_id == partner.id
        )
        async with self._db.read() as conn:
            return (await conn.execute(query)).first()

    async def _set(self, partner: Partner, question_id: int, values: Mapping[str, object]) -> bool:
        await self.flush()
        async with self._db.write() as conn:
            result = await conn.execute(
                faq_questions.update()
                .where(
                    faq_questions.c.id == question_id,
                    faq_questions.c.partner_id == partner.id,
                )
                .values(**values)
            )
        return bool(result.rowcount)

    async def question_text(self, partner: Partner, question_id: int) -> str | None:
        """The words of a question the partner asked (for a ticket opened from it)."""
        await self.flush()
        query = sa.select(faq_questions.c.question).where(
            faq_questions.c.id == question_id, faq_questions.c.partner_id == partner.id
        )
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else str(row.question)

    async def misses(self, limit: int = 20) -> list[tuple[str, int]]:
        """The most frequent unanswered questions, for managers."""
        await self.flush()
        query = (
            sa.select(faq_questions.c.question, sa.func.count().label("times"))
            .where(faq_questions.c.outcome == "missed")
            .group_by(faq_questions.c.question)
            .order_by(sa.desc("times"), faq_questions.c.question)
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [(row.question, int(row.times)) for row in await conn.execute(query)]

    async def gaps(self, days: int = 30, limit: int = 10) -> list[Gap]:
        """The questions of the last `days` days the bot still cannot answer, grouped by
        what they ask, asked by the most people first (`faq_gaps`). A wording learned
        (approved) since is no gap; nor is one the matcher now answers (with what it
        learned, for the segments that asked it): the wordings of the gaps listed are
        re-read, most asked first, at most GAP_RECHECK of them, so a listing stays cheap."""
        await self.flush()
        since = self._clock.now() - timedelta(days=days)
        async with self._db.read() as conn:
            found = await wordings(conn, since, self._managers, self._commands)
        matcher = await self.learning.matcher()
        learned = await self.learning.approved_keys(self._store.content)
        return await beside_loop(group, matcher, found, learned, limit)

    async def gap_of(self, question_id: int, days: int = 30) -> Gap | None:
        """The gap a missed question belongs to (for a manager's link from /stats): the gap
        listing its wording, even when that wording was asked again since the button was
        made; a wording that is no gap now stands alone, counted the same way."""
        await self.flush()
        query = sa.select(faq_questions.c.question).where(
            faq_questions.c.id == question_id,
            faq_questions.c.outcome.in_(("missed", "suggested")),
        )
        async with self._db.read() as conn:
            question = await conn.scalar(query)
        if question is None:
            return None
        for gap in await self.gaps(days, limit=10_000):
            if question in gap.wordings:
                return replace(gap, question_id=question_id)
        since = self._clock.now() - timedelta(days=days)
        async with self._db.read() as conn:
            found = [
                w
                for w in await wordings(conn, since, self._managers, self._commands)
                if w.question == question
            ]
        if found:
            return replace(gap_of_wordings(found), question_id=question_id)
        return Gap(question_id, str(question), 1, (str(question),))


def partners_asked(managers: Sequence[str]) -> Any:
    """SQL: a logged question that is no manager's (MANAGERS, platform:id); a forgotten
    partner's (no partner id) still counts."""
    ids = [(platform, int(user)) for platform, _, user in (m.partition(":") for m in managers)]
    if not ids:
        return sa.true()
    theirs = sa.select(partners.c.id).where(
        sa.or_(
            *(
                sa.and_(partners.c.platform == platform, partners.c.user_id == user)
                for platform, user in ids
            )
        )
    )
    return sa.or_(faq_questions.c.partner_id.is_(None), faq_questions.c.partner_id.not_in(theirs))
