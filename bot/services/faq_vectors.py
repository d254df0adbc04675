"""The FAQ's entries as sentence vectors: what a question means, beside the words it uses.

The lexical matcher (faq_matching.py) knows words; a paraphrase with none of an entry's
words («как у вас устроено вознаграждение» for «сколько я получу с продажи») needs the
meaning. Each entry's own wordings (question and paraphrases) and its answer are encoded
once per content, then kept on disk for the next start (`bot/services/faq_vector_cache.py`;
the encoders: `bot/services/faq_semantic.py`, USE multilingual v3, and beside it
`faq_e5.py`, multilingual-e5-small, joined in `faq_space.py`); a question is
encoded once, and each candidate gets three features for the calibrated model: the cosine
of its closest wording, its lead over the best other entry, and its answer's cosine; and
the question one more: how much it reads as a partner's question about the program at all
(`scope`, below). The closest entries by meaning are candidates too, so a paraphrase sharing
no word still gets ranked.

*Scope* (`bot/faq_data/faq_scope_e5.npy`, a weight a dimension and a bias; `faq_scope.npy`
for USE alone): a logistic regression on the
question's own vector, fitted on the evaluation FAQs' questions (bench/faq_scope.py; never on
the FAQ it is scored on) to tell partners' questions about their program from the rest the
sets hold — a customer's question, another program's conditions, unrelated help — whatever
words they share with an entry. Its logit (/10, within ±1) is a feature of every candidate.

Before the wordings are compared, the question's vector and the wordings' go through the
same linear *adapter* (`bot/faq_data/faq_adapter_e5.npy`, v → v + v·M, unit length again): M is
fitted on the evaluation FAQs (bench/faq_adapter.py; never on the FAQ it is scored on) so
that each partner's question ranks its own entry above its FAQ's other entries, so a
partner's words for a thing land nearer an author's words for it (the right entry's
wording is the closest for 0.80 of the questions instead of 0.70 without an adapter,
leave-one-FAQ-out over 34 FAQs, USE alone). The answers' cosine uses the joined vectors
without the adapter, a manager's picker (`plain`) USE's own.

A long question (`LONG_WORDS` words or more, several sentences: a greeting, a story, the
question somewhere in the middle) is read whole and by the sentences that ask
(`asking_sentences`): each entry's closeness is `WHOLE` · the whole text's + the rest ·
the best asking sentence's. One more encoding, for long questions only.

Learned wordings are not encoded: partners' questions are closer to each other's style
than to each other's meaning, through the adapter too (the closest learned wording names
the right entry for 0.47 of the other half of a taught FAQ, the closest content wording
for 0.76; as a feature, among the entry's wordings or as an answer rule, learned
wordings by meaning moved "taught" by at most 0.002 over 34 FAQs: BENCHMARKS.md, issue
13, sessions 12 and 15), so what the bot learns stays lexical. With the encoder off
(`FAQ_VECTORS=off`) everything here is zero and the matcher uses the model fitted without
these features.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from bot.content.models import FaqEntry
from bot.services.faq_semantic import encode, encoder
from bot.services.faq_space import Space, suffix
from bot.services.faq_text import HAS_CYRILLIC, STOPWORDS, spoken, transliterate

CLOSEST = 3  # the entries closest by meaning are candidates whatever their words
ALPHA = 1.0  # v → v + ALPHA · v·M


def adapter_file() -> str:
    """bot/faq_data's adapter for the vectors in use (faq_space.suffix): bench.faq_loo --write."""
    return f"faq_adapter{suffix()}.npy"


def scope_file() -> str:
    """bot/faq_data's scope weights for the vectors in use: `bench.faq_loo --write`."""
    return f"faq_scope{suffix()}.npy"


@lru_cache(maxsize=4)
def _shipped(name: str) -> np.ndarray | None:
    file = resources.files("bot.faq_data").joinpath(name)
    if not file.is_file():
        return None
    with file.open("rb") as stream:
        return np.asarray(np.load(stream, allow_pickle=False), dtype=np.float32)


def shipped_adapter() -> np.ndarray | None:
    """The shipped adapter (dim × dim), or None when the package has none."""
    return _shipped(adapter_file())


def shipped_scope() -> np.ndarray | None:
    """The shipped scope weights (dim, then the bias), or None when the package has none."""
    return _shipped(scope_file())


_LATIN_WORD = re.compile(r"[a-z]+", re.IGNORECASE)
_ENGLISH = frozenset(word for word in STOPWORDS if word.isascii())


