"""The matcher with learned phrasings: the live content's matcher plus every approved
phrasing, rebuilt when the counter moved (read at most once a second); what a content load
does to phrasings whose entry left or came back (`sync`); the entries closest to a text."""

from __future__ import annotations

import logging
from collections.abc import Collection

import sqlalchemy as sa

from bot.content.models import Content
from bot.db.tables import faq_learned
from bot.services.faq_learned import ENTRY_GONE, LearnedRows
from bot.services.faq_matching import CANDIDATES, FEATURES, Candidate, FaqMatcher
from bot.services.faq_thread import beside_loop
from bot.services.faq_vectors import CLOSEST
from bot.services.faq_wordings import one_entry_per_wording

logger = logging.getLogger(__name__)


_COVERAGE = FEATURES.index("coverage")
_QUESTION_ONLY = FEATURES.index("question_only")
_LEARNED = (FEATURES.index("learned_coverage"), FEATURES.index("learned_reverse"))
_MEANING = FEATURES.index("meaning")


def closest_in_meaning(candidates: list[Candidate]) -> set[str]:
    """The candidates closest in meaning (sentence vectors' cosine, the `CLOSEST` the
    matcher always scores): a paraphrase sharing no word with its entry («мне капает с
    тех кто продлевается» for «Платите ли за продления обучения?»). None with the
    vectors off (the cosine is 0)."""
    meaning = [c for c in candidates if len(c.features) > _MEANING and c.features[_MEANING] > 0]
    meaning.sort(key=lambda c: -c.features[_MEANING])
    return {c.entry_id for c in meaning[:CLOSEST]}


def has_evidence(candidate: Candidate) -> bool:
    """A candidate worth offering a manager: its wordings share a word with the text other
    than a question word («когда», «как»), or what it learned does; an entry that only
    came up through its answer text or a question word is no evidence."""
    features = candidate.features
    if not features:
        return True
    shared = features[_COVERAGE] > 0 and features[_QUESTION_ONLY] == 0
    return shared or any(features[i] > 0 for i in _LEARNED)


class LearnedIndex(LearnedRows):
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
        self._matcher = await beside_loop(live.matcher.with_learned, learned)
        self._built_for = live
        self._version_seen = version
        return self._matcher

    async def read_only_matcher(self) -> FaqMatcher:
        """The matcher with the approved phrasings, changing nothing (`faq match`)."""
        live = self._store.live
        return await beside_loop(live.matcher.with_learned, await self._approved(live.content))

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

    def closest(
        self,
        matcher: FaqMatcher,
        text: str,
        limit: int = 3,
        exclude: str | None = None,
        segments: Collection[str] = (),
        fill: bool = False,
    ) -> list[str]:
        """The ids of the entries closest to a text (for buttons), best first: what the
        bot itself answers or offers for it first (read as for a partner of each of
        `segments`: the same ranking the partner got), then, by the matcher's score, the
        entries with evidence (see `has_evidence`) and those closest in meaning
        (`closest_in_meaning`), possibly none — never the FAQ's first entries as filler.
        With `fill` (/faq_link: SPEC §10 offers "the 3 closest"), up to `limit` with the
        other entries the matcher ranked for the text, by score, after those. With
        `segments`: only entries one of those segments can see."""
        offered: list[str] = []
        meaning_only: list[str] = []
        scores: dict[str, float] = {}
        others: dict[str, float] = {}  # ranked with no evidence: `fill`'s
        scopes: list[str | None] = [*sorted(segments)] or [None]
        for segment in scopes:
            decided = matcher.match(text, segment)
            if decided.outcome == "answer" and decided.entry_id is not None:
                offered.append(decided.entry_id)
            offered.extend(candidate.entry_id for candidate in decided.suggestions)
            candidates = matcher.rank(text, segment, limit=CANDIDATES + CLOSEST)
            if not candidates:  # no word the FAQ knows: by meaning alone, if any is close
                meaning_only.extend(matcher.closest_in_meaning(text, segment))
            by_meaning = closest_in_meaning(candidates)
            for candidate in candidates:
                kept = (
                    scores
                    if has_evidence(candidate) or candidate.entry_id in by_meaning
                    else others
                )
                kept[candidate.entry_id] = max(kept.get(candidate.entry_id, 0.0), candidate.score)
        ranked = sorted(scores, key=lambda entry_id: -scores[entry_id])
        rest = sorted(others, key=lambda entry_id: -others[entry_id]) if fill else []
        ids = [
            entry_id
            for entry_id in dict.fromkeys([*offered, *ranked, *meaning_only, *rest])
            if entry_id != exclude
        ]
        return ids[:limit]
