"""Session 9 re-check: /faq_link never learns the ticket's first question for words the
partner wrote later. A reply to the bot's note (since session 10 a reopen relays the
partner's new words as their own message, after the notes) sends the answer and learns
nothing; a picker pressed without the message it replied to (a VK press after a
restart) learns only the question it quotes."""

from __future__ import annotations

from aiogram.types import Chat, Message

from handlers.manager.faq_learning import _picked_about
from tests.harness import Harness
from tests.test_faq_learning import _learned, group
from tests.test_journey_support import GROUP, in_chat

__all__ = ["group"]  # the fixture

FIRST = "Не пришла выплата за октябрь"
LATER = "какой минимальный вывод на карту?"


async def test_a_reply_to_a_reopen_note_sends_the_answer_and_learns_nothing(
    group: Harness,
) -> None:
    anna = group.user(770)
    await anna.onboard()
    await anna.send(f"/support {FIRST}")
    await anna.press("✅ Вопрос решён, закрыть")
    group.clock.advance(3600)  # within ticket_reopen_hours: the same ticket opens again
    replies = await anna.send(f"/support {LATER}")
    assert replies[-1].plain.startswith("Обращение №1 снова открыто")
    # the partner's words come as their own message (tests/test_review_s10_reopen_link.py);
    # the bot's note that the ticket reopened stands for no words
    note = next(m for m in group.emulator.chat_messages(GROUP) if "снова открыто" in m.plain)
    await in_chat(group, GROUP, "/faq_link payout-minimum", reply_to=note.message_id)
    said = group.emulator.chat_messages(GROUP)[-1].plain
    assert said.startswith("Партнёр получил ответ «payout-minimum»"), said
    assert "не запомнена" in said
    assert [row.phrasing for row in await _learned(group)] == []
    # with no id: how to link it, not a picker that would learn the first question
    await in_chat(group, GROUP, "/faq_link", reply_to=note.message_id)
    assert group.emulator.chat_messages(GROUP)[-1].plain.startswith("Это заметка бота")
    assert [row.phrasing for row in await _learned(group)] == []


def _picker(text: str) -> Message:
    return Message.model_validate(
        {"message_id": 5, "date": 0, "chat": Chat(id=1, type="group"), "text": text}
    )


def test_a_picker_without_its_reply_learns_only_the_question_it_quotes() -> None:
    about_later = _picker(f"К какому вопросу FAQ относится «{LATER}»?")
    about_first = _picker(f"К какому вопросу FAQ относится «{FIRST}»?")
    assert not _picked_about(about_later, FIRST, True)
    assert _picked_about(about_first, FIRST, True)
    assert not _picked_about(about_first, FIRST, False)
