"""/announce through the emulator: message → audience → when → preview with the count →
confirm; 👍/👎 and the report; an empty audience, a past date, quiet hours, a text over the
limit; /announcements with a cancel; /schedule."""

from __future__ import annotations

from tests.harness import Client, Harness


async def partners(harness: Harness) -> tuple[Client, Client]:
    anna = harness.user(921, "Анна")
    await anna.onboard("Вебмастер")
    boris = harness.user(922, "Борис")
    await boris.onboard("Блогер")
    return anna, boris


async def test_announce_to_everyone_with_reactions_and_a_report(harness: Harness) -> None:
    anna, boris = await partners(harness)
    manager = harness.manager()
    await manager.send("/start")
    assert (await manager.send("/announce"))[-1].plain.startswith("📣 Пришлите сообщение")
    assert "до 4\xa0000" in (await manager.send("я" * 5000))[-1].plain
    audience = (await manager.send("Новые <креативы> к распродаже: /creatives"))[-1]
    assert audience.plain == "Кому отправить?"
    await manager.press("👥 Всем партнёрам", audience)
    await manager.press("Сейчас", manager.messages[-1])
    header, preview = manager.messages[-2:]
    assert header.plain == (
        "👀 Предпросмотр. Получатели: все партнёры — 2 получателя, отправка: Сейчас."
    )
    assert preview.text == "Новые &lt;креативы&gt; к распродаже: /creatives"  # kept as typed
    await manager.press("✅ Отправить", preview)
    assert manager.messages[-1].plain.startswith(
        "✅ Рассылка №1 поставлена в очередь: 2 сообщения."
    )
    await harness.deliver()
    assert anna.last.plain == "Новые <креативы> к распродаже: /creatives"
    assert anna.last.button_labels == ["👍", "👎"]
    assert boris.last.plain == anna.last.plain
    await anna.press("👍", anna.last)
    assert anna.callback_answers()[-1]["text"] == "Спасибо за отзыв!"

    await harness.services.planner.tick()
    await harness.deliver()
    report = manager.messages[-1].plain
    assert report.startswith("📊 Отчёт о рассылке №1")
    assert "Доставлено: 2" in report
    assert "Реакции: 👍 1 · 👎 0" in report
    listing = (await manager.send("/announcements"))[-1].plain
    assert "Рассылка №1 — отправлена" in listing
    assert "Доставлено 2 получателям, в очереди 0" in listing


async def test_announce_refuses_an_empty_audience_a_past_date_and_asks_about_quiet_hours(
    harness: Harness,
) -> None:
    anna, _boris = await partners(harness)
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    audience = (await manager.send("Вебинар в четверг"))[-1]
    await manager.press("Уровню…", audience)
    await manager.press("Золото", manager.messages[-1])
    assert manager.messages[-2].plain.startswith("В этой аудитории сейчас никого нет")
    assert manager.messages[-1].plain == "Кому отправить?"  # the same step again

    await manager.press("Сегменту…", manager.messages[-1])
    await manager.press("Вебмастер (сайт, SEO, контекст)", manager.messages[-1])
    text = (await manager.send("01.11.2026 10:00"))[-1].plain  # the clock: 02.11.2026
    assert text.startswith("⚠️ Эта дата уже прошла.")
    warning = (await manager.send("03.11.2026 23:30"))[-1]
    assert warning.plain.startswith(
        "⚠️ Это тихие часы: в личку сообщения уйдут только 04.11.2026 09:00"
    )
    await manager.press("Да, пусть ждут до 09:00", warning)
    header, preview = manager.messages[-2:]
    assert (
        "Получатели: партнёры сегмента «Вебмастер (сайт, SEO, контекст)» — 1 получатель"
        in header.plain
    )
    assert header.plain.endswith(
        "отправка: 03.11.2026 23:30, но в личку — только 04.11.2026 09:00: у партнёров тихие часы."
    )
    await manager.press("✅ Отправить", preview)
    before = len(anna.messages)
    await harness.deliver()
    assert len(anna.messages) == before  # not before its time
    listing = (await manager.send("/announcements"))[-1]
    assert "в очереди 1" in listing.plain
    await manager.press("❌ Отменить неотправленное", listing)
    assert manager.messages[-1].plain.startswith("Рассылка №1 остановлена")
    harness.clock.advance(3 * 24 * 3600)
    await harness.deliver()
    assert len(anna.messages) == before  # cancelled: never sent

    # «Сейчас» at 04:20 Moscow time (session 8): the preview says when it really goes
    harness.clock.advance(13 * 3600 + 20 * 60)  # 06.11.2026 04:20 MSK
    await manager.send("/announce")
    await manager.send("Доброе утро")
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    await manager.press("Сейчас", manager.messages[-1])
    header, preview = manager.messages[-2:]
    assert header.plain.endswith(
        "отправка: Сейчас, но в личку — только 06.11.2026 09:00: у партнёров тихие часы."
    )
    await manager.press("✅ Отправить", preview)
    await harness.deliver()
    assert len(anna.messages) == before  # waits for 09:00, as the preview said


async def test_schedule_lists_the_next_two_weeks(harness: Harness) -> None:
    await partners(harness)
    manager = harness.manager()
    await manager.send("/start")
    text = (await manager.send("/schedule"))[-1].plain
    lines = text.splitlines()
    assert lines[0] == "🗓 Автоматические отправки на 14 дней"
    assert any("еженедельный дайджест — 2 получателя" in line for line in lines)
    assert not any("рейтинг недели" in line for line in lines)  # no partners' chat set
    assert any(line.endswith("анонс конкурса «Зимний марафон диванов» — 2 получателя")
               for line in lines)  # fmt: skip
