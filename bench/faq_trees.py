"""Gradient-boosted trees against the shipped logistic model, leave-one-out (issue 13,
session 7): an experiment, not what ships. Needs scikit-learn (`pip install -e '.[bench]'`).

Each set of `bench.faq_loo` is left out in turn; every model is fitted on the other sets
and their taught views (as `bench.faq_loo` fits). Thresholds come from the training sets
only, by `bench.faq_loo`'s rule (answer: the lowest keeping out-of-scope questions 90 %
silent on average; options: the highest keeping their best one tap, never under 1 %),
applied either to the training sets' own predictions ("in-sample", what faq_loo does) or
to out-of-fold ones ("oof": each training set predicted by a model fitted on the other
training sets): trees fit their training rows far better than new ones, so in-sample
thresholds are too low for them.

Variants: the logistic model (candidates and confidence) as shipped; trees for the
candidate score with the logistic confidence on top; the logistic candidates with a tree
confidence; trees for both. Trees: scikit-learn's HistGradientBoostingClassifier, learned
features monotone non-decreasing (teaching never makes an entry less likely).

Run:   .venv/bin/python -m bench.faq_trees [--quick]    (about 15 minutes; --quick: 3)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bench import faq_loo
from bot.services.faq_matching import FEATURES, TOP_FEATURES

Scorer = Callable[[np.ndarray], np.ndarray]


@dataclass
class Question:
    id: str | None
    ids: list[str]
    x: np.ndarray  # one row of FEATURES per candidate


@dataclass
class Rows:
    name: str
    questions: list[Question]
    views: list[Rows]


@dataclass
class Prediction:
    ids: list[str]  # best first
    probabilities: np.ndarray  # the candidates', best first
    confidence: float


Trainer = Callable[[list[Rows]], tuple[Scorer, Scorer]]


def rows_of(faq_set: faq_loo.FaqSet) -> Rows:
    questions = [
        Question(
            q.id,
            [c.entry_id for c in ranked],
            np.array([c.features for c in ranked], dtype=np.float64).reshape(-1, len(FEATURES)),
        )
        for q, ranked in zip(faq_set.questions, faq_set.ranked, strict=True)
    ]
    return Rows(faq_set.name, questions, [rows_of(view) for view in faq_set.views])


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def _top(p: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order of the candidates and the TOP_FEATURES of the first (faq_model.top_features)."""
    order = np.argsort(-p, kind="stable")
    ranked = p[order]
    second = float(ranked[1]) if len(ranked) > 1 else 0.0
    crowd = sum(1 for s in ranked[1:] if s >= ranked[0] / 2)
    head = [
        _logit(float(ranked[0])) / 10,
        float(ranked[0]) - second,
        _logit(second) / 10 if len(ranked) > 1 else -1.4,
        min(crowd, 3) / 3,
    ]
    return order, np.concatenate([head, x[order[0]]])


def _scored(rows: Rows, candidate: Scorer) -> list[tuple[Question, np.ndarray] | None]:
    asked = [q for q in rows.questions if q.ids]
    every = candidate(np.vstack([q.x for q in asked])) if asked else np.zeros(0)
    out: list[tuple[Question, np.ndarray] | None] = []
    at = 0
    for q in rows.questions:
        if not q.ids:
            out.append(None)
            continue
        out.append((q, every[at : at + len(q.ids)]))
        at += len(q.ids)
    return out


def top_rows(sets: Sequence[Rows], candidate: Scorer) -> tuple[np.ndarray, np.ndarray]:
    features, labels = [], []
    for rows in sets:
        for item in _scored(rows, candidate):
            if item is None:
                continue
            q, p = item
            order, top = _top(p, q.x)
            features.append(top)
            labels.append(1.0 if q.ids[order[0]] == q.id else 0.0)
    return np.array(features), np.array(labels)


def predict(model: tuple[Scorer, Scorer], rows: Rows) -> list[Prediction]:
    candidate, confidence = model
    staged = []
    for item in _scored(rows, candidate):
        if item is None:
            staged.append(None)
            continue
        q, p = item
        order, top = _top(p, q.x)
        staged.append(([q.ids[i] for i in order], p[order], top))
    tops = [s[2] for s in staged if s is not None]
    confidences = confidence(np.array(tops)) if tops else np.zeros(0)
    out, k = [], 0
    for s in staged:
        if s is None:
            out.append(Prediction([], np.zeros(0), 0.0))
            continue
        out.append(Prediction(s[0], s[1], float(confidences[k])))
        k += 1
    return out


def figures(rows: Rows, predictions: list[Prediction], answer: float, suggest: float) -> dict:
    right = tap = silent = n_in = n_out = 0
    for q, p in zip(rows.questions, predictions, strict=True):
        given, options = None, []
        if p.ids and p.confidence >= answer:
            given = p.ids[0]
        elif p.ids:
            options = [
                i for i, s in zip(p.ids[:3], p.probabilities[:3], strict=False) if s >= suggest
            ]
        if q.id is None:
            n_out += 1
            silent += given is None
            continue
        n_in += 1
        right += given == q.id
        tap += given == q.id or q.id in options
    return {
        "right": right / max(n_in, 1),
        "silent": silent / max(n_out, 1),
        "one_tap": tap / max(n_in, 1),
    }


