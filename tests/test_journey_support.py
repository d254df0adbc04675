"""Support tickets end to end: a partner, the managers (forum topics, a plain group, or in
private), replies both ways, notes, templates, closing, rating, reopening, SLA."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.tables import audit_log, tickets
from scheduler.support import raise_overdue_tickets
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

FORUM = -1001234567890
GROUP = -4005006


@pytest.fixture
async def forum(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator() as emulator:
        emulator.add_group(FORUM, "Менеджеры МебельДом", forum=True)
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=FORUM) as harness:
            yield harness


@pytest.fixture
async def group(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=GROUP) as harness:
            yield harness


async def in_chat(
    harness: Harness,
    chat_id: int,
    text: str | None = None,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
    kind: str = "text",
) -> None:
    """The manager writes in the managers' chat."""
    harness.clock.advance(1)
    update = harness.emulator.user_message(
        MANAGER_ID, text, chat_id=chat_id, thread_id=thread_id, reply_to=reply_to, kind=kind
    )
    await harness.emulator.wait_processed(update)


def topic_of(harness: Harness, number: int) -> int:
    (thread,) = [
        thread
        for (chat, thread), name in harness.emulator.topics.items()
        if chat == FORUM and name.startswith(f"#{number} ")
    ]
    return thread


async def _ticket_row(harness: Harness, number: int = 1) -> sa.Row[tuple[object, ...]]:
    async with harness.services.db.read() as conn:
        return (await conn.execute(sa.select(tickets).where(tickets.c.id == number))).one()


async def test_forum_round_trip(forum: Harness) -> None:
    anna = forum.user(601, "Анна")
    await anna.onboard("Блогер")
    await anna.send("когда выплаты")  # an FAQ question before, shown on the card

    replies = await anna.send("/support")
    assert replies[-1].plain.startswith("Опишите вопрос")
    replies = await anna.send("Не пришла выплата за октябрь")
    assert replies[-1].plain.startswith("Обращение №1 открыто. Менеджер ответит в течение 4 часов")
    assert replies[-1].button_labels == ["✅ Вопрос решён, закрыть"]

    thread = topic_of(forum, 1)
    assert (
        forum.emulator.topics[(FORUM, thread)] == "#1 · Анна · Блогер (соцсети, YouTube, Telegram)"
    )
    card, copied = forum.emulator.chat_messages(FORUM)
    assert card.thread_id == thread
    assert "Обращение №1" in card.plain
    assert "Вопрос: Не пришла выплата за октябрь" in card.plain
    assert "• когда выплаты" in card.plain
    assert copied.plain == "Не пришла выплата за октябрь"

    # the partner's next message goes to the same ticket, not to the FAQ
    await anna.send("номер заказа 12345")
    assert forum.emulator.chat_messages(FORUM)[-1].plain == "номер заказа 12345"
    assert forum.emulator.chat_messages(FORUM)[-1].thread_id == thread

    # a manager's reply in the topic reaches the partner, as the bot
    await in_chat(
        forum, FORUM, "Проверили: выплата ушла вчера, придёт до пятницы.", thread_id=thread
    )
    assert anna.last.plain == "Проверили: выплата ушла вчера, придёт до пятницы."
    # a note stays in the managers' chat
    before = len(anna.messages)
    await in_chat(forum, FORUM, "!проверить в бухгалтерии", thread_id=thread)
    assert len(anna.messages) == before

    # a photo from the partner is copied as a photo
    await anna.send("скриншот", kind="photo")
    assert forum.emulator.chat_messages(FORUM)[-1].kind == "photo"

    # /t sends a canned reply
    await in_chat(forum, FORUM, "/t payout-delay", thread_id=thread)
    assert anna.last.plain.startswith("Выплаты за этот период проходят проверку")
    # and the topic shows what went (session 19: the colleagues could not see it)
    sent = forum.emulator.chat_messages(FORUM)[-1]
    assert sent.plain.startswith("📤 Партнёру ушёл шаблон «payout-delay»:\nВыплаты за этот")
    assert sent.thread_id == thread
    await in_chat(forum, FORUM, "/t nope", thread_id=thread)
    assert "Нет шаблона «nope»" in forum.emulator.chat_messages(FORUM)[-1].plain

    # /close asks the partner to rate
    await in_chat(forum, FORUM, "/close", thread_id=thread)
    assert anna.last.plain == "Обращение №1 закрыто. Оцените, пожалуйста, помощь:"
    await anna.press("👍 Помогли")
    assert anna.callback_answers()[-1]["text"] == "Спасибо за оценку!"
    assert "Оценка по обращению №1: 👍" in forum.emulator.chat_messages(FORUM)[-1].plain
    row = await _ticket_row(forum)
    assert (row.status, row.rating) == ("closed", "up")
    assert row.first_reply_at is not None

    # after the close, an ordinary question goes to the FAQ again
    replies = await anna.send("когда выплаты")
    assert "10 и 25 числа" in replies[-1].plain