def readable(question: str) -> str:
    """What the encoder reads: a question in Russian typed in Latin letters («skolko
    platite za bron») as the Cyrillic it spells (the encoder knows Russian and English,
    not transliteration); Latin text with an English grammar word («what», «is», «my»)
    is English and stays as it is, and so does any text with a Cyrillic letter. A text
    typed in capitals («ЗАБЫЛ ПАРОЛЬ!!!») is read in small letters: shouting is no meaning."""
    if question.isupper():
        question = question.lower()
    if HAS_CYRILLIC.search(question):
        return question
    words = [word.lower() for word in _LATIN_WORD.findall(question)]
    if len(words) < 2 or any(word in _ENGLISH for word in words):
        return question
    return _LATIN_WORD.sub(lambda found: transliterate(found.group(0).lower()), question)


LONG_WORDS = 20  # a question this long, of several sentences, is read by its parts too
WHOLE = 0.7  # a long question's closeness: WHOLE · the whole text's + the rest · its asking part's
ASKING_MOST = 3  # a text of many questions costs at most this many more encodings
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def asking_sentences(question: str) -> list[str]:
    """The sentences of a long question that carry what it asks: those with «?», else the
    last. A greeting and a story around the question dilute the whole text's vector; the
    whole text still counts most (`WHOLE`: the sentences alone, or the best of either,
    rank worse, BENCHMARKS.md "Issue 13, session 15"). None for a question of fewer than
    LONG_WORDS words or of one sentence (parts of fewer than three words are no sentence,
    but for a question of two)."""
    if len(question.split()) < LONG_WORDS:
        return []
    parts = [part.strip() for part in _SENTENCE_END.split(question)]
    # fewer than three words is no sentence, but a question of two is («Когда выплата?»)
    parts = [part for part in parts if len(part.split()) >= (2 if "?" in part else 3)]
    if len(parts) < 2:
        return []
    return ([part for part in parts if "?" in part] or parts[-1:])[:ASKING_MOST]


_chosen: list[np.ndarray | None] = []  # an adapter a benchmark fitted (bench/faq_loo.py)


def use_adapter(matrix: np.ndarray | None) -> None:
    """From now on, indexes built in this process use `matrix` (None: no adapter) instead
    of the shipped one: for the benchmark that fits it, leaving each FAQ out in turn."""
    _chosen[:] = [matrix]


def use_shipped_adapter() -> None:
    _chosen.clear()


def adapter() -> np.ndarray | None:
    return _chosen[0] if _chosen else shipped_adapter()


_scope_chosen: list[np.ndarray | None] = []  # scope weights a benchmark fitted


def use_scope(weights: np.ndarray | None) -> None:
    """As use_adapter, for the scope weights (None: no scope feature)."""
    _scope_chosen[:] = [weights]


def use_shipped_scope() -> None:
    _scope_chosen.clear()


def scope() -> np.ndarray | None:
    return _scope_chosen[0] if _scope_chosen else shipped_scope()


def scope_feature(vector: np.ndarray, weights: np.ndarray | None) -> float:
    """How much a question's vector reads as a partner's question about the program: the
    scope regression's logit, /10 and within ±1 (0 without weights)."""
    if weights is None:
        return 0.0
    logit = float(vector @ weights[:-1]) + float(weights[-1])
    return max(-1.0, min(1.0, logit / 10))


def adapt(vectors: np.ndarray, matrix: np.ndarray | None) -> np.ndarray:
    """Rows moved by the adapter, unit length again (as they are without one). An index
    never keeps its wordings moved: `EntryVectors` reads the same cosines through `Gram`."""
    if matrix is None:
        return vectors
    moved = np.asarray(vectors @ matrix, dtype=np.float32)  # in place from here: one array
    if ALPHA != 1.0:
        moved *= ALPHA
    moved += vectors
    moved /= np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)
    return moved


@dataclass(frozen=True)
class Gram:
    """The adapter as a question meets it: with P = I + ALPHA·M, the moved cosine of a
    wording w and a question q is w·(G q) / (|wP| |qP|), G = P Pᵀ. So an index keeps the
    encoder's own wordings and only their moved lengths |wP| (one number each, not a
    moved copy: 2 KB a wording), and a question costs one more 512 × 512 product."""

    matrix: np.ndarray  # the adapter it was made from
    gram: np.ndarray  # G = P Pᵀ

    @classmethod
    def of(cls, matrix: np.ndarray) -> Gram:
        if _GRAM and _GRAM[0].matrix is matrix:
            return _GRAM[0]
        moved = np.eye(len(matrix), dtype=np.float32) + np.float32(ALPHA) * matrix
        made = cls(matrix, np.ascontiguousarray(moved @ moved.T, dtype=np.float32))
        _GRAM[:] = [made]
        return made

    def lengths(self, rows: np.ndarray, chunk: int = 256) -> np.ndarray:
        """|wP| of each row, a chunk at a time (no moved copy of them all at once)."""
        out = np.empty(len(rows), dtype=np.float32)
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            out[start : start + chunk] = np.sqrt(np.einsum("ij,ij->i", part @ self.gram, part))
        return np.maximum(out, 1e-12)


