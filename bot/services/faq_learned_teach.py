"""`partnerbot faq teach`, `faq learned` and `faq learned --export`: lines taught at once,
the whole list, and the approved phrasings as `alt:` lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from bot.content.models import Content
from bot.db.tables import faq_learned
from bot.services.faq_learned import Learned, LearnedRows, folded_wording
from bot.services.faq_wordings import (
    one_entry_per_wording,
    own_wording_problem,
    phrasing_key,
    teach_line,
    without_controls,
    wording_problem,
)


@dataclass(frozen=True)
class TeachProblem:
    line: int
    reason: str


@dataclass(frozen=True)
class TeachReport:
    stored: int
    unchanged: int
    problems: list[TeachProblem]


class LearnedTeach(LearnedRows):
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
            # without bidi controls: what is pasted into faq.yaml (and taught back) is the
            # same wording, and a right-to-left override cannot turn the file's lines
            # and as the letters it shows (one stored before wordings were folded too)
            phrasing = without_controls(folded_wording(row.phrasing))
            by_entry.setdefault(str(row.entry_id), []).append(phrasing)
        return by_entry

    async def listing(self) -> list[Learned]:
        """Every learned phrasing (approved, pending, rejected), by entry."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(faq_learned).order_by(faq_learned.c.entry_id, faq_learned.c.id)
            )
            return [Learned.from_row(row) for row in rows]

    # partnerbot faq teach

    async def teach(self, lines: Sequence[str | None], content: Content) -> TeachReport:
        """Lines of JSON {"q": …, "id": …}: each a phrasing approved for its entry; a bad
        line or an unknown id is refused with its number, nothing of it stored."""
        problems: list[TeachProblem] = []
        stored = unchanged = 0
        known = {entry.id for entry in content.faq}
        for number, line in enumerate(lines, start=1):
            if line is None:  # bytes that are not UTF-8 (faq_wordings.read_lines)
                problems.append(TeachProblem(number, "not UTF-8 text"))
                continue
            if not line.strip():
                continue
            parsed = teach_line(line, known)
            if isinstance(parsed, str):
                problems.append(TeachProblem(number, parsed))
                continue
            question, entry_id = parsed
            # stored without bidi controls, as the letters it shows (no «Zalgo» marks)
            question = folded_wording(without_controls(question))
            matcher = self._store.live.matcher
            problem = wording_problem(matcher, question) or own_wording_problem(
                matcher, question, entry_id
            )
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
