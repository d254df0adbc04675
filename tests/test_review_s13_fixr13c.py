"""Session 13 (task fixr13c): what the re-check tester found.

1. /announcements counts «в очереди» and «Уже не получат» by one rule at the moment of
   asking: a partner who sent /stop and then /start again is back in the queue only.
2. A /reload that changes the quiet hours counts only the messages that will go by their
   rules (not those to partners who sent /stop), as /schedule does.
3. A manager's unknown command and /cancel with nothing open are answered for a manager.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from tests.harness import DEMO_CONTENT, Harness, running_bot
from tests.test_journey_schedule_held import at, schedule
from tests.test_review_s13_fixr13b import _listing, _night_broadcast, set_quiet_hours

# --- 1. /announcements: stop, then start again ---


async def test_a_partner_back_after_stop_is_queued_not_unreached(harness: Harness) -> None:
    anna = harness.user(1393, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
    await _night_broadcast(harness, "Ночная новость")
    await anna.send("/stop")
    (stopped,) = await _listing(harness)
    assert "в очереди 0," in stopped, stopped
    assert "Уже не получат: 1 партнёр" in stopped, stopped
    await anna.send("/start")
    (back,) = await _listing(harness)
    assert "в очереди 1," in back, back
    assert "Уже не получат" not in back, back
    assert "03.11 09:00 — рассылка №1 — 1 получатель" in await schedule(manager)


# --- 2. /reload counts only what will go ---


async def test_a_reload_counts_only_the_held_messages_that_will_go(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        anna = harness.user(1394, "Анна")
        boris = harness.user(1395, "Борис")
        await anna.onboard()
        await boris.onboard()
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
        await _night_broadcast(harness, "Ночная новость")
        await _night_broadcast(harness, "Завтрашняя ночная", "03.11.2026 23:30")
        await boris.send("/stop")
        assert "03.11 09:00 — рассылка №1 — 1 получатель" in await schedule(manager)

        set_quiet_hours(content, "22:00", "07:00")
        reloaded = (await manager.send("/reload"))[-1].plain
        assert "Тихие часы изменились: 2 сообщения, ждавших их конца, уйдут по новым" in (
            reloaded
        ), reloaded  # Анна's two, not Борис's
        lines = await schedule(manager)
        assert "03.11 07:00 — рассылка №1 — 1 получатель" in lines, lines

        # only stopped partners wait: nothing to tell
        await anna.send("/stop")
        set_quiet_hours(content, "22:00", "08:00")
        reloaded = (await manager.send("/reload"))[-1].plain
        assert "Тихие часы" not in reloaded, reloaded
        assert not any("рассылка №" in line for line in await schedule(manager))

        # back after /start: their rows went by the new quiet hours all the same
        await boris.send("/start")
        assert "03.11 08:00 — рассылка №1 — 1 получатель" in await schedule(manager)


# --- 3. a manager is answered as a manager ---


async def test_a_managers_unknown_command_gets_the_managers_help(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    replies = await manager.send("/reject_link x")
    assert replies[0].plain == "Такой команды я не знаю. Вот что я умею:"
    assert "Для менеджеров" in replies[-1].plain, replies[-1].plain
    assert "/approve_link ID" in replies[-1].plain
    anna = harness.user(1396, "Анна")
    await anna.onboard()
    replies = await anna.send("/reject_link x")
    assert "Для менеджеров" not in replies[-1].plain  # a partner: the partner's menu only
    assert "/faq —" in replies[-1].plain


async def test_a_managers_cancel_with_nothing_open_speaks_to_a_manager(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    answer = (await manager.send("/cancel"))[-1].plain
    assert "/support" not in answer, answer
    assert "обращений нет" not in answer, answer
    assert answer.startswith("Отменять нечего"), answer
    assert "/announce" in answer, answer
    assert "/help" in answer, answer
    anna = harness.user(1397, "Анна")
    await anna.onboard()
    assert (await anna.send("/cancel"))[-1].plain == (
        "Отменять нечего: открытых обращений нет. Если нужен менеджер — /support"
    )
