"""Content validation: every problem as file:line, unknown keys with a suggestion."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.loader import load_content
from tests.content_copy import demo_copy
from tests.content_copy import edit as _edit
from tests.content_copy import problems as _problems
from tests.harness import DEMO_CONTENT


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


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
    assert problem == "faq.yaml:7: the text in quotes is not closed (a \" or ' is missing)"


def test_missing_required_file(content: Path) -> None:
    (content / "faq.yaml").unlink()
    assert _problems(content) == ["faq.yaml:1: required file is missing"]


def test_cross_references_are_checked(content: Path) -> None:
    _edit(content / "faq.yaml", "  segments: [webmaster]", "  segments: [webmasters]")
    _edit(content / "creatives.yaml", "file: files/sofa-728x90.png", "file: files/nope.png")
    _edit(content / "faq.yaml", "- id: payout-minimum", "- id: payout-dates")
    problems = _problems(content)
    assert any("faq.yaml" in p and "unknown segment 'webmasters'" in p for p in problems)
    assert any(p.startswith("creatives.yaml:4: file not found: files/nope.png") for p in problems)
    assert any("duplicate FAQ id 'payout-dates'" in p for p in problems)


def test_a_creative_needs_one_source_and_may_have_a_text_beside_it(content: Path) -> None:
    # SPEC §4: text beside file or url is the caption / the lines under the link
    _edit(
        content / "creatives.yaml",
        '  url: "https://mebeldom.example/sale/sofas"',
        '  url: "https://mebeldom.example/sale/sofas"\n  text: "Ставьте в шапку сайта & блог"',
    )
    _edit(
        content / "creatives.yaml",
        "  file: files/sofa-728x90.png",
        '  file: files/sofa-728x90.png\n  text: "Для сайдбара <728px>: диваны"',
    )
    loaded = load_content(content)
    banner = loaded.creative("sofa-banner-728")
    assert banner is not None
    assert banner.text == "Для сайдбара <728px>: диваны"
    _edit(
        content / "creatives.yaml",
        "  file: files/sofa-728x90.png",
        '  file: files/sofa-728x90.png\n  url: "https://example.com/x.png"',
    )
    (problem,) = _problems(content)
    assert problem.startswith("creatives.yaml:")
    assert "give file or url, not both" in problem


def test_lesson_problems_point_into_the_lesson_file(content: Path) -> None:
    _edit(content / "lessons/03-seo.md", "segments: [webmaster]", "segments: [webmaster, seo]")
    (content / "lessons/06-broken.md").write_text("no front matter here\n", encoding="utf-8")
    problems = _problems(content)
    assert (
        "lessons/03-seo.md:5: unknown segment 'seo'"
        " (program.yaml has: blogger, designer, webmaster)" in problems
    )
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


def test_faq_commands_refuse_an_invalid_content_folder(
    content: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = tmp_path / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    _edit(content / "templates.yaml", "- key: thanks", "- kee: thanks")
    for command in (["faq", "match", "когда выплаты"], ["faq", "learned"]):
        assert main([*command, "--content", str(content)]) == 1
        problems = capsys.readouterr().err.splitlines()
        assert "templates.yaml:5: unknown key 'kee' (did you mean 'key'?)" in problems
    assert not database.exists()  # nothing opened for a folder that cannot be read


def test_faq_match_on_a_database_without_tables_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()  # a file, no tables: not "nothing learned yet", a wrong or new database
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{empty}")
    assert main(["faq", "match", "когда выплаты", "--content", str(DEMO_CONTENT)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("payout-dates")
    assert "DATABASE_URL" in captured.err
    assert "`partnerbot run` sets them up" in captured.err


def test_reading_content_and_matching_a_question_need_no_aiogram() -> None:
    """`content check` and `faq match` load no aiogram: its types build seconds of
    pydantic schemas, which made `faq match` take ~10 s for one question."""
    probe = (
        "import sys\n"
        "import bot.cli, bot.content.loader, bot.faq_commands\n"
        "from bot.content.loader import load_content\n"
        f"load_content(__import__('pathlib').Path({str(DEMO_CONTENT)!r}))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'aiogram'))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


def test_contest_files_are_validated(content: Path) -> None:
    contest = content / "contests/winter-sofas.yaml"
    _edit(contest, "  - category: top_amount", "  - category: top_amout")
    (problem,) = _problems(content)
    assert problem == (
        "contests/winter-sofas.yaml:18: prizes.category: must be one of first_sales,"
        " most_sales, top_amount, most_referrals (got 'top_amout')"
    )
    _edit(contest, "  - category: top_amout", "  - category: top_amount")
    _edit(contest, "ends_at: 2026-12-28T23:59:59+03:00", "ends_at: 2026-12-01T00:00:00+03:00")
    assert _problems(content) == ["contests/winter-sofas.yaml:9: ends_at: must be after starts_at"]
    _edit(contest, "ends_at: 2026-12-01T00:00:00+03:00", "ends_at: 2026-12-28T23:59:59+03:00")
    _edit(contest, "segments: []", "segments: [vip]")
    assert _problems(content) == [
        "contests/winter-sofas.yaml:10: unknown segment 'vip'"
        " (program.yaml has: blogger, designer, webmaster)"
    ]


def test_the_demo_contest_loads() -> None:
    (contest,) = load_content(DEMO_CONTENT).contests
    assert [prize.category for prize in contest.prizes] == [
        "first_sales", "most_sales", "top_amount",
    ]  # fmt: skip
    assert contest.hold_days == 14


def test_content_paths_are_confined_to_the_folder(content: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("database password", encoding="utf-8")
    (content / "files" / "link-out.txt").symlink_to(outside)
    (content / "files" / "inside-link.png").symlink_to(content / "files" / "sofa-728x90.png")
    _edit(content / "creatives.yaml", "file: files/sofa-728x90.png", "file: /etc/passwd")
    _edit(content / "creatives.yaml", "file: files/keywords-sofas.txt", "file: ../../secret.txt")
    _edit(
        content / "lessons/01-start.md",
        'attachments: ["https://mebeldom.example/partners/guide"]',
        "attachments: [files/link-out.txt, files/inside-link.png, ~/x.pdf]",
    )
    problems = _problems(content)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "file /etc/passwd: outside the content folder (give a path inside it)",
        "file ../../secret.txt: outside the content folder (.. or a symlink leading out)",
        "attachment files/link-out.txt: outside the content folder (.. or a symlink leading out)",
        "attachment ~/x.pdf: outside the content folder (give a path inside it)",
    ]
    assert problems[0].startswith("creatives.yaml:")
    assert problems[2].startswith("lessons/01-start.md:5:")


def test_files_over_the_upload_limit_are_refused(content: Path) -> None:
    big = content / "files" / "video.mp4"
    with big.open("wb") as handle:  # sparse: 51 MB on paper, nothing on disk
        handle.truncate(51 * 1024 * 1024)
    _edit(content / "creatives.yaml", "file: files/sofa-728x90.png", "file: files/video.mp4")
    (problem,) = _problems(content)
    assert problem.startswith("creatives.yaml:")
    assert "51.0 MB, over the 50 MB a bot may upload to Telegram" in problem


def test_content_check_renders_every_item_as_sent(content: Path) -> None:
    """Long lessons with code, answers full of `&` near the limit, HTML in Markdown:
    what passes `content check` is sent without a refusal; what would not, is reported."""
    from bot.content.loader import sending_problems
    from bot.content.models import FaqEntry
    from bot.content.render import faq_answer_html, lesson_html

    code = "```\n" + "if a < b && c > d: print('&')\n" * 300 + "```\n"
    (content / "lessons/07-code.md").write_text(
        '---\nid: code\ntitle: "Код & скрипты"\norder: 7\n---\n' + code, encoding="utf-8"
    )
    loaded = load_content(content)  # valid: every part fits and parses
    lesson = next(item for item in loaded.lessons if item.id == "code")
    assert sending_problems(lesson_html(lesson, "<b>Урок 7 из 7</b>")) == []
    answer = "R&D <важно> " * 335  # 4,019 characters (one message), 335 ampersands
    rnd = FaqEntry(id="rnd", topic="Разное", question="Что такое R&D?", answer=answer)
    assert len(faq_answer_html(rnd)) > 4096  # escaped, it is longer than one message
    # on Telegram and VK (MAX counts the escapes: faq.yaml refuses it, tests/test_review_s20)
    assert sending_problems(faq_answer_html(rnd)) == []

    (content / "lessons/08-html.md").write_text(
        '---\nid: html\ntitle: "HTML"\norder: 8\n---\nТекст.\n\n<div class="x">блок</div>\n\n'
        "И <span>строка</span>.\n",
        encoding="utf-8",
    )
    problems = _problems(content)
    assert problems == [
        "lessons/08-html.md:8: unsupported HTML block '<div class=\"x\">блок</div>': use "
        "Markdown instead",
        "lessons/08-html.md:10: unsupported HTML '</span>': it would show as text",
        "lessons/08-html.md:10: unsupported HTML '<span>': it would show as text",
    ]


def test_sending_problems_catch_what_telegram_refuses() -> None:
    from bot.content.loader import sending_problems

    assert sending_problems("<b>fine &amp; dandy</b>") == []
    (problem,) = sending_problems("Tom & Jerry")
    assert "would be refused by Telegram" in problem
    (problem,) = sending_problems("<b>" + "x" * 1100 + "</b>", 1024, "caption")
    assert problem == "caption is too long for Telegram: 1100 > 1024"


def test_creative_links_are_web_links_only(content: Path) -> None:
    """Review 17: a creative's url is http(s) (or a Telegram/VK link), never javascript:."""
    _edit(
        content / "creatives.yaml",
        '  url: "https://mebeldom.example/sale/sofas"',
        '  url: "javascript:alert(1)"',
    )
    (problem,) = _problems(content)
    assert problem.startswith("creatives.yaml:")
    assert "url: a link must start with http:// or https://" in problem
    _edit(content / "creatives.yaml", '"javascript:alert(1)"', '"tg://resolve?domain=mebel"')
    load_content(content)


