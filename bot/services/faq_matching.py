"""FAQ matching for Russian partners' questions: morphology, typos, slang and transliteration.

A question is normalised (lowercase, ё→е, punctuation out, Latin transliterated when it is
not a known English keyword), lemmatised with pymorphy3, typos are mapped to the closest
word the FAQ knows (rapidfuzz), candidates are ranked with BM25 (bm25s) over every
question variant of an entry, and the confidence is the share of the question's
information (IDF weight) that the entry covers, blended with a fuzzy similarity to the
closest variant.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import bm25s
import numpy as np
import pymorphy3
from rapidfuzz import fuzz, process

from bot.content.models import FaqEntry

# bm25s turns its own logger to DEBUG when imported; its index-building notes are noise here.
logging.getLogger("bm25s").setLevel(logging.WARNING)

ANSWER_THRESHOLD = 0.52
SUGGEST_THRESHOLD = 0.35
CLOSE_MARGIN = 0.06
MAX_SUGGESTIONS = 3

Outcome = Literal["answer", "suggest", "miss"]

STOPWORDS = frozenset(
    """
    а и в во на с со к ко у о об от до по за из под над при для ли же бы б ну вот это
    этот эта эти тот та те то так там тут здесь я мы вы ты он она оно они мой моя мое
    мои ваш ваша ваше ваши наш наша наше наши свой меня мне мной нас нам вас вам его ее
    её их им ими быть есть был была было были будет буду бывать еще ещё уже да нет ни но
    или тоже также всем все всё весь вся какой-то кто-то что-то как-то либо нибудь
    привет приветик здравствуйте здравствуй здрасьте добрый день вечер утро доброго
    подскажите подсказать скажите сказать пожалуйста плиз пжлст спасибо благодарить
    ребята коллеги друзья народ админ админы хочу хотеть хотел знать узнать вопрос
    интересовать интересно можно ли вообще просто очень вот бы типа короче блин сорри hi
    hello hey the a an is are am do does did i my me you your we our it to of for in on
    please pls thanks can could would will be how what
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_TRANSLIT = [
    ("shch", "щ"), ("sch", "щ"), ("yo", "ё"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"),
    ("ch", "ч"), ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("ye", "е"), ("iy", "ий"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"),
    ("c", "к"), ("y", "ы"), ("w", "в"), ("x", "кс"), ("q", "к"),
]  # fmt: skip
_TOKEN = re.compile(r"[a-zа-я0-9]+")
_LATIN = re.compile(r"^[a-z]+$")


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    if not word or word.isdigit() or _LATIN.match(word):
        return word
    return str(_morph().parse(word)[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=50_000)
def transliterate(word: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(word):
        for latin, cyrillic in _TRANSLIT:
            if word.startswith(latin, i):
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            i += 1
    return "".join(out).replace("ё", "е")


def words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("ё", "е"))


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    entry_id: str | None
    score: float
    suggestions: tuple[Candidate, ...] = ()


class FaqMatcher:
    """An index over one FAQ; build it once per content load."""

    def __init__(self, entries: Sequence[FaqEntry]) -> None:
        self.entries = list(entries)
        self._surface: dict[str, str] = {}  # a word form seen in the FAQ -> its lemma
        variant_docs: list[list[str]] = []
        self._entry_terms: list[frozenset[str]] = []
        self._variant_text: list[str] = []
        self._entry_variants: list[list[int]] = []
        for entry in self.entries:
            terms: set[str] = set()
            own_variants: list[int] = []
            variants = [entry.question, *entry.alt]
            if entry.keywords:
                variants.append(" ".join(entry.keywords))
            for variant in variants:
                doc = self._index_text(variant)
                if not doc:
                    continue
                terms.update(doc)
                own_variants.append(len(variant_docs))
                variant_docs.append(doc)
                self._variant_text.append(" ".join(sorted(set(doc))))
            self._entry_terms.append(frozenset(terms))
            self._entry_variants.append(own_variants)
        self._vocabulary = sorted({term for doc in variant_docs for term in doc})
        self._surface_list = sorted(self._surface)
        entry_count = max(len(self.entries), 1)
        document_frequency: dict[str, int] = {}
        for entry_terms in self._entry_terms:
            for term in entry_terms:
                document_frequency[term] = document_frequency.get(term, 0) + 1
        self._idf = {
            term: math.log(1 + entry_count / count) for term, count in document_frequency.items()
        }
        self._unknown_idf = math.log(1 + entry_count)
        self._bm25 = bm25s.BM25()
        self._has_index = bool(variant_docs)
        if variant_docs:
            self._bm25.index(variant_docs, show_progress=False)
        # variants are stored entry by entry, so an entry's best variant is a reduceat
        self._with_variants = np.array(
            [index for index, own in enumerate(self._entry_variants) if own], dtype=np.int64
        )
        self._variant_starts = np.array(
            [own[0] for own in self._entry_variants if own], dtype=np.int64
        )
        self._entry_texts = [
            [self._variant_text[variant] for variant in own] for own in self._entry_variants
        ]
        self._known_cache: dict[str, str | None] = {}

    def _index_text(self, text: str) -> list[str]:
        terms: list[str] = []
        for word in words(text):
            if word in STOPWORDS:
                continue
            term = lemma(word)
            if term in STOPWORDS:
                continue
            self._surface.setdefault(word, term)
            terms.append(term)
        return terms

    def normalise(self, question: str) -> list[tuple[str, bool]]:
        """The question's terms, each with whether the FAQ knows it."""
        result: list[tuple[str, bool]] = []
        for word in words(question):
            if word in STOPWORDS:
                continue
            term = self._known(word)
            if term is None and _LATIN.match(word):
                term = self._known(transliterate(word))
                if term is None:
                    word = transliterate(word)  # noqa: PLW2901 - the Cyrillic reading goes on
                    if word in STOPWORDS:
                        continue
            if term is not None:
                result.append((term, True))
                continue
            base = lemma(word)
            if base in STOPWORDS:
                continue
            result.append((base, False))
        return result

    def _known(self, word: str) -> str | None:
        """The FAQ's own term for a word (typos mapped to the closest), or None."""
        if word in self._known_cache:
            return self._known_cache[word]
        found = self._find_known(word)
        if len(self._known_cache) < 100_000:
            self._known_cache[word] = found
        return found

    def _find_known(self, word: str) -> str | None:
        if word in self._surface:
            return self._surface[word]
        base = lemma(word)
        if base in self._idf:
            return base
        if len(word) < 4 or not self._surface_list:
            return None
        cutoff = 80 if len(word) >= 6 else 84
        found = process.extractOne(
            word, self._surface_list, scorer=fuzz.ratio, score_cutoff=cutoff
        )
        if found is not None:
            return self._surface[found[0]]
        found = process.extractOne(base, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
        return None if found is None else str(found[0])

    def rank(self, question: str, segment: str | None = None, limit: int = 5) -> list[Candidate]:
        terms = self.normalise(question)
        known = [term for term, is_known in terms if is_known]
        if not known or not self._has_index:
            return []
        variant_scores = self._bm25.get_scores(known)
        best_bm25 = np.zeros(len(self.entries))
        best_bm25[self._with_variants] = np.maximum.reduceat(variant_scores, self._variant_starts)
        order = np.argsort(-best_bm25)
        weights = {term: self._weight(term, is_known) for term, is_known in terms}
        total = sum(weights.values())
        query_text = " ".join(sorted(weights))
        candidates: list[Candidate] = []
        for index in order[: limit + 3]:
            if best_bm25[index] <= 0:
                break
            entry = self.entries[int(index)]
            if segment is not None and not entry.visible_to(segment):
                continue
            candidates.append(
                Candidate(entry.id, self._confidence(int(index), weights, total, query_text))
            )
        candidates.sort(key=lambda candidate: -candidate.score)
        return candidates[:limit]

    def _weight(self, term: str, is_known: bool) -> float:
        return self._idf.get(term, self._unknown_idf) if is_known else self._unknown_idf

    def _confidence(
        self, index: int, weights: dict[str, float], total: float, query_text: str
    ) -> float:
        terms = self._entry_terms[index]
        covered = sum(weight for term, weight in weights.items() if term in terms)
        coverage = covered / total if total else 0.0
        closest = process.extractOne(
            query_text, self._entry_texts[index], scorer=fuzz.token_sort_ratio
        )
        similarity = closest[1] / 100 if closest is not None else 0.0
        return round(0.8 * coverage + 0.2 * similarity, 4)

    def match(self, question: str, segment: str | None = None) -> Match:
        ranked = self.rank(question, segment)
        if not ranked:
            return Match("miss", None, 0.0)
        top = ranked[0]
        second = ranked[1].score if len(ranked) > 1 else 0.0
        if top.score >= ANSWER_THRESHOLD and top.score - second >= CLOSE_MARGIN:
            return Match("answer", top.entry_id, top.score)
        if top.score >= SUGGEST_THRESHOLD:
            options = tuple(
                candidate
                for candidate in ranked[:MAX_SUGGESTIONS]
                if candidate.score >= SUGGEST_THRESHOLD
            )
            return Match("suggest", None, top.score, options)
        return Match("miss", None, top.score)


def entries_by_topic(entries: Iterable[FaqEntry]) -> dict[str, list[FaqEntry]]:
    topics: dict[str, list[FaqEntry]] = {}
    for entry in entries:
        topics.setdefault(entry.topic, []).append(entry)
    return topics