async def test_partner_closes_and_reopens_within_the_window(forum: Harness) -> None:
    anna = forum.user(602)
    await anna.onboard()
    await anna.send("/support Как сменить реквизиты?")
    await anna.press("✅ Вопрос решён, закрыть")
    assert anna.last.plain.startswith("Обращение №1 закрыто")
    assert "Партнёр закрыл обращение №1" in forum.emulator.chat_messages(FORUM)[-1].plain

    forum.clock.advance(3600 * 24)  # within ticket_reopen_hours (72)
    replies = await anna.send("/support и ещё вопрос по реквизитам")
    assert replies[-1].plain.startswith("Обращение №1 снова открыто")
    managers = [m.plain for m in forum.emulator.chat_messages(FORUM)]
    assert any("обращение №1 снова открыто" in text for text in managers)
    assert any("и ещё вопрос по реквизитам" in text for text in managers)

    await anna.press("✅ Вопрос решён, закрыть", anna.last)
    forum.clock.advance(3600 * 73)  # past the window: a new ticket
    replies = await anna.send("/support новый вопрос")
    assert replies[-1].plain.startswith("Обращение №2 открыто")
    assert topic_of(forum, 2) != topic_of(forum, 1)


async def test_plain_group_reply_mode(group: Harness) -> None:
    anna = group.user(603, "Анна")
    await anna.onboard()
    await anna.send("/support")
    await anna.send("Где акт за сентябрь?")
    notice, card, copied = group.emulator.chat_messages(GROUP)
    assert "не включены темы" in notice.plain  # said at start-up
    assert "Ответьте на любое сообщение обращения" in card.plain
    assert copied.plain == "Где акт за сентябрь?"

    await in_chat(group, GROUP, "Пришлём сегодня", reply_to=copied.message_id)
    assert anna.last.plain == "Пришлём сегодня"
    await in_chat(group, GROUP, "И ещё: акт подписан", reply_to=card.message_id)
    assert anna.last.plain == "И ещё: акт подписан"

    # ordinary chatter in the group, not a reply to a ticket, is left alone
    before = len(anna.messages)
    await in_chat(group, GROUP, "коллеги, кто на обеде?")
    assert len(anna.messages) == before

    await in_chat(group, GROUP, "/close", reply_to=card.message_id)
    assert anna.last.plain.startswith("Обращение №1 закрыто")