def test_every_problem_in_one_pass(content: Path) -> None:
    """Review 17: a type error in one item (or in program.yaml) hides none of the others:
    a path leading out of the folder is reported in the same run."""
    _edit(content / "creatives.yaml", "file: files/keywords-sofas.txt", "file: ../../secret.txt")
    _edit(content / "creatives.yaml", "kind: banner", "kind: poster")
    _edit(content / "templates.yaml", "- key: thanks", "- kee: thanks")
    _edit(content / "program.yaml", "segments:", "segmnts:")
    problems = _problems(content)
    assert any("kind: must be one of landing, banner," in p for p in problems), problems
    assert any("../../secret.txt: outside the content folder" in p for p in problems), problems
    assert any("unknown key 'kee'" in p for p in problems), problems
    assert any("unknown key 'segmnts'" in p for p in problems), problems


def test_contest_thresholds_and_hold_are_bounded(content: Path) -> None:
    """Review 8: a threshold of 1e400 (or a hold of a million days) is refused with file:line."""
    contest = content / "contests/winter-sofas.yaml"
    text = contest.read_text(encoding="utf-8")
    assert "min_value:" in text
    start = text.index("min_value:")
    end = text.index("\n", start)
    contest.write_text(text[:start] + "min_value: 1e400" + text[end:], encoding="utf-8")
    (problem,) = _problems(content)
    assert problem.startswith("contests/winter-sofas.yaml:")
    assert "min_value: must be at most 1000000000 (got '1e400')" in problem


