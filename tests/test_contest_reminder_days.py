"""A contest's reminder says the days and hours left to the start when it goes: the demo
contest starts on 14.12 at 00:00 Moscow, so its reminders «3 days» and «1 day» before fall
at 00:00 and are moved to 09:00 by the quiet hours — 2 days 15 hours and 15 hours before
the start. They said «осталось 3 дня» and «остался 1 день» (session 22's tester), then
«осталось 2 дня» for 2 days 18 hours (session 23's: the start sounding a day nearer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.telegram.emulator import RateLimits
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

COMMUNITY = -1009876543210
TITLE = "Зимний марафон диванов"
START = "начинаем 14.12.2026 00:00. Правила: /contests"


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


def reminders(harness: Harness, anna: Client, mark: int, chat: int) -> tuple[list[str], ...]:
    """The reminders Анна and the partners' group got since `mark` and `chat`."""
    private = [m.plain for m in anna.messages[mark:] if m.plain.startswith("⏰")]
    group = harness.emulator.chat_messages(COMMUNITY)[chat:]
    return private, [m.plain for m in group if m.plain.startswith("⏰")]


async def test_reminders_moved_to_the_morning_say_the_time_left(
    harness: Harness,
) -> None:
    anna = harness.user(2311, "Анна")
    await anna.onboard()
    await harness.services.planner.tick()  # the contest is announced
    await harness.deliver()

    at(harness, datetime(2026, 12, 11, 6, 0, 30, tzinfo=UTC))  # 09:00 Moscow, 11.12
    mark, chat = len(anna.messages), len(harness.emulator.chat_messages(COMMUNITY))
    await harness.services.planner.tick()
    await harness.deliver()
    said = f"⏰ До старта конкурса «{TITLE}» осталось 2 дня и 15 часов — {START}"
    assert reminders(harness, anna, mark, chat) == ([said], [said])

    at(harness, datetime(2026, 12, 13, 6, 0, 30, tzinfo=UTC))  # 09:00 Moscow, 13.12
    mark, chat = len(anna.messages), len(harness.emulator.chat_messages(COMMUNITY))
    await harness.services.planner.tick()
    await harness.deliver()
    said = f"⏰ До старта конкурса «{TITLE}» осталось меньше суток — {START}"
    assert reminders(harness, anna, mark, chat) == ([said], [said])


@pytest.mark.parametrize(
    ("made", "left"),
    [
        # 21:00 Moscow: it goes at once, 3 days 3 hours before the start
        (datetime(2026, 12, 10, 18, 0, tzinfo=UTC), "осталось 3 дня и 3 часа"),
        # 23:00 Moscow: it waits for 09:00, 2 days 15 hours before the start
        (datetime(2026, 12, 10, 20, 0, tzinfo=UTC), "осталось 2 дня и 15 часов"),
    ],
)
async def test_a_reminder_counts_the_days_from_when_it_goes(
    harness: Harness, made: datetime, left: str
) -> None:
    services = harness.services
    anna = harness.user(2312, "Анна")
    await anna.onboard()
    contest = await services.contests.contest("winter-sofas")
    assert contest is not None
    at(harness, made)
    mark, chat = len(anna.messages), len(harness.emulator.chat_messages(COMMUNITY))
    await services.notices.contest_moment(
        await services.contests.moment("reminder", contest, tag="3")
    )
    at(harness, datetime(2026, 12, 11, 6, 1, tzinfo=UTC))  # after the quiet hours
    await harness.deliver()
    said = f"⏰ До старта конкурса «{TITLE}» {left} — {START}"
    assert reminders(harness, anna, mark, chat) == ([said], [said])
