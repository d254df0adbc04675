"""FAQ quality, leave-one-out over several FAQs: each set is scored with the model weights
and thresholds fitted on the other sets, never on itself.

Sets: every folder of bench/faq_sets/ and of bench/faq_heldout/ holding a questions.jsonl
(with its faq.yaml and program.yaml; a new folder is picked up without code changes) but
the held-out sets still blind (listed in bench/faq_heldout/FRESH: nothing is fitted on
them until `bench.faq_unseen` has scored them), and the demo FAQ (content/, scored WITHOUT
its hand-written `keywords`; bench/faq_eval.yaml). Since session 13 the held-out sets
already scored are training sets too (27 FAQs instead of 7: the calibration learns
near misses of twenty more programs; BENCHMARKS.md "Issue 13, session 13").

Per left-out set:
- right:   in-scope questions answered with the right entry;
- silent:  out-of-scope questions left unanswered (options or nothing);
- one tap: in-scope questions answered right or with the right entry among the options;
- taught:  after teaching half of each entry's questions with the teach path
           (FaqLearning.teach into a fresh SQLite database), the other half answered right
           (and the mirror half, averaged);
- t(≥2):   the same over the questions of entries with at least two questions (an entry
           with one question has nothing taught for it);
- t.sil:   out-of-scope questions left unanswered with half of each entry's questions
           taught (the taught views below, averaged);
- quiet:   out-of-scope questions that got nothing at all (no answer, no options):
           "silent" counts a "did you mean" list as no answer, this column shows both.

The model is fitted on the training sets and on their "taught views" (each training set
twice more, half of each entry's questions learned: what learned wordings prove is learned
from other sets too); TAUGHT_ROWS=0 fits without the views, for comparison.

--verbose SET (or `all`) lists the set's misses, then the taught half's others missed, each
with the wordings taught for its entry and what they share with it (a word the entry's own
wordings lack, only its own words, nothing), and a table of those by kind.

--neighbours: what the taught half says about the other half without the model: the
entry of the closest learned wording, by words (IDF) and by meaning (sentence vectors
through the set's adapter, beside the closest content wording's).

Run:   .venv/bin/python -m bench.faq_loo [--verbose SET|all] [--write] [--neighbours]
--write fits the shipped model, adapter and scope weights on all the sets: for USE and e5
side by side (the default: bot/faq_data/faq_model_e5.json, faq_adapter_e5.npy,
faq_scope_e5.npy); FAQ_ENCODER=use ... --write those of USE alone (faq_model.json, …);
FAQ_VECTORS=off ... --write the one without sentence vectors (faq_model_lexical.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from bench import faq_adapter, faq_scope
from bot.clock import SystemClock
from bot.content.loader import load_content
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.services import faq_e5, faq_semantic, faq_vector_cache
from bot.services.faq_learning import FaqLearning
from bot.services.faq_matching import (
    CANDIDATES,
    FEATURES,
    MAX_SUGGESTIONS,
    TOP_FEATURES,
    Candidate,
    FaqMatcher,
    Match,
    Model,
    lexicon,
    model_file,
    options_instead,
    options_under_answer,
    top_features,
)
from bot.services.faq_semantic import encoder
from bot.services.faq_space import Space
from bot.services.faq_vectors import (
    CLOSEST,
    adapt,
    adapter_file,
    readable,
    scope_file,
    use_adapter,
    use_scope,
)
from bot.services.faq_wordings import NO_MEANING, SMALL_TALK

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "bench" / "faq_sets"
HELD_OUT = ROOT / "bench" / "faq_heldout"
MODEL_DIR = ROOT / "bot" / "faq_data"
# the entries the bot scores for a question (`FaqMatcher._candidates`): the best by words
# and the closest by meaning — ranked with a neutral model (all tied), a cut at CANDIDATES
# dropped the closest by meaning, which the bot scores (until session 19)
SCORED = CANDIDATES + CLOSEST
GRID = [round(float(x), 3) for x in np.arange(0.02, 0.99, 0.01)]
# what the thresholds must hold on the *training* sets, averaged (a margin over the targets)
SILENT_FLOOR = 0.90
TAUGHT_ROWS = os.environ.get("TAUGHT_ROWS", "1") == "1"
# the one tap the options threshold keeps on the training sets (0.96 until session 17; with
# «Не то?» under a sure answer whose second is close, 0.96 let the threshold rise and give
# the gain back: 0.965 — 25 left-out sets of 38 meeting all three targets against 24, the
# same options for unrelated questions; 0.97 the same as 0.965)
ONE_TAP_FLOOR = float(os.environ.get("ONE_TAP_FLOOR", "0.965"))
# ANSWER_KEEPS_TAP=1: the answer threshold must also keep ONE_TAP_FLOOR (tried in session
# 16; with the wrong-answer ceiling below it is not needed, and words alone, whose one tap
# never reaches the floor, it drives the threshold to the top)
ANSWER_KEEPS_TAP = os.environ.get("ANSWER_KEEPS_TAP", "0") == "1"
# … and answers no more than this share of their in-scope questions with a wrong entry
# (session 16, LOO over 36 sets: without it the threshold fell to ~0.50 — right 0.83, wrong
# answers 226; at 0.03 ~0.74 — right 0.75, 124, all three targets on 23 sets instead of
# 19; at 0.02 ~0.83 — right 0.70, 87, on 22)
WRONG_CEILING = float(os.environ.get("WRONG_CEILING", "0.03"))
# the lowest options threshold: the level that leaves as many of the training sets'
# questions about nothing in the program (kind `out_of_scope`: chit-chat, «какая сегодня
# погода», other help) without "did you mean" as the bot did until session 13 (a fixed
# 0.01 with the model fitted on seven sets left 0.454 of them on the 31 sets; the same 0.01
# leaves 0.36 with the model fitted on 31, whose probabilities for unrelated questions run
# higher): an entry less likely than that is no option worth showing
UNRELATED_QUIET = 0.45
LOW_GRID = [round(0.005 * k, 3) for k in range(1, 4)]  # below GRID: 0.005, 0.01, 0.015
REFUSED = {NO_MEANING, SMALL_TALK}
OWN_WORDING = "reads the same as a wording of "  # faq_wordings.own_wording_problem


@dataclass(frozen=True)
class Question:
    q: str
    id: str | None
    kind: str


@dataclass
class FaqSet:
    name: str
    content_dir: Path
    questions: list[Question]
    matcher: FaqMatcher = field(init=False)
    ranked: list[list[Candidate]] = field(init=False)
    views: list[FaqSet] = field(init=False)
    # the sentence-vector adapter this set is ranked with (bench/faq_adapter.py): until
    # set, the shipped one
    adapter: tuple[np.ndarray | None] | None = field(default=None, init=False)
    # … and the scope weights (bench/faq_scope.py): until set, the shipped ones
    scope: tuple[np.ndarray | None] | None = field(default=None, init=False)

    def set_adapter(self, matrix: np.ndarray | None) -> None:
        self.adapter = (matrix,)

    def set_scope(self, weights: np.ndarray | None) -> None:
        self.scope = (weights,)

    def prepare(self) -> None:
        if self.adapter is not None:
            use_adapter(self.adapter[0])
        if self.scope is not None:
            use_scope(self.scope[0])
        content = load_content(self.content_dir)
        # a neutral model: the features do not depend on it, and the fit must not depend
        # on the model it replaces
        neutral = Model(tuple(0.0 for _ in FEATURES), 0.0, answer=0.5, suggest=0.2)
        self.matcher = FaqMatcher(
            content.faq, lexicon(content.lexicon), neutral, use_keywords=False
        )
        # every entry the bot scores: the best by words and the closest by meaning
        self.ranked = [self.matcher.rank(q.q, limit=SCORED) for q in self.questions]
        self.views = [
            self._taught_view(n, teach, test)
            for n, (teach, test) in enumerate(halves(self.questions))
        ]

    def _taught_view(self, number: int, teach: list[Question], test: list[Question]) -> FaqSet:
        """The set with half of each entry's questions learned: the other half and the
        out-of-scope questions, ranked by the matcher that learned them (training rows
        for how much learned wordings prove)."""
        learned: dict[str, list[str]] = defaultdict(list)
        for question in teach:
            learned[str(question.id)].append(question.q)
        asked = test + [q for q in self.questions if q.id is None]
        view = FaqSet(f"{self.name}/taught{number}", self.content_dir, asked)
        view.matcher = self.matcher.with_learned(learned)
        view.ranked = [view.matcher.rank(q.q, limit=SCORED) for q in asked]
        view.views = []
        return view


def halves(questions: list[Question]) -> list[tuple[list[Question], list[Question]]]:
    """(taught, tested) twice: every other in-scope question of each entry taught."""
    by_entry: dict[str, list[Question]] = defaultdict(list)
    for question in questions:
        if question.id is not None:
            by_entry[question.id].append(question)
    out = []
    for half in (0, 1):
        teach: list[Question] = []
        test: list[Question] = []
        for entry_questions in by_entry.values():
            for index, question in enumerate(entry_questions):
                (teach if index % 2 == half else test).append(question)
        out.append((teach, test))
    return out


def _question(data: dict[str, object]) -> Question:
    entry = data.get("id")
    return Question(
        str(data["q"]), None if entry is None else str(entry), str(data.get("kind", ""))
    )


def load_folder(root: Path) -> list[FaqSet]:
    """Every folder of `root` with a questions.jsonl: a new set drops in as it is."""
    sets = []
    for folder in sorted(path.parent for path in root.glob("*/questions.jsonl")):
        lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        questions = [_question(json.loads(line)) for line in lines if line.strip()]
        sets.append(FaqSet(folder.name, folder, questions))
    return sets


def fresh() -> set[str]:
    """The held-out sets nobody has scored yet (bench/faq_heldout/FRESH): never fitted on."""
    lines = (HELD_OUT / "FRESH").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def load_sets() -> list[FaqSet]:
    """Every set the model may be fitted on."""
    blind = fresh()
    sets = load_folder(SETS)
    demo = yaml.safe_load((ROOT / "bench" / "faq_eval.yaml").read_text(encoding="utf-8"))
    questions = [Question(c["q"], c["expect"], "demo") for c in demo["in_scope"]]
    questions += [Question(c["q"], None, "out_of_scope") for c in demo["out_of_scope"]]
    sets.append(FaqSet("demo", ROOT / "content", questions))
    return sets + [s for s in load_folder(HELD_OUT) if s.name not in blind]


# --- fitting --------------------------------------------------------------------------


def _rows(sets: list[FaqSet]) -> tuple[np.ndarray, np.ndarray]:
    features, labels = [], []
    for faq_set in sets:
        for question, ranked in zip(faq_set.questions, faq_set.ranked, strict=True):
            for candidate in ranked:
                features.append(candidate.features)
                labels.append(1.0 if candidate.entry_id == question.id else 0.0)
    return np.array(features, dtype=np.float64), np.array(labels)


def _top_rows(sets: list[FaqSet], model: Model) -> tuple[np.ndarray, np.ndarray]:
    features, labels = [], []
    for faq_set in sets:
        for question, candidates in zip(faq_set.questions, faq_set.ranked, strict=True):
            ranked = _rescore(candidates, model)
            if ranked:
                features.append(top_features(ranked))
                labels.append(1.0 if ranked[0].entry_id == question.id else 0.0)
    return np.array(features, dtype=np.float64), np.array(labels)


def _rescore(ranked: list[Candidate], model: Model) -> list[Candidate]:
    scored = [Candidate(c.entry_id, model.probability(c.features), c.features) for c in ranked]
    scored.sort(key=lambda c: -c.score)
    return scored


def _rescored(faq_set: FaqSet, model: Model) -> list[list[Candidate]]:
    return [_rescore(ranked, model) for ranked in faq_set.ranked]


def fit_weights(sets: list[FaqSet], l2: float = 1.0) -> tuple[np.ndarray, float]:
    return logistic(*_rows(sets), l2, nonnegative=_learned_columns(FEATURES))


def _learned_columns(names: tuple[str, ...]) -> tuple[int, ...]:
    """What a learned wording proves may weigh little, never against its entry: teaching
    an entry must not make the bot less sure of it."""
    return tuple(i for i, name in enumerate(names) if name.startswith("learned_"))


def logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, nonnegative: tuple[int, ...] = ()
) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method (L2 on the weights, not the bias); a column
    of `nonnegative` whose weight comes out below zero is left out (weight 0) and the
    rest fitted again."""
    dropped: set[int] = set()
    while True:
        keep = [i for i in range(x.shape[1]) if i not in dropped]
        weights, bias = _newton(x[:, keep], y, l2)
        full = np.zeros(x.shape[1])
        full[keep] = weights
        negative = [i for i in nonnegative if i not in dropped and full[i] < 0]
        if not negative:
            return full, bias
        dropped.update(negative)