def test_locale_overrides_are_rendered_as_sent(content: Path) -> None:
    """Review 2: an override that Telegram would refuse (a bare &, an unclosed tag) or that
    uses an argument the text never gets is refused with file:line, not at every /me."""
    (content / "locales").mkdir(exist_ok=True)
    (content / "locales/ru.ftl").write_text(
        "faq-thanks = Спасибо!\nme-title = Tom & Jerry\n", encoding="utf-8"
    )
    (problem,) = _problems(content)
    assert problem.startswith("locales/ru.ftl:2: the text 'me-title' would be refused")
    (content / "locales/ru.ftl").write_text(
        "me-title = <b>Профиль { $nope } &amp; <i>\n", encoding="utf-8"
    )
    problems = _problems(content)
    assert any(
        p.startswith("locales/ru.ftl:1: the text 'me-title' would be refused") for p in problems
    )
    assert (
        "locales/ru.ftl:1: the text 'me-title' uses { $nope }, which it is never given" in problems
    )
    (content / "locales/ru.ftl").write_text(
        "me-title = <b>Tom &amp; Jerry</b>\n", encoding="utf-8"
    )
    load_content(content)


def test_an_id_used_in_two_lesson_or_contest_files_is_named_in_the_second(content: Path) -> None:
    _edit(content / "lessons/03-seo.md", "id: seo-content", "id: start-here")
    copy = content / "contests/winter-copy.yaml"
    shutil.copy(content / "contests/winter-sofas.yaml", copy)
    _edit(copy, "segments: []", "segments: [vip]")
    assert sorted(_problems(content)) == [
        "contests/winter-copy.yaml:10: unknown segment 'vip'"
        " (program.yaml has: blogger, designer, webmaster)",
        "contests/winter-sofas.yaml:3: contest id 'winter-sofas' is also used in"
        " contests/winter-copy.yaml",
        "lessons/03-seo.md:2: lesson id 'start-here' is also used in lessons/01-start.md",
    ]
