"""Session 10 (loosea10): a partner's /cancel while their ticket is open (not in the step
that asks for the question) withdraws the question, after a confirmation: the ticket is
closed and the managers are told the partner withdrew it. With nothing open there is
nothing to cancel, said so — never "unknown command". On Telegram, VK and MAX."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.tables import tickets
from tests.harness import Harness
from tests.test_faq_learning import group
from tests.test_journey_support import GROUP
from tests.test_journey_vk_max import Side

__all__ = ["group"]  # the fixture

ASK = "Отозвать обращение №1? Менеджер увидит, что ответ больше не нужен, и обращение закроется."
WITHDRAWN = "Обращение №1 закрыто: вопрос отозван. Если понадобится менеджер — /support"
TOLD = "🚫 Партнёр отозвал вопрос: обращение №1 закрыто."
NOTHING = "Отменять нечего: открытых обращений нет. Если нужен менеджер — /support"


async def _tickets(harness: Harness) -> list[tuple[int, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(tickets.c.id, tickets.c.status).order_by(tickets.c.id))
        return [(row.id, row.status) for row in rows]


async def test_cancel_with_a_ticket_open_withdraws_it_after_a_confirmation(
    group: Harness,
) -> None:
    anna = group.user(1020)
    await anna.onboard()
    replies = await anna.send("/cancel")  # nothing open: said so, not "unknown command"
    assert [m.plain for m in replies] == [NOTHING]

    await anna.send("/support Не пришла выплата за октябрь")
    managers = len(group.emulator.chat_messages(GROUP))
    replies = await anna.send("/cancel")
    assert [m.plain for m in replies] == [ASK]
    assert replies[-1].button_labels == ["Да, отозвать", "Нет, оставить"]
    assert len(group.emulator.chat_messages(GROUP)) == managers  # nothing relayed
    # changed their mind: the ticket stays open, and their next words still go to it
    await anna.press("Нет, оставить")
    assert anna.last.plain == "Хорошо, обращение №1 остаётся открытым."
    assert anna.last.button_labels == []
    assert await _tickets(group) == [(1, "open")]
    await anna.send("номер заказа 12345")
    assert group.emulator.chat_messages(GROUP)[-1].plain == "номер заказа 12345"

    await anna.send("/cancel")
    confirmation = anna.last
    await anna.press("Да, отозвать")
    assert anna.last.plain == WITHDRAWN  # the confirmation, edited in place
    assert anna.last.message_id == confirmation.message_id
    assert anna.last.button_labels == []
    assert group.emulator.chat_messages(GROUP)[-1].plain == TOLD
    assert await _tickets(group) == [(1, "closed")]
    # an old confirmation pressed again: the ticket is closed already
    await anna.press_data(confirmation, "t:withdraw:1:0")
    assert anna.callback_answers()[-1]["text"] == "Это обращение уже закрыто."
    assert await _tickets(group) == [(1, "closed")]
    # after it, a question goes to the FAQ again
    replies = await anna.send("когда выплаты")
    assert "10 и 25 числа" in replies[-1].plain
    # someone else's ticket: refused
    boris = group.user(1021, "Борис")
    await boris.onboard()
    await boris.press_data(confirmation, "t:withdraw:1:")
    assert "больше недоступен" in boris.callback_answers()[-1]["text"]


async def test_cancel_in_the_ask_step_still_creates_no_ticket(group: Harness) -> None:
    anna = group.user(1022)
    await anna.onboard()
    await anna.send("/support")
    replies = await anna.send("/cancel")
    assert replies[-1].plain.startswith("Хорошо, обращение не создано")
    assert await _tickets(group) == []


@pytest.mark.parametrize(
    "side",
    [Side("vk", "Рассылки: только во ВКонтакте"), Side("max", "Рассылки: только в MAX")],
    ids=["vk", "max"],
)
async def test_cancel_withdraws_a_ticket_on_vk_and_max(side: Side, tmp_path: Path) -> None:
    async with side.running(tmp_path, managers_chat=True) as harness:
        harness.vk_manager()
        harness.max_manager()
        partner = side.person(harness, 1023, "Вера")
        await partner.onboard()
        await partner.send("/support Где статистика?")
        # VK: typed without the slash, as VK's other commands
        replies = await partner.send("cancel" if side.platform == "vk" else "/cancel")
        assert replies[-1].plain == ASK
        await partner.press("Да, отозвать")
        assert partner.last.plain == WITHDRAWN
        assert side.managers_chat(harness)[-1] == TOLD
        assert await _tickets(harness) == [(1, "closed")]
        replies = await partner.send("/cancel")
        assert replies[-1].plain == NOTHING