def _newton(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    x1 = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x1.shape[1])
    penalty = np.eye(x1.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x1 @ w, -30, 30)))
        gradient = x1.T @ (p - y) + penalty @ w
        hessian = x1.T @ (x1 * (p * (1 - p))[:, None]) + penalty + np.eye(len(w)) * 1e-9
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def _probabilities(faq_set: FaqSet, model: Model) -> list[list[tuple[str, float]]]:
    """Per question: (entry, probability) best first; the first carries the confidence."""
    out = []
    for ranked in _rescored(faq_set, model):
        pairs = [(c.entry_id, c.score) for c in ranked]
        if ranked:
            pairs[0] = (ranked[0].entry_id, model.confidence(ranked))
        out.append(pairs)
    return out


@dataclass
class Figures:
    right: float
    silent: float
    one_tap: float
    offered: float  # share of in-scope questions that got options rather than an answer
    quiet: float  # out-of-scope questions that got neither an answer nor options
    by_kind: dict[str, tuple[int, int]]
    top1: float = 0.0  # in-scope questions whose right entry is ranked first
    top3: float = 0.0  # … among the first three
    wrong: int = 0  # in-scope questions answered with another entry


def decide(ranked: list[Candidate], model: Model) -> tuple[str | None, list[str]]:
    """What FaqMatcher.decide does: (the answer, or None with the options)."""
    if not ranked:
        return None, []
    confidence = model.confidence(ranked)
    if confidence >= model.answer:
        others = options_under_answer(ranked, confidence, model.suggest)
        return ranked[0].entry_id, [c.entry_id for c in others]
    return None, [c.entry_id for c in options_instead(ranked, model.suggest)]


