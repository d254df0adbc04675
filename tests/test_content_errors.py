"""Content problems are worded for the person editing the files (review: /reload and
`content check` printed pydantic's "1.words: List should have at least 1 item after
validation, not 0"): file:line, the field without the leading list index, a plain reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content.errors import field_path, reason
from tests.content_copy import demo_copy
from tests.content_copy import edit as _edit
from tests.content_copy import problems as _problems


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


def test_lexicon_problems(content: Path) -> None:
    (content / "lexicon.yaml").write_text(
        "- words: [диван]\n"
        "  means: мебель\n"
        "- words: []\n"
        "  means: кресло\n"
        "- words: ['', 'а б в г']\n"
        "  means: ''\n"
        "- words: [7]\n"
        "  means: x\n",
        encoding="utf-8",
    )
    assert _problems(content) == [
        "lexicon.yaml:3: words: must not be empty",
        "lexicon.yaml:5: words item 1: must not be empty",
        "lexicon.yaml:5: words item 2: 'а б в г' has 4 words: a phrase may have up to 3"
        " (a longer one would never be used); split it or keep its telling words",
        "lexicon.yaml:6: means: must not be empty",
        "lexicon.yaml:7: words item 1: must be text (put it in quotes)",
    ]


def test_creatives_problems(content: Path) -> None:
    creatives = content / "creatives.yaml"
    _edit(creatives, "kind: landing", "kind: photo")
    _edit(creatives, "added: 2026-10-27", "added: someday")
    _edit(creatives, "  segments: [webmaster]", "  segments: [Web Master]")
    problems = _problems(content)
    assert problems == [
        "creatives.yaml:5: segments item 1: must be an id: lowercase Latin letters, digits"
        " and _ . - (starting with a letter or a digit, up to 32 characters) (got 'Web Master')",
        "creatives.yaml:12: kind: must be one of landing, banner, keywords, top_products,"
        " description, video (got 'photo')",
        "creatives.yaml:15: added: must be a date like 2026-12-01 (got 'someday')",
    ]


def test_program_problems(content: Path) -> None:
    program = content / "program.yaml"
    _edit(program, "inactive_after_days: 30", "inactive_after_days: thirty")
    _edit(program, "ticket_sla_hours: 4", "ticket_sla_hours: 0")
    _edit(program, "max_automated_per_week: 5", "max_automated_per_week: 2.5")
    _edit(program, "weekday: mon", "weekday: monday")
    _edit(program, "reminder_days_before: [3, 1]", "reminder_days_before: 3")
    _edit(program, "sale: approved", "sale: ok")
    _edit(program, 'options: ["Сайт"', 'options: [""')
    assert _problems(content) == [
        "program.yaml:18: onboarding_questions.options item 1: must not be empty",
        "program.yaml:30: schedule.reminder_days_before: must be a list"
        " (one `- item` a line, or [a, b])",
        "program.yaml:31: schedule.leaderboard.weekday: must be one of mon, tue, wed, thu, fri,"
        " sat, sun (got 'monday')",
        "program.yaml:33: schedule.inactive_after_days: must be a whole number (got 'thirty')",
        "program.yaml:34: schedule.ticket_sla_hours: must be at least 1 (got 0)",
        "program.yaml:38: schedule.max_automated_per_week: must be a whole number (got 2.5)",
        "program.yaml:40: postback.status_map.sale: must be one of pending, approved, declined"
        " (got 'ok')",
    ]


def test_contest_templates_faq_and_lesson_problems(content: Path) -> None:
    _edit(content / "contests/winter-sofas.yaml", "hold_days: 14", "hold_days: 1000")
    _edit(
        content / "contests/winter-sofas.yaml",
        "one_prize_per_partner: false",
        "one_prize_per_partner: maybe",
    )
    _edit(
        content / "contests/winter-sofas.yaml",
        "starts_at: 2026-12-14T00:00:00+03:00",
        "starts_at: soon",
    )
    _edit(
        content / "templates.yaml",
        'text: "Спасибо за вопрос! Если что-то ещё — пишите сюда же."',
        'text: "  "',
    )
    _edit(content / "faq.yaml", 'topic: "Выплаты"', "topic: [Выплаты]")
    _edit(content / "lessons/01-start.md", "order: 1", "order: first")
    problems = _problems(content)
    for expected in (
        "contests/winter-sofas.yaml:8: starts_at: must be a date and time with its zone,"
        " like 2026-12-01T10:00:00+03:00 (got 'soon')",
        "contests/winter-sofas.yaml:21: hold_days: must be at most 90 (got 1000)",
        "contests/winter-sofas.yaml:22: one_prize_per_partner: must be true or false"
        " (got 'maybe')",
        "faq.yaml:7: topic: must be text, not a list",
        "lessons/01-start.md:4: order: must be a whole number (got 'first')",
    ):
        assert expected in problems, problems
    assert "templates.yaml:6: text: must not be empty" in problems
    for problem in problems:  # nothing of pydantic's wording, no list index in front
        assert "should" not in problem
        assert "validation" not in problem
        assert not problem.split(": ", 1)[1][:1].isdigit(), problem


def test_content_check_prints_the_plain_wording(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content / "lexicon.yaml").write_text("- words: []\n  means: кресло\n", encoding="utf-8")
    assert main(["content", "check", str(content)]) == 1
    assert "lexicon.yaml:1: words: must not be empty" in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        ((11, "kind"), "kind"),
        (("tiers", 0, "id"), "tiers.id"),
        ((2, "words", 1), "words item 2"),
        ((3,), ""),
        (("schedule", "quiet_hours", "start"), "schedule.quiet_hours.start"),
    ],
)
def test_field_paths(loc: tuple[int | str, ...], path: str) -> None:
    assert field_path(loc) == path


def test_reasons_for_common_types() -> None:
    assert reason({"type": "too_short", "ctx": {"min_length": 2}}) == "needs at least 2 items"
    assert reason({"type": "string_too_long", "ctx": {"max_length": 1}}) == (
        "may have at most 1 character"
    )
    assert reason({"type": "url_parsing", "input": "x"}) == (
        "must be a link such as https://example.com/page (got 'x')"
    )
    assert reason({"type": "float_parsing", "input": "abc"}) == "must be a number (got 'abc')"
    assert reason(
        {"type": "value_error", "msg": "Value error, give one of file, url or text"}
    ) == ("give one of file, url or text")
    assert reason({"type": "something_new", "msg": "As pydantic says"}) == "As pydantic says"


# session 8 (fixd): an unknown segment came only after the file's other errors were fixed


def _break_everything(content: Path) -> None:
    """An unknown segment in items that are wrong otherwise too, and a program.yaml with
    an error of its own: every one of them is a problem of the same run."""
    _edit(content / "program.yaml", 'start: "22:00"', 'start: "25:00"')
    faq = content / "faq.yaml"
    _edit(faq, "  answer: ", "  segments: [nosuch1]\n  answr: ")  # the first entry
    _edit(faq, "- id: payout-minimum\n", "- id: payout-minimum\n  segments: [nosuch2]\n")
    lesson = content / "lessons" / "01-start.md"
    _edit(lesson, "---\n", "---\nsegments: [nosuch3]\nbogus: 1\n")
    contest = content / "contests" / "winter-sofas.yaml"
    _edit(contest, "id: winter-sofas", "bogus: 2\nid: winter-sofas\nid: winter-sofas")
    text = contest.read_text(encoding="utf-8").replace("segments:", "was:")
    contest.write_text(text + "segments: [nosuch4]\n", encoding="utf-8")


EVERY_PROBLEM = [
    "faq.yaml:6: missing key 'answer'",
    "faq.yaml:9: unknown segment 'nosuch1' (program.yaml has: blogger, designer, webmaster)",
    "faq.yaml:10: unknown key 'answr' (did you mean 'answer'?)",
    "faq.yaml:15: unknown segment 'nosuch2' (program.yaml has: blogger, designer, webmaster)",
    "lessons/01-start.md:2: unknown segment 'nosuch3'"
    " (program.yaml has: blogger, designer, webmaster)",
    "lessons/01-start.md:3: unknown key 'bogus'",
    "program.yaml:37: schedule.quiet_hours.start: expected a time like 09:30, got '25:00'",
]


def test_content_check_reports_every_problem_in_one_run(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break_everything(content)
    assert main(["content", "check", str(content)]) == 1
    printed = capsys.readouterr().out.splitlines()
    for problem in EVERY_PROBLEM:
        assert problem in printed
    contest = [line for line in printed if line.startswith("contests/winter-sofas.yaml")]
    assert any("unknown key 'bogus'" in line for line in contest), contest
    assert any("'id' is given twice" in line for line in contest), contest
    assert any("unknown segment 'nosuch4'" in line for line in contest), contest
