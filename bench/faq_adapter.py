"""The sentence-vector adapter (bot/services/faq_vectors.py), fitted on evaluation FAQs.

A ridge regression from partners' questions (their encoder vectors) to their entry's
wordings (the mean of the entry's question and paraphrases, unit length): M minimises
Σ ‖q·M − c‖² + LAMBDA ‖M‖² over every in-scope question of the sets it is fitted on. In use
both sides move, v → v + v·M, so a partner's words and an author's words for the same
thing meet closer. Leave-one-out: each set is ranked with the adapter fitted on the
others, never on itself (`assign`); `bench.faq_loo --write` ships the one fitted on all.

Probe (leave-one-FAQ-out over the 31 sets, the right entry's wording closest by meaning
alone): 0.674 without an adapter, 0.742 with LAMBDA 0.3 and ALPHA 1.0 (BENCHMARKS.md,
"Issue 13, session 14").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.content.loader import load_content
from bot.services.faq_semantic import DIM, encode, encoder

if TYPE_CHECKING:
    from bench.faq_loo import FaqSet

LAMBDA = 0.3


@dataclass(frozen=True)
class Pairs:
    """One FAQ's questions against their entries, as the regression's sums."""

    gram: np.ndarray  # Qᵀ Q
    cross: np.ndarray  # Qᵀ C


def pairs(faq_set: FaqSet) -> Pairs:
    entries = load_content(faq_set.content_dir).faq
    index = {entry.id: number for number, entry in enumerate(entries)}
    centroids = np.empty((len(entries), DIM), dtype=np.float64)
    for number, entry in enumerate(entries):
        mean = encode([entry.question, *entry.alt]).mean(axis=0)
        centroids[number] = mean / np.linalg.norm(mean)
    asked = [q for q in faq_set.questions if q.id is not None and q.id in index]
    questions = encode([q.q for q in asked]).astype(np.float64)
    targets = centroids[[index[str(q.id)] for q in asked]]
    return Pairs(questions.T @ questions, questions.T @ targets)


def fit(every: Sequence[Pairs]) -> np.ndarray:
    gram = sum((p.gram for p in every), np.zeros((DIM, DIM)))
    cross = sum((p.cross for p in every), np.zeros((DIM, DIM)))
    return np.linalg.solve(gram + LAMBDA * np.eye(DIM), cross).astype(np.float32)


def assign(train: Sequence[FaqSet], extra: Sequence[FaqSet] = ()) -> np.ndarray | None:
    """Each training set gets the adapter fitted on the other training sets, each extra set
    (never fitted on) the one fitted on all of them, which is returned. With the encoder
    off every set gets none."""
    if encoder() is None:
        for faq_set in (*train, *extra):
            faq_set.set_adapter(None)
        return None
    sums = {id(faq_set): pairs(faq_set) for faq_set in train}
    for faq_set in train:
        faq_set.set_adapter(fit([p for key, p in sums.items() if key != id(faq_set)]))
    every = fit(list(sums.values()))
    for faq_set in extra:
        faq_set.set_adapter(every)
    return every
