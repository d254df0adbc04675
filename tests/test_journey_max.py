"""Journeys on MAX: the same handlers through the MAX emulator (long polling with marker,
bot_started deep links, callback buttons, uploads that are not ready at once), across
platforms, and MAX's faults. Every request is checked against MAX's OpenAPI schema by
the harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.max.emulator import MaxApiEmulator
from tests.harness import (
    Harness,
    MaxPerson,
    max_managers_bot,
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


async def test_max_managers_chat_refusals(tmp_path: Path) -> None:
    """Beside the reply mode VK and MAX share (tests/test_journey_vk_max.py): a reply to
    a partner who stopped the bot is refused and the ticket says so; a non-manager's
    reply in the managers' chat reaches nobody."""
    async with max_managers_bot(tmp_path, MAX_MANAGERS) as (harness, emulator):
        manager = harness.max_manager()
        maria = harness.max_user(310)
        await maria.onboard()
        await maria.send("/support")
        await maria.send("Где мой промокод?")
        _card, relayed = emulator.chat_messages(MAX_MANAGERS)
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
        await MaxPerson(harness, 311).send("я не менеджер", reply_to=relayed, chat=MAX_MANAGERS)
        assert len(maria.messages) == before


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


async def test_did_you_mean_and_the_managers_schedule_on_max(max_harness: Harness) -> None:
    maria = max_harness.max_user(395)
    await maria.onboard()
    replies = await maria.send("вопрос про деньги")  # dates, delays, methods…
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
