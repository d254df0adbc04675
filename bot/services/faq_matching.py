"""FAQ matching for partners' questions, on any program's FAQ as its authors write it.

A text (a question, an entry's wordings, its answer) is read into *units*: one per word
that carries meaning, each with its forms — the pymorphy3 lemma plus what the affiliate
vocabulary (`bot/faq_data/faq_lexicon.yaml` and the program's `content/lexicon.yaml`) says it
means, so «рефка», «referral link» and «реферальная ссылка» meet. Greetings, verbs of
asking and other chatty words are dropped; Latin words the vocabulary does not know are
read as transliteration; typos are mapped to the closest word the FAQ or the vocabulary
knows (rapidfuzz).

Each entry is ranked by the share of the question's information (IDF weight) its wordings
cover (its answer text counts too, as weaker evidence), and a handful of such features of
the best candidates go through a logistic model (`bot/faq_data/faq_model.json`) fitted
leave-one-out on several FAQs (bench/faq_loo.py): its output is the probability that the
candidate is the right answer, so a confidence means the same on every FAQ. Above the
answer threshold the bot answers; when the right entry is likely among a few candidates
it offers them ("did you mean"); below that, it stays silent.

Learned wordings (approved by managers or partners, kept in the database) are extra
wordings of their entry: `FaqMatcher.with_learned` builds a new index that shares the
content's analysis.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import pymorphy3
import yaml
from rapidfuzz import fuzz, process

from bot.content.models import FaqEntry, LexiconItem

MAX_SUGGESTIONS = 3
CANDIDATES = 8  # entries scored by the model for one question

Outcome = Literal["answer", "suggest", "miss"]

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
_CHATTY_POS = frozenset(
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
_LATIN = re.compile(r"^[a-z]+$")
_CYRILLIC = re.compile(r"^[а-я]+$")


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def _parse(word: str) -> tuple[str, str, bool]:
    """(lemma, part of speech, known to the dictionary)."""
    if not _CYRILLIC.match(word):
        return word, "LATN" if _LATIN.match(word) else "NUMB", False
    parsed = _morph().parse(word)[0]
    return str(parsed.normal_form).replace("ё", "е"), str(parsed.tag.POS), bool(parsed.is_known)


def lemma(word: str) -> str:
    return _parse(word)[0]


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


# --- the vocabulary -------------------------------------------------------------------


class Lexicon:
    """Words (and phrases of up to 3 words) → the forms FAQ authors use for them."""

    MAX_PHRASE = 3

    def __init__(self, items: Iterable[LexiconItem]) -> None:
        self.single: dict[str, frozenset[str]] = {}
        self.phrases: dict[tuple[str, ...], frozenset[str]] = {}
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
                        self.single[word] = self.single.get(word, frozenset()) | meaning
                elif len(tokens) <= self.MAX_PHRASE:
                    for phrase_key in {tokens, tuple(lemma(token) for token in tokens)}:
                        known = self.phrases.get(phrase_key, frozenset())
                        self.phrases[phrase_key] = known | meaning
        self.surfaces = sorted(word for word in self.single if len(word) >= 4)

    def forms(self, word: str) -> frozenset[str]:
        return self.single.get(word) or self.single.get(lemma(word)) or frozenset()


def shipped_lexicon_items() -> list[LexiconItem]:
    text = resources.files("bot.faq_data").joinpath("faq_lexicon.yaml").read_text(encoding="utf-8")
    return [LexiconItem.model_validate(item) for item in yaml.safe_load(text)]


@lru_cache(maxsize=8)
def _lexicon(extra: tuple[tuple[tuple[str, ...], str], ...]) -> Lexicon:
    own = [LexiconItem(words=list(item_words), means=means) for item_words, means in extra]
    return Lexicon([*shipped_lexicon_items(), *own])


def lexicon(extra: Sequence[LexiconItem] = ()) -> Lexicon:
    """The shipped vocabulary plus a program's own words (built once per word list)."""
    return _lexicon(tuple((tuple(item.words), item.means) for item in extra))


# --- the model ------------------------------------------------------------------------

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
)


