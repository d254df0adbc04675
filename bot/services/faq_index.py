"""Building the FAQ matcher's index: each entry's wordings read into forms, the words'
weights (IDF) and postings, and the learned wordings on top. A mixin of `FaqMatcher`.

What only the content decides (its wordings and answers, their weights and postings, what
a typo may be read as) is built once per content and shared by every matcher
`with_learned` makes from it; a change of the learned wordings reads those wordings and
builds their own postings only (docs/faq.md, "How it learns")."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.content.models import FaqEntry
from bot.services.faq_learned_reading import LearnedMeanings, LearnedReading
from bot.services.faq_text import Unit


@dataclass
class Wordings:
    """An entry's wordings: the forms of each (sorted tuples: far smaller than sets with
    5,000 learned wordings), the union of its content wordings' forms (`terms`) and the
    forms only its learned wordings have (`learned`, a sorted tuple). The content's own
    `own` wordings come first, the learned ones after them."""

    variants: list[tuple[str, ...]]
    terms: frozenset[str]
    own: int
    learned: tuple[str, ...] = ()
    # each variant's weight in all (its forms' IDF), set with the weights: the matcher
    # then weighs only the forms a question shares with a wording
    totals: tuple[float, ...] = ()

    def has_any(self, forms: frozenset[str]) -> bool:
        """Whether some wording of the entry (the content's or a learned one) has a form."""
        return not forms.isdisjoint(self.terms) or any(form in self.learned for form in forms)


class IndexBuilding(LearnedReading):
    """The index of one FAQ and its learned wordings (the matcher's state)."""

    use_keywords: bool
    _index_of: dict[str, int]
    _content: list[Wordings]
    _answers: list[frozenset[str]]
    _wordings: list[Wordings]
    _meanings: dict[int, LearnedMeanings]
    learned_count: int
    _max_idf: float
    _learned_idf: dict[str, float]
    _answer_postings: dict[str, list[int]]

    def _analyse_entry(self, entry: FaqEntry) -> Wordings:
        texts = [entry.question, *entry.alt]
        if self.use_keywords and entry.keywords:
            texts.append(" ".join(entry.keywords))
        variants = []
        for text in texts:
            forms = frozenset(form for unit in self.read(text) for form in unit.forms)
            if forms:
                variants.append(tuple(sorted(forms)))
        return Wordings(variants, frozenset().union(*variants), len(variants))

    def _analyse_content(self) -> None:
        self._content = [self._analyse_entry(entry) for entry in self.entries]
        self._answers = [
            frozenset(form for unit in self.read(entry.answer) for form in unit.forms)
            for entry in self.entries
        ]

    def _read_learned(
        self, base: IndexBuilding, learned: Mapping[str, Sequence[str]]
    ) -> dict[int, list[tuple[str, ...]]]:
        """Per entry, the forms of each learned wording (and their meanings, kept)."""
        taught: dict[int, list[tuple[str, ...]]] = {}
        # per entry, the meanings of its learned wordings (their words, asides left out)
        self._meanings = {}
        self.learned_count = 0
        for entry_id, phrasings in learned.items():
            index = self._index_of.get(entry_id)
            if index is None:
                continue
            for phrasing in phrasings:
                # read the way a question is read (typos fixed against the content), so
                # the same words asked again meet their learned wording exactly
                units = base.question_units(phrasing)
                forms = frozenset(form for unit in units for form in unit.forms)
                if forms:
                    taught.setdefault(index, []).append(tuple(sorted(forms)))
                    joined, apart = base.meanings(phrasing, units)
                    kept = self._meanings.setdefault(index, (set(), set()))
                    for meaning, read in zip((joined, apart), kept, strict=True):
                        if meaning:
                            read.add(meaning)
                    self.learned_count += 1
        self._wordings = [
            Wordings(
                [*own.variants, *taught[index]],
                own.terms,
                own.own,
                tuple(sorted({form for forms in taught[index] for form in forms} - own.terms)),
            )
            if index in taught
            else own
            for index, own in enumerate(self._content)
        ]
        return taught

    def _build_content_index(self) -> None:
        """Weights and postings of the content's words (learning never changes them)."""
        count = max(len(self.entries), 1)
        # the content's wordings set the weights: learning never makes an entry's own
        # words weigh less
        frequency: dict[str, int] = {}
        for content in self._content:
            for term in content.terms:
                frequency[term] = frequency.get(term, 0) + 1
        answer_frequency: dict[str, int] = {}
        for terms in self._answers:
            for term in terms:
                answer_frequency[term] = answer_frequency.get(term, 0) + 1
        self._max_idf = math.log(1 + count)
        self._idf = {term: math.log(1 + count / n) for term, n in frequency.items()}
        # a word only the answers know weighs as one their texts rarely use
        self._answer_idf = {
            term: math.log(1 + count / n)
            for term, n in answer_frequency.items()
            if term not in self._idf
        }
        for content in self._content:
            content.totals = tuple(
                sum(self._idf.get(term, 0.0) for term in variant) for variant in content.variants
            )
        self._postings: dict[str, list[int]] = {}
        for index, content in enumerate(self._content):
            for term in content.terms:
                self._postings.setdefault(term, []).append(index)
        self._answer_postings = {}
        for index, terms in enumerate(self._answers):
            for term in terms:
                self._answer_postings.setdefault(term, []).append(index)
        # typos are read as the content's or the vocabulary's words, never as a learned
        # wording's: learning adds evidence, it does not change how a question reads
        surfaces = {term for term in self._idf if len(term) >= 4}
        surfaces.update(self.lexicon.surfaces)
        self._correctable = sorted(surfaces)

    def _share_content_index(self, base: IndexBuilding) -> None:
        """The content's part of `base`'s index (the same content: the same index)."""
        self._content, self._answers = base._content, base._answers
        self._max_idf, self._idf, self._answer_idf = base._max_idf, base._idf, base._answer_idf
        self._postings, self._answer_postings = base._postings, base._answer_postings
        self._correctable = base._correctable

    def _build_learned_index(self, taught: Mapping[int, Sequence[tuple[str, ...]]]) -> None:
        """A word only learned wordings bring is evidence of its own (weighed by the model),
        not coverage: a long learned question would otherwise pull others to its entry.
        It weighs by how many entries' learned wordings carry it."""
        count = max(len(self.entries), 1)
        learned_frequency: dict[str, int] = {}
        self._learned_postings = {}
        for index in sorted(taught):
            for term in self._wordings[index].learned:
                self._learned_postings.setdefault(term, []).append(index)
                if term not in self._idf:
                    learned_frequency[term] = learned_frequency.get(term, 0) + 1
        self._learned_idf = {
            term: math.log(1 + count / n) for term, n in learned_frequency.items()
        }
        self._learned_frequency = learned_frequency
        for index in taught:
            wordings = self._wordings[index]
            wordings.totals = self._content[index].totals + tuple(
                sum(self._idf.get(t) or self._learned_idf.get(t, 0.0) for t in variant)
                for variant in wordings.variants[wordings.own :]
            )

    def _only_question_words(self, known: Sequence[Unit], entries: Sequence[int]) -> list[bool]:
        """Per entry: whether all of the question's `known` units its wordings (the
        content's or learned ones) have are question words («когда», «сколько»)."""
        return [
            all(unit.question_word for unit in known if self._wordings[i].has_any(unit.forms))
            for i in entries
        ]
