"""What a partner's free text is before it is a question: a menu word typed instead of
pressed («креативы», «my sales»: SPEC §5, "the same words"), asking for a person
(«позовите живого человека»), a question about the bot itself («как отписаться от
рассылки», «где моя статистика»: bot/services/own_intents.py), a number alone («1»:
a hint; a lone letter «ы» too), or small talk («ок», «спасибо, всё понятно», «как дела?»,
«ты бот?», 👍: bot/services/small_talk_phrases.py) that deserves a short friendly answer
and is no FAQ miss. Anything else is a question for the FAQ."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.content.models import Content
from bot.services import own_intents, small_talk_phrases
from bot.services.faq_reading import plain_question
from bot.services.faq_text import QUESTION_WORDS, fold, has_a_word

# A word or phrase typed alone → the partner command it opens (both languages; the menu
# buttons' labels without their emoji are among them).
MENU_WORDS: Final[dict[str, str]] = {
    **dict.fromkeys(("меню", "помощь", "справка", "menu", "help"), "help"),
    **dict.fromkeys(
        ("вопросы", "частые вопросы", "faq", "чаво", "questions", "frequent questions"), "faq"
    ),
    **dict.fromkeys(("обучение", "уроки", "курс", "training", "lessons", "course"), "lessons"),
    **dict.fromkeys(
        (
            "креативы",
            "материалы",
            "промо-материалы",
            "промоматериалы",
            "промо",
            "creatives",
            "materials",
            "marketing materials",
        ),
        "creatives",
    ),
    **dict.fromkeys(
        (
            "мои данные",
            "мои продажи",
            "моя статистика",
            "статистика",
            "профиль",
            "мой профиль",
            "me",
            "my data",
            "my sales",
            "my stats",
            "stats",
            "statistics",
            "my statistics",
            "статы",
            "стата",
            "profile",
        ),
        "me",
    ),
    **dict.fromkeys(("настройки", "подписки", "settings", "subscriptions"), "settings"),
    **dict.fromkeys(("конкурсы", "конкурс", "contests", "contest"), "contests"),
    **dict.fromkeys(("рейтинг", "топ", "лидеры", "top", "leaderboard"), "top"),
}

_PERSON: Final = re.compile(
    r"(живо\w* (человек|люд)|оператор|сотрудник|менеджер|поддержк|человек[ауо]?$|"
    r"live (person|agent)|real person|human|operator|agent|manager|support)"
)
_ASKING: Final = re.compile(
    r"(позов|позвать|зовите|соедин|связ|свяж|переключ|поговор|хочу|нужен|нужна|дайте|"
    r"напис|обрат|где|call|talk|speak|contact|reach|connect|want|need|get me)"
)
_SOLE_PERSON: Final = frozenset(
    (
        "оператор", "менеджер", "человек", "живой человек", "поддержка", "сотрудник",
        "operator", "human", "agent", "manager", "support", "live agent", "real person",
    )
)  # fmt: skip


SMALL_TALK: Final = frozenset(small_talk_phrases.KINDS)  # a short friendly answer
# a date, a date and time, or two of them with a dash: a dialog's answer typed too late
_WHEN: Final = r"\d{1,2}\.\d{1,2}\.\d{2,4}(?:\s+\d{1,2}:\d{2})?"
_DATES: Final = re.compile(rf"{_WHEN}(?:\s*[—–-]\s*{_WHEN})?")


@dataclass(frozen=True)
class Reading:
    # menu | person | unsubscribe | number | date | letter, or small talk (small_talk_phrases):
    # greeting | thanks | ack | news | chat | bye | bot
    kind: str
    command: str = ""  # for a menu word: the command it opens


def _normal(text: str) -> str:
    """Lower case, ё as е, no punctuation, emoji or combining marks, single spaces."""
    words = re.sub(r"[^\w\s-]", " ", fold(text).casefold().replace("ё", "е")).split()
    return " ".join(word.strip("-") for word in words if word.strip("-"))


def read(text: str, content: Content | None = None) -> Reading | None:
    """What the text is, when it is not a question (None: ask the FAQ). With `content`,
    a question about the bot itself that the program's FAQ asks too (one of its entries'
    wordings reads as the same question: «Как посмотреть, сколько я заработал?») is left
    to the FAQ: the program's own answer wins."""
    plain = _normal(text)
    if not plain:  # «?», 👍, 😂, 🔥, «…»: nothing to look up
        return Reading("ack")
    if not any(char.isalnum() for char in plain_question(text)):
        return Reading("ack")  # only tags, entities and pictures («<b></b>», «&amp;»)
    if _DATES.fullmatch(text.strip()):  # «21.12.2026 — 27.12.2026»: no step waits for it
        return Reading("date")
    if not any(char.isalpha() for char in plain):  # «1», «2026», «+7 999»: no question
        return Reading("number" if any(char.isdigit() for char in plain) else "ack")
    if not has_a_word(plain):  # «ы», «x?», «а б»: no word of two letters, no question
        return Reading("letter")
    if plain in MENU_WORDS:
        return Reading("menu", MENU_WORDS[plain])
    if plain in _LONE_ASKING:  # «почему?», «когда?», «what?»: what about is not said
        return Reading("letter")
    if plain in _SOLE_PERSON or (
        len(plain.split()) <= 8 and _PERSON.search(plain) and _ASKING.search(plain)
    ):
        return Reading("person")
    chatty = small_talk_phrases.kind(text)  # «как дела?», «спасибо, всё понятно», «ахаха»
    if chatty is not None:
        return Reading(chatty)
    intent = own_intents.read(plain.split())
    if intent is None or (content is not None and _faq_asks(intent, plain, content)):
        return None
    return Reading(intent.kind, intent.command)


