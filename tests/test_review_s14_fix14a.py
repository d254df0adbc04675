"""Session 14 (task fix14a): what the content checks let through, or crashed on.

1. An impossible date (`starts_at: 2026-13-14T10:00:00+03:00`, `added: 2026-02-30`) is a
   `file:line` problem, not PyYAML's ValueError ending `content check`, `/reload` and
   start-up; any text in any date field gives a problem or a valid load.
2. Limits: a content file over 1 MB, YAML aliases ("billion laughs"), a nesting deeper
   than any content file needs, and texts longer than the message they are sent in are
   refused with `file:line` and the limit named — quickly.
3. Nonsense refused: tier ids twice or thresholds out of order, an onboarding question id
   twice, a reminder outside 0..announce_lead_days, two lessons one partner would see with
   one `order`.
4. Bad UTF-8 is told once, without «file is empty» before it.
5. The summary of `content check` counts in the right number, contests too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.content.loader import ContentInvalid, load_content
from bot.content.source import Problem
from tests.content_copy import demo_copy
from tests.content_copy import edit as _edit
from tests.content_copy import problems as _problems
from tests.harness import DEMO_CONTENT, running_bot


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


# --- 1. impossible dates ---


def test_an_impossible_date_is_a_problem_with_its_line(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(
        content / "contests/winter-sofas.yaml",
        "starts_at: 2026-12-14T00:00:00+03:00",
        "starts_at: 2026-13-14T10:00:00+03:00",
    )
    _edit(content / "creatives.yaml", "added: 2026-10-27", "added: 2026-02-30")
    assert _problems(content) == [
        "contests/winter-sofas.yaml:8: starts_at: must be a date and time with its zone, like"
        " 2026-12-01T10:00:00+03:00 (got '2026-13-14T10:00:00+03:00': month value is outside"
        " expected range of 1-12)",
        "creatives.yaml:15: added: must be a date like 2026-12-01 (got '2026-02-30': day value"
        " is outside expected range)",
    ]
    assert main(["content", "check", str(content)]) == 1
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert printed.out.splitlines()[0].startswith("contests/winter-sofas.yaml:8: starts_at:")


async def test_reload_tells_an_impossible_date_and_keeps_the_old_content(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        _edit(content / "creatives.yaml", "added: 2026-10-27", "added: 2026-02-30")
        manager = harness.manager()
        text = (await manager.send("/reload"))[-1].plain
        assert "Контент не обновлён — 1 ошибка" in text
        assert "creatives.yaml:15: added: must be a date like 2026-12-01 (got '2026-02-30'" in text
        assert "Что-то пошло не так" not in text


def test_a_contest_in_a_year_that_would_overflow_is_refused(content: Path) -> None:
    contest = content / "contests/winter-sofas.yaml"
    _edit(contest, "starts_at: 2026-12-14T00:00:00+03:00", "starts_at: 9999-12-14T00:00:00+03:00")
    _edit(contest, "ends_at: 2026-12-28T23:59:59+03:00", "ends_at: 9999-12-28T23:59:59-05:00")
    assert _problems(content) == [
        "contests/winter-sofas.yaml:8: starts_at: must be in the years 2000 to 2100 (got 9999)",
        "contests/winter-sofas.yaml:9: ends_at: must be in the years 2000 to 2100 (got 9999)",
    ]


@pytest.fixture(scope="module")
def one_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dates") / "content"
    shutil.copytree(DEMO_CONTENT, root)
    return root


_DATE_FIELDS = [
    ("contests/winter-sofas.yaml", "starts_at: 2026-12-14T00:00:00+03:00", "starts_at: "),
    ("contests/winter-sofas.yaml", "ends_at: 2026-12-28T23:59:59+03:00", "ends_at: "),
    ("creatives.yaml", "added: 2026-10-27", "added: "),
]
_DATE_LIKE = st.from_regex(
    r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?"
    r"( ?(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?\Z"
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(_DATE_FIELDS),
    value=st.one_of(_DATE_LIKE, st.text(max_size=40)),
    quoted=st.booleans(),
)
def test_any_text_in_a_date_field_is_a_problem_or_loads(
    one_folder: Path, field: tuple[str, str, str], value: str, quoted: bool
) -> None:
    name, original, key = field
    path = one_folder / name
    text = (DEMO_CONTENT / name).read_text(encoding="utf-8")
    written = "'" + value.replace("'", "''") + "'" if quoted else value
    path.write_text(text.replace(original, key + written, 1), encoding="utf-8")
    try:
        problems = _problems_or_none(one_folder)
    finally:
        path.write_text(text, encoding="utf-8")
    assert all(problem.file == name and problem.line >= 1 for problem in problems)


def _problems_or_none(root: Path) -> list[Problem]:
    """The folder's problems ([] when it loads); anything else raised fails the test."""
    try:
        load_content(root)
    except ContentInvalid as exc:
        return exc.problems
    return []


