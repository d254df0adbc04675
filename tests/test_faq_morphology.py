"""The morphology dictionary's word graphs mapped from its files (bot/services/faq_morphology.py):
every parse (lemma, tag, score; known words and guessed ones) is the one pymorphy3 gives
with the graphs read into memory; a file laid out otherwise keeps its array."""

from __future__ import annotations

import array
import struct
import types
from pathlib import Path

import pymorphy3
import pytest

from bot.content.loader import load_content
from bot.services import faq_morphology
from bot.services.faq_text import words

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis

CONTENT = Path(__file__).resolve().parent.parent / "content"
GUESSED = ["рефка", "бабосики", "захолдили", "промик", "лендос", "кэшбечный", "пейаут", "сикрет"]


@pytest.fixture(scope="module")
def plain() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@pytest.fixture(scope="module")
def mapped() -> pymorphy3.MorphAnalyzer:
    return faq_morphology.analyzer()


def _parses(morph: pymorphy3.MorphAnalyzer, word: str) -> list[tuple[str, str, float]]:
    return [(p.normal_form, str(p.tag), p.score) for p in morph.parse(word)]


def test_the_graphs_are_mapped_not_copied(mapped: pymorphy3.MorphAnalyzer) -> None:
    graphs = [
        mapped.dictionary.words,
        *mapped.dictionary.prediction_suffixes_dawgs,
        mapped.prob_estimator.p_t_given_w,
    ]
    for graph in graphs:
        assert isinstance(graph.dct._units, memoryview)
        assert isinstance(graph.guide._units, memoryview)
        assert graph.dct._units.readonly


def test_every_parse_is_the_same(
    plain: pymorphy3.MorphAnalyzer, mapped: pymorphy3.MorphAnalyzer
) -> None:
    content = load_content(CONTENT)
    texts = [text for entry in content.faq for text in (entry.question, *entry.alt, entry.answer)]
    vocabulary = sorted({word for text in texts for word in words(text)})
    assert len(vocabulary) > 500
    for word in [*vocabulary, *GUESSED]:
        assert _parses(mapped, word) == _parses(plain, word), word
    for word in GUESSED:
        assert mapped.word_is_known(word) == plain.word_is_known(word)


def test_a_part_is_mapped_only_when_the_file_holds_it(tmp_path: Path) -> None:
    # the layout dawg_python reads: [count][units][count][guide]
    good = tmp_path / "good.dawg"
    good.write_bytes(
        struct.pack("=I", 3)
        + array.array("I", [1, 2, 70000]).tobytes()
        + struct.pack("=I", 2)
        + bytes([0, 1, 5, 6])
    )
    with good.open("rb") as file:
        units = faq_morphology._view(file, "I", 4)
        guide = faq_morphology._view(file, "B", 2)
        assert file.read() == b""  # past both parts, as dawg_python's reads leave it
    assert units is not None
    assert guide is not None
    assert list(units) == [1, 2, 70000]
    assert list(guide) == [0, 1, 5, 6]
    assert units.readonly
    # shorter than its count says: not mapped, the file where it was (dawg_python reads it)
    short = tmp_path / "short.dawg"
    short.write_bytes(struct.pack("=I", 5) + bytes(8))
    for broken in (short.read_bytes(), b"\1", b""):
        short.write_bytes(broken)
        with short.open("rb") as file:
            assert faq_morphology._view(file, "I", 4) is None
            assert file.tell() == 0


def test_the_reads_are_dawg_python_s_again_after_loading() -> None:
    from dawg_python import wrapper

    before = wrapper.Dictionary.read, wrapper.Guide.read
    faq_morphology.analyzer()
    assert (wrapper.Dictionary.read, wrapper.Guide.read) == before


def test_another_dawg_python_without_these_reads_loads_as_pymorphy3_does(
    monkeypatch: pytest.MonkeyPatch, plain: pymorphy3.MorphAnalyzer
) -> None:
    # a release whose wrapper reads its graphs otherwise: nothing swapped, nothing raised
    monkeypatch.setattr(faq_morphology, "wrapper", types.SimpleNamespace(Dictionary=object))
    morph = faq_morphology.analyzer()
    assert _parses(morph, "выплаты") == _parses(plain, "выплаты")
