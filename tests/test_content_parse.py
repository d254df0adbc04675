"""A content file is parsed once, by libyaml when PyYAML has it (bot/content/source.py):
the same data and the same line of every key and item as PyYAML's own parser gives, and a
text libyaml refuses is worded as before (PyYAML's parser reads it again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import bot.content.source
from bot.content.source import Source
from tests.harness import DEMO_CONTENT

pytestmark = pytest.mark.no_database

DEMO_FILES = sorted(DEMO_CONTENT.rglob("*.yaml"))
TRICKY = (
    "a: 1\nb: [1, 2, {c: 'd'}]\nc: !!str 3\nd: 2024-01-31\ne: yes\nf: ~\ng: 0o17\n",
    "- &x {a: 1}\n- *x\n- 'Кавычки «ёлки»'\n- \"\\u00e9\\t\"\n- |\n  две\n  строки\n",
    "key: value\nkey: again\n",  # a key given twice: a problem at its line
    "",
    "# only a comment\n",
    "text: 😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\n",
)
REFUSED = (
    'faq:\n  - topic: "Выплаты\n    answer: x\n',  # a quote left open
    "a: b: c\n",
    "a:\n\t- tab\n",
    "a: [1, 2\nb: 3\n",
    "a: *nowhere\n",
    "a: 1\n---\nb: 2\n",  # two documents
    "a: \ud800\n",  # a lone surrogate: libyaml cannot encode it
    "a: \x07\n",  # a control character
)


def _pure(text: str) -> tuple[dict[Any, int], Any, list[Any]]:
    """What Source gave with PyYAML's pure-Python parser alone (the code before)."""
    original = bot.content.source._FAST_LOADER
    bot.content.source._FAST_LOADER = None
    try:
        source = Source(Path("/c"), Path("/c/f.yaml"), text)
    finally:
        bot.content.source._FAST_LOADER = original
    return source.lines, source.data, source.problems


def _read(text: str) -> tuple[dict[Any, int], Any, list[Any]]:
    source = Source(Path("/c"), Path("/c/f.yaml"), text)
    return source.lines, source.data, source.problems


def test_libyaml_is_there_to_be_used() -> None:
    assert bot.content.source._FAST_LOADER is getattr(yaml, "CSafeLoader", None)


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda path: path.name)
def test_every_demo_file_reads_as_with_pyyaml_alone(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines, data, problems = _read(text)
    assert (lines, data, problems) == _pure(text)
    assert data == yaml.safe_load(text)
    assert lines


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts_read_as_with_pyyaml_alone(text: str) -> None:
    assert _read(text) == _pure(text)


@pytest.mark.parametrize("text", REFUSED)
def test_a_refused_text_is_worded_as_before(text: str) -> None:
    lines, data, problems = _read(text)
    assert problems, text
    assert (lines, data, problems) == _pure(text)
