"""Content validation: every problem as file:line, unknown keys with a suggestion."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.loader import ContentInvalid, load_content
from tests.harness import DEMO_CONTENT


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, root)
    return root


def _problems(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(root)
    return [str(problem) for problem in caught.value.problems]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_demo_content_is_valid_and_big_enough() -> None:
    content = load_content(DEMO_CONTENT)
    assert len(content.faq) >= 25
    assert len({entry.topic for entry in content.faq}) >= 5
    assert all(len(entry.alt) >= 2 for entry in content.faq)
    assert len(content.lessons) >= 5
    kinds = {item.kind for item in content.creatives}
    assert kinds == {"landing", "banner", "keywords", "top_products", "description", "video"}
    files = [item.file for item in content.creatives if item.file]
    assert "files/sofa-728x90.png" in files
    assert (DEMO_CONTENT / "files/sofa-728x90.png").read_bytes().startswith(b"\x89PNG")
    assert "files/keywords-sofas.txt" in files


def test_unknown_key_is_named_with_a_suggestion(content: Path) -> None:
    _edit(content / "program.yaml", "support_contact:", "suport_contact:")
    assert _problems(content) == [
        "program.yaml:1: missing key 'support_contact'",
        "program.yaml:2: unknown key 'suport_contact' (did you mean 'support_contact'?)",
    ]


def test_a_typo_in_a_schedule_key_is_an_error(content: Path) -> None:
    _edit(content / "program.yaml", "  quiet_hours:", "  quiet_hour:")
    (problem,) = _problems(content)
    assert problem.startswith("program.yaml:")
    assert "unknown key 'quiet_hour' (did you mean 'quiet_hours'?)" in problem


def test_yaml_syntax_error_has_its_line(content: Path) -> None:
    _edit(content / "faq.yaml", '  topic: "Выплаты"', '  topic: "Выплаты')
    (problem,) = _problems(content)
    assert problem.startswith("faq.yaml:")
    assert "invalid YAML" in problem


def test_missing_required_file(content: Path) -> None:
    (content / "faq.yaml").unlink()
    assert _problems(content) == ["faq.yaml:1: required file is missing"]


def test_cross_references_are_checked(content: Path) -> None:
    _edit(content / "faq.yaml", "  segments: [webmaster]", "  segments: [webmasters]")
    _edit(content / "creatives.yaml", "file: files/sofa-728x90.png", "file: files/nope.png")
    _edit(content / "faq.yaml", "- id: payout-minimum", "- id: payout-dates")
    problems = _problems(content)
    assert any("faq.yaml" in p and "unknown segment 'webmasters'" in p for p in problems)
    assert any(p.startswith("creatives.yaml:1: file not found: files/nope.png") for p in problems)
    assert any("duplicate FAQ id 'payout-dates'" in p for p in problems)


def test_a_creative_needs_exactly_one_source(content: Path) -> None:
    _edit(
        content / "creatives.yaml",
        '  url: "https://mebeldom.example/sale/sofas"',
        '  url: "https://mebeldom.example/sale/sofas"\n  text: "и текст"',
    )
    (problem,) = _problems(content)
    assert problem.startswith("creatives.yaml:")
    assert "give exactly one of file, url or text" in problem


def test_lesson_problems_point_into_the_lesson_file(content: Path) -> None:
    _edit(content / "lessons/03-seo.md", "segments: [webmaster]", "segments: [webmaster, seo]")
    (content / "lessons/06-broken.md").write_text("no front matter here\n", encoding="utf-8")
    problems = _problems(content)
    assert "lessons/03-seo.md:5: unknown segment 'seo'" in problems
    assert (
        "lessons/06-broken.md:1: a lesson starts with front matter between --- lines" in problems
    )


def test_locale_overrides_are_checked(content: Path) -> None:
    (content / "locales").mkdir(exist_ok=True)
    (content / "locales/ru.ftl").write_text(
        "faq-thanks = Спасибо!\nfaq-thnks = Спасибо?\n", encoding="utf-8"
    )
    (problem,) = _problems(content)
    assert problem == "locales/ru.ftl:2: unknown text 'faq-thnks' (did you mean 'faq-thanks'?)"


def test_locale_override_changes_a_text(content: Path) -> None:
    (content / "locales").mkdir(exist_ok=True)
    (content / "locales/ru.ftl").write_text("faq-thanks = Рады помочь!\n", encoding="utf-8")
    from bot.i18n import Translator

    translator = Translator(load_content(content).locales)
    assert translator.get("ru")("faq-thanks") == "Рады помочь!"
    assert translator.get("en")("faq-thanks") == "Thanks! Glad it helped."


def test_content_check_cli(content: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check", str(content)]) == 0
    assert "valid" in capsys.readouterr().out
    _edit(content / "templates.yaml", "- key: thanks", "- kee: thanks")
    assert main(["content", "check", str(content)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "templates.yaml:5: unknown key 'kee' (did you mean 'key'?)" in out


def test_contest_files_are_validated(content: Path) -> None:
    contest = content / "contests/winter-sofas.yaml"
    _edit(contest, "  - category: top_amount", "  - category: top_amout")
    (problem,) = _problems(content)
    assert problem.startswith("contests/winter-sofas.yaml:18: prizes.2.category:")
    _edit(contest, "  - category: top_amout", "  - category: top_amount")
    _edit(contest, "ends_at: 2026-12-28T23:59:59+03:00", "ends_at: 2026-12-01T00:00:00+03:00")
    assert _problems(content) == ["contests/winter-sofas.yaml:9: ends_at: must be after starts_at"]
    _edit(contest, "ends_at: 2026-12-01T00:00:00+03:00", "ends_at: 2026-12-28T23:59:59+03:00")
    _edit(contest, "segments: []", "segments: [vip]")
    assert _problems(content) == ["contests/winter-sofas.yaml:10: unknown segment 'vip'"]


def test_the_demo_contest_loads() -> None:
    (contest,) = load_content(DEMO_CONTENT).contests
    assert [prize.category for prize in contest.prizes] == [
        "first_sales", "most_sales", "top_amount",
    ]  # fmt: skip
    assert contest.hold_days == 14
