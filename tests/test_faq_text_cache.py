"""The affiliate vocabulary kept on disk (bot/services/faq_text_cache.py, issue 13's cost):
a start reads it instead of lemmatising its words again and reads texts exactly as the
vocabulary built from the YAML; another vocabulary, another morphology or other reading
code is another file; a damaged file is built again and rewritten; an unwritable place
never fails a load; only the vocabulary goes there, never a partner's text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content.models import LexiconItem
from bot.services import faq_semantic, faq_text, faq_text_cache
from bot.services.faq_matching import FaqMatcher
from bot.services.faq_text import Lexicon, lexicon, shipped_lexicon_items, words
from bot.services.faq_text_cache import FOLDER

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis

TEXTS = [
    "когда придут бабки за рефку?",
    "у вас есть выплаты на карту",
    "нет сайта, можно ли лить трафик",
    "минималка для вывода какая",
    "payout threshold for referral link",
    "сколько холд по заказам мебели",
]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The cache folder in tmp_path, no vocabulary built in this process yet."""
    monkeypatch.setenv("FAQ_VECTORS_CACHE", str(tmp_path))
    faq_semantic.configure()
    faq_text._lexicon.cache_clear()
    yield tmp_path
    faq_text._lexicon.cache_clear()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the vocabularies built from their items (not read from a file)."""
    counted: list[int] = []
    build = Lexicon.__init__

    def counting(self: Lexicon, items: object) -> None:
        counted.append(1)
        build(self, items)  # type: ignore[arg-type]

    monkeypatch.setattr(Lexicon, "__init__", counting)
    return counted


def _files(root: Path) -> list[Path]:
    return sorted((root / FOLDER).glob("*.json"))


def _restart() -> None:
    """What a new worker has: no vocabulary in memory."""
    faq_text._lexicon.cache_clear()


def _same(one: Lexicon, other: Lexicon) -> None:
    assert one.single == other.single
    assert one.phrases == other.phrases
    assert one.surfaces == other.surfaces
    assert one.phrase_stopwords == other.phrase_stopwords
    for text in TEXTS:
        assert one.read(text) == other.read(text)
        assert one.read(text, phrases=False) == other.read(text, phrases=False)


def test_a_restart_reads_the_vocabulary_instead_of_building_it(
    cache: Path, builds: list[int]
) -> None:
    built = lexicon()
    assert len(builds) == 1
    [stored] = _files(cache)
    _restart()
    again = lexicon()
    assert len(builds) == 1  # read, not built
    assert _files(cache) == [stored]
    _same(built, again)
    # the meanings are shared objects again, as when built (one set per meaning)
    assert len({id(forms) for forms in again.single.values()}) == len(set(again.single.values()))


def test_a_program_s_own_words_are_another_file(cache: Path, builds: list[int]) -> None:
    shipped = lexicon()
    own = [LexiconItem(words=["бустилка", "раскачать аккаунт"], means="продвижение")]
    extended = lexicon(own)
    assert len(builds) == 2
    assert len(_files(cache)) == 2
    assert "бустилка" in extended.single
    assert "бустилка" not in shipped.single
    _restart()
    _same(lexicon(own), extended)
    _same(lexicon(), shipped)
    assert len(builds) == 2
    # the program's words changed: built again, into a file of its own
    _restart()
    changed = lexicon([LexiconItem(words=["бустилка"], means="реклама")])
    assert len(builds) == 3
    assert changed.single["бустилка"] == frozenset({"реклама"})


def test_another_morphology_or_reading_code_builds_again(
    cache: Path, builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    lexicon()
    _restart()
    monkeypatch.setattr(faq_text_cache, "_versions", lambda: "pymorphy3=9.9,dicts=1")
    lexicon()
    assert len(builds) == 2
    _restart()
    monkeypatch.setattr(faq_text, "_reading_code", lambda: "def read(): ...")
    lexicon()
    assert len(builds) == 3
    assert len(_files(cache)) == 3


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short: not JSON
        lambda text: "",
        lambda text: json.dumps([1, 2]),  # JSON, not ours
        # our key, a meaning number that is not there
        lambda text: json.dumps({**json.loads(text), "single": [["рефка", 10**9]]}),
        # our key, a phrase of one word
        lambda text: json.dumps({**json.loads(text), "phrases": [[["рефка"], 0]]}),
        lambda text: json.dumps({**json.loads(text), "meanings": [[1, 2]]}),
    ],
)
def test_a_damaged_file_is_built_again_and_rewritten(
    cache: Path, builds: list[int], damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    built = lexicon()
    [stored] = _files(cache)
    stored.write_text(damage(stored.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    _restart()
    with caplog.at_level(logging.WARNING):
        again = lexicon()
    assert len(builds) == 2
    assert "FAQ vocabulary" in caplog.text
    _same(built, again)
    _restart()
    _same(lexicon(), built)  # the rewritten file reads
    assert len(builds) == 2


def test_an_unwritable_cache_folder_never_fails_a_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[int]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("FAQ_VECTORS_CACHE", str(blocked))
    faq_semantic.configure()
    _restart()
    try:
        first = lexicon()
        _restart()
        _same(lexicon(), first)
    finally:
        _restart()
    assert len(builds) == 2  # built at each start, nothing else


def test_only_the_vocabulary_is_written(cache: Path) -> None:
    matcher = FaqMatcher([], lexicon())
    secret = "мой паспорт 4510 123456 и карта сбер"
    matcher.with_learned({"x": [secret]}).match(secret)
    text = "".join(path.read_text(encoding="utf-8") for path in _files(cache))
    assert "4510" not in text
    assert "паспорт" not in text or "паспорт" in json.dumps(
        [item.model_dump() for item in shipped_lexicon_items()], ensure_ascii=False
    )


def test_every_phrase_is_read_as_one_unit(cache: Path) -> None:
    """The reader looks for a phrase only where one starts (as written or as a lemma):
    every phrase of the vocabulary is still read as its meaning."""
    vocabulary = lexicon()
    for tokens, forms in vocabulary.phrases.items():
        text = " ".join(tokens)
        if not forms or words(text) != list(tokens):
            continue
        (unit,) = vocabulary.read(text)
        assert unit.forms == forms, tokens
        assert unit.lexical


def test_reads_alike_only_when_the_two_readings_are_the_same(cache: Path) -> None:
    vocabulary = lexicon()
    texts = [
        *TEXTS,
        "у вас залы в казани есть",
        "залы в казани у вас есть",
        "нет сайта",
        "реферальная ссылка не работает",
        "какая минималка вывода",
        "когда придут бабки",
        "",
        "???",
    ]
    alike = [text for text in texts if vocabulary.reads_alike(text)]
    assert "нет сайта" not in alike  # a phrase that keeps a stop word
    assert "реферальная ссылка не работает" not in alike
    assert "минималка для вывода какая" not in alike  # «для»: a phrase keeps it
    assert {"какая минималка вывода", "когда придут бабки", "", "???"} <= set(alike)
    for text in alike:
        assert vocabulary.read(text) == vocabulary.read(text, phrases=False)
    # a phrase read word by word is other units
    assert vocabulary.read("у вас есть выплаты на карту") != vocabulary.read(
        "у вас есть выплаты на карту", phrases=False
    )


def test_a_word_s_unit_is_the_same_remembered_or_not(cache: Path) -> None:
    vocabulary = lexicon()
    for text in TEXTS:
        for word in words(text):
            first, again = vocabulary.unit(word), vocabulary.unit(word)
            assert first == again == vocabulary._unit(word)