def score(faq_set: FaqSet, model: Model) -> Figures:
    right = tap = offered = silent = quiet = total_in = total_out = first = three = wrong = 0
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for question, ranked in zip(faq_set.questions, _rescored(faq_set, model), strict=True):
        answer, options = decide(ranked, model)
        if question.id is None:
            total_out += 1
            silent += answer is None
            quiet += answer is None and not options
            continue
        total_in += 1
        ranks = [candidate.entry_id for candidate in ranked]
        first += ranks[:1] == [question.id]
        three += question.id in ranks[:3]
        ok = answer == question.id
        right += ok
        wrong += answer is not None and not ok
        tap += ok or question.id in options
        offered += answer is None and bool(options)
        by_kind[question.kind][0] += ok
        by_kind[question.kind][1] += 1
    return Figures(
        right / max(total_in, 1),
        silent / max(total_out, 1),
        tap / max(total_in, 1),
        offered / max(total_in, 1),
        quiet / max(total_out, 1),
        {kind: (a, b) for kind, (a, b) in by_kind.items()},
        first / max(total_in, 1),
        three / max(total_in, 1),
        wrong,
    )


@dataclass
class _Decided:
    """A set's questions as one model ranks them (the best's confidence, the first three):
    every threshold of the fit's search is then read off these, not re-ranked."""

    ids: list[str | None]
    kinds: list[str]
    confidence: np.ndarray
    top: list[list[Candidate]]

    @classmethod
    def of(cls, faq_set: FaqSet, model: Model) -> _Decided:
        confidence, top = [], []
        for ranked in _rescored(faq_set, model):
            confidence.append(model.confidence(ranked) if ranked else -1.0)
            top.append(ranked[:MAX_SUGGESTIONS])
        questions = faq_set.questions
        return cls(
            [q.id for q in questions], [q.kind for q in questions], np.array(confidence), top
        )

    def silent(self, answer: float) -> float:
        """What score().silent gives at this answer threshold."""
        out = [c < answer for c, i in zip(self.confidence, self.ids, strict=True) if i is None]
        return sum(out) / max(len(out), 1)

    def unrelated_quiet(self, answer: float, suggest: float) -> float | None:
        """Of the questions about nothing in the program (kind `out_of_scope`), the share
        that gets neither an answer nor options; None when the set has none."""
        quiet = [
            confidence < answer and not options_instead(top, suggest)
            for kind, confidence, top in zip(self.kinds, self.confidence, self.top, strict=True)
            if kind == "out_of_scope"
        ]
        return sum(quiet) / len(quiet) if quiet else None

    def wrong(self, answer: float) -> float:
        """The share of in-scope questions answered with another entry at this threshold."""
        asked = [
            confidence >= answer and top[0].entry_id != entry
            for entry, confidence, top in zip(self.ids, self.confidence, self.top, strict=True)
            if entry is not None
        ]
        return sum(asked) / max(len(asked), 1)

    def one_tap(self, answer: float, suggest: float) -> float:
        """What score().one_tap gives at these thresholds."""
        tap = total = 0
        for asked, confidence, top in zip(self.ids, self.confidence, self.top, strict=True):
            if asked is None:
                continue
            total += 1
            if confidence >= answer:
                others = options_under_answer(top, confidence, suggest)
                tap += top[0].entry_id == asked or any(c.entry_id == asked for c in others)
            else:
                tap += any(c.entry_id == asked for c in options_instead(top, suggest))
        return tap / max(total, 1)


