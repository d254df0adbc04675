"""Session 28 (tester W): a manager in the middle of /announce who wants to check the week
— `/schedule` (what goes and to how many, the cap) or `/announcements` — got «Сейчас идёт
подготовка рассылки: ответьте на вопрос выше или выйдите — /cancel» and had to give up the
announcement to look. Those two only read: they answer inside the dialog, which goes on
where it was; any other command is still refused there."""

from __future__ import annotations

from tests.harness import Harness

INSIDE = "Сейчас идёт подготовка рассылки"


async def test_schedule_and_announcements_answer_inside_the_dialog(harness: Harness) -> None:
    partner = harness.user(2801, "Анна")
    await partner.onboard()
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    audience = (await manager.send("Новость недели"))[-1]
    await manager.press("👥 Всем партнёрам", audience)
    await manager.press("Сейчас", manager.last)
    preview = manager.last
    assert "✅ Отправить" in preview.button_labels

    answer = (await manager.send("/schedule"))[-1].plain
    assert answer.startswith("🗓 Автоматические отправки на 14 дней"), answer
    answer = (await manager.send("/announcements"))[-1].plain
    assert INSIDE not in answer, answer
    refused = (await manager.send("/stats"))[-1].plain
    assert refused.startswith(INSIDE), refused

    # the dialog is where it was: its preview still sends
    await manager.press("✅ Отправить", preview)
    await harness.deliver()
    assert any(m.plain.startswith("Новость недели") for m in partner.messages)


async def test_schedule_before_the_text_is_asked_for_keeps_the_question(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    answer = (await manager.send("/schedule"))[-1].plain
    assert answer.startswith("🗓"), answer
    await manager.send("Текст после расписания")
    assert "👥 Всем партнёрам" in manager.last.button_labels  # the audience is asked next
