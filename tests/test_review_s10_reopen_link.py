"""Session 10 (loosea10): /faq_link on a reopened ticket. A partner's new words for a
ticket (a reopen, or more words with /support TEXT or "Ask a manager") reach the managers
as a message of those words alone, kept as the partner's message: /faq_link (or its picker)
replying to it learns exactly those words, never the ticket's first question. On
Telegram, and on MAX, whose button press hands over the picker with the message it replies
to."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bot.db.tables import faq_learned
from bot.max.emulator import MaxMessage
from bot.vk.emulator import VkMessage
from tests.harness import MANAGER_ID, VK_MANAGER_ID, Harness, max_managers_bot
from tests.test_faq_learning import group
from tests.test_journey_support import GROUP, in_chat
from tests.test_journey_vk_max import VK_CHAT, Side

__all__ = ["group"]  # the fixture

FIRST = "Не пришла выплата за октябрь"
LATER = "как долго проверяют заказ после доставки"
MORE = "где взять партнерскую ссылку на диван"
MAX_MANAGERS = -7101


async def _learned(harness: Harness) -> list[tuple[str, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(faq_learned).order_by(faq_learned.c.id))
        return [(row.entry_id, row.phrasing) for row in rows]


async def test_a_reopen_relays_the_words_and_faq_link_learns_exactly_them(
    group: Harness,
) -> None:
    anna = group.user(1010)
    await anna.onboard()
    await anna.send(f"/support {FIRST}")
    await anna.press("✅ Вопрос решён, закрыть")
    group.clock.advance(3600)  # within ticket_reopen_hours: the same ticket opens again
    replies = await anna.send(f"/support {LATER}")
    assert replies[-1].plain.startswith("Обращение №1 снова открыто")
    reopened, intro, words = group.emulator.chat_messages(GROUP)[-3:]
    assert reopened.plain == "↩️ Партнёр вернулся: обращение №1 снова открыто."
    assert intro.plain == "✉️ Обращение №1, Анна:"
    assert words.plain == LATER  # the partner's words alone, as their message
    # the bot's notes stand for no words: the answer goes, nothing is learned
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=intro.message_id)
    assert "не запомнена" in group.emulator.chat_messages(GROUP)[-1].plain
    assert await _learned(group) == []
    # a reply to the words learns exactly them
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=words.message_id)
    said = group.emulator.chat_messages(GROUP)[-1].plain
    assert said.startswith("Партнёр получил ответ «hold-period». Формулировка запомнена."), said
    assert "Холд — 14 дней" in anna.last.plain
    assert await _learned(group) == [("hold-period", LATER)]
    # a manager's reply to the words reaches the partner, as to any message of theirs
    await in_chat(group, GROUP, "Проверим и вернёмся", reply_to=words.message_id)
    assert anna.last.plain == "Проверим и вернёмся"


async def test_the_picker_under_more_words_learns_them_and_the_cards_the_first(
    group: Harness,
) -> None:
    anna = group.user(1011)
    await anna.onboard()
    await anna.send(f"/support {FIRST}")
    card = group.emulator.chat_messages(GROUP)[-1]
    replies = await anna.send(f"/support {MORE}")  # the ticket is open: more words for it
    assert replies[-1].plain.startswith("Обращение №1 ещё открыто")
    words = group.emulator.chat_messages(GROUP)[-1]
    assert words.plain == MORE
    await in_chat(group, GROUP, "/faq_link", reply_to=words.message_id)
    offer = group.emulator.chat_messages(GROUP)[-1]
    assert offer.plain.startswith(f"К какому вопросу FAQ относится «{MORE}»")
    assert offer.button_labels[0].startswith("referral-link:")
    await group.emulator.wait_processed(
        group.emulator.press(MANAGER_ID, offer, offer.button_labels[0])
    )
    assert "Инструменты → Ссылки" in anna.last.plain
    assert await _learned(group) == [("referral-link", MORE)]
    # the card stands for the first question
    await in_chat(group, GROUP, "/faq_link payout-dates", reply_to=card.message_id)
    assert await _learned(group) == [("referral-link", MORE), ("payout-dates", FIRST)]


async def test_ask_a_manager_on_a_closed_ticket_relays_the_question_as_the_partners(
    group: Harness,
) -> None:
    anna = group.user(1012)
    await anna.onboard()
    await anna.send(f"/support {FIRST}")
    await anna.press("✅ Вопрос решён, закрыть")
    group.clock.advance(3600)
    asked = "какая погода в офисе"  # nothing in the FAQ: "Ask a manager" is offered
    await anna.send(asked)
    replies = await anna.press("🙋 Спросить менеджера")
    assert replies[-1].plain.startswith("Обращение №1 снова открыто")
    words = group.emulator.chat_messages(GROUP)[-1]
    assert words.plain == asked
    await in_chat(group, GROUP, "/faq_link account-login", reply_to=words.message_id)
    assert await _learned(group) == [("account-login", asked)]


def _named(messages: list[MaxMessage], text: str) -> MaxMessage:
    return next(m for m in reversed(messages) if m.plain == text)


async def test_max_picker_buttons_learn_the_words_they_were_shown_for(tmp_path: Path) -> None:
    """MAX hands a pressed button's message over with the message it replies to (`link`):
    a picker under the partner's later words learns them, one under the card the first
    question."""
    async with max_managers_bot(tmp_path, MAX_MANAGERS) as (harness, emulator):
        manager = harness.max_manager()
        maria = harness.max_user(1013)
        await maria.onboard()
        await maria.send(f"/support {FIRST}")
        card = emulator.chat_messages(MAX_MANAGERS)[-1]
        await maria.press("✅ Вопрос решён, закрыть")
        harness.clock.advance(3600)
        replies = await maria.send(f"/support {LATER}")
        assert replies[-1].plain.startswith("Обращение №1 снова открыто")
        words = _named(emulator.chat_messages(MAX_MANAGERS), LATER)

        await manager.send("/faq_link", reply_to=words, chat=MAX_MANAGERS)
        offer = emulator.chat_messages(MAX_MANAGERS)[-1]
        assert offer.plain.startswith(f"К какому вопросу FAQ относится «{LATER}»")
        assert offer.reply_to == words.mid
        label = next(b for b in offer.button_labels if b.startswith("hold-period:"))
        await emulator.wait_processed(emulator.press(manager.user_id, offer, label))
        said = emulator.chat_messages(MAX_MANAGERS)[-1].plain
        assert "Формулировка запомнена" in said, said
        assert "Холд — 14 дней" in maria.last.plain
        assert await _learned(harness) == [("hold-period", LATER)]

        await manager.send("/faq_link", reply_to=card, chat=MAX_MANAGERS)
        offer = emulator.chat_messages(MAX_MANAGERS)[-1]
        assert offer.plain.startswith(f"К какому вопросу FAQ относится «{FIRST}»")
        label = next(b for b in offer.button_labels if b.startswith("payout-dates:"))
        await emulator.wait_processed(emulator.press(manager.user_id, offer, label))
        assert await _learned(harness) == [("hold-period", LATER), ("payout-dates", FIRST)]


async def test_max_faq_link_learns_the_words_as_typed_not_as_markup(tmp_path: Path) -> None:
    """MAX shows the bot's copy of a partner's message as the HTML it was sent as: a
    reply to it (and a picker's press) learns the words as the partner typed them."""
    typed = "вывод <от 1000> & комиссия"
    async with max_managers_bot(tmp_path, MAX_MANAGERS) as (harness, emulator):
        manager = harness.max_manager()
        maria = harness.max_user(1014)
        await maria.onboard()
        await maria.send(f"/support {FIRST}")
        await maria.send(typed)  # the ticket is open: copied to the managers
        copied = emulator.chat_messages(MAX_MANAGERS)[-1]
        assert copied.plain == typed
        await manager.send("/faq_link payout-minimum", reply_to=copied, chat=MAX_MANAGERS)
        await maria.send(f"/support {typed}")  # more words: relayed as theirs
        words = emulator.chat_messages(MAX_MANAGERS)[-1]
        await manager.send("/faq_link", reply_to=words, chat=MAX_MANAGERS)
        offer = emulator.chat_messages(MAX_MANAGERS)[-1]
        assert offer.plain.startswith(f"К какому вопросу FAQ относится «{typed}»")
        label = next(b for b in offer.button_labels if b.startswith("payout-minimum:"))
        await emulator.wait_processed(emulator.press(manager.user_id, offer, label))
        # the words, not «&lt;» (nor, since session 17, the brackets: a wording is learned
        # as the matcher reads a question, `plain_question`)
        assert await _learned(harness) == [("payout-minimum", "вывод от 1000 & комиссия")]


async def test_vk_picker_buttons_learn_the_words_they_were_shown_for(tmp_path: Path) -> None:
    """VK hands a pressed button's message over alone: the session remembers what the bot's
    message replied to, so a picker under the partner's later words learns them."""
    side = Side("vk", "Рассылки: только во ВКонтакте")
    async with side.running(tmp_path, managers_chat=True) as harness:
        vk = harness.vk
        assert vk is not None
        harness.vk_manager()
        vera = harness.vk_user(1015, "Вера")
        await vera.onboard()
        await vera.send(f"/support {FIRST}")
        card = vk.chat_messages(VK_CHAT)[-1]
        await vera.press("✅ Вопрос решён, закрыть")
        harness.clock.advance(3600)
        await vera.send(f"/support {LATER}")
        words = vk.chat_messages(VK_CHAT)[-1]
        assert words.text == LATER

        async def pick(replied: VkMessage, entry: str) -> None:
            ts = vk.user_message(VK_MANAGER_ID, "/faq_link", peer_id=VK_CHAT, reply_to=replied)
            await vk.wait_processed(ts)
            offer = vk.chat_messages(VK_CHAT)[-1]
            label = next(b for b in offer.button_labels if b.startswith(f"{entry}:"))
            await vk.wait_processed(vk.press(VK_MANAGER_ID, offer, label))

        await pick(words, "hold-period")
        assert "Формулировка запомнена" in vk.chat_messages(VK_CHAT)[-1].text
        assert await _learned(harness) == [("hold-period", LATER)]
        await pick(card, "payout-dates")
        assert await _learned(harness) == [("hold-period", LATER), ("payout-dates", FIRST)]