def _unrelated_quiet(decided: list[_Decided], answer: float, suggest: float) -> float:
    shares = [q for d in decided if (q := d.unrelated_quiet(answer, suggest)) is not None]
    return sum(shares) / max(len(shares), 1)


def fit(sets: list[FaqSet]) -> Model:
    """Weights and both thresholds, from these sets only (and their taught views)."""
    if TAUGHT_ROWS:
        sets = sets + [view for faq_set in sets for view in faq_set.views]
    weights, bias = fit_weights(sets)
    first = Model(tuple(float(w) for w in weights), bias, answer=0.5, suggest=0.2)
    top_weights, top_bias = logistic(
        *_top_rows(sets, first), nonnegative=_learned_columns(TOP_FEATURES)
    )
    base = Model(first.weights, bias, 0.5, 0.2, tuple(float(w) for w in top_weights), top_bias)
    decided = [_Decided.of(faq_set, base) for faq_set in sets]

    def pooled(figure: Callable[[_Decided], float]) -> float:
        return sum(figure(d) for d in decided) / len(decided)

    # answer: the lowest threshold that keeps out-of-scope questions silent on the training
    # sets and wrong answers rare (a confidence that tells out-of-scope questions apart
    # well, session 16, would otherwise lower the threshold into wrong answers)
    answer = next(
        (
            t
            for t in GRID
            if pooled(lambda d, t=t: d.silent(t)) >= SILENT_FLOOR
            and pooled(lambda d, t=t: d.wrong(t)) <= WRONG_CEILING
            and (
                not ANSWER_KEEPS_TAP
                or pooled(lambda d, t=t: d.one_tap(t, LOW_GRID[0])) >= ONE_TAP_FLOOR
            )
        ),
        GRID[-1],
    )
    # options: never below the level that keeps as many unrelated questions quiet as before
    lowest = next(
        (t for t in (*LOW_GRID, *GRID) if _unrelated_quiet(decided, answer, t) >= UNRELATED_QUIET),
        answer,
    )
    # from there, the highest threshold that keeps one tap on the training sets (or, when
    # that cannot be had, the best one tap they allow: a point given away there was 1-3
    # points of one tap on the left-out sets, issue 13 session 7)
    taps = {
        threshold: pooled(lambda d, t=threshold: d.one_tap(answer, t))
        for threshold in (*LOW_GRID, *GRID)
        if lowest <= threshold <= answer
    }
    floor = min(ONE_TAP_FLOOR, max(taps.values()))
    suggest = max(threshold for threshold, tap in taps.items() if tap >= floor)
    return replace(base, answer=answer, suggest=suggest)


