"""A contest file is checked as `/contest_new` checks what a manager types (a tester of
session 28): `partnerbot content check` and `/reload` took a prize category given twice
and a threshold of 2.5 sales, which the wizard refuses — now content errors at their file
and line, the old content staying live — and said nothing of a new contest whose start
had passed: `/reload` names it at its line (a file first seen after its start is kept
for a manager to announce, or for its winners: docs/managers.md)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.loader import load_content
from tests.content_copy import demo_copy
from tests.content_copy import edit as _edit
from tests.content_copy import problems as _problems
from tests.harness import DEMO_CONTENT, Harness, running_bot

CONTEST = "contests/winter-sofas.yaml"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


def test_a_prize_category_given_twice_is_refused_at_its_line(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(
        content / CONTEST,
        "  - category: top_amount\n",
        '  - category: most_sales\n    places: ["Кресло"]\n  - category: top_amount\n',
    )
    expected = [
        f"{CONTEST}:18: prizes.category: most_sales is given twice (first at line 15):"
        " a category once, with all its places"
    ]
    assert _problems(content) == expected
    assert main(["content", "check", str(content)]) == 1
    assert capsys.readouterr().out.splitlines() == expected


def test_a_threshold_of_a_count_is_whole(content: Path) -> None:
    _edit(content / CONTEST, "    min_value: 3\n", "    min_value: 2.5\n")
    assert _problems(content) == [
        f"{CONTEST}:17: prizes.min_value: most_sales counts sales, so its threshold is a"
        " whole number (got 2.5)"
    ]
    _edit(content / CONTEST, "    min_value: 2.5\n", "    min_value: 3.0\n")  # whole: fine
    _edit(content / CONTEST, "  - category: most_sales", "  - category: most_referrals")
    _edit(content / CONTEST, "    min_value: 3.0\n", "    min_value: 1.5\n")
    assert _problems(content) == [
        f"{CONTEST}:17: prizes.min_value: most_referrals counts partners, so its threshold"
        " is a whole number (got 1.5)"
    ]
    # a sum in rubles may have kopecks
    _edit(content / CONTEST, "    min_value: 1.5\n", "    min_value: 2\n")
    _edit(content / CONTEST, "    min_value: 50000\n", "    min_value: 49999.5\n")
    (contest,) = load_content(content).contests
    assert contest.prizes[2].min_value == Decimal("49999.5")


BLITZ = """id: blitz
title: "Блиц выходного дня"
description: "Продажи выходных."
starts_at: 2026-11-01T10:00:00+03:00
ends_at: 2026-11-08T23:59:59+03:00
segments: []
prizes:
  - category: most_sales
    places: ["Бонус 3 000 ₽"]
"""


def _at(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


async def test_reload_names_a_new_contest_whose_start_has_passed(tmp_path: Path) -> None:
    """The bot's clock is 02.11 12:00: a new file starting 01.11 — a typo, or a contest
    entered late — is named at its line in the reply (not refused: a file first seen after
    its start waits for a manager, and its winners reach the managers, docs/managers.md),
    and partners do not see it. Once loaded it is not new: the next /reload says nothing
    of it, and a contest the bot announced keeps loading after its start, its file taken
    out and put back too."""
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        manager = harness.manager()
        await manager.send("/start")
        await harness.services.planner.tick()  # the demo contest announced
        (content / "contests/blitz.yaml").write_text(BLITZ, encoding="utf-8")
        said = (await manager.send("/reload"))[-1].plain
        assert said.startswith("Контент обновлён"), said
        assert (
            "⚠️ contests/blitz.yaml:4: «Блиц выходного дня» — новый конкурс, а его старт"
            " (01.11.2026 10:00) уже прошёл. Его никто не объявлял: партнёры его не видят, пока"
            " его не объявит менеджер (/contests_admin; продажи с начала конкурса засчитаются),"
            " а победителей по окончании получат только менеджеры. Если в дате опечатка —"
            " исправьте файл и снова /reload."
        ) in said, said
        anna = harness.user(2821, "Анна")
        await anna.onboard()
        assert "Блиц" not in "\n".join(m.plain for m in await anna.send("/contests"))
        listing = (await manager.send("/contests_admin"))[-1].plain
        assert "🟡 Блиц выходного дня — идёт, но не объявлен" in listing, listing

        _edit(content / "contests/blitz.yaml", "Продажи выходных.", "Продажи выходных дней.")
        said = (await manager.send("/reload"))[-1].plain
        assert said.startswith("Контент обновлён"), said
        assert "⚠️" not in said, said
        # the demo contest, announced, after its start: its file taken out and put back
        _at(harness, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))
        demo = (content / CONTEST).read_text(encoding="utf-8")
        (content / CONTEST).unlink()
        assert (await manager.send("/reload"))[-1].plain.startswith("Контент обновлён")
        (content / CONTEST).write_text(demo, encoding="utf-8")
        said = (await manager.send("/reload"))[-1].plain
        assert said.startswith("Контент обновлён"), said
        assert "⚠️" not in said, said
        ids = sorted(c.id for c in harness.services.content_store.content.contests)
        assert ids == ["blitz", "winter-sofas"]
        shown = "\n".join(m.plain for m in await anna.send("/contests"))
        assert "Зимний марафон диванов" in shown, shown
        assert "Блиц" not in shown, shown
