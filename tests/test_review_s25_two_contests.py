"""Two contests running at once (a tester of session 25): /top showed only the one that
ends first, and so did the Monday «📊 Рейтинг недели» in the partners' group. Every
running contest the partner takes part in has its boards on /top, with the partner's own
line; the weekly leaderboard shows every running contest's boards, leaving out only those
of a contest whose weekly standings the group gets within a day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services.conversions import ConversionIn
from bot.telegram.emulator import RateLimits
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

COMMUNITY = -1009876543210
MARATHON = "🏆 Зимний марафон диванов — "  # the demo file contest, 14.12 – 28.12
SPRINT = "🏆 Декабрьский спринт — "  # the manager's contest, 09.12 10:00 – 20.12


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=COMMUNITY
        ) as running:
            yield running


def at(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


async def tick(harness: Harness) -> None:
    await harness.services.planner.tick()
    await harness.deliver()


def posts(harness: Harness, since: int = 0) -> list[str]:
    return [m.plain for m in harness.emulator.chat_messages(COMMUNITY)[since:]]


async def linked(harness: Harness, user_id: int, affiliate: str, segment: str) -> Client:
    client = harness.user(user_id, "Анна")
    await client.onboard(segment)
    person = await harness.services.partners.by_user("tg", user_id)
    assert person is not None
    await harness.services.partners.approve_link(
        await harness.services.partners.request_link(person, affiliate)
    )
    return client


async def contest_new(manager: Client, title: str, starts: str, ends: str) -> None:
    """A manager's contest made with /contest_new: three prize categories, for everyone."""
    await manager.send("/contest_new")
    prizes = "first_sales: 1 000 ₽\nmost_sales: 5 000 ₽; 3 000 ₽\ntop_amount: Кресло"
    for text in (title, "Кто больше продаст за две недели.", starts, ends, "все", prizes, "0"):
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    assert any(c.title == title for c in await manager.harness.services.contests.active())


async def sale(harness: Harness, affiliate: str, number: int, when: datetime) -> None:
    item = ConversionIn(
        affiliate, f"{affiliate}-{number}", "approved", Decimal(20000), "RUB", when
    )
    await harness.services.sales.record(item, "csv")


