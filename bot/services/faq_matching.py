"""FAQ matching for partners' questions, on any program's FAQ as its authors write it.

A text (a question, an entry's wordings, its answer) is read into *units*: one per word
that carries meaning, each with its forms — the pymorphy3 lemma plus what the affiliate
vocabulary (`bot/faq_data/faq_lexicon.yaml` and the program's `content/lexicon.yaml`) says it
means, so «рефка», «referral link» and «реферальная ссылка» meet. Greetings, verbs of
asking and other chatty words are dropped; Latin words the vocabulary does not know are
read as transliteration; typos are mapped to the closest word the FAQ or the vocabulary
knows (rapidfuzz). How a question is read lives in `faq_reading.py`.

Each entry is ranked by the share of the question's information (IDF weight) its wordings
cover (its answer text counts too, as weaker evidence), and a handful of such features of
the best candidates go through a logistic model (`bot/faq_data/faq_model.json`) fitted
leave-one-out on several FAQs (bench/faq_loo.py): its output is the probability that the
candidate is the right answer, so a confidence means the same on every FAQ. Above the
answer threshold the bot answers; when the right entry is likely among a few candidates
it offers them ("did you mean"); below that, it stays silent.

Learned wordings (approved by managers or partners, kept in the database) are extra
wordings of their entry: `FaqMatcher.with_learned` builds a new index that shares the
content's analysis. A question with a learned wording's meaningful words (question and
chatty words aside) is answered with its entry; a rare word of learned wordings (no
content wording uses it, at most `RARE_IN` entries learned it) makes its entries at least
options. An entry's own wordings (question, `alt`) come first: a question that reads as
one of them (read as a learned wording is) is answered with that entry, never with what
another entry learned (docs/faq.md, "How it learns")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from bot.content.models import FaqEntry
from bot.services import small_talk_phrases
from bot.services.faq_learned_reading import Meanings
from bot.services.faq_model import (
    CLOSE,
    FEATURES,
    MAX_SUGGESTIONS,
    SURE,
    TOP_FEATURES,
    Candidate,
    Model,
    model_file,
    options_instead,
    options_under_answer,
    shipped_model,
    top_features,
)
from bot.services.faq_own_reading import OwnReading, OwnReadings
from bot.services.faq_own_words import OwnWords
from bot.services.faq_reading import plain_question
from bot.services.faq_text import (
    QUESTION_WORDS,
    Lexicon,
    Unit,
    fold,
    frame_features,
    lemma,
    lexicon,
    transliterate,
    words,
)
from bot.services.faq_vectors import Closeness, EntryVectors

__all__ = [
    "CANDIDATES",
    "CLOSE",
    "FEATURES",
    "MAX_SUGGESTIONS",
    "SURE",
    "TOP_FEATURES",
    "Candidate",
    "FaqMatcher",
    "Lexicon",
    "Match",
    "Model",
    "Unit",
    "lemma",
    "lexicon",
    "model_file",
    "options_instead",
    "options_under_answer",
    "shipped_model",
    "top_features",
    "transliterate",
    "words",
]

CANDIDATES = 16  # entries scored by the model for one question
# a picker offers an entry by meaning alone from this cosine on (unrelated texts: 0.1–0.25)
MEANING_FLOOR = 0.4

Outcome = Literal["answer", "suggest", "miss"]

# --- matching -------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    entry_id: str | None
    score: float
    suggestions: tuple[Candidate, ...] = ()


class FaqMatcher(OwnReading):
    """An index over one FAQ (and its learned wordings); build it once per change."""

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        vocabulary: Lexicon | None = None,
        model: Model | None = None,
        *,
        use_keywords: bool = True,
        learned: Mapping[str, Sequence[str]] | None = None,
        _base: FaqMatcher | None = None,
    ) -> None:
        self.entries = list(entries)
        self.lexicon = vocabulary if vocabulary is not None else lexicon()
        self.model = model if model is not None else shipped_model()
        self.use_keywords = use_keywords
        self._index_of = {entry.id: index for index, entry in enumerate(self.entries)}
        self._vectors: EntryVectors
        self._own_readings: OwnReadings
        if learned and _base is None:
            _base = FaqMatcher(self.entries, self.lexicon, self.model, use_keywords=use_keywords)
        if _base is not None:
            self._share_content_index(_base)
            self._vectors = _base._vectors
            self._own_readings = _base._own_readings
        else:
            self._analyse_content()
            self._build_content_index()
            self._vectors = EntryVectors(self.entries, OwnWords(self.lexicon.own))
            self._own_readings = OwnReadings()
        taught = self._read_learned(_base, learned) if _base is not None and learned else {}
        if not taught:
            self._wordings, self._meanings, self.learned_count = self._content, {}, 0
        self._build_learned_index(taught)
        self._correct_cache: dict[str, str | None] = {}

    def with_learned(self, learned: Mapping[str, Sequence[str]]) -> FaqMatcher:
        """The same FAQ with these learned wordings (entry id → wordings)."""
        return FaqMatcher(
            self.entries,
            self.lexicon,
            self.model,
            use_keywords=self.use_keywords,
            learned=learned,
            _base=self,
        )

    def with_model(self, model: Model) -> FaqMatcher:
        clone = FaqMatcher.__new__(FaqMatcher)
        clone.__dict__.update(self.__dict__)
        clone.model = model
        return clone

    # ranking

    def _weight(self, unit: Unit) -> float:
        weights = [self._idf[form] for form in unit.forms if form in self._idf]
        if not weights:
            weights = [0.7 * self._answer_idf[f] for f in unit.forms if f in self._answer_idf]
        weight = max(weights) if weights else self._max_idf
        return weight * (0.5 if unit.question_word else 1.0)

    def rank(self, question: str, segment: str | None = None, limit: int = 5) -> list[Candidate]:
        """The best entries for a question, most probable first."""
        question = small_talk_phrases.without_courtesy(plain_question(question))
        return self._ranked(question, segment, limit)[0]

    def _ranked(
        self, question: str, segment: str | None, limit: int
    ) -> tuple[list[Candidate], str | None]:
        """`rank`, and the one entry whose own wording the question reads as (None when
        none, or several, do)."""
        units = self.question_units(question)
        if not self.entries or all(form.isdigit() for unit in units for form in unit.forms):
            return [], None  # nothing, or numbers alone («1», «2»): no question to answer
        known = [unit for unit in units if self._known(unit.forms)]
        by_learned = self._learned_evidence(units)
        closeness, close = self._by_meaning(question, bool(known or by_learned))
        if not known and not by_learned and not close:
            return [], None
        weights = [self._weight(unit) for unit in known]
        known_total = sum(weights) or self._max_idf
        unknown_words = sum(1 for unit in units if not self._known(unit.forms) and not unit.chatty)
        unknown_total = self._max_idf * unknown_words
        covered_words: dict[int, int] = {}
        content_covered: dict[int, float] = {}
        content_total = unknown_total
        covered: dict[int, float] = {}
        by_answer: dict[int, float] = {}
        question_forms: set[str] = set()
        for unit, weight in zip(known, weights, strict=True):
            question_forms.update(unit.forms)
            hits = {i for form in unit.forms for i in self._postings.get(form, ())}
            is_content = not unit.chatty and not unit.question_word
            content_total += weight if is_content else 0.0
            for index in hits:
                covered[index] = covered.get(index, 0.0) + weight
                covered_words[index] = covered_words.get(index, 0) + 1
                if is_content:
                    content_covered[index] = content_covered.get(index, 0.0) + weight
            for index in {i for form in unit.forms for i in self._answer_postings.get(form, ())}:
                if index not in hits:
                    by_answer[index] = by_answer.get(index, 0.0) + weight
        lexical = {
            index: covered.get(index, 0.0)
            + 0.5 * by_answer.get(index, 0.0)
            + 0.7 * by_learned.get(index, 0.0)
            for index in set(covered) | set(by_answer) | set(by_learned)
        }
        visible = self._candidates(lexical, close, segment)
        if not visible:
            return [], None
        question_text = " ".join(sorted(question_forms))
        every_form = {form for unit in units for form in unit.forms}
        meaning = self.meanings(question, units)
        # the question reads as an entry's own wording: what another entry learned in
        # the same words is no exact match (an entry's own wordings answer it). In the
        # words as typed: a word read as a typo of another («спосибо» as «способ») is a
        # guess, and «спосибо) Когда выплаты?» is no «Какие способы вывода есть?»
        own = self._own_read(question, units, meaning, segment)
        frame = frame_features(units)
        raw: dict[int, tuple[float, float, float, float]] = {}
        for index in visible:
            coverage = covered.get(index, 0.0) / known_total
            reverse, exact, learned_reverse = self._reverse(
                index, question_forms, every_form, meaning, (own, visible)
            )
            raw[index] = (coverage, reverse, exact, learned_reverse)
        mass_scale = self._max_idf or 1.0
        only_question = self._only_question_words(known, visible)
        candidates: list[Candidate] = []
        for position, index in enumerate(visible):
            coverage, reverse, exact, learned_reverse = raw[index]
            others = [raw[other][0] + raw[other][1] for other in visible if other != index]
            gap = coverage + reverse - (max(others) if others else 0.0)
            wordings = self._wordings[index]
            closest = process.extractOne(
                question_text,
                [" ".join(variant) for variant in wordings.variants[: wordings.own]],
                scorer=fuzz.token_sort_ratio,
            )
            features = (
                coverage,
                by_answer.get(index, 0.0) / known_total,
                unknown_total / (unknown_total + known_total),
                reverse,
                (closest[1] / 100) if closest is not None else 0.0,
                gap,
                min(covered.get(index, 0.0) / mass_scale, 3.0),
                exact,
                1.0 if only_question[position] and covered.get(index, 0.0) > 0 else 0.0,
                min(covered_words.get(index, 0), 4) / 4,
                min(unknown_words, 4) / 4,
                content_covered.get(index, 0.0) / content_total if content_total else 0.0,
                by_learned.get(index, 0.0) / (known_total + unknown_total),
                learned_reverse,
                *frame,
                *(closeness.features(index) if closeness is not None else _NO_MEANING),
            )
            probability = self.model.probability(features)
            candidates.append(Candidate(self.entries[index].id, round(probability, 4), features))
        return self._ordered(candidates, own, limit)

    def _ordered(
        self, candidates: list[Candidate], own: set[int], limit: int
    ) -> tuple[list[Candidate], str | None]:
        """The one entry whose own wording reads as the question goes first, then a learned
        wording read exactly as the question: asked again in the words it was learned
        from, the question gets that answer."""
        first = self.entries[next(iter(own))].id if len(own) == 1 else None
        candidates.sort(key=lambda c: (c.entry_id != first, c.features[_EXACT] < 1.0, -c.score))
        return candidates[:limit], first

    def _by_meaning(self, question: str, by_words: bool) -> tuple[Closeness | None, list[int]]:
        """How close the question is to each entry, and the entries closest by meaning:
        for a question with no word the FAQ knows (not `by_words`), only those at least
        `MEANING_FLOOR` close (the picker's floor: «у меня сломался стул» is close to
        nothing), ranked by meaning alone; none with the vectors off."""
        closeness = self._vectors.compare(question)
        if closeness is None:
            return None, []
        close = closeness.closest()
        if by_words:
            return closeness, close
        plain = self._vectors.plain(question)
        if plain is None:
            return closeness, []
        return closeness, [index for index in close if plain[index] >= MEANING_FLOOR]

    def closest_in_meaning(self, question: str, segment: str | None = None) -> list[str]:
        """For a manager's picker: the entries closest in meaning, however few words they
        share with the question (`rank` scores only the entries at least that close for
        a question with no word the FAQ knows); only those at least `MEANING_FLOOR`
        close; none with the vectors off."""
        plain = self._vectors.plain(plain_question(question))
        if plain is None:
            return []
        return [
            self.entries[int(index)].id
            for index in np.argsort(-plain, kind="stable")
            if plain[index] >= MEANING_FLOOR
            and (segment is None or self.entries[int(index)].visible_to(segment))
        ][:MAX_SUGGESTIONS]

    def _candidates(
        self, lexical: Mapping[int, float], close: Sequence[int], segment: str | None
    ) -> list[int]:
        """The entries the model scores: the best by words, and the closest by meaning
        however little their words cover; only those the partner's segment sees."""

        def seen(index: int) -> bool:
            return segment is None or self.entries[index].visible_to(segment)

        pool = sorted(lexical, key=lambda index: -lexical[index])
        visible = [index for index in pool if seen(index)][:CANDIDATES]
        return visible + [index for index in close if index not in visible and seen(index)]

    def _reverse(
        self,
        index: int,
        question_forms: set[str],
        every_form: set[str],
        meaning: Meanings,
        scope: tuple[set[int], Sequence[int]],
    ) -> tuple[float, float, float]:
        """The share of the closest content wording the question covers, whether the
        question is exactly one of the wordings (1.0 for a learned one: the same meaning,
        asides apart, unless an entry's own wording has it, `_learned_answers`, with
        `scope`: the entries whose own wording reads as the question, and the candidates;
        0.5 for the content's), and the share of the closest learned wording it covers."""
        best = learned = 0.0
        exact = 0.0
        own = self._wordings[index]
        idf = self._idf
        for number, (variant, total) in enumerate(zip(own.variants, own.totals, strict=True)):
            if not total:
                continue
            if number < own.own:
                share = sum(idf.get(t, 0.0) for t in variant if t in question_forms)
                best = max(best, share / total)
                if question_forms.issuperset(variant) and all(
                    form in _LOOSE or form in variant for form in question_forms
                ):
                    exact = max(exact, 0.5)
                continue
            share = sum(
                idf.get(t) or self._learned_idf.get(t, 0.0) for t in variant if t in every_form
            )
            learned = max(learned, share / total)
        # the same words as a learned wording, question words («что», «когда») and
        # chatty words («точно», «норм») aside, in any order
        same = index in self._meanings and self.same_meaning(meaning, self._meanings[index])
        if same and self._learned_answers(index, *scope, every_form):
            exact = 1.0
        return best, exact, learned

    def match(self, question: str, segment: str | None = None) -> Match:
        # the words it shows: no tags or emoji; «ｋｏｇｄａ» as «kogda», combining marks out
        question = fold(plain_question(question))
        if small_talk_phrases.kind(question) is not None:
            return Match("miss", None, 0.0)  # «как дела?», «good morning»: no question
        question = small_talk_phrases.without_courtesy(question)  # «Здравствуйте! …»
        ranked, own = self._ranked(question, segment, CANDIDATES)
        decided = self.decide(ranked[: MAX_SUGGESTIONS + 1])
        if own is not None and (decided.outcome, decided.entry_id) != ("answer", own):
            # an entry's own wording: that entry, whatever was learned; as sure as the
            # model is, but at least answered (the partners' group still wants 0.9)
            return Match("answer", own, max(decided.score, self.model.answer))
        if decided.outcome == "answer":
            return decided
        taught = self.taught(question, segment)
        if not taught:
            return decided
        # a rare word learned for an entry makes it at least an option
        must = [c for c in ranked if c.entry_id in taught][:MAX_SUGGESTIONS]
        others = [c for c in decided.suggestions if c not in must]
        options = sorted([*must, *others][:MAX_SUGGESTIONS], key=lambda c: -c.score)
        if not options:
            return decided
        return Match("suggest", None, decided.score, tuple(options))

    def decide(self, ranked: Sequence[Candidate]) -> Match:
        """Answer when confident; else offer the candidates probable enough; else nothing."""
        if not ranked:
            return Match("miss", None, 0.0)
        confidence = round(self.model.confidence(ranked), 4)
        learned = _learned_exactly(ranked)
        if learned is not None:  # asked again in the words it was learned from
            return Match("answer", learned.entry_id, 1.0)
        if confidence >= self.model.answer:
            others = options_under_answer(ranked, confidence, self.model.suggest)
            return Match("answer", ranked[0].entry_id, confidence, others)
        options = options_instead(ranked, self.model.suggest)
        if options:
            return Match("suggest", None, confidence, options)
        return Match("miss", None, confidence)


_LOOSE: frozenset[str] = frozenset(QUESTION_WORDS)
_NO_MEANING = (0.0, 0.0, 0.0, 0.0)  # the sentence-vector features with the encoder off
_EXACT = FEATURES.index("exact")


def _learned_exactly(ranked: Sequence[Candidate]) -> Candidate | None:
    """The one candidate with a learned phrasing that reads as the question (None when
    there is none, or when two entries learned it)."""
    learned = [c for c in ranked if c.features and c.features[_EXACT] >= 1.0]
    return learned[0] if len(learned) == 1 else None
