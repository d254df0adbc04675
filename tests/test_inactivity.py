"""Who is inactive: one definition for the daily nudge and /announce's «💤 Неактивным»
(bot/services/inactivity.py) — no approved sale for `inactive_after_days` and in the
program that long; someone who joined minutes ago is not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services.conversions import ConversionIn
from tests.harness import Harness, running_bot

DAY = 24 * 3600


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as running:
        yield running


async def _link(harness: Harness, platform: str, user_id: int, affiliate: str) -> None:
    partners = harness.services.partners
    found = await partners.by_user(platform, user_id)
    assert found is not None
    await partners.approve_link(await partners.request_link(found, affiliate))


async def _inactive_names(harness: Harness) -> set[str]:
    recipients = await harness.services.announcements.recipients("inactive")
    return {p.first_name.split()[0] for p in recipients}


async def test_new_partners_are_not_inactive_in_the_announcement_preview(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    for user_id, name in ((931, "Анна"), (932, "Борис")):
        await harness.user(user_id, name).onboard()
    await manager.send("/announce")
    await manager.send("Как дела с продажами?")
    await manager.press("💤 Неактивным")
    assert manager.messages[-2].plain == "В этой аудитории сейчас никого нет — выберите другую."
    assert manager.last.plain == "Кому отправить?"
    assert (await harness.services.announcements.reach("inactive")).people == 0
    assert (await harness.services.notices.nudges(30, 3)).queued == 0


async def test_the_nudge_and_the_audience_agree_on_who_is_inactive(harness: Harness) -> None:
    days = harness.services.content_store.content.program.schedule.inactive_after_days
    anna, boris, vera = (
        harness.user(941, "Анна"),
        harness.user(942, "Борис"),
        harness.user(943, "Вера"),
    )
    for chat in (anna, boris, vera):
        await chat.onboard()
    await _link(harness, "tg", 942, "aff-b")
    await _link(harness, "tg", 943, "aff-v")
    harness.clock.advance(days * DAY - 60)
    assert await _inactive_names(harness) == set()  # a minute short of the period
    harness.clock.advance(60)
    # Борис sold a day ago; Вера's VK chat is new, but she has been in the program all along
    sale = ConversionIn(
        "aff-b", "o-1", "approved", Decimal(100), "RUB", harness.clock.now() - timedelta(days=1)
    )
    await harness.services.sales.record(sale, "postback")
    gena = harness.user(944, "Гена")  # joined today
    await gena.onboard()
    vk = harness.vk_user(945, "Вера")
    await vk.onboard()
    await _link(harness, "vk", 945, "aff-v")
    assert await _inactive_names(harness) == {"Анна", "Вера"}
    quiet = await harness.services.sales.inactive(
        await harness.services.partners.audience("news"), days
    )
    assert sorted((q.partner.platform, q.partner.first_name.split()[0]) for q in quiet) == [
        ("tg", "Анна"),
        ("tg", "Вера"),
        ("vk", "Вера"),
    ]
    nudged = await harness.services.notices.nudges(days, 3)
    assert nudged.queued == 3
    await harness.deliver()
    assert anna.last.plain.startswith("Анна, давно не было продаж")
    assert not any("давно не было продаж" in m.plain for m in boris.messages + gena.messages)