async def test_top_shows_every_running_contest_the_partner_takes_part_in(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await contest_new(manager, "Декабрьский спринт", "09.12.2026 10:00", "20.12.2026")
    # a third one, for bloggers only: not on a webmaster's /top
    demo = await harness.services.contests.contest("winter-sofas")
    assert demo is not None
    bloggers = demo.model_copy(
        update={"id": "bloggers", "title": "Блогерская неделя", "segments": ["blogger"]}
    )
    await harness.services.contests.create(bloggers, by="tg:1")
    await harness.services.contests.mark_announced(bloggers)  # as /contest_new's save does
    await tick(harness)  # the demo contest announced
    anna = await linked(harness, 2501, "two-1", "Вебмастер")
    boris = await linked(harness, 2502, "two-2", "Блогер")

    now = datetime(2026, 12, 14, 7, 1, tzinfo=UTC)  # 14.12 10:01 Moscow: both run
    at(harness, now)
    await sale(harness, "two-1", 1, now)

    shown = [m.plain for m in await anna.send("/top")]
    headers = [text.splitlines()[0] for text in shown]
    # the one that ends first first, each with its three boards
    assert headers == [
        SPRINT + "Первые продажи",
        SPRINT + "Больше всего продаж",
        SPRINT + "Сумма продаж, ₽",
        MARATHON + "Первые продажи",
        MARATHON + "Больше всего продаж",
        MARATHON + "Сумма продаж, ₽",
    ], headers
    marathon = "\n".join(shown[3:])
    assert "Вы пока не в зачёте: нужно от 3, у вас 1 — осталось 2." in marathon, marathon
    assert "Вы пока не в зачёте: нужно от 50 000, у вас 20 000 — осталось 30 000." in marathon
    assert "1. Анна — 1\nВы: №1 (1)" in shown[1], shown[1]  # the sprint's most sales
    assert not any("Блогерская неделя" in text for text in shown)

    # a blogger takes part in all three
    headers = [m.plain.splitlines()[0] for m in await boris.send("/top")]
    assert len(headers) == 9, headers
    assert sum(header.startswith("🏆 Блогерская неделя — ") for header in headers) == 3

    # the partners' group's /top: the contests for everyone, as its /contests lists them
    mark = len(posts(harness))
    harness.clock.advance(1)
    await harness.emulator.wait_processed(
        harness.emulator.user_message(2501, "/top", chat_id=COMMUNITY)
    )
    headers = [text.splitlines()[0] for text in posts(harness, mark)]
    assert headers == [
        SPRINT + "Первые продажи",
        SPRINT + "Больше всего продаж",
        SPRINT + "Сумма продаж, ₽",
        MARATHON + "Первые продажи",
        MARATHON + "Больше всего продаж",
        MARATHON + "Сумма продаж, ₽",
    ], headers


async def test_the_monday_leaderboard_shows_every_running_contest(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await contest_new(manager, "Декабрьский спринт", "09.12.2026 10:00", "20.12.2026")
    await tick(harness)  # the demo contest announced
    await linked(harness, 2511, "two-3", "Вебмастер")
    at(harness, datetime(2026, 12, 14, 6, 30, tzinfo=UTC))  # 09:30 Moscow: both run
    await tick(harness)  # «начался!» of the marathon (held for the quiet hours)
    mark = len(posts(harness))
    at(harness, datetime(2026, 12, 14, 7, 1, tzinfo=UTC))  # 10:01: the weekly leaderboard
    await tick(harness)
    weekly = [text for text in posts(harness, mark) if text.startswith("📊 Рейтинг недели")]
    headers = [text.splitlines()[1] for text in weekly]
    assert headers == [
        SPRINT + "Первые продажи",
        SPRINT + "Больше всего продаж",
        SPRINT + "Сумма продаж, ₽",
        MARATHON + "Первые продажи",
        MARATHON + "Больше всего продаж",
        MARATHON + "Сумма продаж, ₽",
    ], headers
    mark = len(posts(harness))
    at(harness, datetime(2026, 12, 14, 9, 1, tzinfo=UTC))
    await tick(harness)
    assert posts(harness, mark) == []  # once a week


async def test_a_contest_with_its_standings_that_day_is_left_out_of_the_leaderboard(
    harness: Harness,
) -> None:
    """A contest starting on a Monday at 10:00 posts its weekly standings on Mondays at
    10:00: the leaderboard shows the other running contest's boards, not those again (it
    was not posted at all, and the marathon's boards waited a week)."""
    manager = harness.manager()
    await manager.send("/start")
    await contest_new(manager, "Декабрьский спринт", "07.12.2026 10:00", "24.12.2026")
    await tick(harness)  # the demo contest announced
    await linked(harness, 2521, "two-4", "Вебмастер")
    at(harness, datetime(2026, 12, 12, 9, 0, tzinfo=UTC))
    lines = (await manager.send("/schedule"))[-1].plain.splitlines()
    assert any(line.startswith("14.12 10:00 — рейтинг недели") for line in lines), lines
    at(harness, datetime(2026, 12, 14, 6, 30, tzinfo=UTC))
    await tick(harness)
    mark = len(posts(harness))
    at(harness, datetime(2026, 12, 14, 7, 1, tzinfo=UTC))  # 10:01
    await tick(harness)
    said = posts(harness, mark)
    weekly = [text.splitlines()[1] for text in said if text.startswith("📊 Рейтинг недели")]
    assert weekly == [
        MARATHON + "Первые продажи",
        MARATHON + "Больше всего продаж",
        MARATHON + "Сумма продаж, ₽",
    ], said
    standings = [text for text in said if text.startswith(SPRINT)]
    assert len(standings) == 3, said  # its own weekly standings, once
