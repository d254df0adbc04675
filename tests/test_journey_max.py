"""Journeys on MAX: the same handlers through the MAX emulator (long polling with marker,
bot_started deep links, callback buttons, uploads that are not ready at once), across
platforms, and MAX's faults. Every request is checked against MAX's OpenAPI schema by
the harness."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import TokenRefused, create_services, prepare_bot, prepare_max_bot
from bot.max.client import MaxClient, MaxRate
from bot.max.delivery import MaxDelivery
from bot.max.emulator import MaxApiEmulator
from bot.max.rights import check_max_rights
from bot.max.session import MaxSession, create_max_bot
from bot.notices import private
from bot.services.partners import Partner
from tests.harness import (
    MANAGER_ID,
    Harness,
    MaxPerson,
    VirtualTime,
    chats_emulator,
    make_settings,
    running_bot,
)


@pytest.fixture
async def max_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, maxbot=True) as running:
        yield running


async def test_onboarding_on_max_by_deep_link(max_harness: Harness) -> None:
    referrer = max_harness.max_user(301, "Ольга")
    await referrer.onboard()
    partner = await max_harness.services.partners.by_user("max", 301)
    assert partner is not None
    assert partner.onboarded
    assert partner.chat_id == referrer.dialog  # the dialog's chat id, not the user id

    maria = max_harness.max_user(302)
    replies = await maria.open(f"ref_{partner.partner_code}")
    assert "Мария" in replies[0].plain
    assert replies[-1].keyboard is not None
    await maria.press(next(b for b in maria.last.button_labels if b.startswith("Вебмастер")))
    newcomer = await max_harness.services.partners.by_user("max", 302)
    assert newcomer is not None
    assert newcomer.referrer_id == partner.id


async def test_every_partner_command_on_max(max_harness: Harness) -> None:
    emulator = max_harness.max
    assert emulator is not None
    emulator.processing = 0.3  # an upload is usable a moment after it is made
    maria = max_harness.max_user(303)
    await maria.onboard()
    # MAX shows HTML: the bot sends only the tags MAX knows (the emulator refuses others)
    assert any(m.markup == "html" for m in maria.messages)

    replies = await maria.send("/help")
    assert "Обучение" in " ".join(replies[-1].button_labels)
    replies = await maria.send("когда выплаты")
    assert "10 и 25 числа" in replies[-1].plain
    replies = await maria.send("/faq")
    assert replies[-1].keyboard

    replies = await maria.send("/lessons")
    replies = await maria.press(replies[-1].button_labels[0])
    assert replies[-1].plain

    await maria.send("/creatives")
    await maria.press("Баннеры (1)")
    replies = await maria.press("Баннер «Диваны −20%» 728×90")
    assert replies[-1].files
    assert replies[-1].files[0]["type"] == "file"
    assert "Диваны" in replies[-1].plain
    assert emulator.not_ready >= 1  # sent before MAX had processed it: waited, sent again
    uploads = len(emulator.uploads)
    await maria.press("Баннер «Диваны −20%» 728×90")
    assert len(emulator.uploads) == uploads  # uploaded once, its token reused

    partner = await max_harness.services.partners.by_user("max", 303)
    assert partner is not None
    replies = await maria.send("/me")
    assert f"Код партнёра: {partner.partner_code}" in replies[-1].plain
    assert (
        f"https://max.ru/{emulator.username}?start=ref_{partner.partner_code}" in replies[-1].plain
    )

    replies = await maria.send("/settings")
    assert "✅ Еженедельный дайджест" in replies[-1].button_labels
    answers = len(emulator.callback_answers)
    await maria.press("✅ Еженедельный дайджест")
    assert "❌ Еженедельный дайджест" in maria.last.button_labels  # edited in place
    assert maria.last.edits == 1
    assert emulator.callback_answers[answers]["notification"] == "Сохранено"

    replies = await maria.send("/contests")
    assert replies[-1].plain
    replies = await maria.send("/top")
    assert replies[-1].plain

    max_harness.manager()  # on Telegram
    await max_harness.max_manager().open()
    replies = await maria.send("/link 55501")
    assert "55501" in replies[-1].plain
    manager_dialog = max_harness.max_manager().messages
    assert "max:303" in manager_dialog[-1].plain

    replies = await maria.send("/stop")
    assert replies[-1].plain.startswith("Вы отписаны от всех рассылок")
    await maria.send("/forget")
    await maria.press(maria.last.button_labels[0])
    assert "данные удалены" in maria.last.plain
    assert await max_harness.services.partners.by_user("max", 303) is None


async def test_no_empty_callback_answer_is_sent(max_harness: Harness) -> None:
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(304)
    await maria.onboard()
    # pressing menu buttons answers with no words: nothing is sent to /answers (MAX
    # refuses an empty answer; the harness fails on any refused request)
    await maria.send("/help")
    await maria.press(maria.last.button_labels[0])
    assert all(a.get("notification") or a.get("message") for a in emulator.callback_answers)


MAX_MANAGERS = -7001
MAX_COMMUNITY = -7002
FORUM = -1001234567890


async def test_max_managers_chat_reply_mode(tmp_path: Path) -> None:
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(MAX_MANAGERS, "Менеджеры")
    try:
        async with running_bot(
            tmp_path, maxbot=emulator, max_managers_chat_id=MAX_MANAGERS
        ) as harness:
            manager = harness.max_manager()
            maria = harness.max_user(310)
            await maria.onboard()
            await maria.send("/support")
            replies = await maria.send("Где мой промокод?")
            assert replies[-1].plain.startswith("Обращение №1 открыто")
            card, relayed = emulator.chat_messages(MAX_MANAGERS)
            assert "Обращение №1" in card.plain
            assert "max:310" in card.plain
            assert relayed.plain == "Где мой промокод?"

            # a manager replies to the relayed message in the MAX chat
            await manager.send("Промокод в <письме>", reply_to=relayed, chat=MAX_MANAGERS)
            assert maria.last.plain == "Промокод в <письме>"
            # an internal note stays in the managers' chat
            await manager.send("!проверить позже", reply_to=relayed, chat=MAX_MANAGERS)
            assert maria.last.plain == "Промокод в <письме>"
            # the partner's answer goes back to the managers' chat
            await maria.send("Спасибо, нашла")
            assert emulator.chat_messages(MAX_MANAGERS)[-1].plain == "Спасибо, нашла"
            # a partner who stopped the bot: the reply is refused (403), the ticket says so
            emulator.users[310].stopped = True
            await manager.send("Вы тут?", reply_to=relayed, chat=MAX_MANAGERS)
            assert "заблокировал бота" in emulator.chat_messages(MAX_MANAGERS)[-1].plain
            emulator.users[310].stopped = False
            harness.allowed_errors.add("POST /messages")
            # a non-manager's reply in the managers' chat does not reach the partner
            harness.max_user(311, "Посторонний")
            emulator.chats[MAX_MANAGERS].members.add(311)
            before = len(maria.messages)
            await MaxPerson(harness, 311).send(
                "я не менеджер", reply_to=relayed, chat=MAX_MANAGERS
            )
            assert len(maria.messages) == before
    finally:
        await emulator.stop()


async def test_a_max_ticket_answered_from_a_telegram_forum_and_back(tmp_path: Path) -> None:
    async with chats_emulator() as telegram:
        telegram.add_group(FORUM, "Менеджеры", forum=True)
        telegram.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=telegram, maxbot=True, tg_managers_chat_id=FORUM
        ) as harness:
            maria = harness.max_user(312)
            await maria.onboard("Блогер")
            await maria.send("/support")
            replies = await maria.send("Не пришла выплата за октябрь")
            assert replies[-1].plain.startswith("Обращение №1 открыто")
            assert replies[-1].button_labels == ["✅ Вопрос решён, закрыть"]
            (thread,) = [t for (chat, t) in telegram.topics if chat == FORUM]
            card, relayed = telegram.chat_messages(FORUM)
            assert "max:312" in card.plain
            assert relayed.plain == "Не пришла выплата за октябрь"

            harness.clock.advance(1)
            update = telegram.user_message(
                MANAGER_ID, "Выплата <ушла> вчера", chat_id=FORUM, thread_id=thread
            )
            await telegram.wait_processed(update)
            assert maria.last.plain == "Выплата <ушла> вчера"
            await maria.send("Пришла, спасибо")
            assert telegram.chat_messages(FORUM)[-1].plain == "Пришла, спасибо"

            harness.clock.advance(1)
            update = telegram.user_message(MANAGER_ID, "/close", chat_id=FORUM, thread_id=thread)
            await telegram.wait_processed(update)
            assert maria.last.plain.startswith("Обращение №1 закрыто")
            await maria.press("👍 Помогли")
            assert "Оценка по обращению №1: 👍" in telegram.chat_messages(FORUM)[-1].plain


async def test_the_partners_chat_on_max(tmp_path: Path) -> None:
    from decimal import Decimal

    from bot.services.sales import ConversionIn

    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(MAX_COMMUNITY, "Партнёры МебельДом")
    emulator.add_chat(MAX_MANAGERS, "Менеджеры")
    try:
        async with running_bot(
            tmp_path,
            maxbot=emulator,
            max_community_chat_id=MAX_COMMUNITY,
            max_managers_chat_id=MAX_MANAGERS,
        ) as harness:
            maria = harness.max_user(320)
            await maria.onboard()
            # someone joins the partners' chat: welcomed with a link that starts the bot
            harness.max_user(321, "Ольга")
            await emulator.wait_processed(emulator.join(321, MAX_COMMUNITY))
            welcome = emulator.chat_messages(MAX_COMMUNITY)[-1]
            assert welcome.plain.startswith("Добро пожаловать, Ольга!")
            link = welcome.buttons[0]
            assert link["type"] == "link"
            assert link["url"] == f"https://max.ru/{emulator.username}?start=hi"

            # a sure question is answered as a reply; chatter is left alone
            replies = await maria.send("Ребята, когда выплаты?", chat=MAX_COMMUNITY)
            assert "10 и 25 числа" in replies[-1].plain
            assert replies[-1].reply_to is not None
            replies = await maria.send("Ребята, когда выплаты?", chat=MAX_COMMUNITY)
            assert replies == []  # not repeated within 10 minutes
            replies = await maria.send(f"@{emulator.username} как дела у всех", chat=MAX_COMMUNITY)
            assert replies[-1].plain.startswith("Не нашёл ответа на это в FAQ")

            # /report as a reply: a card in the managers' chat
            spam = emulator.messages[MAX_COMMUNITY][-1]
            replies = await maria.send("/report", reply_to=spam, chat=MAX_COMMUNITY)
            assert "max:320" in emulator.chat_messages(MAX_MANAGERS)[-1].plain

            # the weekly leaderboard reaches the MAX chat with its picture
            partner = await harness.services.partners.by_user("max", 320)
            assert partner is not None
            partner = await harness.services.partners.request_link(partner, "a-320")
            await harness.services.partners.approve_link(partner)
            sale = ConversionIn(
                "a-320", "m-1", "approved", Decimal(100), "RUB", harness.clock.now()
            )
            await harness.services.sales.record(sale, "postback")
            await harness.services.notices.weekly_leaderboard("test")
            await harness.deliver()
            post = emulator.chat_messages(MAX_COMMUNITY)[-1]
            assert post.files
            assert post.files[0]["type"] == "image"
            assert "Рейтинг" in post.plain
            # /top in the chat: the picture too
            replies = await maria.send("/top", chat=MAX_COMMUNITY)
            assert any(m.files for m in replies)
    finally:
        await emulator.stop()


async def subscribed_max_partners(harness: Harness, first: int, count: int) -> list[Partner]:
    """MAX people who subscribed to everything (without walking each through onboarding)."""
    emulator = harness.max
    assert emulator is not None
    people = []
    for user_id in range(first, first + count):
        user = emulator.add_user(user_id, f"Имя{user_id}")
        partner = await harness.services.partners.touch(
            "max", user_id, user.dialog, "И", None, "ru"
        )
        people.append(await harness.services.partners.finish_onboarding(partner, consent=True))
    return people


async def test_an_announcement_to_max_partners(max_harness: Harness) -> None:
    emulator = max_harness.max
    assert emulator is not None
    people = await subscribed_max_partners(max_harness, 1000, 60)
    emulator.users[1007].stopped = True  # stopped the bot: 403
    manager = max_harness.max_manager()
    await manager.open()
    await manager.send("/announce")
    await manager.send("Новая акция: диваны −30% <до воскресенья>")
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    assert "60 получателей" in manager.messages[-2].plain
    replies = await manager.press("✅ Отправить")
    assert replies[-1].plain.startswith("✅ Рассылка №1 поставлена в очередь: 60 сообщений")
    max_harness.allowed_errors.add("POST /messages")  # the 403 of the one who stopped
    await max_harness.deliver()
    received = [emulator.dialog_messages(p.user_id) for p in people]
    assert sum(len(messages) for messages in received) == 59
    assert received[0][-1].plain == "Новая акция: диваны −30% <до воскресенья>"
    assert received[0][-1].button_labels == ["👍", "👎"]
    stopped = await max_harness.services.partners.by_user("max", 1007)
    assert stopped is not None
    assert stopped.unreachable
    # a reaction is a callback with a notification; delivering again sends nothing more
    await max_harness.deliver()
    assert sum(len(emulator.dialog_messages(p.user_id)) for p in people) == 59
    assert emulator.rate_limited == 0


async def test_a_broadcast_killed_mid_send_resumes_with_nobody_twice(
    max_harness: Harness,
) -> None:
    emulator = max_harness.max
    assert emulator is not None
    assert max_harness.max_bot is not None
    services = max_harness.services
    people = await subscribed_max_partners(max_harness, 2000, 40)
    await services.outbox.enqueue(
        [private(f"news:1:{p.key}", "news", "news:1", p, "Одна новость для всех") for p in people]
    )

    worker = MaxDelivery(
        max_harness.max_bot, services.outbox, services.partners, max_harness.clock
    )
    task = asyncio.create_task(worker.drain())
    # the process dies as the 7th send is answered: sends in flight were done by MAX, their
    # outcomes never written
    emulator.after_requests(7, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert 0 < emulator.sent_count < 40
    session = max_harness.max_bot.session
    assert isinstance(session, MaxSession)
    assert await services.outbox.release_claims() > 0
    await MaxDelivery(
        max_harness.max_bot, services.outbox, services.partners, max_harness.clock
    ).drain()
    for partner in people:
        texts = [m.plain for m in emulator.dialog_messages(partner.user_id)]
        assert texts == ["Одна новость для всех"], partner.user_id
    assert session.found_sends > 0  # sent before the crash: found in the chat, not resent
    report = await services.outbox.report("news:1")
    assert report == {"sent": 40}


async def test_a_lost_answer_is_looked_up_not_sent_twice(max_harness: Harness) -> None:
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(330)
    await maria.onboard()
    # the answer is done by MAX and lost on the way back: found in the chat
    emulator.lose_answer("POST /messages")
    replies = await maria.send("когда выплаты")
    assert len(replies) == 1
    assert "10 и 25 числа" in replies[0].plain
    # the request is lost before MAX has it: not found in the chat, so sent again
    emulator.drop("POST /messages")
    replies = await maria.send("когда выплаты")
    assert len(replies) == 1
    session = max_harness.max_bot.session if max_harness.max_bot else None
    assert isinstance(session, MaxSession)
    assert session.checked_sends == 2
    assert session.found_sends == 1


async def test_too_many_requests_are_waited_out() -> None:
    time = VirtualTime()  # the holds pass at once, and the emulator counts in that time
    emulator = MaxApiEmulator(rate=5, monotonic=time.now)
    await emulator.start()
    user = emulator.add_user(1, "Мария")
    rate = MaxRate(1000, monotonic=time.now, sleep=time.sleep)
    client = MaxClient(emulator.token, emulator.base_url, rate=rate, sleep=time.sleep)
    try:
        results = await asyncio.gather(
            *(
                client.request(
                    "POST",
                    "/messages",
                    params={"chat_id": user.dialog},
                    body={"text": f"№{n}", "attachments": None, "link": None},
                )
                for n in range(12)
            )
        )
    finally:
        await client.close()
        await emulator.stop()
    assert len(results) == 12
    assert emulator.rate_limited > 0  # refused with 429 …
    assert client.rate.limited > 0  # … and every sender held back
    assert sorted(m.text for m in emulator.chat_messages(user.dialog)) == sorted(
        f"№{n}" for n in range(12)
    )


async def test_max_rate_gives_replies_first_and_holds_everyone_after_a_429() -> None:
    now = [0.0]
    order: list[str] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    rate = MaxRate(10, margin=1.0, monotonic=lambda: now[0], sleep=sleep)

    async def take(name: str, urgent: bool) -> None:
        await rate.turn(urgent=urgent)
        order.append(f"{name}@{now[0]:.1f}")

    await asyncio.gather(take("reply1", True), take("reply2", True))
    rate.hold(1.0)
    broadcast = asyncio.create_task(take("broadcast", False))
    await asyncio.sleep(0)
    await take("reply3", True)
    await broadcast
    assert [item.split("@")[0] for item in order] == ["reply1", "reply2", "reply3", "broadcast"]
    assert float(order[2].split("@")[1]) >= 1.0  # nothing inside the 429's window


async def test_long_polling_through_drops_and_5xx_loses_and_repeats_nothing(
    max_harness: Harness,
) -> None:
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(340)
    await maria.onboard()
    for round_, fault in enumerate(("drop", "502", "drop", "503", "drop")):
        if fault == "drop":
            emulator.drop("GET /updates")
        else:
            emulator.fail("GET /updates", int(fault), "internal.error")
        replies = await maria.send("когда выплаты")
        assert len(replies) == 1, round_
        assert "10 и 25 числа" in replies[-1].plain, round_
    # the same event delivered twice is handled once
    before = len(maria.messages)
    marker = emulator.user_message(340, "когда выплаты")
    await emulator.wait_processed(marker)
    await emulator.wait_processed(emulator.repeat_event(marker))
    assert len(maria.messages) == before + 1
    max_harness.allowed_errors.add("GET /updates")  # the injected 5xx


async def test_unknown_events_stopped_bots_and_removed_chats(tmp_path: Path) -> None:
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(MAX_COMMUNITY, "Партнёры")
    try:
        async with running_bot(
            tmp_path, maxbot=emulator, max_community_chat_id=MAX_COMMUNITY
        ) as harness:
            session = harness.max_bot.session if harness.max_bot else None
            assert isinstance(session, MaxSession)
            maria = harness.max_user(350)
            await maria.onboard()
            for kind in ("message_chat_created", "chat_title_changed", "message_chat_created"):
                await emulator.wait_processed(emulator.push_event(kind, chat_id=MAX_COMMUNITY))
            await emulator.wait_processed(
                emulator.push_event("message_created", message={"body": "not an object"})
            )
            replies = await maria.send("когда выплаты")  # and the bot still answers
            assert "10 и 25 числа" in replies[-1].plain
            assert session._ignored == {"message_chat_created", "chat_title_changed"}

            # the person stops the bot: unreachable, skipped; opening it again comes back
            await emulator.wait_processed(emulator.stop_bot(350))
            partner = await harness.services.partners.by_user("max", 350)
            assert partner is not None
            assert partner.unreachable
            await maria.open()
            partner = await harness.services.partners.by_user("max", 350)
            assert partner is not None
            assert not partner.unreachable

            # the bot is removed from the partners' chat: posts there fail quietly
            await emulator.wait_processed(emulator.remove_bot(MAX_COMMUNITY, by=350))
            assert MAX_COMMUNITY in session.unreachable_chats
            harness.allowed_errors.add("POST /messages")
            await harness.services.notices.weekly_leaderboard("test")
            await harness.deliver()
            report = await harness.services.outbox.report()
            assert report.get("blocked", 0) >= 1
            assert "10 и 25 числа" in (await maria.send("когда выплаты"))[-1].plain
    finally:
        await emulator.stop()


async def test_one_person_three_chats_one_set_of_numbers(tmp_path: Path) -> None:
    from decimal import Decimal

    from bot.services.sales import ConversionIn

    async with running_bot(tmp_path, vk=True, maxbot=True) as harness:
        manager = harness.manager()
        await manager.send("/start")
        harness.vk_manager()
        await harness.max_manager().open()
        anna = harness.user(710, "Анна")
        vera = harness.vk_user(260, "Анна")
        maria = harness.max_user(360, "Анна")
        rival = harness.user(711, "Борис")
        for person in (anna, vera, maria, rival):
            await person.onboard()
        for person, command in (
            (anna, "/link aff-88"),
            (vera, "link aff-88"),
            (maria, "/link aff-88"),
            (rival, "/link aff-99"),
        ):
            await person.send(command)
            await manager.press("✅ Подтвердить")
        assert maria.last.plain.startswith("✅ ID aff-88 привязан")

        now = harness.clock.now()
        for number in range(3):
            item = ConversionIn("aff-88", f"o-{number}", "approved", Decimal(1000), "RUB", now)
            await harness.services.sales.record(item, "postback")
        item = ConversionIn("aff-99", "r-1", "approved", Decimal(500), "RUB", now)
        await harness.services.sales.record(item, "postback")
        await harness.services.sales.settle()
        cards = [
            (await anna.send("/me"))[-1].plain,
            (await vera.send("/me"))[-1].text,
            (await maria.send("/me"))[-1].plain,
        ]
        assert all("Продажи в этом месяце: 3 продажи" in card for card in cards)
        boards = [
            (await anna.send("/top"))[-1].plain,
            (await maria.send("/top"))[-1].plain,
        ]
        for board in boards:
            assert board.count("Анна") == 1  # one place for the person, not three
            assert board.index("Анна") < board.index("Борис")

        async def announce(text: str) -> None:
            await manager.send("/announce")
            await manager.send(text)
            await manager.press("👥 Всем партнёрам")
            await manager.press("Сейчас")
            await manager.press("✅ Отправить")
            await harness.deliver()

        await announce("Первая новость")
        assert anna.last.plain == "Первая новость"
        assert vera.last.text == "Первая новость"
        assert maria.last.plain == "Первая новость"
        # the person chooses MAX for automated messages, from the MAX chat
        await maria.send("/settings")
        await maria.press("Рассылки: во всех ваших чатах с ботом")
        assert "Рассылки: только в MAX" in maria.last.button_labels
        await announce("Вторая новость")
        assert maria.last.plain == "Вторая новость"
        assert anna.last.plain == "Первая новость"
        assert vera.last.text == "Первая новость"
        await vera.send("/settings")
        assert "Рассылки: только в MAX" in vera.last.button_labels


async def test_max_by_webhook_persist_first_once_each(tmp_path: Path) -> None:
    from aiohttp import web

    from bot.app import MAX_SECRET_HEADER, max_webhook_inbox, max_webhook_url

    assert max_webhook_url("https://bot.example/webhook/telegram") == (
        "https://bot.example/webhook/max"
    )

    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    try:
        async with running_bot(
            tmp_path,
            maxbot=emulator,
            webhook_url="https://bot.example/webhook/telegram",
            webhook_secret="s3cret-value",
        ) as harness:
            inbox = max_webhook_inbox(harness.services.settings, harness.services, harness.dp)
            assert inbox is not None
            app = web.Application()
            inbox.install(app)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            emulator.webhook_target = f"http://127.0.0.1:{port}"
            session = harness.max_bot.session if harness.max_bot else None
            assert isinstance(session, MaxSession)
            await session.subscribe(
                "https://bot.example/webhook/max", "s3cret-value", ["message_created"]
            )
            try:
                maria = harness.max_user(370)
                emulator.user_message(370, "когда выплаты")
                for _ in range(100):
                    await inbox.drain()
                    if maria.messages:
                        break
                    await asyncio.sleep(0.02)
                # someone new is asked to /start first (nothing is stored before)
                assert "/start" in maria.last.plain
                assert inbox.received == 1
                # MAX delivering the same event again: stored once, handled once
                event = emulator._events[-1]
                await emulator._deliver_webhook(event)
                await inbox.drain()
                assert inbox.duplicates == 1
                assert len(maria.messages) == 1
                # without the secret: 401, nothing stored
                import aiohttp

                async with (
                    aiohttp.ClientSession() as http,
                    http.post(f"http://127.0.0.1:{port}/webhook/max", json=event) as response,
                ):
                    assert response.status == 401
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(
                        f"http://127.0.0.1:{port}/webhook/max",
                        json={"not": "an event"},
                        headers={MAX_SECRET_HEADER: "s3cret-value"},
                    ) as response,
                ):
                    assert response.status == 400
            finally:
                await runner.cleanup()
            # back to long polling: the subscription is removed at start-up
            await prepare_max_bot(harness.max_bot, session, harness.services)
            assert emulator.subscriptions == []
    finally:
        await emulator.stop()


async def test_a_wrong_max_token_stops_start_up_naming_it(tmp_path: Path) -> None:
    emulator = MaxApiEmulator()
    await emulator.start()
    services = await create_services(make_settings(tmp_path, max_bot_token="wrong"))
    bot = create_max_bot("wrong", emulator.base_url)
    try:
        with pytest.raises(TokenRefused, match=r"^MAX_BOT_TOKEN: MAX refused the token"):
            await prepare_bot(bot, services)
    finally:
        await bot.session.close()
        await services.close()
        await emulator.stop()


async def test_missing_rights_in_max_chats_are_said_plainly(tmp_path: Path) -> None:
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(MAX_MANAGERS, "Менеджеры")
    emulator.add_chat(MAX_COMMUNITY, "Партнёры", permissions=["write"])
    try:
        async with running_bot(
            tmp_path,
            maxbot=emulator,
            max_managers_chat_id=MAX_MANAGERS,
            max_community_chat_id=MAX_COMMUNITY,
        ) as harness:
            (told,) = emulator.chat_messages(MAX_MANAGERS)
            assert "«Партнёры»" in told.plain
            assert "Читать все сообщения" in told.plain
            assert "Менеджеры" not in told.plain
            emulator.chats[MAX_COMMUNITY].bot_admin = False
            session = harness.max_bot.session if harness.max_bot else None
            assert isinstance(session, MaxSession)
            l10n = harness.services.content_store.live.translator.get(None)
            lines = await check_max_rights(
                harness.max_bot, session, harness.services.settings, l10n
            )  # type: ignore[arg-type]
            assert len(lines) == 1
            assert "бот не администратор" in lines[0]
    finally:
        await emulator.stop()


async def test_a_max_manager_answers_a_ticket_in_private(max_harness: Harness) -> None:
    manager = max_harness.max_manager()  # has never written to the bot: reached by user_id
    max_harness.manager()
    maria = max_harness.max_user(380)
    await maria.onboard()
    await maria.send("/support")
    await maria.send("Не пришла выплата")
    card, relayed = manager.messages[-2:]
    assert "Обращение №1" in card.plain
    assert relayed.plain == "Не пришла выплата"
    await manager.send("Выплата ушла вчера", reply_to=relayed)
    assert maria.last.plain == "Выплата ушла вчера"


async def test_a_telegram_announcement_with_a_photo_reaches_max_with_it(
    max_harness: Harness,
) -> None:
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(390)
    await maria.onboard()
    manager = max_harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Новые баннеры", kind="photo")
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    await manager.press("✅ Отправить")
    await max_harness.deliver()
    assert maria.last.plain == "Новые баннеры"
    assert maria.last.files[0]["type"] == "image"
    (upload,) = emulator.uploads.values()
    assert upload[1].startswith(b"partnerbot sandbox file")


async def test_a_max_partner_photo_crosses_to_telegram_as_words(tmp_path: Path) -> None:
    async with chats_emulator() as telegram:
        telegram.add_group(FORUM, "Менеджеры", forum=True)
        telegram.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=telegram, maxbot=True, tg_managers_chat_id=FORUM
        ) as harness:
            emulator = harness.max
            assert emulator is not None
            maria = harness.max_user(391)
            await maria.onboard()
            await maria.send("/support")
            await maria.send("Вопрос по выплате")
            marker = emulator.user_message(
                391, "скриншот", files=[{"type": "image", "payload": {"token": "in:1"}}]
            )
            await emulator.wait_processed(marker)
            crossed = telegram.chat_messages(FORUM)[-1].plain
            assert crossed.startswith("скриншот")
            assert "фото" in crossed


async def test_a_max_managers_photo_announcement(max_harness: Harness) -> None:
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(392)
    await maria.onboard()
    anna = max_harness.user(720, "Анна")
    await anna.onboard()
    manager = max_harness.max_manager()
    await manager.open()
    await manager.send("/announce")
    marker = emulator.user_message(
        manager.user_id, "Новые баннеры", files=[{"type": "image", "payload": {"token": "in:7"}}]
    )
    await emulator.wait_processed(marker)
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    await manager.press("✅ Отправить")
    await max_harness.deliver()
    # on MAX with the picture (its token passed on), on Telegram the words alone
    assert maria.last.plain == "Новые баннеры"
    assert maria.last.files == [{"type": "image", "payload": {"token": "in:7"}}]
    assert anna.last.plain == "Новые баннеры"
    assert anna.last.kind == "text"  # a MAX file id means nothing to Telegram


async def test_did_you_mean_and_the_managers_schedule_on_max(max_harness: Harness) -> None:
    maria = max_harness.max_user(395)
    await maria.onboard()
    replies = await maria.send("выплаты")  # one word: dates, delays, methods…
    assert "Вы имели в виду" in replies[-1].plain
    assert "Нет, другое" in replies[-1].button_labels
    await maria.press("Когда выплаты?")
    assert "10 и 25 числа" in maria.last.plain
    await maria.press("👍 Помогло")

    manager = max_harness.max_manager()
    await manager.open()
    replies = await manager.send("/schedule")
    assert replies[-1].plain.startswith("🗓 Автоматические отправки на 14 дней")
    # a partner typing a manager's command gets the unknown-command answer
    replies = await maria.send("/schedule")
    assert replies[0].plain.startswith("Такой команды я не знаю")
