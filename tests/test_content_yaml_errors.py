"""A YAML syntax error in a content file, worded for the person who edits it and pointed at
the line where the problem starts (not PyYAML's "expected <block end>" a line later); a
broken file leaves the old content live on /reload."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.content_copy import demo_copy
from tests.content_copy import problems as _problems
from tests.harness import DEMO_CONTENT, running_bot

UNCLOSED = "the text in quotes is not closed (a \" or ' is missing)"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


def _edit_line(path: Path, number: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[number - 1], lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_an_unclosed_double_quote_points_at_its_line(content: Path) -> None:
    _edit_line(content / "faq.yaml", 21, 'topic: "Выплаты"', 'topic: "Выплаты')
    assert _problems(content) == [f"faq.yaml:21: {UNCLOSED}"]


def test_an_unclosed_quote_at_the_end_of_a_file(content: Path) -> None:
    path = content / "creatives.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- id: last\n  title: 'Без конца\n")
    lines = path.read_text(encoding="utf-8").count("\n")
    assert _problems(content) == [f"creatives.yaml:{lines}: {UNCLOSED}"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "id: winter\ntitle: Приз: iPhone\n",
            '2: a ":" inside a text that is not in quotes (put the whole text in quotes), '
            "or a line indented too far",
        ),
        ("id: winter\n\tstarts_at: 2026-12-01\n", "2: a tab character: indent with spaces only"),
        (
            "id: winter\nprizes:\n  - category: first_sales\n    places: [a]\n   min_value: 3\n",
            "5: a line is indented wrongly (the keys of one item start in the same column)",
        ),
        ("id: winter\ntitle: x\nid: again\n", "3: the key 'id' is given twice"),
        (
            "id: winter\ntitle: [a, b\nends_at: x\n",
            "2: a [ or { is not closed, or a line is indented wrongly",
        ),
        ("id: winter\ntitle: *x\n", "2: a text starting with * & ! % @ or ` must be in quotes"),
        ("id: winter\ntitle: @x\n", "2: a text starting with * & ! % @ or ` must be in quotes"),
        (
            'id: winter\ntitle: "C:\\path"\n',
            "2: a \\ inside \"double quotes\": write \\\\ or use 'single quotes'",
        ),
        (
            'id: winter\ntitle: "Зимний" марафон\n',
            "2: text after a closing quote (put the whole text in quotes), "
            "or a line is indented wrongly",
        ),
        (
            'id: winter\ntitle: "Зимний\ndescription: "Продавайте"\n',
            "2: the text in quotes is not closed (a \" or ' is missing)",
        ),
    ],
)
def test_common_yaml_problems_in_plain_words(content: Path, text: str, problem: str) -> None:
    (content / "contests" / "broken.yaml").write_text(text, encoding="utf-8")
    found = [p for p in _problems(content) if p.startswith("contests/broken.yaml")]
    if "given twice" in problem:  # the file's other problems are reported with it
        assert f"contests/broken.yaml:{problem}" in found
        assert "contests/broken.yaml:1: missing key 'starts_at'" in found
    else:
        assert found == [f"contests/broken.yaml:{problem}"]


async def test_a_reload_with_broken_yaml_keeps_the_old_content(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        manager = harness.manager()
        _edit_line(content / "faq.yaml", 21, 'topic: "Выплаты"', 'topic: "Выплаты')
        (content / "lexicon.yaml").write_text("- a: 1\n\t- b: 2\n", encoding="utf-8")
        lesson = content / "lessons" / "01-start.md"  # an unknown segment with another error
        lesson.write_text(
            lesson.read_text(encoding="utf-8").replace(
                "---\n", "---\nsegments: [x]\nbogus: 1\n", 1
            ),
            encoding="utf-8",
        )
        text = (await manager.send("/reload"))[-1].plain
        assert "Контент не обновлён — 4 ошибки" in text
        assert f"faq.yaml:21: {UNCLOSED}" in text
        assert "lexicon.yaml:2: a tab character: indent with spaces only" in text
        assert "lessons/01-start.md:2: unknown segment 'x'" in text
        assert "lessons/01-start.md:3: unknown key 'bogus'" in text
        anna = harness.user(520)
        await anna.onboard()
        assert "10 и 25 числа" in (await anna.send("когда выплаты"))[-1].plain
