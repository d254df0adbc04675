"""Session 10 (fixa10), after review 10: a /cancel confirmation withdraws only the ticket
as it was when given (not the same ticket reopened since), on Telegram, VK and MAX; the
/faq_link picker sends its answer and learns once, however often it is pressed; /cancel
given arguments gets its usage, as other commands that take none."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.tables import faq_learned, tickets
from tests.harness import MANAGER_ID, Harness, chats_emulator, running_bot
from tests.test_faq_learning import group
from tests.test_journey_support import GROUP, in_chat
from tests.test_journey_vk_max import Side

__all__ = ["group"]  # the fixture

WITHDRAWN = "🚫 Партнёр отозвал вопрос: обращение №1 закрыто."
GONE = "Этот пункт больше недоступен"
CLOSED = "Это обращение уже закрыто."


async def _tickets(harness: Harness) -> list[tuple[int, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(tickets.c.id, tickets.c.status).order_by(tickets.c.id))
        return [(row.id, row.status) for row in rows]


async def test_a_confirmation_given_before_a_reopen_no_longer_withdraws(group: Harness) -> None:
    anna = group.user(1030)
    await anna.onboard()
    await anna.send("/support Не пришла выплата за октябрь")
    first = (await anna.send("/cancel"))[-1]
    second = (await anna.send("/cancel"))[-1]
    await anna.press("Да, отозвать", second)
    assert await _tickets(group) == [(1, "closed")]
    await anna.press("Да, отозвать", first)  # the same ticket, still closed: said so
    assert anna.callback_answers()[-1]["text"] == CLOSED

    group.clock.advance(3600)
    await anna.send("/support снова вопрос про холд заказов")  # reopened
    assert await _tickets(group) == [(1, "open")]
    managers = len(group.emulator.chat_messages(GROUP))
    for old in (first, second):
        for label, data in (("yes", "t:withdraw:1:0"), ("no", "t:keep:1:0")):
            await anna.press_data(old, data)
            assert anna.callback_answers()[-1]["text"].startswith(GONE), label
    # forged stamps: refused too
    for data in ("t:withdraw:1:", "t:withdraw:1:2", "t:withdraw:1:x", "t:withdraw:1:-1"):
        await anna.press_data(first, data)
        assert anna.callback_answers()[-1]["text"].startswith(GONE), data
    assert await _tickets(group) == [(1, "open")]
    assert len(group.emulator.chat_messages(GROUP)) == managers  # the managers told nothing

    # a confirmation given now withdraws it
    await anna.send("/cancel")
    await anna.press("Да, отозвать")
    assert await _tickets(group) == [(1, "closed")]
    assert group.emulator.chat_messages(GROUP)[-1].plain == WITHDRAWN


@pytest.mark.parametrize(
    "side",
    [Side("vk", "Рассылки: только во ВКонтакте"), Side("max", "Рассылки: только в MAX")],
    ids=["vk", "max"],
)
async def test_an_old_confirmation_after_a_reopen_on_vk_and_max(
    side: Side, tmp_path: Path
) -> None:
    async with side.running(tmp_path, managers_chat=True) as harness:
        harness.vk_manager()
        harness.max_manager()
        partner = side.person(harness, 1031, "Вера")
        await partner.onboard()
        await partner.send("/support Где статистика?")
        command = "cancel" if side.platform == "vk" else "/cancel"
        old = (await partner.send(command))[-1]
        await partner.send(command)
        await partner.press("Да, отозвать")
        assert await _tickets(harness) == [(1, "closed")]
        harness.clock.advance(3600)
        await partner.send("/support Где статистика за ноябрь?")
        assert await _tickets(harness) == [(1, "open")]
        told = len(side.managers_chat(harness))
        await partner.press("Да, отозвать", old)  # type: ignore[arg-type]
        assert await _tickets(harness) == [(1, "open")]
        assert WITHDRAWN not in side.managers_chat(harness)[told:]
        if side.platform == "vk":
            assert harness.vk is not None
            assert harness.vk.event_answers[-1]["data"]["text"].startswith(GONE)


async def test_cancel_with_arguments_gets_its_usage(group: Harness) -> None:
    anna = group.user(1032)
    await anna.onboard()
    usage = "Команда /cancel работает без параметров. Просто отправьте /cancel"
    await anna.send("/support Не пришла выплата за октябрь")
    replies = await anna.send("/cancel now please")
    assert [m.plain for m in replies] == [usage]
    assert await _tickets(group) == [(1, "open")]
    # in the step that asks for the question: the usage, and the step goes on
    boris = group.user(1033, "Борис")
    await boris.onboard()
    await boris.send("/support")
    replies = await boris.send("/cancel now please")
    assert [m.plain for m in replies] == [usage]
    await boris.send("Где акт сверки?")
    assert await _tickets(group) == [(1, "open"), (2, "open")]


async def _learned(harness: Harness) -> list[tuple[str, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(faq_learned).order_by(faq_learned.c.id))
        return [(row.entry_id, row.phrasing) for row in rows]


DONE = "Уже сделано: ответ из этого выбора партнёру отправлен."


async def test_the_faq_link_picker_sends_and_learns_once(group: Harness) -> None:
    anna = group.user(1034)
    await anna.onboard()
    await anna.send("/support")
    await anna.send("Не пришла выплата за октябрь")
    await anna.send("а промокоды есть?")
    question = group.emulator.chat_messages(GROUP)[-1]
    await in_chat(group, GROUP, "/faq_link", reply_to=question.message_id)
    picker = group.emulator.chat_messages(GROUP)[-1]
    got = len(anna.messages)
    emulator = group.emulator
    day = group.services.support.presses.day()  # the buttons' day (they act for a week)
    # a double tap: two presses arrive before either is handled; then a third, later
    presses = [
        emulator.press_data(MANAGER_ID, picker, f"fk:1:promo-codes:to:{day}") for _ in range(2)
    ]
    for update in presses:
        await emulator.wait_processed(update)
    await emulator.wait_processed(
        emulator.press_data(MANAGER_ID, picker, f"fk:1:promo-codes:to:{day}")
    )
    answers = [m.plain for m in anna.messages[got:]]
    assert len(answers) == 1
    assert "промокод" in answers[0]
    assert await _learned(group) == [("promo-codes", "а промокоды есть?")]
    done = list(emulator.callback_answers.values())[-2:]
    assert all(a["text"].startswith(DONE) and a["show_alert"] for a in done)
    note = emulator.chat_messages(GROUP)[-1]
    assert note.message_id == picker.message_id
    assert note.plain.startswith("Партнёр получил ответ")
    # browsing the done picker (an old keyboard) does not bring it back
    await emulator.wait_processed(emulator.press_data(MANAGER_ID, picker, f"fk:1:0:tl:{day}"))
    assert list(emulator.callback_answers.values())[-1]["text"].startswith(DONE)
    assert emulator.chat_messages(GROUP)[-1].plain == note.plain
    assert not [r for r in emulator.requests if r.method == "editMessageText" and r.status >= 400]
    # a new picker on the same message links again, once
    await in_chat(group, GROUP, "/faq_link", reply_to=question.message_id)
    again = emulator.chat_messages(GROUP)[-1]
    await emulator.wait_processed(
        emulator.press_data(MANAGER_ID, again, f"fk:1:promo-codes:to:{day}")
    )
    assert len(anna.messages[got:]) == 2


async def test_two_managers_pressing_the_picker_at_once_send_it_once(tmp_path: Path) -> None:
    other = MANAGER_ID + 1
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        emulator.add_user(other, "Ольга")
        async with running_bot(
            tmp_path,
            emulator=emulator,
            tg_managers_chat_id=GROUP,
            managers=f"tg:{MANAGER_ID},tg:{other}",
        ) as harness:
            anna = harness.user(1035)
            await anna.onboard()
            await anna.send("/support а промокоды есть?")
            card = emulator.chat_messages(GROUP)[-1]
            await in_chat(harness, GROUP, "/faq_link", reply_to=card.message_id)
            picker = emulator.chat_messages(GROUP)[-1]
            got = len(anna.messages)
            day = harness.services.support.presses.day()
            presses = [
                emulator.press_data(manager, picker, f"fk:1:promo-codes:to:{day}")
                for manager in (MANAGER_ID, other)
            ]
            for update in presses:
                await emulator.wait_processed(update)
            assert len(anna.messages[got:]) == 1
            texts = [a.get("text", "") for a in list(emulator.callback_answers.values())[-2:]]
            assert sum(text.startswith(DONE) for text in texts) == 1