# --- teaching half --------------------------------------------------------------------


async def taught(
    faq_set: FaqSet, model: Model, misses: list[TaughtMiss] | None = None
) -> tuple[float, float]:
    """Teach half of each entry's questions through FaqLearning.teach, score the rest.

    Returns (over every tested question, over the questions of entries that had at
    least one question taught: an entry with one question teaches nothing to itself);
    with `misses`, a line per tested question answered otherwise (`--verbose`)."""
    counts = {entry: sum(q.id == entry for q in faq_set.questions) for entry in _ids(faq_set)}
    rates, rates_taught = [], []
    for teach, test in halves(faq_set.questions):
        with tempfile.TemporaryDirectory() as folder:
            db = Database.from_url(f"sqlite+aiosqlite:///{folder}/taught.db")
            try:
                await upgrade(db)
                store = ContentStore(faq_set.content_dir)
                store._live = type(store.live)(
                    store.content, faq_set.matcher.with_model(model), store.live.translator
                )
                learning = FaqLearning(db, store, SystemClock())
                lines = [json.dumps({"q": q.q, "id": q.id}) for q in teach]
                report = await learning.teach(lines, store.content)
                # a wording the bot would refuse to learn (no words that carry meaning,
                # small talk, another entry's own wording: session 15) stays unlearned
                # here too; anything else is a broken set
                unexpected = [
                    p
                    for p in report.problems
                    if p.reason not in REFUSED and not p.reason.startswith(OWN_WORDING)
                ]
                assert not unexpected, unexpected
                matcher = await learning.matcher()
            finally:
                await db.close()
        matches = [matcher.match(q.q) for q in test]
        right = [m.entry_id == q.id for m, q in zip(matches, test, strict=True)]
        if misses is not None:
            misses.extend(
                _taught_miss(faq_set, question, found, teach)
                for question, found, ok in zip(test, matches, right, strict=True)
                if not ok
            )
        rates.append(sum(right) / max(len(test), 1))
        kept = [ok for ok, q in zip(right, test, strict=True) if counts[str(q.id)] >= 2]
        rates_taught.append(sum(kept) / max(len(kept), 1))
    return sum(rates) / len(rates), sum(rates_taught) / len(rates_taught)