# the confidence that the best candidate is the right answer: its features, plus how
# probable it is (logit) and by how much it leads the next one
TOP_FEATURES = ("logit", "margin", *FEATURES)


@dataclass(frozen=True)
class Model:
    weights: tuple[float, ...]  # a candidate: is it the entry that answers the question?
    bias: float
    answer: float  # answer at or above this confidence
    suggest: float  # offer an option at or above this probability
    top_weights: tuple[float, ...] = ()  # the best candidate: is answering with it right?
    top_bias: float = 0.0

    @classmethod
    def shipped(cls) -> Model:
        text = (
            resources.files("bot.faq_data").joinpath("faq_model.json").read_text(encoding="utf-8")
        )
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
    return (_logit(top.score) / 10, top.score - second, *top.features)


@lru_cache(maxsize=1)
def shipped_model() -> Model:
    return Model.shipped()


# --- matching -------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    forms: frozenset[str]
    chatty: bool  # unknown to the FAQ, this word would not be what the question is about
    question_word: bool = False
    lexical: bool = False  # the vocabulary knows it as written: never "corrected"


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    features: tuple[float, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    entry_id: str | None
    score: float
    suggestions: tuple[Candidate, ...] = ()


@dataclass
class _Wordings:
    """An entry's wordings: the forms of each, and their union."""

    variants: list[frozenset[str]]
    texts: list[str]
    terms: set[str]
    learned: set[frozenset[str]]
    extra: set[str] = field(default_factory=set)  # terms only learned wordings bring


class FaqMatcher:
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
        self._content: list[_Wordings]
        self._answers: list[frozenset[str]]
        if _base is not None:
            self._content = _base._content
            self._answers = _base._answers
        else:
            self._content = [self._analyse_entry(entry) for entry in self.entries]
            self._answers = [
                frozenset(form for unit in self.read(entry.answer) for form in unit.forms)
                for entry in self.entries
            ]
        self._wordings = [
            _Wordings(list(own.variants), list(own.texts), set(own.terms), set())
            for own in self._content
        ]
        self.learned_count = 0
        for entry_id, phrasings in (learned or {}).items():
            index = self._index_of.get(entry_id)
            if index is None:
                continue
            for phrasing in phrasings:
                forms = frozenset(form for unit in self.read(phrasing) for form in unit.forms)
                if forms:
                    self._add(self._wordings[index], forms, learned=True)
                    self.learned_count += 1
        for own, content in zip(self._wordings, self._content, strict=True):
            own.extra = own.terms - content.terms
        self._build_index()

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

    # reading text

    def read(self, text: str) -> list[Unit]:
        """A text's meaningful units (chatty and stop words dropped)."""
        tokens = words(text)
        units: list[Unit] = []
        i = 0
        while i < len(tokens):
            phrase = self._phrase_at(tokens, i)
            if phrase is not None:
                size, forms = phrase
                units.append(Unit(forms, chatty=False, lexical=True))
                i += size
                continue
            word = tokens[i]
            i += 1
            if word in STOPWORDS:
                continue
            unit = self._unit(word)
            if unit is not None:
                units.append(unit)
        return units

    def _phrase_at(self, tokens: list[str], i: int) -> tuple[int, frozenset[str]] | None:
        for size in range(min(Lexicon.MAX_PHRASE, len(tokens) - i), 1, -1):
            piece = tuple(tokens[i : i + size])
            found = self.lexicon.phrases.get(piece) or self.lexicon.phrases.get(
                tuple(lemma(token) for token in piece)
            )
            if found:
                return size, found
        return None

    def _unit(self, word: str) -> Unit | None:
        base, pos, _known = _parse(word)
        if base in STOPWORDS:
            return None
        meaning = self.lexicon.forms(word)
        return Unit(
            frozenset({base} | meaning),
            chatty=pos in _CHATTY_POS,
            question_word=base in QUESTION_WORDS or bool(meaning and meaning <= QUESTION_WORDS),
            lexical=bool(meaning),
        )

    def _analyse_entry(self, entry: FaqEntry) -> _Wordings:
        own = _Wordings([], [], set(), set())
        texts = [entry.question, *entry.alt]
        if self.use_keywords and entry.keywords:
            texts.append(" ".join(entry.keywords))
        for text in texts:
            forms = frozenset(form for unit in self.read(text) for form in unit.forms)
            if forms:
                self._add(own, forms, learned=False)
        return own

    @staticmethod
    def _add(own: _Wordings, forms: frozenset[str], *, learned: bool) -> None:
        own.variants.append(forms)
        own.texts.append(" ".join(sorted(forms)))
        own.terms.update(forms)
        if learned:
            own.learned.add(forms)

    def _build_index(self) -> None:
        count = max(len(self.entries), 1)
        frequency: dict[str, int] = {}
        for own in self._wordings:
            for term in own.terms:
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
        # a word only learned wordings bring is evidence of its own (weighed by the model),
        # not coverage: a long learned question would otherwise pull others to its entry
        self._postings: dict[str, list[int]] = {}
        self._learned_postings: dict[str, list[int]] = {}
        for index, own in enumerate(self._wordings):
            for term in own.terms:
                postings = self._learned_postings if term in own.extra else self._postings
                postings.setdefault(term, []).append(index)
        self._answer_postings: dict[str, list[int]] = {}
        for index, terms in enumerate(self._answers):
            for term in terms:
                self._answer_postings.setdefault(term, []).append(index)
        surfaces = {term for term in self._idf if len(term) >= 4}
        surfaces.update(self.lexicon.surfaces)
        self._correctable = sorted(surfaces)
        self._correct_cache: dict[str, str | None] = {}

    # the question's side

    def _known(self, forms: Iterable[str]) -> bool:
        return any(form in self._idf or form in self._answer_idf for form in forms)

    def question_units(self, question: str) -> list[Unit]:
        """The question's units, Latin words transliterated and typos corrected when the
        FAQ or the vocabulary does not know them as written."""
        units: list[Unit] = []
        for unit in self.read(question):
            if self._known(unit.forms) or unit.lexical:
                units.append(unit)
                continue
            (word,) = unit.forms
            fixed = self._correct(word)
            if fixed is not None:
                units.append(fixed)
            elif _LATIN.match(word):
                # an English word the vocabulary does not carry: most are the grammar of an
                # English question, not what it is about
                units.append(Unit(unit.forms, chatty=True))
            else:
                units.append(unit)
        return units

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
        if _parse(word)[2]:
            return None  # a real word («погода») is what it says, not a typo of another
        candidates = [word]
        if _LATIN.match(word):
            reading = transliterate(word)
            candidates.append(reading)
            unit = self._unit(reading)
            if unit is not None and (self._known(unit.forms) or unit.lexical):
                return reading
        for candidate in candidates:
            if len(candidate) < 4 or not self._correctable:
                continue
            cutoff = 80 if len(candidate) >= 6 else 84
            found = process.extractOne(
                candidate, self._correctable, scorer=fuzz.ratio, score_cutoff=cutoff
            )
            if found is not None:
                return str(found[0])
        return None

    # ranking

    def _weight(self, unit: Unit) -> float:
        weights = [self._idf[form] for form in unit.forms if form in self._idf]
        if not weights:
            weights = [0.7 * self._answer_idf[f] for f in unit.forms if f in self._answer_idf]
        weight = max(weights) if weights else self._max_idf
        return weight * (0.5 if unit.question_word else 1.0)

    def rank(self, question: str, segment: str | None = None, limit: int = 5) -> list[Candidate]:
        """The best entries for a question, most probable first."""
        units = self.question_units(question)
        if not units or not self.entries:
            return []
        known = [unit for unit in units if self._known(unit.forms)]
        if not known:
            return []
        weights = [self._weight(unit) for unit in known]
        known_total = sum(weights)
        unknown_words = sum(1 for unit in units if not self._known(unit.forms) and not unit.chatty)
        unknown_total = self._max_idf * unknown_words
        covered_words: dict[int, int] = {}
        content_covered: dict[int, float] = {}
        content_total = unknown_total
        covered: dict[int, float] = {}
        by_answer: dict[int, float] = {}
        by_learned: dict[int, float] = {}
        question_forms: set[str] = set()
        for unit, weight in zip(known, weights, strict=True):
            question_forms.update(unit.forms)
            hits = {i for form in unit.forms for i in self._postings.get(form, ())}
            for index in {i for f in unit.forms for i in self._learned_postings.get(f, ())}:
                if index not in hits:
                    by_learned[index] = by_learned.get(index, 0.0) + weight
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
        pool = sorted(
            set(covered) | set(by_answer) | set(by_learned),
            key=lambda i: (
                -(covered.get(i, 0.0) + 0.5 * by_answer.get(i, 0.0) + 0.7 * by_learned.get(i, 0.0))
            ),
        )
        visible = [
            index for index in pool if segment is None or self.entries[index].visible_to(segment)
        ][:CANDIDATES]
        if not visible:
            return []
        question_text = " ".join(sorted(question_forms))
        raw: dict[int, tuple[float, float, float]] = {}
        for index in visible:
            coverage = covered.get(index, 0.0) / known_total
            reverse, exact = self._reverse(index, question_forms)
            raw[index] = (coverage, reverse, exact)
        mass_scale = self._max_idf or 1.0
        only_question = [
            all(unit.question_word for unit in known if unit.forms & self._wordings[i].terms)
            for i in visible
        ]
        candidates: list[Candidate] = []
        for position, index in enumerate(visible):
            coverage, reverse, exact = raw[index]
            others = [raw[other][0] + raw[other][1] for other in visible if other != index]
            gap = coverage + reverse - (max(others) if others else 0.0)
            closest = process.extractOne(
                question_text, self._wordings[index].texts, scorer=fuzz.token_sort_ratio
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
            )
            probability = self.model.probability(features)
            candidates.append(Candidate(self.entries[index].id, round(probability, 4), features))
        candidates.sort(key=lambda candidate: -candidate.score)
        return candidates[:limit]

    def _reverse(self, index: int, question_forms: set[str]) -> tuple[float, float]:
        """The share of the closest wording the question covers, and whether the question
        is exactly one of the wordings (1.0 for a learned one, 0.5 for the content's)."""
        best = 0.0
        exact = 0.0
        own = self._wordings[index]
        for variant in own.variants:
            total = sum(self._idf.get(term, 0.0) for term in variant)
            if not total:
                continue
            share = sum(self._idf.get(term, 0.0) for term in variant if term in question_forms)
            best = max(best, share / total)
            if variant <= question_forms <= variant | _LOOSE:
                exact = max(exact, 1.0 if variant in own.learned else 0.5)
        return best, exact

    def match(self, question: str, segment: str | None = None) -> Match:
        return self.decide(self.rank(question, segment, limit=MAX_SUGGESTIONS + 1))

    def decide(self, ranked: Sequence[Candidate]) -> Match:
        """Answer when confident; else offer the candidates probable enough; else nothing."""
        if not ranked:
            return Match("miss", None, 0.0)
        confidence = round(self.model.confidence(ranked), 4)
        learned = _learned_exactly(ranked)
        if learned is not None:  # asked again in the words it was learned from
            return Match("answer", learned.entry_id, 1.0)
        if confidence >= self.model.answer:
            return Match("answer", ranked[0].entry_id, confidence)
        options = tuple(c for c in ranked[:MAX_SUGGESTIONS] if c.score >= self.model.suggest)
        if options:
            return Match("suggest", None, confidence, options)
        return Match("miss", None, confidence)


_LOOSE: frozenset[str] = frozenset(QUESTION_WORDS)
_EXACT = FEATURES.index("exact")


def _learned_exactly(ranked: Sequence[Candidate]) -> Candidate | None:
    """The one candidate with a learned phrasing that reads as the question (None when
    there is none, or when two entries learned it)."""
    learned = [c for c in ranked if c.features and c.features[_EXACT] >= 1.0]
    return learned[0] if len(learned) == 1 else None


def features_matrix(candidates: Sequence[Candidate]) -> np.ndarray:
    return np.array([candidate.features for candidate in candidates], dtype=np.float64)


def entries_by_topic(entries: Iterable[FaqEntry]) -> dict[str, list[FaqEntry]]:
    topics: dict[str, list[FaqEntry]] = {}
    for entry in entries:
        topics.setdefault(entry.topic, []).append(entry)
    return topics
