"""Journeys on VK: the same handlers, through the VK emulator (long poll, messages.send
with random_id, callback buttons, uploads), and across platforms."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db.tables import partners
from bot.notices import private
from bot.services.partners import Partner
from bot.vk.delivery import VkDelivery
from tests.harness import (
    MANAGER_ID,
    VK_MANAGER_ID,
    Harness,
    VkClient,
    chats_emulator,
    running_bot,
)

FORUM = -1001234567890
VK_CHAT = 2_000_000_001


@pytest.fixture
async def vk_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as running:
        yield running


async def subscribed_vk_partners(harness: Harness, first: int, count: int) -> list[Partner]:
    """VK people who subscribed to everything (without walking each through onboarding)."""
    people = []
    for user_id in range(first, first + count):
        harness.vk_user(user_id, f"Имя{user_id}")
        partner = await harness.services.partners.touch("vk", user_id, user_id, "И", None, "ru")
        people.append(await harness.services.partners.finish_onboarding(partner, consent=True))
    return people


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


async def test_long_poll_failures_and_drops_lose_and_repeat_nothing(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    vera = vk_harness.vk_user(204)
    await vera.onboard()
    answered = []
    for round_, fault in enumerate((1, 2, 3, "drop", 1, "drop", 3)):
        if fault == "drop":
            vk.drop_long_poll()
        else:
            vk.fail_long_poll(int(fault))
        replies = await vera.send("когда выплаты")
        answered.append(len(replies))
        assert "10 и 25 числа" in replies[-1].text, round_
    assert answered == [1] * 7  # each question answered once

    # the same event delivered twice is handled once
    before = len(vera.messages)
    ts = vk.user_message(204, "когда выплаты")
    await vk.wait_processed(ts)
    again = vk.repeat_event(ts)
    await vk.wait_processed(again)
    assert len(vera.messages) == before + 1


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


async def test_one_person_two_chats_same_numbers_and_a_preferred_platform(
    vk_harness: Harness,
) -> None:
    from decimal import Decimal

    from bot.services.sales import ConversionIn

    manager = vk_harness.manager()
    await manager.send("/start")
    vk_harness.vk_manager()
    anna = vk_harness.user(709, "Анна")
    await anna.onboard()
    vera = vk_harness.vk_user(209, "Анна")
    await vera.onboard()
    await anna.send("/link aff-77")
    await manager.press("✅ Подтвердить")
    await vera.send("link aff-77")
    await manager.press("✅ Подтвердить")
    assert vera.last.text.startswith("✅ ID aff-77 привязан")

    november = vk_harness.clock.now()
    for number in range(3):
        item = ConversionIn("aff-77", f"o-{number}", "approved", Decimal(1000), "RUB", november)
        await vk_harness.services.sales.record(item, "postback")
    telegram_me = (await anna.send("/me"))[-1].plain
    vk_me = (await vera.send("/me"))[-1].text
    assert "Продажи в этом месяце: 3 продажи" in telegram_me
    assert "Продажи в этом месяце: 3 продажи" in vk_me

    async def announce(text: str) -> None:
        await manager.send("/announce")
        await manager.send(text)
        await manager.press("👥 Всем партнёрам")
        await manager.press("Сейчас")
        await manager.press("✅ Отправить")
        await vk_harness.deliver()

    await announce("Первая новость")
    assert anna.last.plain == "Первая новость"
    assert vera.last.text == "Первая новость"

    # the person chooses VK for automated messages, from either chat
    await vera.send("/settings")
    await vera.press("Рассылки: во всех ваших чатах с ботом")
    assert "Рассылки: только во ВКонтакте" in vera.last.button_labels
    await announce("Вторая новость")
    assert vera.last.text == "Вторая новость"
    assert anna.last.plain == "Первая новость"
    # Telegram's /settings shows the choice too
    await anna.send("/settings")
    assert "Рассылки: только во ВКонтакте" in anna.last.button_labels


async def test_personalised_sends_go_25_to_an_execute(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    people = await subscribed_vk_partners(vk_harness, 400, 60)
    await vk_harness.services.outbox.enqueue(
        [private(f"digest:t:{p.key}", "digest", None, p, f"Ваш код {p.id}") for p in people]
    )
    before = len(vk.requests)
    await vk_harness.deliver()
    executes = [r for r in vk.requests[before:] if r.method == "execute"]
    assert len(executes) == 3  # 25 + 25 + 10
    for partner in people:
        (received,) = vk.chat_messages(partner.user_id)
        assert received.text == f"Ваш код {partner.id}"


async def test_a_broadcast_killed_halfway_resumes_with_no_duplicates(
    vk_harness: Harness,
) -> None:
    vk = vk_harness.vk
    assert vk is not None
    assert vk_harness.vk_bot is not None
    services = vk_harness.services
    people = await subscribed_vk_partners(vk_harness, 500, 40)
    same = [
        private(f"news:1:{p.key}", "news", "news:1", p, "Одна новость для всех") for p in people
    ]
    own = [private(f"digest:1:{p.key}", "digest", None, p, f"Лично для {p.id}") for p in people]
    await services.outbox.enqueue(same + own)

    def crash_after(requests: int) -> None:
        """The process dies once `requests` sends have reached VK: the worker's task is
        cancelled with answers unwritten (the threads finish their requests)."""
        vk.after_requests(requests, task.cancel)

    worker = VkDelivery(vk_harness.vk_bot, services.outbox, services.partners, vk_harness.clock)
    task = asyncio.create_task(worker.drain())
    crash_after(2)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert 0 < vk.sent_count < 80
    # a new worker (the restarted process) drops the dead one's claims and finishes the job
    assert await services.outbox.release_claims() > 0
    await VkDelivery(
        vk_harness.vk_bot, services.outbox, services.partners, vk_harness.clock
    ).drain()
    for partner in people:
        texts = [m.text for m in vk.chat_messages(partner.user_id)]
        assert sorted(texts) == sorted(["Одна новость для всех", f"Лично для {partner.id}"])
    assert vk.duplicates_refused > 0  # the resent requests were dropped by random_id


async def test_flood_control_cools_down_that_recipient_only(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    services = vk_harness.services
    people = await subscribed_vk_partners(vk_harness, 600, 3)
    vk.flooded.add(601)
    await services.outbox.enqueue(
        [private(f"news:9:{p.key}", "news", "news:9", p, "Новость") for p in people]
    )
    await vk_harness.deliver()
    assert [len(vk.chat_messages(p.user_id)) for p in people] == [1, 0, 1]
    report = await services.outbox.report("news:9")
    assert report["queued"] == 1
    # later, the flood control lifted, it goes
    vk.flooded.clear()
    vk_harness.clock.advance(11 * 60)
    await vk_harness.deliver()
    assert [len(vk.chat_messages(p.user_id)) for p in people] == [1, 1, 1]


async def test_too_many_requests_are_retried_not_lost() -> None:
    """Error 6 holds every call for the second, then each is tried again: nothing lost,
    nothing sent inside the window."""
    from dataclasses import replace

    from bot.pacing import VK, Pacer
    from bot.vk.client import VkClient
    from bot.vk.emulator import VkApiEmulator
    from tests.harness import VirtualTime

    time = VirtualTime()
    vk = VkApiEmulator(rate=10, monotonic=time.now)
    await vk.start()
    for peer in range(1, 16):
        vk.add_user(peer, "Вера")
    # a pacing that believes in 1000 a second: the emulator's 10 refuse the rest
    pacer = Pacer(replace(VK, per_second=1000), "777", timer=time)
    client = VkClient(vk.token, vk.base_url, pacer=pacer)
    try:
        results = await asyncio.gather(
            *(
                client("messages.send", peer_ids=[peer], random_id=peer, message=f"№{peer}")
                for peer in range(1, 16)
            )
        )
    finally:
        client.close()
        await vk.stop()
    assert len(results) == 15
    assert vk.rate_limited > 0  # the emulator refused some with error 6
    assert vk.window_violations == 0
    assert [m.text for peer in range(1, 16) for m in vk.chat_messages(peer)] == [
        f"№{peer}" for peer in range(1, 16)
    ]


async def test_flood_control_holds_that_peer_and_keeps_its_order() -> None:
    """Error 9 for one peer: that peer waits, its messages in order; others go on."""
    from bot.pacing import VK, Pacer
    from bot.vk.client import VkClient
    from bot.vk.emulator import VkApiEmulator
    from tests.harness import VirtualTime

    time = VirtualTime()
    vk = VkApiEmulator(monotonic=time.now, peer_burst=1, peer_rate=0.5)
    await vk.start()
    vk.add_user(1, "Вера")
    vk.add_user(2, "Анна")
    client = VkClient(vk.token, vk.base_url, pacer=Pacer(VK, "777", timer=time))
    try:
        await asyncio.gather(
            *(
                client("messages.send", peer_ids=[peer], random_id=n, message=f"{peer}:{n}")
                for n in range(1, 5)
                for peer in (1, 2)
            )
        )
    finally:
        client.close()
        await vk.stop()
    assert vk.flood_refused > 0
    assert vk.window_violations == 0
    assert [m.text for m in vk.chat_messages(1)] == [f"1:{n}" for n in range(1, 5)]
    assert [m.text for m in vk.chat_messages(2)] == [f"2:{n}" for n in range(1, 5)]
    assert not vk.duplicates


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


async def test_a_telegram_announcement_with_a_photo_reaches_vk_with_it(
    vk_harness: Harness,
) -> None:
    vk = vk_harness.vk
    assert vk is not None
    vera = vk_harness.vk_user(212)
    await vera.onboard()
    manager = vk_harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Новые баннеры", kind="photo")
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    await manager.press("✅ Отправить")
    await vk_harness.deliver()
    assert vera.last.text == "Новые баннеры"
    assert vera.last.attachments[0].startswith("photo-777_")
    (upload,) = vk.uploads.values()
    assert upload[1].startswith(b"partnerbot sandbox file")