@dataclass(frozen=True)
class TaughtMiss:
    kind: str
    outcome: str  # what the partner got instead of the right answer
    cause: str  # what the taught half had for this question
    line: str


def _taught_miss(
    faq_set: FaqSet, question: Question, found: Match, teach: list[Question]
) -> TaughtMiss:
    taught_for = [q.q for q in teach if q.id == question.id]
    options = [c.entry_id for c in found.suggestions]
    if found.entry_id is not None:
        outcome = "wrong answer"
    elif options[:1] == [question.id]:
        outcome = "right entry 1st option"
    elif question.id in options:
        outcome = "right entry lower option"
    else:
        outcome = "not offered"
    cause = _taught_cause(faq_set.matcher, question, taught_for)
    line = (
        f"  taught {question.kind:<11} want {question.id} got {found.entry_id} "
        f"({found.score:.2f}) options {options}  {question.q!r}  [{cause}] "
        f"taught {taught_for}"
    )
    return TaughtMiss(question.kind, outcome, cause, line)


def _taught_cause(matcher: FaqMatcher, question: Question, taught_for: list[str]) -> str:
    """What the entry's taught wordings share with the question (meaningful words, read
    the matcher's way): a word the entry's own wordings lack (what learning can add),
    only words they already have, or nothing."""
    if not taught_for:
        return "nothing taught"
    entry = next(e for e in matcher.entries if e.id == question.id)
    own = {f for text in (entry.question, *entry.alt) for u in matcher.read(text) for f in u.forms}
    asked = matcher.meaning(matcher.question_units(question.q))
    shared = asked & {f for t in taught_for for f in matcher.meaning(matcher.question_units(t))}
    if shared - own:
        return "learned word"
    return "own words only" if shared else "no shared word"


def _miss_table(misses: list[TaughtMiss]) -> None:
    """The taught half's others missed, by kind: what they got, what the taught half had."""
    columns = [
        *("right entry 1st option", "right entry lower option", "not offered", "wrong answer"),
        *("learned word", "own words only", "no shared word", "nothing taught"),
    ]
    print(f"{'kind':<12}" + "".join(f"{c:>{len(c) + 2}}" for c in columns) + "  total")
    for kind in [*sorted({m.kind for m in misses}), "all"]:
        rows = [m for m in misses if kind in ("all", m.kind)]
        counts = [sum(c in (m.outcome, m.cause) for m in rows) for c in columns]
        cells = "".join(f"{n:>{len(c) + 2}}" for n, c in zip(counts, columns, strict=True))
        print(f"{kind:<12}{cells}  {len(rows)}")


def _ids(faq_set: FaqSet) -> set[str]:
    return {str(q.id) for q in faq_set.questions if q.id is not None}