# --- 2. limits: size, aliases, nesting ---

BILLION_LAUGHS = (
    '- words: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    "  means: x\n"
    + "".join(
        f"- words: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n  means: x\n"
        for i in range(8)
    )
)


def test_yaml_aliases_are_refused_at_once(content: Path) -> None:
    (content / "lexicon.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    assert _problems(content) == [
        "lexicon.yaml:3: YAML aliases (*name) are not allowed in content files: write the"
        " value out"
    ]
    _edit(content / "contests/winter-sofas.yaml", "segments: []", "segments: &s []")
    _edit(content / "contests/winter-sofas.yaml", "hold_days: 14", "hold_days: *s")
    assert "contests/winter-sofas.yaml:21: YAML aliases" in "\n".join(_problems(content))


@pytest.mark.parametrize(
    "text",
    ["- " * 20000 + "x", "[" * 500_000 + "]" * 500_000, "{a: " * 20000 + "1" + "}" * 20000,
     "- words:\n" + "".join("  " * i + "  - \n" for i in range(1, 40)) + "  means: x\n"],
)  # fmt: skip
def test_a_nesting_deeper_than_content_needs_is_refused(content: Path, text: str) -> None:
    (content / "lexicon.yaml").write_text(text, encoding="utf-8")
    (problem,) = _problems(content)
    assert problem.startswith("lexicon.yaml:")
    assert problem.endswith(": nested more than 20 levels deep")


def test_a_content_file_over_a_megabyte_is_refused_unread(content: Path) -> None:
    with (content / "faq.yaml").open("a", encoding="utf-8") as faq:
        faq.write("# " + "x" * (1024 * 1024) + "\n")
    (content / "lessons/09-big.md").write_text("---\n" + "y" * 2_000_000, encoding="utf-8")
    assert _problems(content) == [
        "faq.yaml:1: the file is 1.0 MB: a content file may have at most 1 MB",
        "lessons/09-big.md:1: the file is 1.9 MB: a content file may have at most 1 MB",
    ]


def test_an_unknown_tag_is_a_problem(content: Path) -> None:
    (content / "lexicon.yaml").write_text("- words: [x]\n  means: !foo y\n", encoding="utf-8")
    assert _problems(content) == [
        "lexicon.yaml:2: not valid YAML (could not determine a constructor for the tag '!foo')"
    ]


# --- 4. bad UTF-8 told once ---


def test_bad_utf8_is_told_once(content: Path) -> None:
    faq = content / "faq.yaml"
    lines = faq.read_bytes().count(b"\n")
    with faq.open("ab") as handle:
        handle.write(b"- id: x\xff\xfe\n")
    assert _problems(content) == [f"faq.yaml:{lines + 1}: not valid UTF-8"]


# --- 2. limits: texts as long as the message they are sent in ---


def _add_faq(root: Path, entry_id: str, question: str, answer: str) -> int:
    """Append an FAQ entry; the line it starts on."""
    faq = root / "faq.yaml"
    line = faq.read_text(encoding="utf-8").count("\n") + 2
    with faq.open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n- id: {entry_id}\n  topic: "Разное"\n  question: "{question}"\n'
            f'  answer: "{answer}"\n  alt: ["{question} да", "{question} нет"]\n'
        )
    return line


def test_texts_longer_than_their_message_are_refused(content: Path) -> None:
    huge = _add_faq(content, "huge", "Очень длинный ответ", "слово " * 1000)
    close = _add_faq(content, "close", "Вопрос " * 30, "x" * 4000)
    fits = _add_faq(content, "fits", "Короткий вопрос", "y" * 3960)  # one message on MAX too
    _edit(content / "program.yaml", "welcome:", "welcome: " + "z" * 5000 + "\nold_welcome:")
    (content / "lessons/09-long.md").write_text(
        "---\nid: long\ntitle: Длинный\norder: 9\n---\n" + "Абзац текста.\n\n" * 2000,
        encoding="utf-8",
    )
    contest = content / "contests/winter-sofas.yaml"
    _edit(contest, 'title: "Зимний марафон диванов"', "title: " + "Т" * 120)
    _edit(contest, 'restrictions: "Без', 'restrictions: "' + "ы" * 1400 + " Без")
    problems = _problems(content)
    assert problems == [
        "contests/winter-sofas.yaml:4: title: has 120 characters: at most 100",
        f"faq.yaml:{huge + 3}: answer: has 5,999 characters: at most 4,096",
        f"faq.yaml:{close}: the answer 'close' does not fit one message with its question: it"
        " would go as 2 (at most 4,096 characters on Telegram; shorten it or split the entry)",
        "lessons/09-long.md:6: the lesson has 29,998 characters: at most 20,480 (5 messages)",
        "program.yaml:8: welcome: has 5,000 characters: at most 4,096",
        "program.yaml:9: unknown key 'old_welcome' (did you mean 'welcome'?)",
    ], problems
    assert not any(f"faq.yaml:{fits}" in problem for problem in problems)


