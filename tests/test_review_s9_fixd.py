"""Session 9 review (task fixd): /support while a ticket is open adds to it (with text) or
says so and takes the next message into it (without); the ticket card of a partner whose
/link waits for approval shows the id as waiting, as its tier line does, on every
platform."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.tables import tickets
from tests.harness import Harness
from tests.test_journey_vk_max import Side

STILL_OPEN_ASK = "Обращение №1 открыто — напишите, что добавить: сообщение уйдёт менеджеру."


async def _tickets(harness: Harness) -> list[tuple[int, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(tickets.c.id, tickets.c.status).order_by(tickets.c.id))
        return [(row.id, row.status) for row in rows]


async def test_support_with_a_ticket_open_adds_to_it_and_says_so(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1901, "Анна")
    await anna.onboard()
    await anna.send("/support Не пришла выплата")
    assert anna.last.plain.startswith("Обращение №1 открыто. Менеджер ответит")

    # with text: added to the open ticket (docs/partners.md), never a second one
    harness.clock.advance(1)
    replies = await anna.send("/support срочно")
    assert replies[-1].plain == "Обращение №1 ещё открыто — ваше сообщение передано менеджеру."
    assert "срочно" in manager.last.plain

    # without text: not asked "describe your question" as if none were open
    harness.clock.advance(1)
    replies = await anna.send("/support")
    assert replies[-1].plain == STILL_OPEN_ASK
    assert replies[-1].button_labels == ["✅ Вопрос решён, закрыть"]
    harness.clock.advance(1)
    before = len(manager.messages)
    await anna.send("номер заказа 12345")
    assert manager.messages[-1].plain == "номер заказа 12345"  # into ticket №1
    assert len(manager.messages) == before + 1  # no new card
    # /cancel there never says "no ticket created" of a ticket that is open
    replies = await anna.send("/cancel")
    assert all("обращение не создано" not in m.plain for m in replies)
    assert await _tickets(harness) == [(1, "open")]

    # "Ask a manager" from the partners' group (/start support): the same
    replies = await anna.send("/start support")
    assert replies[-1].plain == STILL_OPEN_ASK
    harness.clock.advance(1)
    await anna.send("и ещё скриншот")
    assert manager.messages[-1].plain == "и ещё скриншот"
    assert await _tickets(harness) == [(1, "open")]
    tickets_list = (await manager.send("/tickets"))[-1].plain
    assert "№1 · Анна" in tickets_list

    # closed: /support asks for the question again, as before
    await anna.press("✅ Вопрос решён, закрыть", replies[-1])
    replies = await anna.send("/support")
    assert replies[-1].plain.startswith("Опишите вопрос одним сообщением")
    replies = await anna.send("/cancel")
    assert replies[-1].plain.startswith("Хорошо, обращение не создано")
    assert await _tickets(harness) == [(1, "closed")]


async def test_support_without_text_with_a_ticket_open_in_english(harness: Harness) -> None:
    await harness.manager().send("/start")
    john = harness.user(1902, "John", language="en")
    await john.onboard_in_english()
    await john.send("/support Where is my payout?")
    replies = await john.send("/support")
    assert replies[-1].plain == (
        "Ticket #1 is open: write what to add and it goes to the manager."
    )


LINK_PENDING_TG = (
    "ID в партнёрской сети: aff-7 (ждёт подтверждения)",
    "Уровень: нет (ID ждёт подтверждения)",
)


async def test_the_ticket_card_shows_a_pending_link_as_pending(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1903, "Анна")
    await anna.onboard()
    await anna.send("/link aff-7")
    await anna.send("/support Где статистика?")
    card = next(m.plain for m in reversed(manager.messages) if "Обращение №1" in m.plain)
    for line in LINK_PENDING_TG:
        assert line in card
    assert "ID в партнёрской сети: aff-7\n" not in card

    # approved: the id plainly, and a tier
    await anna.press("✅ Вопрос решён, закрыть")
    await manager.press("✅ Подтвердить", next(m for m in manager.messages if "aff-7" in m.plain))
    harness.clock.advance(10 * 24 * 3600)  # past the reopen window: a new ticket
    await anna.send("/support Снова вопрос")
    card = next(m.plain for m in reversed(manager.messages) if "Обращение №2" in m.plain)
    assert "ID в партнёрской сети: aff-7\n" in card
    assert "Уровень: " in card
    assert "ждёт подтверждения" not in card
    assert "ID не привязан" not in card

    # no id at all: «нет» on both lines, as before
    boris = harness.user(1904, "Борис")
    await boris.onboard()
    await boris.send("/support Вопрос")
    card = next(m.plain for m in reversed(manager.messages) if "Обращение №3" in m.plain)
    assert "ID в партнёрской сети: нет\n" in card
    assert "Уровень: нет (ID не привязан)" in card


@pytest.mark.parametrize(
    "side",
    [Side("vk", "Рассылки: только во ВКонтакте"), Side("max", "Рассылки: только в MAX")],
    ids=["vk", "max"],
)
async def test_the_ticket_card_on_vk_and_max_shows_a_pending_link(
    side: Side, tmp_path: Path
) -> None:
    async with side.running(tmp_path, managers_chat=True) as harness:
        harness.vk_manager()
        harness.max_manager()
        partner = side.person(harness, 1906, "Вера")
        await partner.onboard()
        await partner.send("/link aff-9")
        await partner.send("/support Где статистика?")
        (card,) = [text for text in side.managers_chat(harness) if "Обращение №1" in text]
        assert "ID в партнёрской сети: aff-9 (ждёт подтверждения)" in card
        assert "Уровень: нет (ID ждёт подтверждения)" in card