# --- report ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", help="print the misses of this set (or of all)")
    parser.add_argument("--write", action="store_true", help="write the model fitted on all")
    parser.add_argument(
        "--neighbours",
        action="store_true",
        help="how much the taught half says about the other half (nearest learned wording, "
        "by words and by meaning)",
    )
    args = parser.parse_args()
    # every set's content held at once: ~10,000 texts a reading (the bot keeps one FAQ's)
    faq_e5.LRU_SIZE = faq_semantic.LRU_SIZE = 1 << 17
    faq_vector_cache.KEEP = 1000
    sets = load_sets()
    every_adapter = faq_adapter.assign(sets)
    every_scope = faq_scope.assign(sets)
    for faq_set in sets:
        faq_set.prepare()
    if args.neighbours:
        pooled = Counter[str]()
        for faq_set in sets:
            neighbours(faq_set)
            pooled.update(by_meaning(faq_set))
        if pooled["tested"]:
            share = {key: pooled[key] / pooled["tested"] for key in pooled}
            print(
                f"every set, by meaning (tested {pooled['tested']}): nearest learned wording "
                f"{share['learned']:.3f}, nearest content wording {share['content']:.3f}, "
                f"either {share['either']:.3f}, the learned one only {share['only']:.3f}"
            )
        return
    print(
        f"{'left out':<12}{'entries':>8}{'in':>5}{'out':>5}{'right':>8}{'silent':>8}"
        f"{'one tap':>9}{'offered':>9}{'taught':>8}{'t(≥2)':>8}{'t.sil':>7}{'quiet':>7}"
        f"{'top1':>6}{'top3':>6}{'wrong':>6}   thresholds (answer/options)"
    )
    worst: dict[str, float] = {}
    rows: list[tuple[Figures, float]] = []
    every_miss: list[TaughtMiss] = []
    kinds: Counter[str] = Counter()
    kinds_total: Counter[str] = Counter()
    for faq_set in sets:
        others = [s for s in sets if s is not faq_set]
        model = fit(others)
        figures = score(faq_set, model)
        verbose = args.verbose in (faq_set.name, "all")
        misses: list[TaughtMiss] | None = [] if verbose else None
        half, half_2 = asyncio.run(taught(faq_set, model, misses))
        n_in = sum(q.id is not None for q in faq_set.questions)
        # out-of-scope questions left unanswered with half of each entry's questions taught
        taught_silent = sum(score(v, model).silent for v in faq_set.views) / len(faq_set.views)
        print(
            f"{faq_set.name:<12}{len(faq_set.matcher.entries):>8}{n_in:>5}"
            f"{len(faq_set.questions) - n_in:>5}{figures.right:>8.3f}{figures.silent:>8.3f}"
            f"{figures.one_tap:>9.3f}{figures.offered:>9.3f}{half:>8.3f}{half_2:>8.3f}"
            f"{taught_silent:>7.3f}"
            f"{figures.quiet:>7.3f}{figures.top1:>6.2f}{figures.top3:>6.2f}{figures.wrong:>6}"
            f"   {model.answer:.2f}/{model.suggest:.2f}"
        )
        rows.append((figures, half))
        for name, value in (
            ("right", figures.right),
            ("silent", figures.silent),
            ("one tap", figures.one_tap),
            ("taught", half),
            ("taught (entries with ≥ 2 questions)", half_2),
            ("taught silent", taught_silent),
        ):
            worst[name] = min(worst.get(name, 1.0), value)
        if faq_set.name != "demo":
            for kind, (ok, total) in figures.by_kind.items():
                kinds[kind] += ok
                kinds_total[kind] += total
        if verbose:
            _misses(faq_set, model)
            print("\n".join(miss.line for miss in misses or []))
            every_miss.extend(misses or [])
    print("worst: " + ", ".join(f"{name} {value:.3f}" for name, value in worst.items()))
    _means(rows)
    print(
        "answered right by kind (every set but the demo, left out): "
        + ", ".join(f"{k} {kinds[k]}/{kinds_total[k]}" for k in sorted(kinds_total))
    )
    if every_miss:
        print("the taught half's others missed (--verbose), by kind:")
        _miss_table(every_miss)
    if args.write:
        model = fit(sets)
        target = MODEL_DIR / model_file()
        target.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}: {model.to_json()}")
        if every_adapter is not None:  # the model above was fitted on sets ranked with it
            np.save(MODEL_DIR / adapter_file(), every_adapter, allow_pickle=False)
            print(f"wrote {(MODEL_DIR / adapter_file()).relative_to(ROOT)}")
        if every_scope is not None:
            np.save(MODEL_DIR / scope_file(), every_scope, allow_pickle=False)
            print(f"wrote {(MODEL_DIR / scope_file()).relative_to(ROOT)}")


def _means(rows: list[tuple[Figures, float]]) -> None:
    """The means over the left-out sets, how many meet #13's three targets, wrong answers."""
    count = max(len(rows), 1)
    meeting = sum(f.right >= 0.65 and f.silent >= 0.85 and f.one_tap >= 0.95 for f, _ in rows)
    print(
        f"mean: right {sum(f.right for f, _ in rows) / count:.3f}, "
        f"silent {sum(f.silent for f, _ in rows) / count:.3f}, "
        f"one tap {sum(f.one_tap for f, _ in rows) / count:.3f}, "
        f"taught {sum(half for _, half in rows) / count:.3f}; "
        f"right ≥ 0.65, silent ≥ 0.85 and one tap ≥ 0.95 on {meeting} of {len(rows)}; "
        f"in-scope questions answered wrong {sum(f.wrong for f, _ in rows)}"
    )


