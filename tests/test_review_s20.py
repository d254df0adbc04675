"""Session 20: what was left alone in session 19, and what the session's testers found."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.services.conversions import ConversionIn
from tests.harness import Harness, running_bot
from tests.test_journey_community import COMMUNITY, chat, say
from tests.test_journey_schedule import partner_with_sales
from tests.test_journey_schedule_held import at, schedule

__all__ = ["chat"]  # the partners' group fixture


async def test_asking_the_bot_for_a_manager_in_the_group_is_no_faq_miss(chat: Harness) -> None:
    """«@бот позовите менеджера» asked for a person, not a question the FAQ failed."""
    (offer,) = await say(chat, 821, "@partnerbot_sandbox_bot позовите менеджера")
    assert not offer.startswith("Не нашёл ответа"), offer
    assert offer.startswith("Менеджер ответит вам в личке"), offer
    (button,) = chat.emulator.chat_messages(COMMUNITY)[-1].buttons[0]
    assert button["url"] == "https://t.me/partnerbot_sandbox_bot?start=support"
    # not said to the bot: the group's own business
    assert await say(chat, 821, "позовите менеджера кто-нибудь") == []


async def test_schedule_counts_a_nights_sale_notices_as_the_one_that_will_go(
    tmp_path: Path,
) -> None:
    """Three sales approved in the quiet hours go in the morning as one notice
    («Подтверждены 3 продажи»): /schedule said «(3 сообщения)»."""
    async with running_bot(tmp_path, timezone="America/Sao_Paulo") as harness:
        anna = await partner_with_sales(harness, 953, "held-3", "Анна")
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 12, 5, 4, 0, tzinfo=UTC))  # 01:00 in São Paulo
        for n in range(3):
            await harness.services.sales.record(
                ConversionIn("held-3", f"n-{n}", "approved", Decimal(20000), "RUB",
                             datetime(2026, 12, 5, 3, 0, tzinfo=UTC)),
                "postback",
            )  # fmt: skip
        await harness.deliver()
        lines = await schedule(manager)
        (line,) = [line for line in lines if "уведомления о продажах" in line]
        # the notice and the first sale's congratulation
        assert line == "05.12 09:00 — уведомления о продажах — 1 получатель (2 сообщения)", lines
        mark = len(anna.messages)
        at(harness, datetime(2026, 12, 5, 12, 1, tzinfo=UTC))
        await harness.deliver()
        told = [m.plain for m in anna.messages[mark:]]
        assert len([t for t in told if t.startswith("✅ Подтверждены 3 продажи")]) == 1, told
