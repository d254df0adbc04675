"""The FAQ matcher's calibrated confidence: a small logistic model over ranking features.

`bot/faq_data/faq_model.json` is fitted by `bench/faq_loo.py` on several FAQs (scored
leave-one-out), so a probability means about the same on every FAQ; with the sentence
encoder off (`FAQ_VECTORS=off`, bot/services/faq_semantic.py) the bot uses
`faq_model_lexical.json`, fitted the same way without the sentence-vector features.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

FEATURES = (
    "coverage",  # share of the question's known information the entry's wordings cover
    "answer_coverage",  # share covered only by the entry's answer text
    "unknown",  # share of the question's information the FAQ does not know at all
    "reverse",  # share of the closest wording covered by the question
    "similarity",  # fuzzy similarity to the closest wording
    "gap",  # lead over the next candidate (coverage and reverse)
    "mass",  # covered information, in units of the rarest term's weight
    "exact",  # the question reads as one of the entry's wordings
    "question_only",  # only question words («когда», «сколько») matched
    "covered_words",  # how many of the question's words the entry covers (up to 4, /4)
    "unknown_words",  # how many content words the FAQ does not know (up to 4, /4)
    "content",  # share of the question's content words (not verbs, not question words) covered
    "learned_coverage",  # share covered only by the entry's learned wordings
    "learned_reverse",  # share of the closest learned wording covered by the question
    "partner",  # the question has a partner's word (bot/faq_data/faq_frames.yaml)
    "customer",  # it has a customer's word («купить», «доставка», «вернуть», «приложение»)
    "meaning",  # sentence vectors: the cosine of the entry's closest wording (faq_vectors.py)
    "meaning_lead",  # that cosine's lead over the best other entry's
    "meaning_answer",  # the cosine of the entry's answer
    "scope",  # the question's vector reads as a partner's question about the program
)


MAX_SUGGESTIONS = 3
# an answer less sure than this carries the next entries probable enough as options ("not
# it?"), so a wrong answer still leaves the right one a tap away; as sure as the partners'
# group wants an answer to be (community.GROUP_THRESHOLD)
SURE = 0.9
# … and a surer one those whose probability is at least this share of the answer's: a
# close second is where a confident answer goes wrong (session 17, leave-one-out over 38
# FAQs: of the in-scope questions answered wrong at 0.9 or more, 40 of 52 had the right
# entry second or third)
CLOSE = 0.1


# the confidence that the best candidate is the right answer: its features, plus how
# probable it is (logit) and by how much it leads the next one
TOP_FEATURES = ("logit", "margin", "second_logit", "crowd", *FEATURES)


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    features: tuple[float, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Model:
    weights: tuple[float, ...]  # a candidate: is it the entry that answers the question?
    bias: float
    answer: float  # answer at or above this confidence
    suggest: float  # offer an option at or above this probability
    top_weights: tuple[float, ...] = ()  # the best candidate: is answering with it right?
    top_bias: float = 0.0

    @classmethod
    def shipped(cls, name: str | None = None) -> Model:
        """The shipped model `name` (default: the one for how the bot reads, model_file())."""
        file = name or model_file()
        text = resources.files("bot.faq_data").joinpath(file).read_text(encoding="utf-8")
        return cls.from_json(json.loads(text))

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Model:
        weights = data["weights"]
        top = data.get("top_weights") or {}
        assert isinstance(weights, dict)
        assert isinstance(top, dict)
        return cls(
            weights=tuple(float(weights[name]) for name in FEATURES),
            bias=float(str(data["bias"])),
            answer=float(str(data["answer"])),
            suggest=float(str(data["suggest"])),
            top_weights=tuple(float(top[name]) for name in TOP_FEATURES) if top else (),
            top_bias=float(str(data.get("top_bias", 0.0))),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "weights": {name: round(w, 4) for name, w in zip(FEATURES, self.weights, strict=True)},
            "bias": round(self.bias, 4),
            "top_weights": {
                name: round(w, 4) for name, w in zip(TOP_FEATURES, self.top_weights, strict=True)
            },
            "top_bias": round(self.top_bias, 4),
            "answer": round(self.answer, 4),
            "suggest": round(self.suggest, 4),
        }

    def probability(self, features: Sequence[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return _sigmoid(z)

    def confidence(self, ranked: Sequence[Candidate]) -> float:
        """How likely answering with the first candidate is right."""
        if not self.top_weights:
            return ranked[0].score
        return _sigmoid(
            self.top_bias
            + sum(w * x for w, x in zip(self.top_weights, top_features(ranked), strict=True))
        )


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def top_features(ranked: Sequence[Candidate]) -> tuple[float, ...]:
    top = ranked[0]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    # how probable the runner-up is, and how many others are at least half as probable
    crowd = sum(1 for c in ranked[1:] if c.score >= top.score / 2)
    return (
        _logit(top.score) / 10,
        top.score - second,
        _logit(second) / 10 if len(ranked) > 1 else -1.4,
        min(crowd, 3) / 3,
        *top.features,
    )


def model_file() -> str:
    """The shipped model for how the bot reads questions: with sentence vectors or not."""
    from bot.services.faq_semantic import encoder
    from bot.services.faq_space import suffix

    return f"faq_model{suffix()}.json" if encoder() is not None else "faq_model_lexical.json"


def shipped_model() -> Model:
    """The shipped model for the encoder as it is now (FAQ_VECTORS may be set after a
    first matcher was built: tests, a tool), each read once."""
    return _shipped(model_file())


@lru_cache(maxsize=2)
def _shipped(name: str) -> Model:
    return Model.shipped(name)


# --- what is shown with the decision ---------------------------------------------------


def options_under_answer(
    ranked: Sequence[Candidate], confidence: float, suggest: float
) -> tuple[Candidate, ...]:
    """The «Не то?» options under an answer with the first candidate: the next ones
    probable enough to be options when the answer is less sure than `SURE`; when it is
    surer, those close to it (`CLOSE` of its probability)."""
    floor = suggest if confidence < SURE else max(suggest, CLOSE * ranked[0].score)
    return tuple(c for c in ranked[1:MAX_SUGGESTIONS] if c.score >= floor)


def options_instead(ranked: Sequence[Candidate], suggest: float) -> tuple[Candidate, ...]:
    """The "did you mean" options when no answer is sure enough: the first candidates
    probable enough."""
    return tuple(c for c in ranked[:MAX_SUGGESTIONS] if c.score >= suggest)