async def test_private_mode_every_manager_gets_the_ticket(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")  # the manager has a private chat with the bot
    anna = harness.user(604)
    await anna.onboard()
    await anna.send("/support Не могу войти в кабинет")
    card = manager.last
    assert "Вопрос: Не могу войти в кабинет" in card.plain

    harness.clock.advance(1)
    update = harness.emulator.user_message(
        MANAGER_ID, "Сбросили пароль, попробуйте", reply_to=card.message_id
    )
    await harness.emulator.wait_processed(update)
    assert anna.last.plain == "Сбросили пароль, попробуйте"

    replies = await manager.send("/tickets")
    assert "№1 · Анна (tg:604) · открыто 0 ч назад" in replies[-1].plain


async def test_deleted_topic_is_recreated_with_the_card(forum: Harness) -> None:
    anna = forum.user(605)
    await anna.onboard()
    await anna.send("/support первый вопрос")
    old = topic_of(forum, 1)
    del forum.emulator.topics[(FORUM, old)]  # somebody deleted the topic

    await anna.send("второе сообщение")
    new = topic_of(forum, 1)
    assert new != old
    last_two = forum.emulator.chat_messages(FORUM)[-2:]
    assert "Обращение №1" in last_two[0].plain
    assert last_two[1].plain == "второе сообщение"
    assert all(message.thread_id == new for message in last_two)
    forum.allowed_errors.add("copyMessage")  # the one that found the topic gone


async def test_partner_who_blocked_the_bot_is_marked(forum: Harness) -> None:
    anna = forum.user(606)
    await anna.onboard()
    await anna.send("/support помогите")
    thread = topic_of(forum, 1)
    forum.emulator.block_bot(606)
    await in_chat(forum, FORUM, "Здравствуйте! Чем помочь?", thread_id=thread)
    assert "Партнёр заблокировал бота" in forum.emulator.chat_messages(FORUM)[-1].plain
    partner = await forum.services.partners.by_user("tg", 606)
    assert partner is not None
    assert partner.unreachable
    forum.allowed_errors.add("copyMessage")


async def test_sla_escalation_with_the_clock(forum: Harness) -> None:
    anna = forum.user(607, "Анна")
    await anna.onboard()
    await anna.send("/support жду ответа")
    services = forum.services

    async def run_job() -> None:
        await raise_overdue_tickets(
            forum.bot, services.support, forum_relay(forum), services.partners
        )

    forum.clock.advance(3 * 3600)
    await run_job()
    assert not any("ждёт ответа" in m.plain for m in forum.emulator.chat_messages(FORUM))
    forum.clock.advance(3600 + 60)
    await run_job()
    await run_job()  # a second run in the same window raises nothing new
    raised = [m.plain for m in forum.emulator.chat_messages(FORUM) if "ждёт ответа" in m.plain]
    assert raised == ["⏰ Обращение №1 (Анна) ждёт ответа 4 ч."]
    forum.clock.advance(24 * 3600)
    await run_job()
    raised = [m.plain for m in forum.emulator.chat_messages(FORUM) if "ждёт ответа" in m.plain]
    assert raised[-1] == "⏰ Обращение №1 (Анна) ждёт ответа 28 ч."

    # a manager's reply stops the clock
    await in_chat(forum, FORUM, "Отвечаю", thread_id=topic_of(forum, 1))
    forum.clock.advance(48 * 3600)
    await run_job()
    assert len([m for m in forum.emulator.chat_messages(FORUM) if "ждёт ответа" in m.plain]) == 2


async def test_tickets_lists_open_ones_oldest_first(forum: Harness) -> None:
    for user_id, name in ((608, "Анна"), (609, "Борис")):
        client = forum.user(user_id, name)
        await client.onboard()
        await client.send(f"/support вопрос от {name}")
        forum.clock.advance(3600)
    await in_chat(forum, FORUM, "/tickets")
    listing = forum.emulator.chat_messages(FORUM)[-1].plain
    assert listing.splitlines()[1:] == [
        "№1 · Анна (tg:608) · открыто 2 ч назад · ждёт ответа",
        "№2 · Борис (tg:609) · открыто 1 ч назад · ждёт ответа",
    ]


async def test_a_ticket_survives_a_restart(tmp_path: Path) -> None:
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=GROUP) as harness:
            anna = harness.user(610)
            await anna.onboard()
            await anna.send("/support до перезапуска")
        # the bot process is gone; the ticket lives in the database
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=GROUP) as harness:
            anna = Client(harness, 610)
            (card,) = [
                m for m in harness.emulator.chat_messages(GROUP) if "Обращение №1" in m.plain
            ]
            await in_chat(harness, GROUP, "После перезапуска отвечаем", reply_to=card.message_id)
            assert anna.last.plain == "После перезапуска отвечаем"
            await anna.send("спасибо, а ещё вопрос")
            assert harness.emulator.chat_messages(GROUP)[-1].plain == "спасибо, а ещё вопрос"


async def test_partners_cannot_use_any_manager_command(harness: Harness) -> None:
    anna = harness.user(611)
    await anna.onboard()  # a partner (before /start: /start first, tests/test_review_s19.py)
    commands = ("/reload", "/tickets", "/close", "/t payout-delay", "/partner tg:1")
    for command in commands:
        replies = await anna.send(command)
        assert replies[0].plain == "Такой команды я не знаю. Вот что я умею:"
    async with harness.services.db.read() as conn:
        rows = list(await conn.execute(sa.select(audit_log)))
    assert [(row.action, row.allowed) for row in rows] == [
        ("reload", False), ("tickets", False), ("close", False), ("t", False),
        ("partner", False),
    ]  # fmt: skip


