"""Journeys on VK: the same handlers, through the VK emulator (long poll, messages.send
with random_id, callback buttons, uploads), and across platforms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db.tables import partners
from tests.harness import (
    MANAGER_ID,
    VK_MANAGER_ID,
    Harness,
    chats_emulator,
    running_bot,
)

FORUM = -1001234567890
VK_CHAT = 2_000_000_001


@pytest.fixture
async def vk_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as running:
        yield running


async def test_onboarding_and_menu_on_vk(vk_harness: Harness) -> None:
    vera = vk_harness.vk_user()
    replies = await vera.send("Начать")
    assert "Вера" in replies[0].text
    assert replies[-1].keyboard is not None
    await vera.onboard()
    partner = await vk_harness.services.partners.by_user("vk", vera.user_id)
    assert partner is not None
    assert partner.onboarded
    assert partner.platform == "vk"
    # no HTML reaches VK
    assert all("<b>" not in m.text and "&lt;" not in m.text for m in vera.messages)


async def test_every_partner_command_on_vk(vk_harness: Harness) -> None:
    vera = vk_harness.vk_user(201)
    await vera.onboard("Вебмастер")

    replies = await vera.send("help")  # a command word without the slash
    assert "Обучение" in " ".join(replies[-1].button_labels)
    replies = await vera.send("когда выплаты")
    assert "10 и 25 числа" in replies[-1].text
    replies = await vera.send("/faq")
    assert replies[-1].keyboard is not None

    replies = await vera.send("/lessons")
    first_lesson = replies[-1].button_labels[0]
    replies = await vera.press(first_lesson)
    assert replies[-1].text
    assert "<" not in replies[-1].text

    await vera.send("/creatives")
    await vera.press("Баннеры (1)")
    replies = await vera.press("Баннер «Диваны −20%» 728×90")
    assert replies[-1].attachments
    assert replies[-1].attachments[0].startswith("doc-777_")
    assert "Диваны" in replies[-1].text
    uploads = len(vk_harness.vk.uploads)  # type: ignore[union-attr]
    await vera.press("Баннер «Диваны −20%» 728×90")
    assert len(vk_harness.vk.uploads) == uploads  # type: ignore[union-attr]  # cached

    partner = await vk_harness.services.partners.by_user("vk", 201)
    assert partner is not None
    replies = await vera.send("/me")
    assert f"Код партнёра: {partner.partner_code}" in replies[-1].text

    replies = await vera.send("/settings")
    assert "✅ Еженедельный дайджест" in replies[-1].button_labels
    await vera.press("✅ Еженедельный дайджест")
    assert "❌ Еженедельный дайджест" in vera.last.button_labels  # edited in place
    assert vera.last.edits == 1
    assert vk_harness.vk.event_answers[-1]["data"]["text"] == "Сохранено"  # type: ignore[union-attr]

    replies = await vera.send("/contests")
    assert replies[-1].text
    replies = await vera.send("/top")
    assert replies[-1].text

    vk_harness.manager()
    vk_harness.vk_manager()
    replies = await vera.send("link 55501")
    assert "55501" in replies[-1].text
    # the request reaches the managers on both platforms, with the VK id
    assert "vk:201" in vk_harness.emulator.chat_messages(900001)[-1].plain
    assert "vk:201" in vk_harness.vk.chat_messages(800001)[-1].text  # type: ignore[union-attr]

    replies = await vera.send("/stop")
    assert replies[-1].text.startswith("Вы отписаны от всех рассылок")
    partner = await vk_harness.services.partners.by_user("vk", 201)
    assert partner is not None
    assert partner.stopped

    await vera.send("/forget")
    await vera.press(vera.last.button_labels[0])
    assert "данные удалены" in vera.last.text
    assert await vk_harness.services.partners.by_user("vk", 201) is None


async def test_vk_partner_ticket_with_managers_in_a_telegram_forum(tmp_path: Path) -> None:
    async with chats_emulator() as emulator:
        emulator.add_group(FORUM, "Менеджеры", forum=True)
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, vk=True, tg_managers_chat_id=FORUM
        ) as harness:
            vera = harness.vk_user(202)
            await vera.onboard("Блогер")
            await vera.send("/support")
            replies = await vera.send("Не пришла выплата за октябрь")
            assert replies[-1].text.startswith("Обращение №1 открыто")
            assert replies[-1].button_labels == ["✅ Вопрос решён, закрыть"]

            (thread,) = [t for (chat, t) in emulator.topics if chat == FORUM]
            card, relayed = emulator.chat_messages(FORUM)
            assert "vk:202" in card.plain
            assert relayed.plain == "Не пришла выплата за октябрь"
            assert relayed.thread_id == thread

            # a photo from VK crosses as its caption and a line about the photo
            harness.clock.advance(1)
            ts = harness.vk.user_message(  # type: ignore[union-attr]
                202,
                "скриншот",
                attachments=[{"type": "photo", "photo": {"id": 5, "owner_id": 202}}],
            )
            await harness.vk.wait_processed(ts)  # type: ignore[union-attr]
            assert emulator.chat_messages(FORUM)[-1].plain.startswith("скриншот")
            assert "фото" in emulator.chat_messages(FORUM)[-1].plain

            # the manager answers in the topic: the VK partner gets it from the community
            harness.clock.advance(1)
            update = emulator.user_message(
                MANAGER_ID, "Выплата <ушла> вчера", chat_id=FORUM, thread_id=thread
            )
            await emulator.wait_processed(update)
            assert vera.last.text == "Выплата <ушла> вчера"

            harness.clock.advance(1)
            update = emulator.user_message(MANAGER_ID, "/close", chat_id=FORUM, thread_id=thread)
            await emulator.wait_processed(update)
            assert vera.last.text.startswith("Обращение №1 закрыто")
            await vera.press("👍 Помогли")
            assert "Оценка по обращению №1: 👍" in emulator.chat_messages(FORUM)[-1].plain


async def test_vk_managers_chat_reply_mode(tmp_path: Path) -> None:
    async with running_bot(tmp_path, vk=True, vk_managers_peer_id=VK_CHAT) as harness:
        vk = harness.vk
        assert vk is not None
        vk.add_chat(VK_CHAT, "Менеджеры")
        harness.vk_manager()
        vera = harness.vk_user(203)
        await vera.onboard()
        await vera.send("/support")
        await vera.send("Где мой промокод?")
        card, relayed = vk.chat_messages(VK_CHAT)
        assert "Обращение №1" in card.text
        assert "ответьте" in card.text.lower()
        assert relayed.text == "Где мой промокод?"
        assert not relayed.forwarded  # a copy from the community, not a forward

        # a manager replies to the relayed message in the VK chat
        harness.clock.advance(1)
        ts = vk.user_message(VK_MANAGER_ID, "Промокод в письме", peer_id=VK_CHAT, reply_to=relayed)
        await vk.wait_processed(ts)
        assert vera.last.text == "Промокод в письме"
        # and the partner's answer goes back to the managers' chat
        await vera.send("Спасибо, нашла")
        assert vk.chat_messages(VK_CHAT)[-1].text == "Спасибо, нашла"


async def test_announcement_to_500_vk_partners_in_few_requests(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    now = vk_harness.clock.now()
    people = [(300_000 + n, f"Партнёр {n}") for n in range(500)]
    async with vk_harness.services.db.write() as conn:
        await conn.execute(
            partners.insert(),
            [
                {
                    "platform": "vk",
                    "user_id": user_id,
                    "chat_id": user_id,
                    "first_name": name,
                    "onboarded": True,
                    "consent": True,
                    "partner_code": f"V{user_id}",
                    "created_at": now,
                    "last_seen_at": now,
                    "answers": {},
                    "subscriptions": {},
                }
                for user_id, name in people
            ],
        )
    for user_id, name in people:
        vk.add_user(user_id, name)
    vk.users[300_007].allowed = False  # never allowed messages from the community: 901
    manager = vk_harness.vk_manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Новая акция: диваны −30% <до воскресенья>")
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    header = manager.messages[-2].text
    assert "500 получателей" in header
    replies = await manager.press("✅ Отправить")
    assert replies[-1].text.startswith("✅ Рассылка №1 поставлена в очередь: 500 сообщений")
    requests_before = len(vk.requests)
    await vk_harness.deliver()
    sends = [r for r in vk.requests[requests_before:] if r.method == "messages.send"]
    assert len(sends) == 5  # 100 recipients a request
    received = [vk.chat_messages(user_id) for user_id, _ in people]
    assert sum(len(messages) for messages in received) == 499
    assert received[0][-1].text == "Новая акция: диваны −30% <до воскресенья>"
    assert received[0][-1].button_labels == ["👍", "👎"]
    blocked = await vk_harness.services.partners.by_user("vk", 300_007)
    assert blocked is not None
    assert blocked.unreachable
    # delivering again sends nothing more
    await vk_harness.deliver()
    assert sum(len(vk.chat_messages(user_id)) for user_id, _ in people) == 499
