"""Findings of the black-box review (points of part B), each reproduced as a journey."""

from __future__ import annotations

from tests.harness import Harness


async def test_switching_on_one_topic_after_no_newsletters_switches_on_only_it(
    harness: Harness,
) -> None:
    anna = harness.user(1301)
    await anna.send("/start")
    await anna.press(next(b for b in anna.last.button_labels if b.startswith("Вебмастер")))
    await anna.press("Сайт")
    await anna.press("До года")
    await anna.send("Владельцы квартир в новостройках")
    await anna.press("Нет, только ответы на мои вопросы")
    labels = (await anna.send("/settings"))[-1].button_labels
    assert all(label.startswith("❌") for label in labels[:5])
    await anna.press("❌ Уведомления о продажах")
    assert anna.last.button_labels[:5] == [
        "❌ Новости",
        "❌ Конкурсы",
        "❌ Еженедельный дайджест",
        "✅ Уведомления о продажах",
        "❌ Новые уроки",
    ]
    partner = await harness.services.partners.by_user("tg", 1301)
    assert partner is not None
    assert [
        t for t in ("news", "contests", "digest", "sales", "lessons") if partner.subscribed(t)
    ] == ["sales"]


async def test_switching_on_one_topic_after_stop_switches_on_only_it(harness: Harness) -> None:
    anna = harness.user(1302)
    await anna.onboard()
    await anna.send("/stop")
    await anna.send("/settings")
    await anna.press("❌ Новости")
    assert [b for b in anna.last.button_labels[:5] if b.startswith("✅")] == ["✅ Новости"]
