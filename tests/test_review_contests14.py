"""Re-check of session 14 (contests): a running contest is not announced as new (since
session 28: as running), a cancel counts people, and whoever heard of a contest at
onboarding hears it was cancelled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.harness import Client, Harness, MaxPerson, running_bot


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, maxbot=True) as running:
        running.max_manager()
        yield running


def _to(harness: Harness, when: datetime) -> None:
    harness.clock.advance((when - harness.clock.now()).total_seconds())


async def _card(manager: Client, title: str) -> None:
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if title in b), listing)


async def cancel(manager: Client, title: str) -> None:
    """The contest's card in /contests_admin, ❌ and the confirmation."""
    await _card(manager, title)
    await manager.press("❌ Отменить конкурс")
    await manager.press("Да, отменить")


def _cancels(chat: Client | MaxPerson) -> int:
    return sum(1 for m in chat.messages if m.plain.startswith("❌ Конкурс «Зимний марафон"))


async def test_a_running_contest_is_not_announced_as_new(harness: Harness) -> None:
    """Before: the card of a file contest that started four days ago had «📣 Объявить»;
    the manager was warned it «начнётся меньше чем через 7 дней», and «Всё равно
    объявить» sent «Новый конкурс! Старт уже 14.12…». Since session 28 a contest nobody
    announced is shown to no partner, so its card keeps «📣 Объявить» after the start (a
    stale one too), warns that it runs unseen, and announces it as running: «Новый
    конкурс — уже идёт!», never «Старт уже»."""
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1401, "Анна")
    await anna.onboard()
    _to(harness, datetime(2026, 12, 10, 9, 0, tzinfo=UTC))  # four days before the start
    await _card(manager, "Зимний марафон")
    old_card = manager.last
    assert "📣 Объявить" in old_card.button_labels
    _to(harness, datetime(2026, 12, 18, 9, 0, tzinfo=UTC))  # it runs since 14.12
    await _card(manager, "Зимний марафон")
    assert manager.last.plain.startswith("🟡 Зимний марафон диванов — идёт, но не объявлен")
    assert "📣 Объявить" in manager.last.button_labels
    before = len(anna.messages)
    await manager.press("📣 Объявить", old_card)
    assert old_card.plain.startswith("⚠️ Конкурс идёт с 14.12.2026 00:00, но не объявлен")
    assert "начнётся меньше чем" not in old_card.plain
    await manager.press("📣 Всё равно объявить", old_card)
    await harness.deliver()
    told = [m.plain for m in anna.messages[before:] if "Новый конкурс" in m.plain]
    assert len(told) == 1, told
    assert told[0].startswith("📣 Новый конкурс — уже идёт!"), told
    assert "Старт уже" not in told[0]


async def test_a_cancel_counts_people_and_tells_each_chat_once(harness: Harness) -> None:
    """Before: one person with Telegram and MAX linked — the announcement said «1
    партнёру», the cancel «Об отмене узнают 2 партнёра». Now: 1, and each chat of theirs
    that had the announcement gets the cancel once."""
    manager = harness.manager()
    await manager.send("/start")
    on_max, on_tg = harness.max_user(1402, "Tom"), harness.user(1402, "Tom")
    for chat in (on_max, on_tg):
        await chat.onboard()
    for platform, chat in (("max", on_max), ("tg", on_tg)):
        await chat.send("/link aff-1402")
        await manager.send(f"/approve_link {platform}:1402")
    _to(harness, datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    await _card(manager, "Зимний марафон")
    await manager.press("📣 Объявить")
    await manager.press("📣 Всё равно объявить")
    assert manager.last.plain.startswith("📣 Объявление в очереди: 1 партнёр")
    await harness.deliver()
    await cancel(manager, "Зимний марафон")
    assert "1 партнёр" in manager.last.plain, manager.last.plain
    await harness.deliver()
    # each chat had the announcement: each gets the cancel, once
    assert [_cancels(on_max), _cancels(on_tg)] == [1, 1]


async def test_a_partner_told_at_onboarding_hears_of_the_cancel(harness: Harness) -> None:
    """Before: a partner who onboarded after the announcement saw «🏆 Конкурс «Зимний
    марафон диванов» (с 14.12)», and the cancel said «Об отмене узнают 0 партнёров» and
    sent them nothing. Now they are counted and told, once."""
    manager = harness.manager()
    await manager.send("/start")
    _to(harness, datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    await _card(manager, "Зимний марафон")
    await manager.press("📣 Объявить")  # nine days ahead: no warning
    assert manager.last.plain.startswith("📣 Объявление в очереди: 0 партнёров")
    vera = harness.user(1403, "Вера")
    await vera.onboard()
    assert any("🏆 Конкурс «Зимний марафон диванов»" in m.plain for m in vera.messages)
    await cancel(manager, "Зимний марафон")
    assert "узнает 1 партнёр" in manager.last.plain, manager.last.plain
    await harness.deliver()
    assert _cancels(vera) == 1


async def test_told_at_onboarding_and_by_a_reminder_hears_of_the_cancel_once(
    harness: Harness,
) -> None:
    """The end of onboarding and then a reminder told the partner: one cancel, one person."""
    manager = harness.manager()
    await manager.send("/start")
    _to(harness, datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    await _card(manager, "Зимний марафон")
    await manager.press("📣 Объявить")
    vera = harness.user(1404, "Вера")
    await vera.onboard()
    _to(harness, datetime(2026, 12, 11, 9, 0, tzinfo=UTC))  # the 3-day reminder is due
    await harness.services.planner.tick()
    await harness.deliver()
    assert any("Зимний марафон" in m.plain for m in vera.messages[-1:])
    await cancel(manager, "Зимний марафон")
    assert "узнает 1 партнёр" in manager.last.plain, manager.last.plain
    await harness.deliver()
    assert _cancels(vera) == 1


async def test_told_at_onboarding_hears_of_new_dates(harness: Harness) -> None:
    """New dates reach whoever was told of the contest, the end of onboarding included."""
    _to(harness, datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    contest = await harness.services.contests.contest("winter-sofas")
    assert contest is not None
    await harness.services.notices.announce_contest(contest)
    vera = harness.user(1405, "Вера")
    await vera.onboard()
    changed = await harness.services.notices.contest_changed(contest, "dates")
    assert changed.told == 1
    await harness.deliver()
    assert vera.last.plain.startswith("🗓 Конкурс «Зимний марафон диванов» переносится")
