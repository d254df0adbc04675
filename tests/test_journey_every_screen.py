"""Issue 14: a partner's and a manager's whole day, screen by screen — each test is one
stumble a newcomer reported, lived again through the emulators."""

from __future__ import annotations

from tests.harness import Client, Harness


async def manager_with_a_partner(harness: Harness) -> tuple[Client, Client]:
    anna = harness.user(921, "Анна")
    await anna.onboard("Вебмастер")
    manager = harness.manager()
    await manager.send("/start")
    return manager, anna


async def test_announce_after_a_past_date_shows_the_now_button_and_takes_the_typed_word(
    harness: Harness,
) -> None:
    manager, anna = await manager_with_a_partner(harness)
    await manager.send("/announce")
    await manager.send("Вебинар в четверг")
    await manager.press("👥 Всем партнёрам")
    refused = (await manager.send("01.11.2026 10:00"))[-1]  # the clock: 02.11.2026
    assert "Эта дата уже прошла" in refused.plain
    assert "«Сейчас»" in refused.plain
    assert refused.button_labels == ["Сейчас"]
    refused = (await manager.send("завтра"))[-1]
    assert "Не понял дату" in refused.plain
    assert refused.button_labels == ["Сейчас"]
    await manager.send("сейчас")
    header, preview = manager.messages[-2:]
    assert header.plain.startswith("👀 Предпросмотр.")
    assert "отправка: Сейчас" in header.plain
    await manager.press("✅ Отправить", preview)
    await harness.deliver()
    assert anna.last.plain == "Вебинар в четверг"
