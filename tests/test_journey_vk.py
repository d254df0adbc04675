"""Journeys on VK: the same handlers, through the VK emulator (long poll, messages.send
with random_id, callback buttons, uploads), and across platforms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import (
    Harness,
    VkClient,
    running_bot,
)


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


async def test_unknown_events_and_old_payloads(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    vera = vk_harness.vk_user(205)
    await vera.onboard()
    await vk.wait_processed(vk.push_event("wall_post_new", {"id": 1, "text": "пост"}))
    await vk.wait_processed(vk.push_event("message_new", {"message": "not an object"}))
    # a press on a keyboard from an older version of the bot: "no longer available"
    menu = vera.last
    event = vk.push_event(
        "message_event",
        {
            "user_id": 205,
            "peer_id": 205,
            "event_id": "old1",
            "payload": {"button": "legacy"},
            "conversation_message_id": menu.cmid,
        },
    )
    vk._open_events["old1"] = (205, 205)
    await vk.wait_processed(event)
    assert vk.event_answers[-1]["data"]["text"].startswith("Этот пункт больше недоступен")
    # and the bot still answers
    replies = await vera.send("когда выплаты")
    assert "10 и 25 числа" in replies[-1].text


async def test_text_buttons_for_clients_without_callbacks(vk_harness: Harness) -> None:
    vera = vk_harness.vk_user(206, callbacks=False)
    await vera.onboard()
    replies = await vera.send("/settings")
    buttons = replies[-1].buttons
    assert {b["action"]["type"] for b in buttons} == {"text"}
    assert replies[-1].keyboard is not None
    await vera.press("✅ Еженедельный дайджест")
    assert "❌ Еженедельный дайджест" in vera.last.button_labels
    partner = await vk_harness.services.partners.by_user("vk", 206)
    assert partner is not None
    assert partner.subscriptions["digest"] is False


async def test_long_text_is_split_by_paragraphs_each_with_its_own_random_id(
    vk_harness: Harness,
) -> None:
    vk = vk_harness.vk
    assert vk is not None
    assert vk_harness.vk_bot is not None
    vk_harness.vk_user(207)
    text = "\n\n".join(f"Абзац {n}: " + "слово " * 60 for n in range(30))  # ~11,000 chars
    await vk_harness.vk_bot.send_message(207, text)
    parts = vk.chat_messages(207)
    assert len(parts) == 3
    assert all(len(p.text) <= 4096 for p in parts)
    assert all(p.text.startswith("Абзац") for p in parts)
    assert len({p.random_id for p in parts}) == 3


async def test_deny_and_allow_messages(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    vera = vk_harness.vk_user(208)
    await vera.onboard()
    await vk.wait_processed(vk.allow(208, allowed=False))
    partner = await vk_harness.services.partners.by_user("vk", 208)
    assert partner is not None
    assert partner.unreachable
    await vk.wait_processed(vk.allow(208))
    partner = await vk_harness.services.partners.by_user("vk", 208)
    assert partner is not None
    assert not partner.unreachable


VK_COMMUNITY = 2_000_000_002


async def test_the_partners_chat_on_vk_and_the_referral_link(tmp_path: Path) -> None:
    from decimal import Decimal

    from bot.services.sales import ConversionIn

    async with running_bot(tmp_path, vk=True, vk_community_peer_id=VK_COMMUNITY) as harness:
        vk = harness.vk
        assert vk is not None
        vk.add_chat(VK_COMMUNITY, "Партнёры МебельДом")
        vera = harness.vk_user(210)
        await vera.onboard()
        partner = await harness.services.partners.by_user("vk", 210)
        assert partner is not None
        me = (await vera.send("/me"))[-1].text
        link = f"https://vk.me/partners?ref=ref_{partner.partner_code}"
        assert link in me

        # a friend follows the link and presses "Начать"
        friend = harness.vk_user(211, "Олег")
        harness.clock.advance(1)
        await vk.wait_processed(vk.user_message(211, "Начать", ref=f"ref_{partner.partner_code}"))
        assert friend.messages
        invited = await harness.services.partners.by_user("vk", 211)
        assert invited is not None
        assert invited.referrer_id == partner.id

        # someone joins the partners' chat: welcomed, with a button to the community's chat
        vk.add_user(213, "Ольга")
        await vk.wait_processed(vk.join(213, VK_COMMUNITY))
        welcome = vk.chat_messages(VK_COMMUNITY)[-1]
        assert welcome.text.startswith("Добро пожаловать, Ольга!")
        assert welcome.buttons[0]["action"]["link"] == "https://vk.me/partners?ref=hi"

        # in the partners' chat: a sure question is answered, a mention of the community too
        in_chat = VkClient(harness, 210, peer_id=VK_COMMUNITY)
        replies = await in_chat.send("Ребята, когда выплаты?")
        assert "10 и 25 числа" in replies[-1].text
        replies = await in_chat.send("[club777|@partners] где взять рефку")
        assert "Инструменты → Ссылки" in replies[-1].text
        replies = await in_chat.send("[club777|@partners] как дела у всех")
        assert replies[-1].text.startswith("Не нашёл ответа на это в FAQ")
        assert replies[-1].buttons[0]["action"]["link"] == "https://vk.me/partners?ref=support"

        # the weekly leaderboard reaches the VK chat with its picture
        partner = await harness.services.partners.request_link(partner, "a-210")
        await harness.services.partners.approve_link(partner)
        sale = ConversionIn("a-210", "v-1", "approved", Decimal(100), "RUB", harness.clock.now())
        await harness.services.sales.record(sale, "postback")
        await harness.services.notices.weekly_leaderboard("test")
        await harness.deliver()
        post = vk.chat_messages(VK_COMMUNITY)[-1]
        assert post.attachments
        assert post.attachments[0].startswith("photo-777_")
        assert "Рейтинг" in post.text