def forum_relay(harness: Harness):  # type: ignore[no-untyped-def]
    return harness.dp.workflow_data["relay"]


async def test_partner_card_by_id_code_or_affiliate(forum: Harness) -> None:
    anna = forum.user(612, "Анна")
    await anna.onboard("Дизайнер")
    await anna.send("когда выплаты")
    await anna.send("/support вопрос")
    partner = await forum.services.partners.by_user("tg", 612)
    assert partner is not None
    manager = Client(forum, MANAGER_ID)
    for query in ("tg:612", partner.partner_code):
        replies = await manager.send(f"/partner {query}")
        card = replies[-1].plain
        assert card.startswith("👤 Анна (@user612, tg:612)")
        assert "Сегмент: Дизайнер интерьеров" in card
        assert "Обращения: 1 · открыто №1" in card
        assert (
            "Рассылки: включены: Новости, Конкурсы, Еженедельный дайджест, "
            "Уведомления о продажах, Новые уроки" in card
        )
        assert "• когда выплаты" in card
    replies = await manager.send("/partner nobody")
    assert replies[-1].plain == "Партнёр «nobody» не найден."
    replies = await manager.send("/partner")
    assert replies[-1].plain.startswith("Использование: /partner ID")
    # also in the managers' chat
    await in_chat(forum, FORUM, "/partner tg:612")
    assert forum.emulator.chat_messages(FORUM)[-1].plain.startswith("👤 Анна")
    async with forum.services.db.read() as conn:
        actions = [row.action for row in await conn.execute(sa.select(audit_log))]
    assert actions.count("partner") == 4  # the usage answer is no lookup


async def test_albums_cross_as_albums_and_long_captions_are_split(forum: Harness) -> None:
    relay = forum_relay(forum)
    arrived = asyncio.Event()

    async def until_arrived(_seconds: float) -> None:
        await arrived.wait()

    relay.albums.sleep = until_arrived  # an album is gathered until its parts are in, not by time
    anna = forum.user(613)
    await anna.onboard()
    await anna.send("/support скриншоты ошибки")
    thread = topic_of(forum, 1)

    for caption in ("ошибка 1", None, None):
        forum.clock.advance(1)
        update = forum.emulator.user_message(613, caption, kind="photo", media_group_id="alb1")
        await forum.emulator.wait_processed(update)
    arrived.set()
    await relay.albums.drain()
    album = forum.emulator.chat_messages(FORUM)[-3:]
    assert [m.kind for m in album] == ["photo", "photo", "photo"]
    assert len({m.media_group_id for m in album}) == 1
    assert album[0].media_group_id is not None
    assert all(m.thread_id == thread for m in album)
    assert album[0].caption == "ошибка 1"

    long_caption = "Подробная инструкция. " * 60  # 1320 characters: over a bot's 1024
    await in_chat(forum, FORUM, long_caption, thread_id=thread, kind="photo")
    photo, text = anna.messages[-2:]
    assert photo.kind == "photo"
    assert not photo.caption
    assert text.plain == long_caption

    for caption in ("вот как надо", None):
        await in_chat(forum, FORUM, caption, thread_id=thread, kind="photo")
    # (these two are not an album: no media_group_id)
    forum.clock.advance(1)
    arrived.clear()
    for part in ("смотрите", None):
        update = forum.emulator.user_message(
            MANAGER_ID, part, chat_id=FORUM, thread_id=thread, kind="photo", media_group_id="alb2"
        )
        await forum.emulator.wait_processed(update)
    arrived.set()
    await relay.albums.drain()
    last_two = anna.messages[-2:]
    assert len({m.media_group_id for m in last_two}) == 1
    assert last_two[0].media_group_id is not None


