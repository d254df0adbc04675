"""Reading text for FAQ matching: words, lemmas, transliteration, the affiliate vocabulary.

A text is read into *units*: one per word that carries meaning, each with its forms — the
pymorphy3 lemma plus what the vocabulary (`bot/faq_data/faq_lexicon.yaml` and the program's
`content/lexicon.yaml`) says it means, so «рефка», «referral link» and «реферальная ссылка»
meet. Greetings, verbs of asking and other chatty words are dropped.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import pymorphy3
import yaml

from bot.content.models import LexiconItem
from bot.names import unformatted
from bot.services.faq_morphology import analyzer

STOPWORDS = frozenset(
    """
    а и в во на с со к ко у о об от до по за из под над при для ли же бы б ну вот это
    этот эта эти тот та те то так там тут здесь я мы вы ты он она оно они мой моя мое
    мои ваш ваша ваше ваши наш наша наше наши свой меня мне мной нас нам вас вам его ее
    её их им ими быть есть был была было были будет буду бывать еще ещё уже да нет ни но
    или тоже также всем все всё весь вся какой-то кто-то что-то как-то либо нибудь
    привет приветик приветствую здравствуйте здравствуй здрасьте здрасте добрый день вечер
    утро доброго доброе хай салют ку
    подскажите подсказать подскажи скажите сказать скажи пожалуйста пожалуйсто плиз пжлст
    пж пжл спасибо спс благодарить благодарю заранее большое огромное
    ребята ребят коллеги друзья народ админ админы хочу хотеть хотел хотела хотелось знать
    узнать вопрос вопросик вопросы интересовать интересует интересно можно ли вообще
    просто очень вот бы типа короче блин сорри извините извиняюсь кстати собственно
    значит щас сейчас тогда потом опять снова вроде слушайте слушай смотрите понял поняла
    понятно ясно ок окей okay ok спросить спрашиваю уточнить уточните объясните объяснить
    пояснить поясните расскажите рассказать помогите кто-нибудь кто нибудь
    там-то который которая которое которые чтобы чтоб если ибо потому поэтому итак
    hi hello hey the a an is are am was were be been do does did i my me you your we our
    it its to of for in on at by with about from as or and please pls plz thanks thank
    can could would will should shall may might how what this that these those guys
    anyone somebody someone tell know question just really so also any some
    each every before after via into onto there here then than them they their which
    while still only even ever other same such like want need able yet
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Question words: they tell entries apart ("когда" vs "сколько") but alone prove nothing.
QUESTION_WORDS = frozenset(
    [
        "когда",
        "сколько",
        "где",
        "почему",
        "зачем",
        "какой",
        "как",
        "что",
        "кто",
        "куда",
        "откуда",
        "чем",
        "чей",
        "каков",
    ]
)
# Parts of speech whose unknown words are chatty, not what the question is about.
CHATTY_POS = frozenset(
    {"VERB", "INFN", "ADVB", "PRCL", "INTJ", "CONJ", "PREP", "NPRO", "PRED", "GRND", "COMP"}
)

