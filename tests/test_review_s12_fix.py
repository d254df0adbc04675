"""Session 12 (task fix12): defects left from earlier sessions.

1. Two workers approving one partner's sales at the same instant both told their
   approval with the same `mark`, so neither congratulated the milestone between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy import event
from sqlalchemy.util import await_only

from bot.cli import main
from bot.db.engine import Database
from bot.db.tables import faq_learned, pressed_once, tickets
from bot.services.conversions import ConversionIn
from bot.services.faq_wordings import MAX_PHRASING
from bot.services.sales import SalesService
from bot.telegram.emulator import SentMessage
from scheduler.support import raise_overdue_tickets
from tests.faq_teach import run_teach
from tests.harness import (
    DEMO_CONTENT,
    MANAGER_ID,
    Harness,
    chats_emulator,
    running_bot,
    sales_told,
)
from tests.test_faq_learning import group
from tests.test_journey_notices import NOON, linked, postback
from tests.test_journey_support import GROUP, in_chat
from tests.test_review_s10_fixb10 import TEN, _held_listeners

__all__ = ["group"]  # the fixture

# --- 1. milestones exact when two workers approve one partner's sales at once ---


@contextmanager
def _listening(db: Database, name: str, hook: Any, **options: Any) -> Iterator[None]:
    event.listen(db.engine.sync_engine, name, hook, **options)
    try:
        yield
    finally:
        event.remove(db.engine.sync_engine, name, hook)


async def test_two_workers_approving_at_once_congratulate_a_milestone_once(
    harness: Harness,
) -> None:
    """Worker B writes its sale's event first and is held there; worker A writes and
    commits its sale meanwhile (or, when it has to wait for B, B goes on as soon as A
    waits); then B commits. The tenth sale is congratulated once, whichever it is."""
    anna = await linked(harness, 8401, "Анна", "race-1")
    for n in range(9):  # the tenth is the first of the two
        await postback(harness, "race-1", f"r{n}")
    await harness.deliver()
    mark = len(anna.messages)
    gate = await _held_listeners(harness)  # both commits are in before either is told
    url = harness.services.settings.database_url
    worker_a, worker_b = Database.from_url(url), Database.from_url(url)
    sales = {
        db: SalesService(db, harness.services.content_store, harness.services.clock)
        for db in (worker_a, worker_b)
    }
    for service in sales.values():
        service.approved_listeners = harness.services.sales.approved_listeners
    b_written, a_waits = asyncio.Event(), asyncio.Event()

    def a_may_wait(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        """A statement of A's that may wait for B's transaction to end: SQLite's
        BEGIN IMMEDIATE, PostgreSQL's locks."""
        if any(word in statement.upper() for word in ("BEGIN IMMEDIATE", "LOCK", "FOR UPDATE")):
            a_waits.set()

    def b_held(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith("INSERT INTO conversion_events") and not b_written.is_set():
            b_written.set()
            await_only(a_waits.wait())

    async def approve(db: Database, number: str) -> None:
        item = ConversionIn("race-1", number, "approved", Decimal(1500), "RUB", NOON)
        try:
            await sales[db].submit(item)
        finally:
            a_waits.set()  # A is done (or failed): B goes on

    with (
        _listening(worker_a, "before_cursor_execute", a_may_wait),
        _listening(worker_b, "after_cursor_execute", b_held),
    ):
        b = asyncio.create_task(approve(worker_b, "r9"))
        await b_written.wait()
        await asyncio.gather(approve(worker_a, "r10"), b)
    gate.set()
    for service in sales.values():
        await service.close()
    for db in sales:
        await db.close()
    await harness.deliver()
    said = [m.plain for m in anna.messages[mark:]]
    assert said.count(TEN) == 1, said
    assert sales_told(said) == 2, said


# --- 2. an old "Solved, close it" does not close the ticket reopened since ---

CLOSE = "✅ Вопрос решён, закрыть"
REOPENED_SINCE = (
    "Обращение №1 открыто снова после этого сообщения. "
    "Закрыть его можно кнопкой под последним сообщением."
)


async def _tickets(harness: Harness) -> list[tuple[int, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(tickets.c.id, tickets.c.status).order_by(tickets.c.id))
        return [(row.id, row.status) for row in rows]


async def test_an_old_close_button_does_not_close_the_ticket_reopened_since(
    group: Harness,
) -> None:
    anna = group.user(1040)
    await anna.onboard()
    first = (await anna.send("/support Не пришла выплата за октябрь"))[-1]
    assert first.button_labels == [CLOSE]
    await anna.press(CLOSE, first)  # valid: closes
    assert await _tickets(group) == [(1, "closed")]
    group.clock.advance(3600)  # within ticket_reopen_hours: the same ticket opens again
    second = (await anna.send("/support снова вопрос про холд заказов"))[-1]
    assert second.plain.startswith("Обращение №1 снова открыто")
    managers = len(group.emulator.chat_messages(GROUP))

    await anna.press(CLOSE, first)  # stale: the ticket was reopened since
    assert anna.callback_answers()[-1]["text"] == REOPENED_SINCE
    await anna.press_data(first, "t:close:1:")  # a button from before the stamp: the same
    assert anna.callback_answers()[-1]["text"] == REOPENED_SINCE
    assert await _tickets(group) == [(1, "open")]
    assert len(group.emulator.chat_messages(GROUP)) == managers  # the managers told nothing
    await anna.send("номер заказа 12345")  # still goes to the open ticket
    assert group.emulator.chat_messages(GROUP)[-1].plain == "номер заказа 12345"

    await anna.press(CLOSE, second)  # the one given since: closes
    assert await _tickets(group) == [(1, "closed")]
    assert group.emulator.chat_messages(GROUP)[-1].plain == "✅ Партнёр закрыл обращение №1."
    await anna.press(CLOSE, first)  # closed now: said so, as before
    assert anna.callback_answers()[-1]["text"] == "Это обращение уже закрыто."


# --- 3. `pressed_once` rows go once no button can be pressed again ---

DONE = "Уже сделано: ответ из этого выбора партнёру отправлен."
EXPIRED = (
    "Этот выбор старше 7 дней. "
    "Чтобы отправить ответ, ответьте /faq_link на сообщение партнёра ещё раз."
)


async def _pressed(harness: Harness) -> int:
    async with harness.services.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(pressed_once)) or 0)


