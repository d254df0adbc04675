"""The scope weights (bot/services/faq_vectors.py, `scope_feature`), fitted on evaluation FAQs.

A logistic regression on a question's own sentence vector (the encoder's, as
`EntryVectors.compare` reads the question): 1 for a partner's question an entry answers,
0 for the sets' out-of-scope questions (near misses that share words with an entry, a
customer's questions, other programs' conditions, unrelated help). L2 penalty `PENALTY` on
the weights (not the bias), Newton's method.

Leave-one-out, as the adapter (bench/faq_adapter.py): each set is scored with the weights
fitted on the others, never on itself (`assign`); `bench.faq_loo --write` ships the ones
fitted on all.

Probe (leave-one-FAQ-out over 36 sets, the regression alone, before it was a feature):
in-scope against out-of-scope AUC 0.951 (each set's: mean 0.952, worst 0.889; near misses
only: 0.934) at PENALTY 1; 0.941 at 3, 0.925 at 10. As a feature, `bench.faq_loo` over 38 sets
(SCOPE_PENALTY=…): 0.3 / 1 / 3 give right 0.750 / 0.746 / 0.751, silent 0.967 / 0.961 / 0.954,
one tap 0.956 / 0.955 / 0.956, all three targets on 24 / 23 / 23 sets: the same within a set."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bench.faq_adapter import left_out
from bot.content.loader import load_content
from bot.services.faq_space import Space
from bot.services.faq_text import spoken
from bot.services.faq_vectors import readable

if TYPE_CHECKING:
    from bench.faq_loo import FaqSet

PENALTY = float(os.environ.get("SCOPE_PENALTY", "1.0"))
STEPS = 25


def rows(faq_set: FaqSet) -> tuple[np.ndarray, np.ndarray]:
    """The set's questions as the matcher encodes them, with a 1 for each in-scope one."""
    entries = load_content(faq_set.content_dir).faq
    space = Space([text for entry in entries for text in (entry.question, *entry.alt)])
    vectors = space.questions([readable(spoken(q.q)) for q in faq_set.questions])
    vectors = vectors.astype(np.float64)
    labels = np.array([q.id is not None for q in faq_set.questions], dtype=np.float64)
    return vectors, labels


def fit(every: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The weights (one a dimension, then the bias), float32."""
    x = np.concatenate([vectors for vectors, _ in every])
    y = np.concatenate([labels for _, labels in every])
    x = np.hstack([x, np.ones((len(x), 1))])
    penalty = np.full(x.shape[1], PENALTY)
    penalty[-1] = 0.0
    weights = np.zeros(x.shape[1])
    for _ in range(STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ weights)))
        gradient = x.T @ (p - y) + penalty * weights
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(penalty + 1e-6)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if float(np.abs(step).max()) < 1e-6:
            break
    return weights.astype(np.float32)


def assign(train: Sequence[FaqSet], extra: Sequence[FaqSet] = ()) -> np.ndarray | None:
    """Each training set gets the weights fitted on the other training sets, each extra set
    (never fitted on) the ones fitted on all of them, which are returned. With the encoder
    off every set gets none."""
    return left_out(train, extra, rows, fit, lambda faq_set, w: faq_set.set_scope(w))