def thresholds(scored: list[tuple[Rows, list[Prediction]]]) -> tuple[float, float]:
    """bench.faq_loo.fit's rule, on these predictions."""

    def pooled(answer: float, suggest: float, name: str) -> float:
        return float(np.mean([figures(r, p, answer, suggest)[name] for r, p in scored]))

    answer = next(
        (t for t in faq_loo.GRID if pooled(t, min(t, 0.2), "silent") >= faq_loo.SILENT_FLOOR),
        faq_loo.GRID[-1],
    )
    taps = {
        t: pooled(answer, t, "one_tap") for t in (*faq_loo.LOW_GRID, *faq_loo.GRID) if t <= answer
    }
    floor = min(faq_loo.ONE_TAP_FLOOR, max(taps.values()))
    return answer, max(t for t, tap in taps.items() if tap >= floor)


def _with_views(sets: Sequence[Rows]) -> list[Rows]:
    return [*sets, *(view for rows in sets for view in rows.views)]


def _candidate_rows(sets: Sequence[Rows]) -> tuple[np.ndarray, np.ndarray]:
    x = np.vstack([q.x for rows in sets for q in rows.questions if q.ids])
    y = np.array([float(i == q.id) for rows in sets for q in rows.questions for i in q.ids])
    return x, y


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def _linear(x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> Scorer:
    learned = tuple(i for i, name in enumerate(names) if name.startswith("learned_"))
    w, b = faq_loo.logistic(x, y, 1.0, nonnegative=learned)
    return lambda rows: _sigmoid(rows @ w + b)


def _trees(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], iterations: int) -> Scorer:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        max_iter=iterations,
        max_depth=3,
        learning_rate=0.1,
        min_samples_leaf=40,
        monotonic_cst=[1 if name.startswith("learned_") else 0 for name in names],
        early_stopping=False,
        random_state=0,
    )
    model.fit(x, y)
    return lambda rows: model.predict_proba(rows)[:, 1]


def trainer(candidate_trees: bool, confidence_trees: bool, iterations: int) -> Trainer:
    def train(sets: list[Rows]) -> tuple[Scorer, Scorer]:
        x, y = _candidate_rows(sets)
        if candidate_trees:
            candidate = _trees(x, y, FEATURES, iterations)
        else:
            candidate = _linear(x, y, FEATURES)
        tx, ty = top_rows(sets, candidate)
        if confidence_trees:
            confidence = _trees(tx, ty, TOP_FEATURES, iterations)
        else:
            confidence = _linear(tx, ty, TOP_FEATURES)
        return candidate, confidence

    return train


def leave_one_out(sets: list[Rows], train: Trainer, out_of_fold: bool) -> list[tuple]:
    table = []
    for left in sets:
        others = [s for s in sets if s is not left]
        model = train(_with_views(others))
        if out_of_fold:
            scored = []
            for held in others:
                inner = train(_with_views([s for s in others if s is not held]))
                scored += [(r, predict(inner, r)) for r in (held, *held.views)]
        else:
            scored = [(r, predict(model, r)) for r in _with_views(others)]
        answer, suggest = thresholds(scored)
        f = figures(left, predict(model, left), answer, suggest)
        taught = np.mean(
            [figures(v, predict(model, v), answer, suggest)["right"] for v in left.views]
        )
        table.append((left.name, f["right"], f["silent"], f["one_tap"], taught, answer, suggest))
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="in-sample thresholds only")
    parser.add_argument("--iterations", type=int, default=60, help="boosting rounds")
    args = parser.parse_args()
    sets = faq_loo.load_sets()
    for faq_set in sets:
        faq_set.prepare()
    rows = [rows_of(s) for s in sets]
    variants = [
        ("logistic", False, False, False),
        ("logistic, oof", False, False, True),
        ("trees+logistic", True, False, False),
        ("trees+logistic, oof", True, False, True),
        ("logistic+trees, oof", False, True, True),
        ("trees+trees, oof", True, True, True),
    ]
    if args.quick:
        variants = [v for v in variants if not v[3]]
    print(
        "candidates+confidence, thresholds: mean over the six sets (right silent one-tap "
        "taught) | worst | demo right/silent | per set right/silent/one tap"
    )
    for label, cand, conf, oof in variants:
        started = time.monotonic()
        table = leave_one_out(rows, trainer(cand, conf, args.iterations), oof)
        six = np.array([t[1:5] for t in table if t[0] != "demo"])
        demo = next(t for t in table if t[0] == "demo")
        print(
            f"{label:<22} {' '.join(f'{v:.3f}' for v in six.mean(axis=0))} | "
            f"{' '.join(f'{v:.3f}' for v in six.min(axis=0))} | "
            f"{demo[1]:.3f}/{demo[2]:.3f} | "
            + "  ".join(f"{t[0]} {t[1]:.3f}/{t[2]:.3f}/{t[3]:.3f}" for t in table[:-1])
            + f"  ({time.monotonic() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
