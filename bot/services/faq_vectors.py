"""The FAQ's entries as sentence vectors: what a question means, beside the words it uses.

The lexical matcher (faq_matching.py) knows words; a paraphrase with none of an entry's
words («как у вас устроено вознаграждение» for «сколько я получу с продажи») needs the
meaning. Each entry's own wordings (question and paraphrases) and its answer are encoded
once per content, then kept on disk for the next start (`bot/services/faq_vector_cache.py`;
the encoder: `bot/services/faq_semantic.py`, USE multilingual v3); a question is
encoded once, and each candidate gets three features for the calibrated model: the cosine
of its closest wording, its lead over the best other entry, and its answer's cosine. The
closest entries by meaning are candidates too, so a paraphrase sharing no word still gets
ranked. Learned wordings are not encoded: partners' questions are closer to each other's
style than to each other's meaning (measured: bench/faq_loo, BENCHMARKS.md), so what the
bot learns stays lexical. With the encoder off (`FAQ_VECTORS=off`) everything here is zero
and the matcher uses the model fitted without these features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.content.models import FaqEntry
from bot.services.faq_semantic import encode, encoder
from bot.services.faq_vector_cache import content_vectors

CLOSEST = 3  # the entries closest by meaning are candidates whatever their words


@dataclass(frozen=True)
class Closeness:
    """One question against every entry."""

    wording: np.ndarray  # per entry, the cosine of its closest own wording
    answer: np.ndarray  # per entry, the cosine of its answer
    first: int  # the entry closest by its wordings
    best: float
    second: float  # the next entry's closest wording

    def features(self, index: int) -> tuple[float, float, float]:
        """(closest wording, lead over the best other entry, answer)."""
        own = float(self.wording[index])
        other = self.second if index == self.first else self.best
        return own, own - other, float(self.answer[index])

    def closest(self, count: int = CLOSEST) -> list[int]:
        return [int(i) for i in np.argsort(-self.wording, kind="stable")[:count]]


class EntryVectors:
    """An FAQ's wordings and answers, encoded; built once per content load."""

    def __init__(self, entries: Sequence[FaqEntry]) -> None:
        self.on = encoder() is not None and bool(entries)
        self._count = len(entries)
        if not self.on:
            return
        texts: list[str] = []
        starts: list[int] = []  # each entry's wordings are consecutive, the question first
        for entry in entries:
            starts.append(len(texts))
            texts.extend((entry.question, *entry.alt))
        # content only (never a partner's text): these may be kept on disk
        vectors = content_vectors([*texts, *(entry.answer for entry in entries)])
        self._wordings = vectors[: len(texts)]
        self._starts = np.asarray(starts, dtype=np.int64)
        self._answers = vectors[len(texts) :]

    def compare(self, question: str) -> Closeness | None:
        """How close the question is to each entry; None with the encoder off."""
        if not self.on:
            return None
        # a partner's question is personal data: encoded, never remembered (/forget)
        vector = encode([question], keep=False)[0]
        wording = np.maximum.reduceat(self._wordings @ vector, self._starts)
        first = int(np.argmax(wording))
        second = float(np.max(np.delete(wording, first))) if self._count > 1 else -1.0
        return Closeness(wording, self._answers @ vector, first, float(wording[first]), second)