def _data(message: SentMessage, label: str) -> str:
    return next(
        str(button["callback_data"])
        for row in message.buttons
        for button in row
        if button["text"] == label
    )


async def _sla_job(harness: Harness) -> None:
    services = harness.services
    relay = harness.dp.workflow_data["relay"]
    await raise_overdue_tickets(harness.bot, services.support, relay, services.partners)


async def test_presses_are_forgotten_once_no_picker_button_acts_any_more(
    group: Harness,
) -> None:
    anna = group.user(1050)
    await anna.onboard()
    await anna.send("/support а промокоды есть?")
    card = group.emulator.chat_messages(GROUP)[-1]
    await in_chat(group, GROUP, "/faq_link", reply_to=card.message_id)
    picker = group.emulator.chat_messages(GROUP)[-1]
    label = next(label for label in picker.button_labels if "ромокод" in label)
    promo = _data(picker, label)
    manager = group.manager()
    got = len(anna.messages)
    await manager.press_data(picker, promo)
    assert len(anna.messages) == got + 1
    assert await _pressed(group) == 1
    await _sla_job(group)
    assert await _pressed(group) == 1  # kept: a second press must still do nothing
    group.clock.advance(6 * 86400)
    await manager.press_data(picker, promo)  # an old view of it: done
    assert manager.callback_answers()[-1]["text"].startswith(DONE)
    await _sla_job(group)
    assert await _pressed(group) == 1

    # a picker drawn now acts for a week, and is refused after it
    await in_chat(group, GROUP, "/faq_link", reply_to=card.message_id)
    second = group.emulator.chat_messages(GROUP)[-1]
    group.clock.advance(8 * 86400)
    for data in (_data(second, label), _data(second, "📋 Другая статья")):
        await manager.press_data(second, data)
        assert manager.callback_answers()[-1]["text"] == EXPIRED, data
    assert len(anna.messages) == got + 1  # nothing sent again

    await _sla_job(group)  # the first press is 14 days old: no button of its picker acts
    assert await _pressed(group) == 0
    await manager.press_data(picker, promo)  # still refused: it is too old, not sent again
    assert manager.callback_answers()[-1]["text"] == EXPIRED
    assert len(anna.messages) == got + 1


# --- 4. /faq_link says why it did not learn a wording ---