def neighbours(faq_set: FaqSet) -> None:
    """Teach half of each entry's questions; for the other half, the entry of the closest
    learned wording (IDF-weighted cosine over the words read the matcher's way, chatty
    ones left out): how often it is the right entry, and how often it is right where the
    matcher's own first candidate (nothing learned) is wrong."""
    matcher = faq_set.matcher
    total = nearest = only = 0
    for teach, test in halves(faq_set.questions):
        taught = [(q.id, _content_forms(matcher, q.q)) for q in teach]
        frequency = Counter(form for _, forms in taught for form in forms)
        idf = {form: math.log(1 + len(taught) / n) for form, n in frequency.items()}
        unseen = math.log(1 + len(taught))
        for question in test:
            forms = _content_forms(matcher, question.q)
            size = sum(idf.get(form, unseen) for form in forms)
            best, best_id = 0.0, None
            for entry_id, learned in taught:
                shared = sum(idf[form] for form in forms & learned)
                similarity = shared / (math.sqrt(size * sum(idf[f] for f in learned)) or 1.0)
                if similarity > best:
                    best, best_id = similarity, entry_id
            ranked = matcher.rank(question.q, limit=1)
            own = bool(ranked) and ranked[0].entry_id == question.id
            total += 1
            nearest += best_id == question.id
            only += best_id == question.id and not own
    print(
        f"{faq_set.name:<12} tested {total:>4}  nearest learned wording is the right entry "
        f"{nearest / total:.3f}, right where the matcher's first candidate is not "
        f"{only / total:.3f}"
    )


def by_meaning(faq_set: FaqSet) -> Counter[str]:
    """The same halves by meaning, as the matcher compares a question with the entries'
    wordings (sentence vectors through the set's adapter, fitted on the other sets): how
    often the closest learned wording (the taught half) is the right entry's, how often
    the closest content wording is, either, and the learned one only. Nothing with the
    vectors off. (Issue 13 session 15: learned wordings by meaning carried nothing more.)"""
    counts: Counter[str] = Counter()
    if faq_set.adapter is None or encoder() is None:
        return counts
    matrix = faq_set.adapter[0]
    entries = faq_set.matcher.entries
    index = {entry.id: number for number, entry in enumerate(entries)}
    texts = [(number, text) for number, e in enumerate(entries) for text in (e.question, *e.alt)]
    owners = np.array([number for number, _ in texts])
    space = Space([text for _, text in texts])
    wordings = adapt(space.content([text for _, text in texts]), matrix)
    asked = [q for q in faq_set.questions if q.id in index]
    vectors = adapt(space.questions([readable(q.q) for q in asked]), matrix)
    row = {id(question): number for number, question in enumerate(asked)}
    for teach, test in halves(asked):
        taught = vectors[[row[id(q)] for q in teach]]
        taught_entries = np.array([index[str(q.id)] for q in teach])
        for question in test:
            vector = vectors[row[id(question)]]
            right = index[str(question.id)]
            learned = int(taught_entries[int(np.argmax(taught @ vector))]) == right
            content = int(owners[int(np.argmax(wordings @ vector))]) == right
            counts.update(
                tested=1,
                learned=learned,
                content=content,
                either=learned or content,
                only=learned and not content,
            )
    return counts


def _content_forms(matcher: FaqMatcher, text: str) -> frozenset[str]:
    units = matcher.question_units(text)
    return frozenset(form for unit in units if not unit.chatty for form in unit.forms)


def _misses(faq_set: FaqSet, model: Model) -> None:
    for question, ranked in zip(faq_set.questions, _rescored(faq_set, model), strict=True):
        answer, options = decide(ranked, model)
        if answer == question.id:
            continue
        confidence = model.confidence(ranked) if ranked else 0.0
        top = [(c.entry_id, round(c.score, 2)) for c in ranked[:3]]
        print(
            f"  {question.kind:<12} want {question.id} got {answer} ({confidence:.2f}) "
            f"options {options}  {question.q!r}  {top}"
        )


if __name__ == "__main__":
    _ = FEATURES
    main()