async def test_a_group_upgraded_to_a_supergroup_keeps_working(group: Harness) -> None:
    anna = group.user(614)
    await anna.onboard()
    await anna.send("/support до апгрейда")
    supergroup = -1007770001
    group.emulator.upgrade_group(GROUP, supergroup)
    await anna.send("после апгрейда")
    group.allowed_errors.add("copyMessage")  # the one answered with migrate_to_chat_id
    copied = group.emulator.chat_messages(supergroup)[-1]
    assert copied.plain == "после апгрейда"
    await in_chat(group, supergroup, "Видим, отвечаем", reply_to=copied.message_id)
    assert anna.last.plain == "Видим, отвечаем"
    await anna.send("и ещё")  # straight to the supergroup now
    assert group.emulator.chat_messages(supergroup)[-1].plain == "и ещё"


async def test_hints_for_managers_outside_a_ticket(group: Harness) -> None:
    notice = group.emulator.chat_messages(GROUP)[0]  # the start-up rights notice
    await in_chat(group, GROUP, "/close")
    assert group.emulator.chat_messages(GROUP)[-1].plain.startswith("Это не сообщение обращения")
    await in_chat(group, GROUP, "понял, включим темы", reply_to=notice.message_id)
    assert group.emulator.chat_messages(GROUP)[-1].plain.startswith("Это не сообщение обращения")
    before = len(group.emulator.chat_messages(GROUP))
    await in_chat(group, GROUP, "коллеги, я в отпуске с понедельника")  # chatter: no hint
    assert len(group.emulator.chat_messages(GROUP)) == before


async def test_a_flooding_partner_is_slowed_and_the_managers_chat_spared(tmp_path: Path) -> None:
    from bot.assembly import FLOOD_BURST, FLOOD_RATE

    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        async with running_bot(
            tmp_path,
            emulator=emulator,
            tg_managers_chat_id=GROUP,
            flood_burst=FLOOD_BURST,
            flood_rate=FLOOD_RATE,
        ) as harness:
            anna = harness.user(615)
            await anna.onboard()  # nothing is kept about anyone before /start
            harness.clock.advance(30)  # the onboarding's taps are forgotten by the bucket
            await anna.send("/support помогите")
            copies_before = len(emulator.chat_messages(GROUP))
            for index in range(60):  # a script: 60 messages in 10 seconds
                harness.clock.advance(1 / 6)
                update = emulator.user_message(615, f"сообщение {index}")
                await emulator.wait_processed(update)
            relayed = len(emulator.chat_messages(GROUP)) - copies_before
            expected = FLOOD_BURST + FLOOD_RATE * 10  # the burst, then the rate
            assert expected - 2 <= relayed <= expected + 1
            notices = [m for m in anna.messages if m.plain.startswith("Слишком много сообщений")]
            assert len(notices) == 1


async def test_ticket_text_arrives_exactly_as_typed(forum: Harness) -> None:
    """Review 6: text that looks like HTML is text: copied to the managers and relayed
    back to the partner exactly as the person typed it."""
    anna = forum.user(611, "Анна")
    await anna.onboard()
    await anna.send("/support")
    typed = [
        "x &amp; y &lt;z&gt",
        "Tom & Jerry <tag>",
        "<code>kod</code> <s>strike</s> plain",
    ]
    await anna.send(typed[0])
    thread = topic_of(forum, 1)
    for text in typed[1:]:
        await anna.send(text)
    seen = [m.plain for m in forum.emulator.chat_messages(FORUM)[-3:]]
    assert seen == typed
    await in_chat(forum, FORUM, "<b>Проверим</b> & ответим", thread_id=thread)
    assert anna.last.plain == "<b>Проверим</b> & ответим"


async def test_private_mode_text_arrives_exactly_as_typed(harness: Harness) -> None:
    """Review 6, managers in private (the sandbox's /reply): both ways, text stays text."""
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(612)
    await anna.onboard()
    await anna.send("/support")
    await anna.send("Tom & Jerry <tag> x &amp; y")
    assert manager.last.plain == "Tom & Jerry <tag> x &amp; y"
    harness.clock.advance(1)
    update = harness.emulator.user_message(
        MANAGER_ID, "<b>Проверим</b> & ответим", reply_to=manager.last.message_id
    )
    await harness.emulator.wait_processed(update)
    assert anna.last.plain == "<b>Проверим</b> & ответим"
