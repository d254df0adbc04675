"""How the FAQ matcher reads a question against the learned wordings: their meaning
(question and chatty words aside) and their rare words. A mixin of `FaqMatcher`, which
holds the index these methods look words up in (docs/faq.md, "How it learns")."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content.models import FaqEntry
from bot.services.faq_reading import QuestionReading
from bot.services.faq_text import STOPWORDS, Unit, parse

# a text's meaning read with the vocabulary's phrases and word by word: sorted tuples
# (a third of a frozenset's size: the index keeps one pair per learned wording)
Meanings = tuple[tuple[str, ...], tuple[str, ...]]
# an entry's learned wordings' meanings: those read with the phrases, those word by word
LearnedMeanings = tuple[set[tuple[str, ...]], set[tuple[str, ...]]]
RARE_IN = 2  # a word learned for at most this many entries is rare
_VERBS = frozenset({"VERB", "INFN", "GRND", "PRTF", "PRTS"})
# chatty words the dictionary reads as something else («норм» as «норма»)
_CHATTY_FORMS = frozenset(
    """
    норм норма нормально нормальный точно реально вообще вообщем короче кстати типа плиз
    пж пожалуйста ну вот ли же
    """.split()  # noqa: SIM905 - a word list reads better as text
)


class LearnedReading(QuestionReading):
    """The learned wordings' side of one FAQ's index (set by the matcher's index)."""

    entries: list[FaqEntry]
    _idf: dict[str, float]  # the content's wordings' words
    _learned_frequency: dict[str, int]  # words only learned wordings carry: in how many entries
    _learned_postings: dict[str, list[int]]

    def _weight(self, unit: Unit) -> float:  # the matcher's: a unit's IDF weight
        raise NotImplementedError

    def _aside(self, unit: Unit) -> bool:
        """A word a learned wording is compared without: a question word («какие»,
        «когда»), a vocabulary phrase that means only a stop word («у вас есть»), or,
        when the FAQ's own wordings never use it, a chatty word («точно», «норм»,
        «реально»: an adverb, a particle, an interjection; never a verb)."""
        if unit.question_word or (unit.lexical and unit.forms <= STOPWORDS):
            return True  # or a phrase that means a stop word («у вас есть»: «есть»)
        if any(form in self._idf for form in unit.forms):
            return False
        if unit.forms & _CHATTY_FORMS:
            return True
        return unit.chatty and not any(parse(form)[1] in _VERBS for form in unit.forms)

    def meaning(self, units: Sequence[Unit]) -> frozenset[str]:
        """The forms of a text's words that carry its meaning (asides left out)."""
        return frozenset(form for unit in units if not self._aside(unit) for form in unit.forms)

    def meanings(self, text: str, units: Sequence[Unit]) -> Meanings:
        """A text's meaning read two ways: with the vocabulary's phrases (`units`, so
        «реф ссылка» meets «реферальная ссылка»), and word by word, which no word order
        changes («у вас есть» is a phrase only when its words stand together: «залы в
        казани у вас есть» and «у вас залы в казани есть» read the same word by word)."""
        joined = tuple(sorted(self.meaning(units)))
        if self.lexicon.reads_alike(text):  # mostly: no phrase, nothing to read again
            return joined, joined
        apart = tuple(sorted(self.meaning(self.question_units(text, phrases=False))))
        # mostly the same: one kept (5,000 learned wordings × two are megabytes)
        return joined, joined if apart == joined else apart

    @staticmethod
    def same_meaning(question: Meanings, learned: LearnedMeanings) -> bool:
        """Whether a learned wording has the question's meaning, read either way (none
        empty)."""
        return any(mine and mine in theirs for mine, theirs in zip(question, learned, strict=True))

    def taught(self, question: str, segment: str | None = None) -> set[str]:
        """The entries a rare word of the question was learned for: a word no wording of
        the content uses that the learned wordings of at most `RARE_IN` entries carry
        (asides apart). Each is at least offered for the question."""
        found: set[int] = set()
        for unit in self.question_units(question):
            if self._aside(unit):
                continue
            for form in unit.forms:
                if form not in self._idf and 0 < self._learned_frequency.get(form, 0) <= RARE_IN:
                    found.update(self._learned_postings.get(form, ()))
        return {
            self.entries[index].id
            for index in found
            if segment is None or self.entries[index].visible_to(segment)
        }

    def _learned_evidence(self, units: list[Unit]) -> dict[int, float]:
        """Per entry: the weight of the question's words that only its learned wordings
        carry (learning adds evidence; it never changes how the question reads)."""
        found: dict[int, float] = {}
        if not self._learned_postings:
            return found
        for unit in units:
            entries = {i for f in unit.forms for i in self._learned_postings.get(f, ())}
            if not entries:
                continue
            weight = self._weight(unit) * (0.5 if unit.chatty else 1.0)
            for index in entries:
                found[index] = found.get(index, 0.0) + weight
        return found
