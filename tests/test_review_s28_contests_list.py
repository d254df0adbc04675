"""/contests as /top (a tester of session 28): `/contests` listed the running contests by
their start while `/top` puts the one that ends first first, and for the same board said
«Больше всего продаж: пока не в зачёте» where `/top` said «Вы пока не в зачёте: нужно от 3,
у вас 2 — осталось 1». `/contests` lists the running contests in `/top`'s order (then the
upcoming ones) and says what is left to a threshold, from the same service code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services.conversions import ConversionIn
from tests.harness import Client, Harness, running_bot

NOW = datetime(2026, 12, 14, 7, 1, tzinfo=UTC)  # 14.12 10:01 in Moscow


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path) as running:
        yield running


async def contest_new(manager: Client, title: str, starts: str, ends: str) -> None:
    """A manager's contest made with /contest_new: three prize categories, for everyone."""
    await manager.send("/contest_new")
    prizes = "first_sales: 1 000 ₽\nmost_sales: 5 000 ₽; 3 000 ₽ | от 2\ntop_amount: Кресло"
    for text in (title, "Кто больше продаст.", starts, ends, "все", prizes, "0"):
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    assert any(c.title == title for c in await manager.harness.services.contests.active())


async def test_contests_lists_them_in_tops_order_and_says_what_is_left(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    # it starts before the demo marathon (14.12 – 28.12) and ends after it
    await contest_new(manager, "Долгий забег", "07.12.2026 10:00", "31.12.2026")
    await contest_new(manager, "Январский старт", "11.01.2027 10:00", "25.01.2027")
    await harness.services.planner.tick()  # the demo contest announced
    anna = harness.user(2811, "Анна")
    await anna.onboard()
    person = await harness.services.partners.by_user("tg", 2811)
    assert person is not None
    await harness.services.partners.approve_link(
        await harness.services.partners.request_link(person, "aff-2811")
    )
    harness.clock.advance((NOW - harness.clock.now()).total_seconds())
    for number in (1, 2):
        item = ConversionIn(
            "aff-2811", f"s{number}", "approved", Decimal(20000), "RUB", harness.clock.now()
        )
        await harness.services.sales.record(item, "csv")

    top = [m.plain.splitlines()[0] for m in await anna.send("/top")]
    assert [header.partition(" — ")[0] for header in top[::3]] == [
        "🏆 Зимний марафон диванов",
        "🏆 Долгий забег",
    ], top
    cards = [m.plain for m in await anna.send("/contests")]
    assert [card.splitlines()[0] for card in cards] == [
        "🏆 Зимний марафон диванов",
        "🏆 Долгий забег",
        "🏆 Январский старт",
    ], cards
    marathon = cards[0]
    assert "• Первые продажи: №1 (1)" in marathon, marathon
    assert (
        "• Больше всего продаж: пока не в зачёте — нужно от 3, у вас 2, осталось 1" in marathon
    ), marathon
    assert (
        "• Сумма продаж, ₽: пока не в зачёте — нужно от 50 000, у вас 40 000, осталось 10 000"
    ) in marathon, marathon
    assert "• Больше всего продаж: №1 (2)" in cards[1], cards[1]  # from 2: counted