# a question word alone (and «а»/«ну» before it): a reaction to the last message, not a
# question the FAQ can read (the tester of session 16: «почему?» was answered with the
# entry whose wordings ask «почему» most)
_LONE_ASKING: Final = frozenset(
    f"{lead}{word}"
    for word in (
        *QUESTION_WORDS,
        "чего",
        "зачем",
        "шо",
        "why",
        "what",
        "when",
        "how",
        "where",
        "who",
    )
    for lead in ("", "а ", "ну ", "и ", "так ")
)


@dataclass(frozen=True)
class _Claims:
    """What the program's FAQ asks of the bot's own questions (read once per content)."""

    intents: frozenset[own_intents.Intent]  # intents one of its wordings reads as
    by_key: dict[str, frozenset[int]]  # a word's key (own_intents.word_keys) → its wordings


_CLAIMS: Final[list[tuple[Content, _Claims]]] = []  # the last content's


def _claims(content: Content) -> _Claims:
    if not _CLAIMS or _CLAIMS[0][0] is not content:
        wordings = tuple(
            tuple(_normal(wording).split())
            for entry in content.faq
            for wording in (entry.question, *entry.alt)
        )
        found = {
            intent for words in wordings if (intent := own_intents.read(list(words))) is not None
        }
        by_key: dict[str, set[int]] = {}
        for index, words in enumerate(wordings):
            for word in words:
                for key in own_intents.word_keys(word):
                    by_key.setdefault(key, set()).add(index)
        keys = {key: frozenset(indices) for key, indices in by_key.items()}
        _CLAIMS[:] = [(content, _Claims(frozenset(found), keys))]
    return _CLAIMS[0][1]


def _faq_asks(intent: own_intents.Intent, plain: str, content: Content) -> bool:
    """Whether the program's FAQ asks this question about the bot itself: one of its
    wordings reads as the same intent, or asks what the question asks in more words
    (`own_intents.asked_within`). Its own answer wins then."""
    claims = _claims(content)
    if intent in claims.intents:
        return True
    asked = own_intents.where_asked(plain.split())
    if not asked:
        return False
    having: set[int] | None = None  # the wordings with a word alike each word so far
    for word in asked:
        alike: set[int] = set()
        for key in own_intents.word_keys(word):
            alike |= claims.by_key.get(key, frozenset())
        having = alike if having is None else having & alike
        if not having:
            return False
    return True