_GRAM: list[Gram] = []  # the one in use (an adapter is built once a process)


@dataclass(frozen=True)
class Closeness:
    """One question against every entry."""

    wording: np.ndarray  # per entry, the cosine of its closest own wording
    answer: np.ndarray  # per entry, the cosine of its answer
    first: int  # the entry closest by its wordings
    best: float
    second: float  # the next entry's closest wording
    scope: float = 0.0  # the question as a partner's question about the program (scope_feature)

    def features(self, index: int) -> tuple[float, float, float, float]:
        """(closest wording, lead over the best other entry, answer, scope)."""
        own = float(self.wording[index])
        other = self.second if index == self.first else self.best
        return own, own - other, float(self.answer[index]), self.scope

    def closest(self, count: int = CLOSEST) -> list[int]:
        return [int(i) for i in np.argsort(-self.wording, kind="stable")[:count]]


class EntryVectors:
    """An FAQ's wordings and answers, encoded; built once per content load."""

    def __init__(self, entries: Sequence[FaqEntry], spelled: Callable[[str], str] = str) -> None:
        self.on = encoder() is not None and bool(entries)
        self._count = len(entries)
        # a question's words of the program's own as what they mean (faq_own_words)
        self._spelled = spelled
        if not self.on:
            return
        texts: list[str] = []
        starts: list[int] = []  # each entry's wordings are consecutive, the question first
        for entry in entries:
            starts.append(len(texts))
            texts.extend((entry.question, *entry.alt))
        # content only (never a partner's text): these may be kept on disk
        self._space = Space(texts, [entry.answer for entry in entries])
        matrix = adapter()
        self._wordings = self._space.wordings  # the encoders' own
        self._gram = None if matrix is None else Gram.of(matrix)
        self._lengths = None if self._gram is None else self._gram.lengths(self._wordings)
        self._starts = np.asarray(starts, dtype=np.int64)
        self._answers = self._space.answers
        self._scope = scope()

    def compare(self, question: str) -> Closeness | None:
        """How close the question is to each entry; None with the encoder off."""
        if not self.on:
            return None
        question = spoken(self._spelled(question))  # «зч» as «деталь», «%» as «процент»
        asking = asking_sentences(question)
        # a partner's question is personal data: encoded, never remembered (/forget)
        encoded = self._space.questions([readable(text) for text in (question, *asking)])
        vector = encoded[0]
        wording = self._closest(vector)
        if asking:  # a long question: its asking sentences count too (`asking_sentences`)
            parts = np.max([self._closest(part) for part in encoded[1:]], axis=0)
            wording = WHOLE * wording + (1.0 - WHOLE) * parts
        first = int(np.argmax(wording))
        second = float(np.max(np.delete(wording, first))) if self._count > 1 else -1.0
        return Closeness(
            wording,
            self._answers @ vector,
            first,
            float(wording[first]),
            second,
            scope_feature(vector, self._scope),
        )

    def _closest(self, vector: np.ndarray) -> np.ndarray:
        """Per entry, the cosine of its closest wording (through the adapter, `Gram`)."""
        if self._gram is None or self._lengths is None:
            cosines = self._wordings @ vector
        else:
            pulled = self._gram.gram @ vector
            length = max(float(np.sqrt(max(float(vector @ pulled), 0.0))), 1e-12)
            cosines = (self._wordings @ pulled) / (self._lengths * length)
        return np.asarray(np.maximum.reduceat(cosines, self._starts))

    def plain(self, question: str) -> np.ndarray | None:
        """Per entry, the encoder's own cosine of its closest wording (no adapter): what a
        manager's picker reads against `MEANING_FLOOR`; None with the encoder off."""
        if not self.on:
            return None
        vector = encode([readable(spoken(self._spelled(question)))], keep=False)[0]
        wordings = self._space.use_part(self._wordings)
        return np.asarray(np.maximum.reduceat(wordings @ vector, self._starts))
