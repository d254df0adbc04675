"""`partnerbot faq teach`, `faq learned` and `faq learned --export`: lines taught at once,
the whole list, and the approved phrasings as `alt:` lists."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.content.models import Content
from bot.db.tables import faq_learned, faq_learned_votes
from bot.services.faq_learned import Learned, LearnedRows, folded_wording
from bot.services.faq_wordings import (
    CONTACTS,
    MAX_PHRASING,
    has_contacts,
    one_entry_per_wording,
    own_wording_problem,
    phrasing_key,
    teach_line,
    without_controls,
    wording_problem,
)

logger = logging.getLogger(__name__)


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

    async def teach(
        self,
        lines: Sequence[str | None],
        content: Content,
        progress: Callable[[int, int], None] | None = None,
    ) -> TeachReport:
        """Lines of JSON {"q": …, "id": …}: each a phrasing approved for its entry; a bad
        line or an unknown id is refused with its number, nothing of it stored. Stored
        `TEACH_BATCH` lines a transaction, the learned version bumped once at the end (a
        running bot rebuilds its learned index once, not per line); `progress(lines
        done, lines)` after each batch."""
        problems: list[TeachProblem] = []
        stored = unchanged = 0
        known = {entry.id for entry in content.faq}
        changed = False
        try:
            for start in range(0, len(lines), TEACH_BATCH):
                batch = self._read_batch(lines, start, known, problems)
                if batch:
                    async with self._db.write() as conn:
                        outcome = await self._teach_batch(conn, batch)
                    stored += outcome.stored
                    unchanged += outcome.unchanged
                    problems.extend(outcome.problems)
                    changed = changed or outcome.changed
                if progress is not None:
                    progress(min(start + TEACH_BATCH, len(lines)), len(lines))
        finally:
            if changed:  # a running bot rebuilds its learned index once, for all of them
                async with self._db.write() as conn:
                    await self._bump(conn)
        problems.sort(key=lambda problem: problem.line)
        return TeachReport(stored, unchanged, problems)

    def _read_batch(
        self,
        lines: Sequence[str | None],
        start: int,
        known: set[str],
        problems: list[TeachProblem],
    ) -> list[_Taught]:
        """The wordings of `TEACH_BATCH` lines from `start`; the refused ones in `problems`."""
        wanted: list[_Taught] = []
        for number, line in enumerate(lines[start : start + TEACH_BATCH], start=start + 1):
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
            if has_contacts(question):  # what is left would be learned: «пишите мне на»
                problems.append(TeachProblem(number, CONTACTS))
                continue
            # stored without bidi controls, as the letters it shows (no «Zalgo» marks)
            question = folded_wording(without_controls(question))
            matcher = self._store.live.matcher
            problem = wording_problem(matcher, question) or own_wording_problem(
                matcher, question, entry_id
            )
            if problem is not None:
                problems.append(TeachProblem(number, problem))
                continue
            wanted.append(_Taught(number, entry_id, question, phrasing_key(question)))
        return wanted

    async def _teach_batch(self, conn: AsyncConnection, batch: Sequence[_Taught]) -> _Outcome:
        """One transaction's lines, as `_learn` would learn them one by one: the rows of
        their wordings read at once, decided here in the lines' order, written at once."""
        keys = sorted({taught.key for taught in batch})
        rows: dict[str, dict[str, _Row]] = {}  # wording → entry → its row
        for first in range(0, len(keys), _KEYS_A_QUERY):
            found = await conn.execute(
                sa.select(
                    faq_learned.c.id,
                    faq_learned.c.entry_id,
                    faq_learned.c.phrasing_key,
                    faq_learned.c.status,
                ).where(faq_learned.c.phrasing_key.in_(keys[first : first + _KEYS_A_QUERY]))
            )
            for each in found:
                rows.setdefault(str(each.phrasing_key), {})[str(each.entry_id)] = _Row(
                    int(each.id), str(each.status)
                )
        problems: list[TeachProblem] = []
        stored = unchanged = 0
        new: dict[tuple[str, str], str] = {}  # (entry, wording) → phrasing, inserted below
        approve: set[int] = set()
        reject: set[int] = set()
        for taught in batch:
            under = rows.setdefault(taught.key, {})
            others = _under_others(under, taught.entry_id)
            other = next((entry for entry, row in others if row.status == "approved"), None)
            if other is not None:
                reason = f"already learned for {other!r}: one wording answers one entry"
                problems.append(TeachProblem(taught.number, reason))
                continue
            row = under.get(taught.entry_id)
            if row is not None and row.status == "approved":
                unchanged += 1
            else:
                stored += 1
                if row is None:
                    new[(taught.entry_id, taught.key)] = taught.question
                elif row.id is not None:
                    approve.add(row.id)
                under[taught.entry_id] = _Row(row.id if row else None, "approved")
            # one wording answers one entry: waiting under other entries, rejected there
            taken = [entry for entry, each in others if each.status == "pending"]
            for entry in taken:
                taken_id = under[entry].id
                if taken_id is not None:
                    reject.add(taken_id)
                under[entry] = _Row(taken_id, "rejected")
            if taken:
                logger.info(
                    "FAQ: %r learned for %s, taken from %s", taught.key, taught.entry_id, taken
                )
        now = self._clock.now()
        if new:
            await conn.execute(
                faq_learned.insert(),
                [
                    {
                        "entry_id": entry_id,
                        "phrasing": phrasing.strip()[:MAX_PHRASING],
                        "phrasing_key": key,
                        "status": "approved",
                        "source": "teach",
                        "created_at": now,
                        "decided_at": now,
                    }
                    for (entry_id, key), phrasing in new.items()
                ],
            )
        for status, ids in (("approved", approve), ("rejected", reject)):
            for chunk in _chunks(sorted(ids)):
                await conn.execute(
                    faq_learned.update()
                    .where(faq_learned.c.id.in_(chunk))
                    .values(status=status, decided_at=now, note=None)
                )
                # decided: who confirmed it is no longer kept
                await conn.execute(
                    faq_learned_votes.delete().where(faq_learned_votes.c.learned_id.in_(chunk))
                )
        return _Outcome(stored, unchanged, problems, changed=bool(new or approve or reject))


TEACH_BATCH: Final = 1000  # lines stored in one transaction
_KEYS_A_QUERY: Final = 500  # bound parameters of one IN (…): SQLite allows 999 in old builds


@dataclass(frozen=True)
class _Taught:
    number: int  # the line's
    entry_id: str
    question: str  # as stored: without controls, folded
    key: str


@dataclass(frozen=True)
class _Outcome(TeachReport):
    changed: bool  # some row stored or decided: the learned version is bumped


@dataclass(frozen=True)
class _Row:
    id: int | None  # None: inserted by this batch
    status: str


def _under_others(under: dict[str, _Row], entry_id: str) -> list[tuple[str, _Row]]:
    return [(entry, row) for entry, row in under.items() if entry != entry_id]


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start : start + _KEYS_A_QUERY] for start in range(0, len(ids), _KEYS_A_QUERY)]
