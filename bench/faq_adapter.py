"""The sentence-vector adapter (bot/services/faq_vectors.py), fitted on evaluation FAQs.

In use both sides move, v → v + v·M (unit length again), so a partner's words and an
author's words for the same thing meet closer. M is fitted for what the matcher needs of
it: the right entry RANKED above the FAQ's other entries. Each in-scope question of the
sets it is fitted on meets its own FAQ's entries (an entry's score: the cosine of its
closest wording, both sides moved); the loss is the softmax cross-entropy of the right
entry among them (scores / TEMPERATURE) plus PULL ‖M‖², minimised by full-batch gradient
descent (Adam, STEPS steps of RATE) from the ridge regression of session 14: M minimising
Σ ‖q·M − c‖² + LAMBDA ‖M‖² from each question to its entry's mean wording.

Leave-one-out: each set is ranked with the adapter fitted on the others, never on itself
(`assign`); `bench.faq_loo --write` ships the one fitted on all. A question is read the
way `EntryVectors.compare` reads it (`readable`).

Probe (leave-one-FAQ-out over the 34 sets, the right entry's wording closest by meaning
alone): 0.696 without an adapter, 0.758 with the ridge one, 0.809 / 0.800 with the ranking
one at TEMPERATURE 0.1 / 0.2; `bench.faq_loo` prefers 0.2 (right 0.692 / 0.697, one tap
0.946 / 0.948, 60 / 47 wrong answers: BENCHMARKS.md, "Issue 13, session 15")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from bot.content.loader import load_content
from bot.services.faq_semantic import encoder
from bot.services.faq_space import Space
from bot.services.faq_vectors import readable

if TYPE_CHECKING:
    from bench.faq_loo import FaqSet

Data = TypeVar("Data")  # what one set gives a fit (its vectors, its rows)
LAMBDA = 0.3  # the ridge regression the descent starts from
TEMPERATURE = 0.2
PULL = 1e-3
STEPS = 60
RATE = 2e-3


@dataclass(frozen=True)
class SetVectors:
    """One FAQ's in-scope questions and its entries' wordings, encoded."""

    questions: np.ndarray  # (n, dim) float32
    entries: np.ndarray  # (n,) the entry each question asks about
    wordings: np.ndarray  # (m, dim) float32, each entry's consecutive
    starts: np.ndarray  # where each entry's wordings start
    gram: np.ndarray  # Qᵀ Q (ridge)
    cross: np.ndarray  # Qᵀ C, C each question's entry's mean wording (ridge)


def vectors(faq_set: FaqSet) -> SetVectors:
    entries = load_content(faq_set.content_dir).faq
    index = {entry.id: number for number, entry in enumerate(entries)}
    texts: list[str] = []
    starts: list[int] = []
    for entry in entries:
        starts.append(len(texts))
        texts.extend((entry.question, *entry.alt))
    space = Space(texts)
    wordings = space.wordings
    centroids = np.empty((len(entries), space.dim), dtype=np.float64)
    for number, (start, end) in enumerate(zip(starts, [*starts[1:], len(texts)], strict=True)):
        mean = wordings[start:end].astype(np.float64).mean(axis=0)
        centroids[number] = mean / np.linalg.norm(mean)
    asked = [q for q in faq_set.questions if q.id is not None and q.id in index]
    questions = space.questions([readable(q.q) for q in asked]).astype(np.float64)
    numbers = np.array([index[str(q.id)] for q in asked], dtype=np.int64)
    return SetVectors(
        questions.astype(np.float32),
        numbers,
        wordings.astype(np.float32),
        np.asarray(starts, dtype=np.int64),
        questions.T @ questions,
        questions.T @ centroids[numbers],
    )


def ridge(every: Sequence[SetVectors]) -> np.ndarray:
    dim = len(every[0].gram)
    gram = sum((s.gram for s in every), np.zeros((dim, dim)))
    cross = sum((s.cross for s in every), np.zeros((dim, dim)))
    return np.linalg.solve(gram + LAMBDA * np.eye(dim), cross).astype(np.float32)


def _unit(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    length = np.maximum(np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None], 1e-12)
    return rows / length, length


def loss(every: Sequence[SetVectors], matrix: np.ndarray) -> tuple[float, np.ndarray]:
    """The ranking loss of `matrix` over these sets, and its gradient."""
    moved = matrix + np.eye(len(matrix), dtype=np.float32)
    questions = np.concatenate([s.questions for s in every])
    wordings = np.concatenate([s.wordings for s in every])
    q, q_length = _unit(questions @ moved)
    w, w_length = _unit(wordings @ moved)
    dq = np.zeros_like(q)
    dw = np.zeros_like(w)
    total, count = 0.0, len(q)
    q_at = w_at = 0
    for s in every:
        qs = slice(q_at, q_at + len(s.questions))
        ws = slice(w_at, w_at + len(s.wordings))
        q_at, w_at = qs.stop, ws.stop
        owner = np.repeat(np.arange(len(s.starts)), np.diff([*s.starts, len(s.wordings)]))
        cosines = q[qs] @ w[ws].T
        best = np.maximum.reduceat(cosines, s.starts, axis=1)  # per entry, closest wording
        logits = best / TEMPERATURE
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        rows = np.arange(len(s.entries))
        total -= float(np.log(p[rows, s.entries] + 1e-30).sum())
        p[rows, s.entries] -= 1.0
        p /= TEMPERATURE * count
        # the gradient reaches each entry's closest wording only
        chosen = (p[:, owner] * (cosines == best[:, owner])).astype(np.float32)
        dq[qs] = chosen @ w[ws]
        dw[ws] = chosen.T @ q[qs]
    dq = (dq - np.einsum("ij,ij->i", dq, q)[:, None] * q) / q_length
    dw = (dw - np.einsum("ij,ij->i", dw, w)[:, None] * w) / w_length
    gradient = questions.T @ dq + wordings.T @ dw + 2 * PULL * matrix
    return total / count + PULL * float((matrix * matrix).sum()), gradient


def fit(every: Sequence[SetVectors]) -> np.ndarray:
    """The ranking adapter: Adam from the ridge solution."""
    matrix = ridge(every)
    first = np.zeros_like(matrix)
    second = np.zeros_like(matrix)
    for step in range(1, STEPS + 1):
        _, gradient = loss(every, matrix)
        first = 0.9 * first + 0.1 * gradient
        second = 0.999 * second + 0.001 * gradient * gradient
        matrix -= (
            RATE * (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
        ).astype(np.float32)
    return matrix


def assign(train: Sequence[FaqSet], extra: Sequence[FaqSet] = ()) -> np.ndarray | None:
    """Each training set gets the adapter fitted on the other training sets, each extra set
    (never fitted on) the one fitted on all of them, which is returned. With the encoder
    off every set gets none."""
    return left_out(train, extra, vectors, fit, lambda faq_set, m: faq_set.set_adapter(m))


def left_out(
    train: Sequence[FaqSet],
    extra: Sequence[FaqSet],
    data_of: Callable[[FaqSet], Data],
    fit_on: Callable[[list[Data]], np.ndarray],
    give: Callable[[FaqSet, np.ndarray | None], None],
) -> np.ndarray | None:
    """What is fitted on the sentence vectors (the adapter, the scope weights), leave one
    set out: each training set is given the fit on the others, each extra set the fit on
    all of them, which is returned; with the encoder off every set is given None."""
    if encoder() is None:
        for faq_set in (*train, *extra):
            give(faq_set, None)
        return None
    data = {id(faq_set): data_of(faq_set) for faq_set in train}
    for faq_set in train:
        give(faq_set, fit_on([d for key, d in data.items() if key != id(faq_set)]))
    every = fit_on(list(data.values()))
    for faq_set in extra:
        give(faq_set, every)
    return every