def test_a_contest_card_fits_one_message(content: Path) -> None:
    contest = content / "contests/winter-sofas.yaml"
    _edit(contest, 'restrictions: "Без', 'restrictions: "' + "ы" * 1400 + " Без")
    _edit(contest, "description: >\n", "description: >\n  " + "о" * 1300 + "\n")
    _edit(contest, '"Ноутбук для работы", "Бонус 7 000 ₽"]', ", ".join(["приз"] * 11) + "]")
    problems = _problems(content)
    assert problems == [
        "contests/winter-sofas.yaml:5: the title, description, restrictions and prizes have"
        " 3,068 characters together: at most 2,800, so the card fits one message",
        "contests/winter-sofas.yaml:20: prizes.places: at most 10 places (the card is one"
        " message)",
    ], problems


# --- 3. accepted but nonsense ---


def test_program_lists_that_make_no_sense_are_refused(content: Path) -> None:
    program = content / "program.yaml"
    _edit(
        program,
        '  - {id: gold, title: "Золото", monthly_sales: 30, perk: "12% с продаж и личный'
        ' менеджер"}',
        '  - {id: pro, title: "Про", monthly_sales: 25}\n'
        '  - {id: pro, title: "Элита", monthly_sales: 6}',
    )
    _edit(program, "  - id: audience\n", "  - id: traffic\n")
    _edit(program, "reminder_days_before: [3, 1]", "reminder_days_before: [-1, 400, 7, 0]")
    assert _problems(content) == [
        "program.yaml:22: duplicate onboarding question id 'traffic'",
        "program.yaml:28: duplicate tier id 'pro'",
        "program.yaml:28: tiers.monthly_sales: must be more than 25 (tier 'pro' before it):"
        " tiers go from the lowest to the highest (got 6)",
        "program.yaml:31: schedule.reminder_days_before item 1: must be from 0 to"
        " announce_lead_days (7): a reminder goes between a contest's announcement and its"
        " start (got -1)",
        "program.yaml:31: schedule.reminder_days_before item 2: must be from 0 to"
        " announce_lead_days (7): a reminder goes between a contest's announcement and its"
        " start (got 400)",
    ]


def test_two_lessons_one_partner_gets_share_no_order(content: Path) -> None:
    lessons = content / "lessons"
    _edit(lessons / "05-scale.md", "order: 5", "order: 2")  # for everyone, as 02 is
    _edit(lessons / "04-social.md", "segments: [blogger, designer]", "segments: [webmaster]")
    assert _problems(content) == [
        "lessons/04-social.md:4: order 3 is also the order of lesson 'seo-content'"
        " (lessons/03-seo.md), for the same partners",
        "lessons/05-scale.md:4: order 2 is also the order of lesson 'first-sale'"
        " (lessons/02-first-sale.md), for the same partners",
    ]
    _edit(lessons / "04-social.md", "segments: [webmaster]", "segments: [blogger, designer]")
    _edit(lessons / "05-scale.md", "order: 2", "order: 5")
    load_content(content)  # 03 and 04 share order 3 for different partners: fine


# --- 5. the summary ---


def test_the_summary_counts_in_the_right_number_and_counts_contests(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content / "templates.yaml").write_text("- key: hello\n  text: Привет\n", encoding="utf-8")
    assert main(["content", "check", str(content)]) == 0
    assert capsys.readouterr().out == (
        f"{content}: valid — 31 FAQ entries, 5 lessons, 10 creatives, 1 template, 1 contest\n"
    )


def test_a_folder_or_a_dangling_link_where_a_file_should_be_is_a_problem(content: Path) -> None:
    (content / "contests/folder.yaml").mkdir()
    (content / "lessons/06-gone.md").symlink_to(content / "nowhere.md")
    assert _problems(content) == [
        "contests/folder.yaml:1: cannot be read: a folder, not a file",
        "lessons/06-gone.md:1: cannot be read: No such file or directory",
    ]
