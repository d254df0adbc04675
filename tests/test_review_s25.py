"""What an independent tester of session 25 found on VK, MAX and the partners' group: a
private message dropped after a flood in the group said nothing in private; an unsure
match in the group was called "not in the FAQ"; a lone «стоп» was an FAQ gap."""

from __future__ import annotations

import pytest

from bot.services import own_intents
from tests.harness import Harness
from tests.test_journey_community import COMMUNITY, chat, say

__all__ = ["chat"]  # the fixture, used by name

SLOW_DOWN = "Слишком много сообщений подряд — подождите пару секунд, и я снова отвечу."
MENTION = "@partnerbot_sandbox_bot"


async def test_a_private_message_dropped_after_a_group_flood_hears_slow_down(
    chat: Harness,
) -> None:
    anna = chat.user(931)
    await anna.onboard()
    chat.clock.advance(30)  # the onboarding's taps are forgotten by the bucket
    emulator = chat.emulator
    ids = [
        emulator.user_message(931, f"{MENTION} когда выплаты {n}?", chat_id=COMMUNITY)
        for n in range(14)
    ]
    await emulator.wait_processed(ids[-1])
    group = [m.plain for m in emulator.chat_messages(COMMUNITY)]
    assert group.count(SLOW_DOWN) == 1
    before = len(anna.messages)
    await emulator.wait_processed(emulator.user_message(931, "когда выплаты"))
    assert [m.plain for m in anna.messages[before:]] == [SLOW_DOWN]
    # once a minute per chat, as before: the next dropped one hears nothing more
    await emulator.wait_processed(emulator.user_message(931, "когда выплаты?"))
    assert len(anna.messages) == before + 1
    chat.clock.advance(10)
    assert "10 и 25 числа" in (await anna.send("когда выплаты"))[-1].plain


async def test_an_unsure_match_in_the_group_names_what_it_may_be(chat: Harness) -> None:
    """«какая ставка 7» (a stray number) is offered in private as «Сколько я получаю с
    продажи?»: in the group the bot says what it may be, not that the FAQ has nothing."""
    anna = chat.user(932)
    await anna.onboard()
    said = await anna.send("какая ставка 7")
    assert "Вы имели в виду" in said[-1].plain, said[-1].plain
    offered = said[-1].button_labels[0]
    (reply,) = await say(chat, 932, f"{MENTION} какая ставка 7")
    assert "Не нашёл ответа" not in reply
    assert offered in reply
    # nothing close at all: as before
    (reply,) = await say(chat, 933, f"{MENTION} как дела у всех")
    assert "Не нашёл ответа" in reply or "личк" in reply


@pytest.mark.parametrize("text", ["стоп", "Стоп!", "stop", "хватит", "СТОП СТОП", "остановись"])
def test_a_lone_stop_word_reads_as_unsubscribing(text: str) -> None:
    words = text.lower().replace("!", "").split()
    assert own_intents.read(words) == own_intents.Intent("unsubscribe")


@pytest.mark.parametrize(
    "text", ["стоп лосс в офферах", "отмена заказа", "отмена", "хватит ли бюджета", "stop loss"]
)
def test_stop_words_in_a_question_stay_questions(text: str) -> None:
    assert own_intents.read(text.split()) != own_intents.Intent("unsubscribe")


async def test_a_lone_stop_tells_how_to_stop_on_every_platform(harness: Harness) -> None:
    anna = harness.user(934)
    await anna.onboard()
    said = (await anna.send("стоп"))[-1].plain
    assert "/stop" in said, said
    assert "записал его для менеджеров" not in said
    async with harness.services.db.read() as conn:
        import sqlalchemy as sa

        from bot.db.tables import faq_questions

        logged = (await conn.execute(sa.select(faq_questions.c.question))).scalars().all()
    assert "стоп" not in logged


async def test_the_group_answers_with_what_the_faq_learned(chat: Harness) -> None:
    """A wording learned in private (the demo learns after one partner's «Помогло») is
    answered in the group too: the group reads the FAQ with what it learned."""
    anna = chat.user(935)
    await anna.onboard()
    (before,) = await say(chat, 936, f"{MENTION} вопрос про деньги")
    assert "10 и 25 числа" not in before
    await anna.send("вопрос про деньги")
    await anna.press("Когда выплаты?")
    await anna.press("👍 Помогло")
    chat.clock.advance(2)  # the learned index is read again at most once a second
    (after,) = await say(chat, 937, f"{MENTION} вопрос про деньги")
    assert "10 и 25 числа" in after
