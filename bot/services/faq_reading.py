"""How the FAQ matcher reads a question: the vocabulary's units, Latin words read as
transliteration, typos read as the word the FAQ or the vocabulary knows (a letter or two
off). A mixin of `FaqMatcher`, which holds the index these methods look words up in.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.services.faq_text import LATIN, Lexicon, Unit, parse, transliterate

LATIN_TYPO_MIN = 5  # a Latin word shorter than this is never read as a typo of another

_MARKUP = re.compile("[<>&]")  # what may start a tag or an entity
# an HTML tag as people paste it from a post or a site («<b>», «</a>», «<a href="…">»)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# emoji and pictographs (a space: «выплаты🔥когда» is two words), and what only joins or
# shapes them (nothing: a joiner inside a word, «пла\u200dты», is no word break)
_PICTURES = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff]+")
_PICTURE_MARKS = re.compile("[\u200d\ufe0e\ufe0f\u20e3\U000e0020-\U000e007f]")


def plain_question(question: str) -> str:
    """A question as words: HTML tags and entities («<b>когда выплаты</b>», «&lt;…&gt;»)
    and emoji («когда выплаты? 🙏🙏», «🔥 промик 🔥») are no part of what it asks, and the
    sentence encoder and the typo reader would read them as words. What is stored or shown
    (a gap, a ticket) keeps the text as typed."""
    if question.isascii() and not _MARKUP.search(question):
        return question
    if "&" in question:
        question = html.unescape(question)
    if "<" in question or ">" in question:  # a tag, or an angle bracket left around words
        question = _TAG.sub(" ", question).replace("<", " ").replace(">", " ")
    question = _PICTURES.sub(" ", _PICTURE_MARKS.sub("", question))
    if not question.isascii():
        question = "".join(
            " " if unicodedata.category(char) == "So" and char != "№" else char
            for char in question
        )
    return " ".join(question.split())


class QuestionReading:
    """Reading a question against one FAQ's words (set by the matcher's index)."""

    lexicon: Lexicon
    _idf: dict[str, float]  # the content's wordings' words
    _answer_idf: dict[str, float]  # words only the answers know
    _correctable: list[str]  # what a typo may be read as
    _correct_cache: dict[str, str | None]

    def read(self, text: str, phrases: bool = True) -> list[Unit]:
        """A text's meaningful units (chatty and stop words dropped)."""
        return self.lexicon.read(text, phrases)

    def _unit(self, word: str) -> Unit | None:
        return self.lexicon.unit(word)

    def _known(self, forms: Iterable[str]) -> bool:
        return any(form in self._idf or form in self._answer_idf for form in forms)

    def question_units(self, question: str, phrases: bool = True) -> list[Unit]:
        """The question's units, Latin words transliterated and typos corrected when the
        FAQ or the vocabulary does not know them as written (with `phrases` off, word by
        word: no vocabulary phrase read as one unit)."""
        units: list[Unit] = []
        for unit in self.read(question, phrases):
            if self._known(unit.forms) or unit.lexical:
                units.append(self._also_transliterated(unit))
                continue
            (word,) = unit.forms
            fixed = self._correct(word)
            if fixed is not None:
                units.append(fixed)
            elif LATIN.match(word):
                # an English word the vocabulary does not carry: most are the grammar of an
                # English question, not what it is about
                units.append(Unit(unit.forms, chatty=True))
            else:
                units.append(unit)
        return units

    def _also_transliterated(self, unit: Unit) -> Unit:
        """A Latin word the FAQ knows (say «osago» from an answer's list of products) is
        also read as its transliteration when that is a word the FAQ or the vocabulary
        knows («осаго»): known as written, it was never transliterated."""
        if unit.lexical or len(unit.forms) != 1:
            return unit
        (word,) = unit.forms
        if not LATIN.match(word):
            return unit
        reading = self._unit(transliterate(word))
        if reading is None or not (self._known(reading.forms) or reading.lexical):
            return unit
        return Unit(unit.forms | reading.forms, unit.chatty, unit.question_word, reading.lexical)

    def _correct(self, word: str) -> Unit | None:
        if word in self._correct_cache:
            found = self._correct_cache[word]
        else:
            found = self._find_correction(word)
            if len(self._correct_cache) < 100_000:
                self._correct_cache[word] = found
        if found is None:
            return None
        unit = self._unit(found)
        return unit if unit is not None and self._known(unit.forms) else None

    def _find_correction(self, word: str) -> str | None:
        if parse(word)[2]:
            return None  # a real word («погода») is what it says, not a typo of another
        candidates = [word]
        if LATIN.match(word):
            reading = transliterate(word)
            candidates.append(reading)
            unit = self._unit(reading)
            if unit is not None and (self._known(unit.forms) or unit.lexical):
                return reading
        for candidate in candidates:
            if len(candidate) < 4 or not self._correctable:
                continue
            if LATIN.match(word) and len(word) < LATIN_TYPO_MIN:
                # short English words lie a letter apart from each other («told», «hold»;
                # «said», «paid»): without an English dictionary, none is read as a typo
                continue
            # a typo is a letter or two wrong, missing, extra or swapped, not another
            # word that starts the same way («capital» is not «capitalist»)
            limit = 1 if len(candidate) <= 6 else 2
            found = process.extractOne(
                candidate,
                self._correctable,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=limit,
            )
            if found is not None:
                return str(found[0])
        return None