_TRANSLIT = [
    ("shch", "щ"), ("sch", "щ"), ("yo", "ё"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"),
    ("ch", "ч"), ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("ye", "е"), ("iy", "ий"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"),
    ("c", "к"), ("y", "ы"), ("w", "в"), ("x", "кс"), ("q", "к"),
]  # fmt: skip
_TOKEN = re.compile(r"[a-zа-я0-9]+|[%$₽]")
LATIN = re.compile(r"^[a-z]+$")
CYRILLIC = re.compile(r"^[а-я]+$")
HAS_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)  # a text with a Russian letter

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return analyzer()  # its word graphs mapped from the dictionary's files


@lru_cache(maxsize=200_000)
def parse(word: str) -> tuple[str, str, bool]:
    """(lemma, part of speech, known to the dictionary)."""
    if not CYRILLIC.match(word):
        return word, "LATN" if LATIN.match(word) else "NUMB", False
    parsed = _morph().parse(word)[0]
    return str(parsed.normal_form).replace("ё", "е"), str(parsed.tag.POS), bool(parsed.is_known)


def lemma(word: str) -> str:
    return parse(word)[0]


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


# combining marks (the blocks «Zalgo» text is made of); of them only the breve of «й» and
# the diaeresis of «ё» belong to a Russian letter
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_COMBINING = re.compile(f"[{_MARKS}]")
_CLUSTER = re.compile(f"([^{_MARKS}]?)([{_MARKS}]+)")  # a letter and the marks on it


def _letter_of(cluster: re.Match[str]) -> str:
    base, marks = cluster.group(1), cluster.group(2)
    for letters, mark in (("иИ", "\u0306"), ("еЕ", "\u0308")):  # «й», «ё»
        if base and base in letters and mark in marks:
            return base + mark
    return base


# Latin letters drawn as Cyrillic ones: «кoгдa» typed with a Latin «o» and «a»
_LOOKALIKES: Final = str.maketrans("aceopxykABCEHKMOPTXY", "асеорхукАВСЕНКМОРТХУ")
_WORD: Final = re.compile(r"[^\W\d_]+")
_CYRILLIC: Final = re.compile(r"[а-яё]", re.I)
_LATIN: Final = re.compile(r"[a-z]", re.I)
_NOT_LOOKALIKE: Final = re.compile(r"[b-df-jl-nqrsuvwzDFGIJLNQRSUVWZ]")


def _one_script(text: str) -> str:
    """A Russian word typed with Latin letters that look the same (a keyboard switched
    mid-word, or a spammer's disguise) in Cyrillic: «кoгдa» is «когда». A word with any
    other Latin letter («iPhoneа») stays as typed."""
    if not (_LATIN.search(text) and _CYRILLIC.search(text)):
        return text
    return _WORD.sub(_in_cyrillic, text)


def _in_cyrillic(found: re.Match[str]) -> str:
    """One word of `_one_script`: each word is read once (a lookahead from every letter
    of a word made a word of n letters cost n² steps: 4,000 «я» took seconds)."""
    word = found.group(0)
    if not (_LATIN.search(word) and _CYRILLIC.search(word)) or _NOT_LOOKALIKE.search(word):
        return word
    return word.translate(_LOOKALIKES)


def fold(text: str) -> str:
    """The letters a text shows: NFKC (full-width «ｋｏｇｄａ» is «kogda», «ﬁ» is «fi»), and
    combining marks stacked on letters dropped (they are never composed into another
    letter: «к» with an acute stays «к»), but for «й» and «ё», however they were typed;
    format characters out («вы\u00adпла\u00adты» is «выплаты»: `names.unformatted`); a
    Russian word with Latin look-alike letters in Cyrillic («кoгдa»: `_one_script`)."""
    if text.isascii():
        return text
    text = _one_script(unformatted(text))
    text = text.replace("№", " ")  # NFKC would make it «No», a word: no letters here
    if not _COMBINING.search(text):
        text = unicodedata.normalize("NFKC", text)
        if not _COMBINING.search(text):  # «¸» is a space and a combining cedilla in NFKC
            return text
    return unicodedata.normalize(
        "NFC", _CLUSTER.sub(_letter_of, unicodedata.normalize("NFKD", text))
    )


def words(text: str) -> list[str]:
    """A text's words, small, «ё» as «е»; «%» as the word («какой % с аренды» is «какой
    процент с аренды», «10%» is «10 процент»; «percent» in a text with no Cyrillic)."""
    tokens = _TOKEN.findall(fold(text).lower().replace("ё", "е"))
    if "%" in tokens:
        said = _percent_word(tokens)
        tokens = [said if each == "%" else each for each in tokens]
    return tokens


def _percent_word(tokens: Sequence[str]) -> str:
    return "процент" if any(CYRILLIC.match(token) for token in tokens) else "percent"


# a number never starts after a digit, nor the spaces before «%» after a space (either is
# the tail of a match that starts before): from every digit of «1111…1x%» or space of
# «    …x%» the search read to the end
_PERCENT = re.compile(r"(?:(?<!\d)(\d+(?:[.,]\d+)?)|(?<!\s))\s*%")


def spoken(text: str) -> str:
    """A text as the sentence encoder reads it: `fold`ed, «%» as the word it stands for
    («10%» as «10 процентов», «какой %» as «какой процент»; in English, «percent»)."""
    text = fold(text)
    if "%" not in text:
        return text
    russian = bool(HAS_CYRILLIC.search(text))

    def said(found: re.Match[str]) -> str:
        number = found.group(1)
        if not russian:
            return f" {number or ''} percent "
        return f" {number} процентов " if number else " процент "

    return " ".join(_PERCENT.sub(said, text).split())


_ANY_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script


def has_a_word(text: str) -> bool:
    """Some word of two or more characters with a letter in it: «ы», «x?», «1» or «а б»
    are no question (bot/services/small_talk.py) and no wording to learn."""
    return any(
        len(word) >= 2 and any(char.isalpha() for char in word)
        for word in _ANY_WORD.findall(fold(text))
    )


# --- the vocabulary -------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A word (or a vocabulary phrase) of a text, with the forms it is matched by."""

    forms: frozenset[str]
    chatty: bool  # unknown to the FAQ, this word would not be what the question is about
    question_word: bool = False
    lexical: bool = False  # the vocabulary knows it as written: never "corrected"


_UNITS_KEPT = 20_000  # words whose unit a vocabulary remembers (the rest: read each time)


class Lexicon:
    """Words (and phrases of up to 3 words) → the forms FAQ authors use for them."""

    MAX_PHRASE = 3
    own: tuple[LexiconItem, ...] = ()  # the program's own words (`faq_own_words`)

    def __init__(self, items: Iterable[LexiconItem]) -> None:
        self.single: dict[str, frozenset[str]] = {}
        self.phrases: dict[tuple[str, ...], frozenset[str]] = {}
        # a few hundred meanings shared by thousands of words: one set object each
        shared: dict[frozenset[str], frozenset[str]] = {}
        for item in items:
            meaning = frozenset(
                lemma(word) for word in words(item.means) if word not in STOPWORDS
            ) or frozenset(lemma(word) for word in words(item.means))
            for phrase in [*item.words, item.means]:
                tokens = tuple(words(phrase))
                if not tokens:
                    continue
                if len(tokens) == 1:
                    for word in {tokens[0], lemma(tokens[0])}:
                        forms = self.single.get(word, frozenset()) | meaning
                        self.single[word] = shared.setdefault(forms, forms)
                elif len(tokens) <= self.MAX_PHRASE:
                    for phrase_key in {tokens, tuple(lemma(token) for token in tokens)}:
                        forms = self.phrases.get(phrase_key, frozenset()) | meaning
                        self.phrases[phrase_key] = shared.setdefault(forms, forms)
        self._derive()

    def _derive(self) -> None:
        """What follows from the words and phrases (built or read from the cache)."""
        self.surfaces = sorted(word for word in self.single if len(word) >= 4)
        # stop words that a phrase with a meaning of its own uses («нет» of «нет сайта»):
        # read word by word (`read(phrases=False)`), they are kept, never dropped
        self.phrase_stopwords = frozenset(
            token
            for tokens, forms in self.phrases.items()
            if not forms <= STOPWORDS
            for token in tokens
            if token in STOPWORDS
        )
        # the words (as written and as lemmas) a phrase starts with: a cheap first check
        self._phrase_starts = frozenset(tokens[0] for tokens in self.phrases)
        self._units: dict[str, Unit | None] = {}  # `unit`'s answers, word by word

    def state(self) -> dict[str, Any]:
        """The words and phrases as JSON data (`from_state` reads it back): each meaning
        once, words and phrases by the number of their meaning."""
        numbers: dict[frozenset[str], int] = {}
        for forms in [*self.single.values(), *self.phrases.values()]:
            numbers.setdefault(forms, len(numbers))
        return {
            "meanings": [sorted(forms) for forms in numbers],
            "single": [[word, numbers[forms]] for word, forms in self.single.items()],
            "phrases": [[list(tokens), numbers[forms]] for tokens, forms in self.phrases.items()],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Lexicon:
        """The vocabulary `state()` wrote (ValueError when it is not such data)."""
        try:
            meanings = [frozenset(_strings(forms)) for forms in state["meanings"]]
            single = {_string(word): meanings[number] for word, number in state["single"]}
            phrases = {
                tuple(_strings(tokens)): meanings[number] for tokens, number in state["phrases"]
            }
        except (KeyError, TypeError, IndexError) as error:
            raise ValueError(f"not a vocabulary: {error!r}") from error
        if any(not 2 <= len(tokens) <= cls.MAX_PHRASE for tokens in phrases):
            raise ValueError("a phrase of another length")
        lexicon = cls.__new__(cls)
        lexicon.single, lexicon.phrases = single, phrases
        lexicon._derive()
        return lexicon

    def forms(self, word: str) -> frozenset[str]:
        return self.single.get(word) or self.single.get(lemma(word)) or frozenset()

    def read(self, text: str, phrases: bool = True) -> list[Unit]:
        """A text's meaningful units (chatty and stop words dropped); with `phrases` off,
        each word on its own (its vocabulary phrases not read as one unit)."""
        tokens = words(text)
        units: list[Unit] = []
        i = 0
        while i < len(tokens):
            phrase = self._phrase_at(tokens, i) if phrases else None
            if phrase is not None:
                size, forms = phrase
                units.append(Unit(forms, chatty=False, lexical=True))
                i += size
                continue
            word = tokens[i]
            i += 1
            if word in STOPWORDS:
                if not phrases and word in self.phrase_stopwords:
                    units.append(Unit(frozenset({word}), chatty=False))
                continue
            unit = self.unit(word)
            if unit is not None:
                units.append(unit)
        return units

    def reads_alike(self, text: str) -> bool:
        """Whether `read(text)` and `read(text, phrases=False)` give the same units: no
        vocabulary phrase anywhere in it, and no stop word such a phrase keeps."""
        tokens = words(text)
        return not any(
            token in self.phrase_stopwords or self._phrase_at(tokens, i) is not None
            for i, token in enumerate(tokens)
        )

    def _phrase_at(self, tokens: list[str], i: int) -> tuple[int, frozenset[str]] | None:
        if tokens[i] not in self._phrase_starts and lemma(tokens[i]) not in self._phrase_starts:
            return None  # no phrase starts with this word, as written or as its lemma
        for size in range(min(self.MAX_PHRASE, len(tokens) - i), 1, -1):
            piece = tuple(tokens[i : i + size])
            found = self.phrases.get(piece) or self.phrases.get(
                tuple(lemma(token) for token in piece)
            )
            if found:
                return size, found
        return None

    def unit(self, word: str) -> Unit | None:
        """One word's unit (None for a stop word)."""
        if word in self._units:
            return self._units[word]
        unit = self._unit(word)
        if len(self._units) < _UNITS_KEPT:
            self._units[word] = unit
        return unit

    def _unit(self, word: str) -> Unit | None:
        base, pos, _known = parse(word)
        if base in STOPWORDS:
            return None
        meaning = self.forms(word)
        return Unit(
            frozenset({base} | meaning),
            chatty=pos in CHATTY_POS,
            question_word=base in QUESTION_WORDS or bool(meaning and meaning <= QUESTION_WORDS),
            lexical=bool(meaning),
        )


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _strings(values: object) -> list[str]:
    if not isinstance(values, list):
        raise TypeError(f"{values!r} is not a list")
    return [_string(value) for value in values]


# libyaml's loader where PyYAML has it: the same data, ~15 times faster than Python's
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def shipped_lexicon_items() -> list[LexiconItem]:
    text = resources.files("bot.faq_data").joinpath("faq_lexicon.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader (libyaml's)
    return [LexiconItem.model_validate(item) for item in data]


@lru_cache(maxsize=1)
def frames() -> tuple[frozenset[str], frozenset[str]]:
    """The partner's words and the customer's words (`bot/faq_data/faq_frames.yaml`)."""
    text = resources.files("bot.faq_data").joinpath("faq_frames.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return frozenset(map(str, data["partner"])), frozenset(map(str, data["customer"]))


def frame_features(units: Iterable[Unit]) -> tuple[float, float]:
    """(the question has a partner's word, it has a customer's word): the model weighs
    both, so «как вернуть товар» reads apart from «клиент вернул товар, мне начислят?»."""
    partner, customer = frames()
    forms = {form for unit in units for form in unit.forms}
    return float(bool(forms & partner)), float(bool(forms & customer))


def _reading_code() -> str:
    """This module's source: how the vocabulary is read (the cache's key has it)."""
    return Path(__file__).read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def _lexicon(extra: tuple[tuple[tuple[str, ...], str], ...]) -> Lexicon:
    # imported here: it brings the encoder (numpy) for its cache folder, which the modules
    # importing only `fold` or `has_a_word` (small talk) never need
    from bot.services import faq_text_cache

    own = [LexiconItem(words=list(item_words), means=means) for item_words, means in extra]
    items = [*shipped_lexicon_items(), *own]
    # what the reading depends on: the words, and the code that reads them
    key = faq_text_cache.digest(
        [
            _reading_code(),
            *(json.dumps([item.words, item.means], ensure_ascii=False) for item in items),
        ]
    )
    state = faq_text_cache.read_state(key)
    built: Lexicon | None = None
    if state is not None:
        try:
            built = Lexicon.from_state(state)
        except ValueError as error:
            log.warning("FAQ vocabulary: the cached one is damaged (%s), reading it again", error)
    if built is None:
        built = Lexicon(items)
        faq_text_cache.write_state(key, built.state())
    built.own = tuple(own)
    return built


def lexicon(extra: Sequence[LexiconItem] = ()) -> Lexicon:
    """The shipped vocabulary plus a program's own words (built once per word list)."""
    return _lexicon(tuple((tuple(item.words), item.means) for item in extra))
