"""The unanswered questions in /stats (gaps), their 🔗 picker and the weekly digest: one
count, said the same way everywhere (the different people who asked: a person's chats
linked to one affiliate id are one), and the picker offers entries those people can be
answered with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.harness import Client, Harness, SentMessage, running_bot

DELIVERY = "есть ли доставка в казахстан"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as running:
        yield running


async def _stats(manager: Client) -> SentMessage:
    await manager.send("/stats")
    return next(m for m in reversed(manager.messages) if m.button_labels)


async def _picker(manager: Client, stats: SentMessage, label: str) -> SentMessage:
    await manager.press(label, stats)
    picker = manager.messages[-1]  # a message of its own: /stats stays (session 17)
    assert picker.message_id != stats.message_id
    return picker


async def test_a_gap_counts_the_people_who_asked_the_same_in_stats_picker_and_digest(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna, anna_vk = harness.user(901, "Анна"), harness.vk_user(902, "Анна")
    boris = harness.user(903, "Борис")
    for chat in (anna, anna_vk, boris):
        await chat.onboard()
    partners = harness.services.partners
    for platform, user_id in (("tg", 901), ("vk", 902)):  # Анна: one person, two chats
        found = await partners.by_user(platform, user_id)
        assert found is not None
        await partners.approve_link(await partners.request_link(found, "aff-anna"))

    await anna.send(DELIVERY)
    await anna.send(DELIVERY)  # asked again: still Анна
    await anna_vk.send("доставка в казахстан есть?")  # her other chat: still Анна
    await boris.send(DELIVERY)

    stats = await _stats(manager)
    assert f"1. {DELIVERY} — 2 партнёра" in stats.plain
    await boris.send(DELIVERY)  # after /stats: the button still finds its group
    picker = await _picker(manager, stats, f"🔗 1. {DELIVERY}")
    assert picker.plain.startswith(f"«{DELIVERY}» — 2 партнёра: к какому вопросу FAQ")

    friday = datetime(2026, 11, 6, 9, 5, tzinfo=UTC)  # 12:05 in Moscow: the digest
    harness.clock.advance((friday - harness.clock.now()).total_seconds())
    mark = len(manager.messages)
    await harness.services.planner.tick()
    await harness.deliver()
    (digest,) = [m.plain for m in manager.messages[mark:] if m.plain.startswith("Чего не")]
    assert f"1. {DELIVERY} — 2 партнёра" in digest


async def test_the_gap_picker_offers_what_the_askers_can_be_answered_with(
    harness: Harness,
) -> None:
    """«product-feed» is for webmasters only: bloggers asking about a feed cannot be
    answered with it, so their gap neither hides behind it nor offers it."""
    manager = harness.manager()
    await manager.send("/start")
    question = "фид для инстаграма есть?"
    for number in range(2):
        blogger = harness.user(910 + number, "Блогер")
        await blogger.onboard("Блогер")
        await blogger.send(question)
        await blogger.send("есть ли yml фид товаров")  # webmasters are answered this

    stats = await _stats(manager)
    assert "есть ли yml фид товаров — 2 партнёра" in stats.plain
    label = next(b for b in stats.button_labels if question in b)
    picker = await _picker(manager, stats, label)
    # only entries sharing words with it (social-ads: «инстаграм»), then any other entry
    assert picker.button_labels[0].startswith("social-ads:")
    assert picker.button_labels[-1] == "📋 Другая статья"
    assert not any(b.startswith("product-feed") for b in picker.button_labels)
    await manager.press("📋 Другая статья", picker)
    topics = next(m for m in manager.messages if m.message_id == picker.message_id)
    await manager.press("Промо-материалы", topics)
    promo = next(m for m in manager.messages if m.message_id == picker.message_id)
    assert promo.button_labels[0].startswith("creatives-where:")
    assert not any(b.startswith("product-feed") for b in promo.button_labels)

    webmaster = harness.user(920, "Вебмастер")
    await webmaster.onboard("Вебмастер")
    await webmaster.send(question)  # the group now mixes segments
    stats = await _stats(manager)
    label = next(b for b in stats.button_labels if question in b)
    picker = await _picker(manager, stats, label)
    assert "Спросили партнёры разных сегментов" in picker.plain
    (feed,) = [b for b in picker.button_labels if b.startswith("product-feed")]
    assert feed.endswith("· только Вебмастер")
    others = [b for b in picker.button_labels if b != feed]
    assert others
    assert not any("только" in b for b in others)
