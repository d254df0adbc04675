"""Findings of the black-box review (points of part B), each reproduced as a journey."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.services.sales import ConversionIn
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


async def test_the_ticket_card_shows_the_tier_and_recent_sales(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1303, "Анна")
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 1303)
    assert partner is not None
    partner = await harness.services.partners.request_link(partner, "aff-13")
    await harness.services.partners.approve_link(partner)
    start = harness.clock.now() - timedelta(hours=3)
    for n in range(10):
        item = ConversionIn(
            "aff-13", f"c-{n}", "approved", Decimal(1000 + n), "RUB", start + timedelta(minutes=n)
        )
        await harness.services.sales.record(item, "postback")
    pending = ConversionIn(
        "aff-13", "c-p", "pending", Decimal("2500.5"), "RUB", start + timedelta(hours=1)
    )
    await harness.services.sales.record(pending, "postback")
    await anna.send("/support Где мои выплаты")
    card = next(m for m in reversed(manager.messages) if "Обращение №1" in m.plain).plain
    assert "Уровень: Серебро — 10 подтверждённых продаж в этом месяце" in card
    assert "Последние продажи:" in card
    lines = card.splitlines()
    at = lines.index("Последние продажи:")
    assert lines[at + 1].startswith("• ")
    assert "2 500,50 ₽ · в ожидании" in lines[at + 1]
    assert "1 009 ₽ · подтверждена" in lines[at + 2]
    assert len([line for line in lines[at + 1 :] if line.startswith("• ")]) == 5


async def test_the_ticket_card_of_an_unlinked_partner_says_so(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1304, "Анна")
    await anna.onboard()
    await anna.send("/support Вопрос")
    card = next(m for m in reversed(manager.messages) if "Обращение №1" in m.plain).plain
    assert "Уровень: нет (ID не привязан)" in card
    assert "Последние продажи" not in card
