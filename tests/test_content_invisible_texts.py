"""A required display text in content made only of bidi controls or zero-width characters
is empty (`file:line: title: must not be empty`), as the manager's dialog has it: /contests
would show «🏆 —». A contest stored before the rule still loads from the database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.models import Contest
from tests.content_copy import demo_copy
from tests.content_copy import problems as _problems
from tests.harness import DEMO_CONTENT, running_bot

INVISIBLE = ["\u202e\u2066\u200f", "\u200b\u2060", " \ufeff\u200e "]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first `old`; its line number."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


@pytest.mark.parametrize("blank", INVISIBLE)
def test_a_contest_title_of_nothing_visible_is_empty(content: Path, blank: str) -> None:
    line = _edit(
        content / "contests/winter-sofas.yaml",
        'title: "Зимний марафон диванов"',
        f'title: "{blank}"',
    )
    assert _problems(content) == [f"contests/winter-sofas.yaml:{line}: title: must not be empty"]


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "contests/winter-sofas.yaml",
            '"Бонус 1 500 ₽"',
            '"\u2066\u2069"',
            "prizes.places item 2",
        ),
        ("faq.yaml", 'question: "', 'question: "\u202e\u200b"\n  x: "', "question"),
        ("faq.yaml", 'answer: "', 'answer: "\u200f"\n  x: "', "answer"),
        ("creatives.yaml", 'title: "Баннер «Диваны −20%» 728×90"', 'title: "\u200d"', "title"),
        ("lessons/01-start.md", 'title: "С чего начать', 'title: "\u202b"\nx: "', "title"),
    ],
)
def test_other_required_display_texts_of_nothing_visible_are_empty(
    content: Path, file: str, old: str, new: str, message: str
) -> None:
    line = _edit(content / file, old, new)
    found = [p for p in _problems(content) if "must not be empty" in p]
    assert found == [f"{file}:{line}: {message}: must not be empty"]


def test_a_contest_stored_before_the_rule_still_loads() -> None:
    contest = Contest.model_validate(
        {
            "id": "old",
            "title": "\u202e\u2066\u200f",
            "description": "Описание",
            "starts_at": "2026-12-14T00:00:00+03:00",
            "ends_at": "2026-12-28T00:00:00+03:00",
            "prizes": [{"category": "first_sales", "places": ["Приз"]}],
        }
    )
    assert contest.title == "—"


async def test_reload_refuses_an_invisible_contest_title(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        line = _edit(
            content / "contests/winter-sofas.yaml",
            'title: "Зимний марафон диванов"',
            'title: "\u202e\u2066\u200f"',
        )
        text = (await harness.manager().send("/reload"))[-1].plain
        assert "Контент не обновлён — 1 ошибка" in text
        assert f"contests/winter-sofas.yaml:{line}: title: must not be empty" in text
