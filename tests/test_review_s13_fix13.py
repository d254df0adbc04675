"""Session 13 (task fix13): small defects a tester found in session 12.

1. A broadcast or a contest announcement saved in the quiet hours waits in the outbox until
   they end: /announcements and the contest's «saved» answer say when it goes, as the
   /announce preview and /schedule do.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.harness import Harness
from tests.test_journey_announce import partners
from tests.test_journey_schedule_held import at, schedule

# --- 1. held sends said as held everywhere ---


async def test_a_broadcast_held_for_the_night_is_listed_with_when_it_goes(
    harness: Harness,
) -> None:
    anna, _boris = await partners(harness)
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
    await manager.send("/announce")
    await manager.send("Вебинар завтра")
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    await manager.press("Сейчас", manager.messages[-1])
    assert manager.messages[-2].plain.endswith(
        "отправка: Сейчас, но в личку — только 03.11.2026 09:00: у партнёров тихие часы."
    )
    await manager.press("✅ Отправить", manager.messages[-1])
    before = len(anna.messages)
    await harness.deliver()
    assert len(anna.messages) == before  # held
    listing = (await manager.send("/announcements"))[-1].plain
    first = listing.splitlines()[0]
    assert first == (
        "📣 Рассылка №1 — запланирована, 02.11.2026 23:30, "
        "но в личку — только 03.11.2026 09:00: у партнёров тихие часы"
    ), listing
    assert "03.11 09:00 — рассылка №1 — 2 получателя" in await schedule(manager)

    at(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 09:00: it goes
    await harness.deliver()
    assert anna.last.plain == "Вебинар завтра"
    first = (await manager.send("/announcements"))[-1].plain.splitlines()[0]
    assert first == "📣 Рассылка №1 — отправлена, 02.11.2026 23:30", first


async def test_a_broadcast_planned_inside_the_quiet_hours_is_listed_with_when_it_goes(
    harness: Harness,
) -> None:
    await partners(harness)
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Ночная новость")
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    await manager.press("Да, пусть ждут утра", (await manager.send("03.11.2026 23:30"))[-1])
    await manager.press("✅ Отправить", manager.messages[-1])
    first = (await manager.send("/announcements"))[-1].plain.splitlines()[0]
    assert first == (
        "📣 Рассылка №1 — запланирована, 03.11.2026 23:30, "
        "но в личку — только 04.11.2026 09:00: у партнёров тихие часы"
    ), first
    at(harness, datetime(2026, 11, 3, 21, 0, tzinfo=UTC))  # 00:00: its time, still held
    first = (await manager.send("/announcements"))[-1].plain.splitlines()[0]
    assert first.startswith("📣 Рассылка №1 — запланирована, 03.11.2026 23:30, но в личку")


async def test_a_contest_saved_at_night_says_when_its_announcement_goes(
    harness: Harness,
) -> None:
    anna = harness.user(931, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
    await manager.send("/contest_new")
    for text in ("Ночной конкурс", "Правила.", "20.11.2026 10:00", "30.11.2026", "все",
                 "first_sales: 1000 ₽", "0"):  # fmt: skip
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    saved = manager.messages[-1].plain
    assert saved.startswith("✅ Конкурс сохранён и объявлен. Анонс уходит: 1 партнёру"), saved
    assert "В личку — только 03.11.2026 09:00: у партнёров тихие часы." in saved, saved
    before = len(anna.messages)
    await harness.deliver()
    assert len(anna.messages) == before  # held, as said
    at(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))
    await harness.deliver()
    assert anna.last.plain.startswith("📣 Новый конкурс!")


async def test_a_contest_saved_in_the_day_says_nothing_of_quiet_hours(
    harness: Harness,
) -> None:
    anna = harness.user(932, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/contest_new")
    for text in ("Дневной конкурс", "Правила.", "20.11.2026 10:00", "30.11.2026", "все",
                 "first_sales: 1000 ₽", "0"):  # fmt: skip
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    saved = manager.messages[-1].plain
    assert saved.startswith("✅ Конкурс сохранён и объявлен. Анонс уходит: 1 партнёру"), saved
    assert "В личку — только" not in saved, saved
