"""Session 22's independent testers' findings, each a test seen failing without its fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.telegram.emulator import RateLimits
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

COMMUNITY = -1009876543210


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=COMMUNITY
        ) as running:
            yield running


async def answer(manager: Client, text: str) -> str:
    return (await manager.send(text))[-1].plain


async def _draft_to_prizes(manager: Client, description: str = "Правила.") -> None:
    await manager.send("/contest_new")
    for text in ("Декабрьский", description, "20.12.2026 10:00", "25.12.2026", "все"):
        await manager.send(text)


async def test_prizes_over_the_cards_limits_are_refused_in_the_dialog_and_in_an_edit(
    harness: Harness,
) -> None:
    """119 places in one category passed /contest_new and ✏️ Призы: a card of ~3,900
    characters (two messages on MAX), and the «новые призы» notice to partners was cut
    mid-word, its third category lost. The dialog and the edit keep a contest file's
    limits now: at most 10 places a category, 2,800 characters of texts on the card."""
    manager = harness.manager()
    await manager.send("/start")
    await _draft_to_prizes(manager)
    many = "; ".join(f"Приз {n}" for n in range(1, 12))
    text = await answer(manager, f"первые продажи: 1000 ₽\nбольше продаж: {many}")
    assert "Строка 2: в номинации «больше продаж» 11 мест — не больше 10" in text, text
    assert "Шаг 6 из 8" in text
    long = "; ".join("Сертификат на " + "очень " * 25 + f"хорошую вещь {n}" for n in range(10))
    text = await answer(manager, f"больше продаж: {long}\nсумма: {long}")
    assert "В карточке конкурса вышло бы" in text, text
    assert "не больше 2\xa0800" in text, text
    assert "Шаг 6 из 8" in text
    assert "Шаг 7 из 8" in await answer(manager, "больше продаж: 5 000 ₽; 3 000 ₽")
    await manager.send("0")
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    card = manager.messages[-1]

    await manager.press("✏️ Призы", card)
    text = await answer(manager, f"больше продаж: {long}\nсумма: {long}")
    assert "В карточке конкурса вышло бы" in text, text
    text = await answer(manager, f"больше продаж: {many}")
    assert "11 мест — не больше 10" in text, text
    contest = next(c for c in await harness.services.contests.active() if c.title == "Декабрьский")
    assert [p.places for p in contest.prizes] == [["5 000 ₽", "3 000 ₽"]]  # as it was
    text = await answer(manager, f"больше продаж: {long}")  # ~1,700 characters
    assert text.startswith("✅ Конкурс «Декабрьский» изменён"), text
    await manager.press("✏️ Правила", card)
    text = await answer(manager, "Очень длинные правила. " * 60)  # 1,380 more
    assert "В карточке конкурса вышло бы" in text, text
    contest = next(c for c in await harness.services.contests.active() if c.title == "Декабрьский")
    assert contest.description == "Правила."


async def test_a_contest_announced_on_a_short_notice_can_change_its_end_and_start_later(
    harness: Harness,
) -> None:
    """A contest saved with «Всё равно эту дату» (announced 3 days before its start) got
    «начало должно быть не раньше чем через 7 дн. после объявления» for any new dates —
    the same start with a new end, a later start: only cancel and recreate was left."""
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/contest_new")
    for text in ("Быстрый", "Правила."):
        await manager.send(text)
    warning = (await manager.send("05.11.2026 10:00"))[-1]  # the clock: 02.11.2026 15:00
    await manager.press("Всё равно эту дату", warning)
    for text in ("20.11.2026", "все", "первые продажи: 1000 ₽", "0"):
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    card = manager.messages[-1]
    item = next(c for c in await harness.services.contests.all() if c.contest.title == "Быстрый")
    assert item.announced_at is not None
    await manager.press("✏️ Даты", card)
    text = await answer(manager, "05.11.2026 10:00 — 22.11.2026 18:00")
    assert text.startswith("✅ Конкурс «Быстрый» изменён"), text
    await manager.press("✏️ Даты", card)
    text = await answer(manager, "06.11.2026 10:00 — 22.11.2026 18:00")
    assert text.startswith("✅ Конкурс «Быстрый» изменён"), text
    await manager.press("✏️ Даты", card)
    text = await answer(manager, "04.11.2026 10:00 — 22.11.2026 18:00")  # sooner: refused
    assert text.startswith("⚠️ Конкурс уже объявлен"), text
