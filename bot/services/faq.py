"""Partners' questions: answered from the FAQ, suggested, or logged as a miss."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from bot.clock import Clock
from bot.content.models import FaqEntry
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import faq_questions
from bot.services.faq_matching import Match
from bot.services.partners import Partner


@dataclass(frozen=True)
class Answer:
    question_id: int
    match: Match
    entry: FaqEntry | None
    suggestions: tuple[FaqEntry, ...]


class FaqService:
    def __init__(self, db: Database, store: ContentStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock

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
        match = self._store.live.matcher.match(question, partner.segment or "")
        content = self._store.content
        entry = content.faq_entry(match.entry_id) if match.entry_id else None
        suggestions = tuple(
            found
            for candidate in match.suggestions
            if (found := content.faq_entry(candidate.entry_id)) is not None
        )
        outcome = {"answer": "answered", "suggest": "suggested", "miss": "missed"}[match.outcome]
        async with self._db.write() as conn:
            result = await conn.execute(
                faq_questions.insert().values(
                    partner_id=partner.id,
                    question=question[:2000],
                    entry_id=match.entry_id,
                    score=match.score,
                    outcome=outcome,
                    created_at=self._clock.now(),
                )
            )
            question_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return Answer(question_id, match, entry, suggestions)

    async def resolve(self, partner: Partner, question_id: int, entry_id: str | None) -> None:
        """The partner picked a suggestion (or none of them)."""
        values = {"entry_id": entry_id, "outcome": "picked"} if entry_id else {"outcome": "missed"}
        await self._set(partner, question_id, values)

    async def feedback(self, partner: Partner, question_id: int, feedback: str) -> None:
        await self._set(partner, question_id, {"feedback": feedback})

    async def _set(self, partner: Partner, question_id: int, values: Mapping[str, object]) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                faq_questions.update()
                .where(
                    faq_questions.c.id == question_id,
                    faq_questions.c.partner_id == partner.id,
                )
                .values(**values)
            )

    async def misses(self, limit: int = 20) -> list[tuple[str, int]]:
        """The most frequent unanswered questions, for managers."""
        query = (
            sa.select(faq_questions.c.question, sa.func.count().label("times"))
            .where(faq_questions.c.outcome == "missed")
            .group_by(faq_questions.c.question)
            .order_by(sa.desc("times"))
            .limit(limit)
        )
        async with self._db.read() as conn:
            return [(row.question, int(row.times)) for row in await conn.execute(query)]
