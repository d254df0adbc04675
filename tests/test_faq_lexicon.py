"""The shipped affiliate vocabulary (bot/faq_data/faq_lexicon.yaml): a partner's words and
the FAQ author's words for the same thing read the same (issue 13, session 8)."""

from __future__ import annotations

import pytest

from bot.content.models import FaqEntry
from bot.services.faq_matching import FaqMatcher
from bot.services.faq_text import lexicon, shipped_lexicon_items, words

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis


def _entry(entry_id: str, question: str, answer: str = "Ответ.") -> FaqEntry:
    return FaqEntry.model_validate(
        {"id": entry_id, "topic": "general", "question": question, "answer": answer}
    )


# An FAQ written the way content authors write: full, formal words, none of the slang.
FAQ = [
    _entry("payout-dates", "В какие даты производятся выплаты?"),
    _entry("payout-methods", "Какие способы выплаты доступны?"),
    _entry("payout-delay", "Что делать, если выплата задерживается?"),
    _entry("waiting-period", "Сколько длится период ожидания после покупки?"),
    _entry("foreign", "Могут ли участвовать нерезиденты и иностранные граждане?"),
    _entry("signup", "Как стать партнёром программы?"),
    _entry("minimum", "Какая минимальная сумма вывода?"),
    _entry("ad-marking", "Нужно ли маркировать рекламу?"),
    _entry("two-tier", "Есть ли двухуровневая партнёрская программа?"),
    _entry("age", "Есть ли ограничения по возрасту?"),
]


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher(FAQ)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("холд?", "waiting-period"),  # slang vs «период ожидания»
        ("сколько холдят заказ", "waiting-period"),
        ("Can I join if I live in Germany?", "foreign"),  # a country vs «иностранные, нерезиденты»
        ("я живу в Казахстане, можно к вам?", "foreign"),
        ("What payment methods do you have?", "payout-methods"),
        ("на что выводить бабки", "payout-methods"),
        ("кинули с выплатой?", "payout-delay"),  # «кинули» ~ «не выплатили»
        ("зарегаться как", "signup"),
        ("how to become an affiliate", "signup"),
        ("с какой суммы можно снять", "minimum"),
        ("нужен ли erid", "ad-marking"),
        ("есть ли 2-tier", "two-tier"),
        ("мне 16, можно?", "age"),
        ("what is the payout schedule", "payout-dates"),
    ],
)
def test_a_partners_words_find_the_authors_entry(
    matcher: FaqMatcher, question: str, expected: str
) -> None:
    ranked = matcher.rank(question)
    assert ranked, question
    assert ranked[0].entry_id == expected


def test_several_words_and_phrases_share_one_meaning() -> None:
    vocabulary = lexicon()
    hold = vocabulary.read("холд")[0].forms
    for text in ("период ожидания", "hold period", "холдят", "заморозка"):
        (unit,) = vocabulary.read(text)
        assert unit.forms & hold, text


def test_the_shipped_vocabulary_is_well_formed() -> None:
    items = shipped_lexicon_items()
    assert len(items) >= 280
    for item in items:
        assert item.words
        assert item.means
        assert all(1 <= len(words(phrase)) <= 3 for phrase in item.words), item.means
    # a word belongs to one group, or it would carry two meanings (a few, on purpose:
    # a country is both a geo and a partner's residency)
    owners: dict[str, set[str]] = {}
    for item in items:
        for phrase in item.words:
            owners.setdefault(" ".join(words(phrase)), set()).add(item.means)
    shared = {phrase for phrase, means in owners.items() if len(means) > 1}
    assert shared <= {"казахстан", "беларусь"}, shared