async def _learned(harness: Harness) -> list[tuple[str, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(faq_learned).order_by(faq_learned.c.id))
        return [(row.entry_id, row.phrasing) for row in rows]


async def test_faq_link_says_why_a_wording_was_not_learned(group: Harness) -> None:
    anna = group.user(1060)
    await anna.onboard()
    await anna.send("/support Не пришла выплата за октябрь")
    cases = [
        ("норм", "Формулировка не запомнена: в ней нет слов, которые несут смысл."),
        ("как дела", "Формулировка не запомнена: это светская беседа, на неё бот отвечает сам."),
        ("когда?", "Формулировка не запомнена: в ней одни вопросительные слова."),
    ]
    for words, why in cases:
        await anna.send(words)
        relayed = group.emulator.chat_messages(GROUP)[-1]
        assert relayed.plain == words
        got = len(anna.messages)
        await in_chat(group, GROUP, "/faq_link hold-period", reply_to=relayed.message_id)
        note = group.emulator.chat_messages(GROUP)[-1].plain
        assert note == f"Партнёр получил ответ «hold-period». {why}", words
        assert len(anna.messages) == got + 1  # the answer still goes
        assert "Холд — 14 дней" in anna.last.plain
    assert await _learned(group) == []
    # a wording worth learning still is
    await anna.send("как долго проверяют заказ после доставки")
    relayed = group.emulator.chat_messages(GROUP)[-1]
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=relayed.message_id)
    note = group.emulator.chat_messages(GROUP)[-1].plain
    assert note == "Партнёр получил ответ «hold-period». Формулировка запомнена."
    assert await _learned(group) == [("hold-period", "как долго проверяют заказ после доставки")]


async def test_faq_link_says_why_in_english_too(tmp_path: Path) -> None:
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Managers")
        emulator.add_user(MANAGER_ID, "Mike", language_code="en")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=GROUP) as harness:
            anna = harness.user(1061)
            await anna.onboard()
            await anna.send("/support Не пришла выплата за октябрь")
            await anna.send("норм")
            relayed = emulator.chat_messages(GROUP)[-1]
            await in_chat(harness, GROUP, "/faq_link hold-period", reply_to=relayed.message_id)
            note = emulator.chat_messages(GROUP)[-1].plain
            assert note == (
                "The partner got the answer “hold-period”. "
                "The phrasing is not learned: it has no words that carry meaning."
            )


# --- 5. learned wordings stored folded: no Zalgo, «й» and «ё» kept ---


def _zalgo(text: str) -> str:
    """Combining marks stacked on every letter; «й» and «ё» typed decomposed."""
    text = text.replace("й", "и\u0306").replace("ё", "е\u0308")
    return "".join(char + ("\u0336\u0489\u035b" if char.isalpha() else "") for char in text)


TAUGHT = "сколько ещё длится мой холд"
HEAVY = "как долго идёт проверка заказа"


def test_faq_teach_stores_and_exports_the_folded_wording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = _zalgo(TAUGHT)
    assert len(typed) > 3 * len(TAUGHT)
    code, out, _file = run_teach(tmp_path, [{"q": typed, "id": "hold-period"}], capsys)
    assert code == 0, out
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        assert main(["faq", "learned", "--export", "--content", str(DEMO_CONTENT)]) == 0
    exported = yaml.safe_load(capsys.readouterr().out)
    assert exported == [{"id": "hold-period", "alt": [TAUGHT]}]


async def test_faq_link_and_helped_store_the_folded_wording(group: Harness) -> None:
    anna = group.user(1070)
    await anna.onboard()
    await anna.send("/support Не пришла выплата за октябрь")
    await anna.send(_zalgo(TAUGHT))
    relayed = group.emulator.chat_messages(GROUP)[-1]
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=relayed.message_id)
    assert "Формулировка запомнена" in group.emulator.chat_messages(GROUP)[-1].plain
    heavy = "".join(char + "\u0336" * 20 for char in HEAVY)  # over MAX_PHRASING as typed
    assert len(heavy) > MAX_PHRASING
    await anna.send(heavy)
    relayed = group.emulator.chat_messages(GROUP)[-1]
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=relayed.message_id)
    assert "Формулировка запомнена" in group.emulator.chat_messages(GROUP)[-1].plain
    boris = group.user(1071, "Борис")
    await boris.onboard()
    await boris.send(_zalgo("вопрос про деньги"))  # "did you mean": «Когда выплаты?» among them
    await boris.press("Когда выплаты?")
    await boris.press("👍 Помогло")
    assert await _learned(group) == [
        ("hold-period", TAUGHT),
        ("hold-period", HEAVY),
        ("payout-dates", "вопрос про деньги"),
    ]
