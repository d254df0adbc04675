"""/schedule and an announcement's delivery report count people, as the announcement
preview does (docs/people-and-order.md): a person whose Telegram and VK chats are linked to
one affiliate id is one recipient; the messages are named in brackets when there are more
of them than people."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Client, Harness, VkClient, running_bot


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as running:
        yield running


async def _two_people_three_chats(harness: Harness) -> tuple[Client, VkClient, Client]:
    anna, anna_vk, boris = (
        harness.user(931, "Анна"),
        harness.vk_user(932, "Анна"),
        harness.user(933, "Борис"),
    )
    for chat in (anna, anna_vk, boris):
        await chat.onboard()
    partners = harness.services.partners
    for platform, user_id in (("tg", 931), ("vk", 932)):
        found = await partners.by_user(platform, user_id)
        assert found is not None
        await partners.approve_link(await partners.request_link(found, "aff-anna"))
    return anna, anna_vk, boris


async def test_schedule_counts_people_with_the_messages_in_brackets(harness: Harness) -> None:
    await _two_people_three_chats(harness)
    manager = harness.manager()
    await manager.send("/start")
    lines = (await manager.send("/schedule"))[-1].plain.splitlines()
    assert any(
        line.endswith("еженедельный дайджест — 2 получателя (3 сообщения)") for line in lines
    ), lines
    assert any(
        line.endswith("анонс конкурса «Зимний марафон диванов» — 2 получателя (3 сообщения)")
        for line in lines
    ), lines


async def test_the_delivery_report_counts_people_as_the_preview(harness: Harness) -> None:
    anna, anna_vk, boris = await _two_people_three_chats(harness)
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    audience = (await manager.send("Вебинар в четверг"))[-1]
    await manager.press("👥 Всем партнёрам", audience)
    await manager.press("Сейчас", manager.messages[-1])
    header, preview = manager.messages[-2:]
    assert "— 2 получателя" in header.plain
    assert "Сообщений уйдёт 3" in header.plain
    await manager.press("✅ Отправить", preview)
    await harness.deliver()
    for chat in (anna, anna_vk, boris):
        assert chat.last.text == "Вебинар в четверг"

    await harness.services.planner.tick()
    await harness.deliver()
    report = manager.messages[-1].plain
    assert report.startswith("📊 Отчёт о рассылке №1")
    assert "Доставлено: 2 получателям (3 сообщения)" in report
    listing = (await manager.send("/announcements"))[-1].plain
    assert "Получатели: все партнёры (2)" in listing
    assert "Доставлено 2 получателям (3 сообщения), в очереди 0" in listing
