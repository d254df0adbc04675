"""The partners' group: welcome, rules, FAQ answers only when sure, silence otherwise,
mentions, /report and @admin, and the rights check at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import MANAGER_ID, Harness, announce_demo_contest, chats_emulator, running_bot

COMMUNITY = -1009876543210
MANAGERS = -1001234567890


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator() as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        emulator.add_group(MANAGERS, "Менеджеры", forum=True)
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path,
            emulator=emulator,
            tg_community_chat_id=COMMUNITY,
            tg_managers_chat_id=MANAGERS,
        ) as harness:
            yield harness


async def say(
    harness: Harness,
    user_id: int,
    text: str,
    *,
    reply_to: int | None = None,
    thread_id: int | None = None,
) -> list[str]:
    """Someone writes in the group; returns what the bot posted there in answer."""
    harness.clock.advance(1)
    harness.emulator.add_user(
        user_id, f"U{user_id}"
    ) if user_id not in harness.emulator.users else None
    before = len(harness.emulator.chat_messages(COMMUNITY))
    update = harness.emulator.user_message(
        user_id, text, chat_id=COMMUNITY, reply_to=reply_to, thread_id=thread_id
    )
    await harness.emulator.wait_processed(update)
    return [m.plain for m in harness.emulator.chat_messages(COMMUNITY)[before:]]


def managers_chat(harness: Harness) -> list[str]:
    return [m.plain for m in harness.emulator.chat_messages(MANAGERS)]


async def test_new_member_gets_welcome_with_rules_and_a_button(chat: Harness) -> None:
    chat.emulator.add_user(801, "Ольга")
    update = chat.emulator.join(801, COMMUNITY)
    await chat.emulator.wait_processed(update)
    welcome = chat.emulator.chat_messages(COMMUNITY)[-1]
    assert welcome.plain.startswith("Добро пожаловать, Ольга!")
    assert "Без спама и чужих реферальных ссылок" in welcome.plain
    (button,) = welcome.buttons[0]
    assert button["url"] == "https://t.me/partnerbot_sandbox_bot?start=hi"


async def test_rules_and_faq_answer_in_the_group(chat: Harness) -> None:
    (rules,) = await say(chat, 802, "/rules")
    assert rules.startswith("Правила чата")
    (faq,) = await say(chat, 802, "/faq")
    assert "Выплаты" in faq
    assert "Ссылки и трекинг" in faq


async def test_a_clear_question_is_answered_once_per_ten_minutes(chat: Harness) -> None:
    (answer,) = await say(chat, 803, "Ребята, когда выплаты?")
    assert "10 и 25 числа" in answer
    reply = chat.emulator.chat_messages(COMMUNITY)[-1]
    assert reply.from_bot
    assert await say(chat, 804, "а когда выплаты?") == []  # the same answer, too soon
    chat.clock.advance(10 * 60)
    assert "10 и 25 числа" in (await say(chat, 804, "когда выплаты?"))[0]


async def test_the_bot_stays_quiet_unless_sure(chat: Harness) -> None:
    assert await say(chat, 805, "всем привет, сегодня продал два дивана") == []
    assert await say(chat, 805, "кто смотрел вчера футбол?") == []
    assert await say(chat, 805, "есть yml фид?") == []  # only for webmasters: not in public


async def test_managers_are_never_auto_answered(chat: Harness) -> None:
    assert await say(chat, MANAGER_ID, "когда выплаты?") == []


async def test_a_mention_gets_an_answer_or_an_offer_to_go_private(chat: Harness) -> None:
    (answer,) = await say(chat, 806, "@partnerbot_sandbox_bot где взять рефку")
    assert "Инструменты → Ссылки" in answer
    (offer,) = await say(chat, 806, "@partnerbot_sandbox_bot как дела у всех")
    assert offer.startswith("Не нашёл ответа на это в FAQ")
    (button,) = chat.emulator.chat_messages(COMMUNITY)[-1].buttons[0]
    assert button["url"] == "https://t.me/partnerbot_sandbox_bot?start=support"

    bot_message = chat.emulator.chat_messages(COMMUNITY)[-1]
    (answer,) = await say(chat, 806, "а сколько живет кука", reply_to=bot_message.message_id)
    assert "30 дней" in answer


async def test_small_talk_said_to_the_bot_gets_a_word_back_not_an_offer(chat: Harness) -> None:
    (bot,) = await say(chat, 811, "@partnerbot_sandbox_bot ты бот?")
    assert bot.startswith("Я бот")
    (button,) = chat.emulator.chat_messages(COMMUNITY)[-1].buttons[0]
    assert button["url"] == "https://t.me/partnerbot_sandbox_bot?start=hi"
    (thanks,) = await say(chat, 811, "@partnerbot_sandbox_bot спасибо!")
    assert thanks.startswith("Пожалуйста")
    (hello,) = await say(chat, 811, "@partnerbot_sandbox_bot привет")
    assert "Спросите меня о программе" in hello
    assert await say(chat, 811, "ты бот?") == []  # not said to the bot: silence
    assert await say(chat, 811, "как дела?") == []


async def test_report_and_admin_call_reach_the_managers(chat: Harness) -> None:
    await say(chat, 807, "купите мои курсы по ссылке")
    spam = chat.emulator.chat_messages(COMMUNITY, from_bot=False)[-1]
    assert await say(chat, 808, "/report") == [
        "Ответьте командой /report на сообщение, о котором нужно сообщить."
    ]
    (thanks,) = await say(chat, 808, "/report", reply_to=spam.message_id)
    assert thanks == "Спасибо, менеджеры получили сигнал."
    card = managers_chat(chat)[-1]
    assert "Сигнал из чата партнёров" in card
    assert "купите мои курсы по ссылке" in card
    assert f"https://t.me/c/9876543210/{spam.message_id}" in card

    assert await say(chat, 809, "@admin тут спамят") == []
    assert "Зовут администратора" in managers_chat(chat)[-1]


async def test_start_support_deep_link_asks_for_the_question(chat: Harness) -> None:
    anna = chat.user(810)
    await anna.onboard()
    replies = await anna.send("/start support")
    assert replies[-1].plain.startswith("Опишите вопрос одним сообщением")
    replies = await anna.send("Вопрос из группы")
    assert replies[-1].plain.startswith("Обращение №1 открыто")


async def test_missing_rights_are_said_at_start_up(tmp_path: Path) -> None:
    async with chats_emulator() as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом", admin=False)
        emulator.add_group(MANAGERS, "Менеджеры", forum=True, can_manage_topics=False)
        async with running_bot(
            tmp_path,
            emulator=emulator,
            tg_community_chat_id=COMMUNITY,
            tg_managers_chat_id=MANAGERS,
        ) as harness:
            (notice,) = managers_chat(harness)
            assert "«Менеджеры» боту не хватает прав" in notice
            assert "Управление темами" in notice
            assert "«Партнёры МебельДом» боту не хватает прав: бот не администратор" in notice
            assert "режим приватности" in notice


async def test_top_and_contests_answer_in_the_group(chat: Harness) -> None:
    await announce_demo_contest(chat)
    (board,) = await say(chat, 811, "/top")
    assert board.startswith("🏆 Рейтинг месяца")
    assert "Вы:" not in board
    assert "Вас" not in board
    (contest,) = await say(chat, 811, "/contests")
    assert contest.startswith("🏆 Зимний марафон диванов")
    assert "/link" not in contest


async def test_top_in_the_group_is_a_picture_once_someone_sells(chat: Harness) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from bot.services.conversions import ConversionIn

    anna = chat.user(812, "Анна")
    await anna.send("/start")
    person = await chat.services.partners.by_user("tg", 812)
    assert person is not None
    person = await chat.services.partners.request_link(person, "a-812")
    await chat.services.partners.approve_link(person)
    item = ConversionIn(
        "a-812", "g-1", "approved", Decimal(100), "RUB", datetime(2026, 11, 2, 9, tzinfo=UTC)
    )
    await chat.services.sales.record(item, "postback")
    await say(chat, 813, "/top")
    board = chat.emulator.chat_messages(COMMUNITY)[-1]
    assert board.kind == "photo"
    assert board.file_name == "leaderboard.png"
    assert board.caption is not None
    assert "1. Анна — 1" in board.caption
    pictures = [data for name, data in chat.emulator.files.values() if name == "leaderboard.png"]
    assert pictures[-1].startswith(b"\x89PNG")
