"""What an independent tester of session 26 found (problems 4, 5 and 6): the English
rating confirmation named another word than the button pressed; a press the platform no
longer takes an answer to (MAX's 404 «callback not found», Telegram's «query is too
old», VK's «invalid event_id») logged a traceback of 90 lines as an ERROR; a ticket's
forum topic kept the partner's name after /forget and their old name after a new one."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.tables import tickets
from bot.i18n import Translator
from tests.harness import Harness, running_bot
from tests.test_journey_support import FORUM, forum, in_chat, topic_of

__all__ = ["forum"]  # the fixture, used by name

TOO_LATE = "could not be answered"  # the one warning of a press answered too late
BLOGGER = "Блогер (соцсети, YouTube, Telegram)"


def _too_late(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if TOO_LATE in r.getMessage()]


def _no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failed, failed
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def _rating(harness: Harness, number: int = 1) -> str | None:
    async with harness.services.db.read() as conn:
        return await conn.scalar(sa.select(tickets.c.rating).where(tickets.c.id == number))


# --- 4: the rating's words -----------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_rating_confirmation_names_the_button_pressed(language: str) -> None:
    """Every language shipped: what the partner is told they chose is the label of the
    button they pressed, 👍 and 👎 alike."""
    l10n = Translator().get(language)
    for vote in ("up", "down"):
        label = l10n(f"support-rate-{vote}")
        said = l10n(f"support-rated-{vote}", number=7)
        assert f": {label} " in said, (language, vote, label, said)


async def test_an_english_partner_rates_a_ticket_in_the_words_of_the_buttons(
    harness: Harness,
) -> None:
    await harness.manager().send("/start")  # tickets reach the managers in private
    john = harness.user(2661, "John", language="en")
    await john.onboard_in_english()
    for number, (label, told) in enumerate(
        (
            ("👍 Helpful", "Your rating: 👍 Helpful — thank you!"),
            ("👎 Not helpful", "Your rating: 👎 Not helpful — sorry."),
        ),
        start=1,
    ):
        harness.clock.advance(3600 * 80)  # past the reopening window: a new ticket
        opened = await john.send(f"/support Where is my payout {number}?")
        assert opened[-1].plain.startswith(f"Ticket #{number} is open")
        await john.press("✅ Solved, close it")
        assert john.last.plain == f"Ticket #{number} is closed. How was the help?"
        assert john.last.button_labels == ["👍 Helpful", "👎 Not helpful"]
        rated = john.last
        await john.press(label)
        assert rated.plain.startswith(f"Ticket #{number} is closed. {told}"), rated.plain
        assert rated.button_labels == []


# --- 6: a press the platform no longer takes an answer to ----------------------------


async def test_a_telegram_press_too_old_to_answer_is_one_warning_and_the_rest_goes_on(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The rating pressed long ago (the bot was down): Telegram refuses its answer («query
    is too old»). The rating is kept, the message shows it, the managers hear of it."""
    harness.allowed_errors.add("answerCallbackQuery")
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(2662)
    await anna.onboard()
    await anna.send("/support Не пришла выплата")
    await anna.press("✅ Вопрос решён, закрыть")
    rated = anna.last
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await anna.press("👍 Помогли", expired=True)
    assert rated.plain.startswith("Обращение №1 закрыто. Ваша оценка: 👍 Помогли")
    assert await _rating(harness) == "up"
    assert "Оценка по обращению №1: 👍" in manager.last.plain
    (warning,) = _too_late(caplog)
    assert warning.levelno == logging.WARNING
    assert "query is too old" in warning.getMessage()
    _no_error_logged(caplog)
    # the bot goes on as before
    assert "10 и 25 числа" in (await anna.send("когда выплаты"))[-1].plain


async def test_a_forged_max_press_refused_too_late_to_answer_logs_no_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The tester's case: a partner's press of a manager's «Подтвердить» (`lk:…`) that MAX
    never takes an answer to. The refusal is audited as before; its «no longer available»
    answer meets MAX's 404 «callback not found»: one warning, the update handled."""
    async with running_bot(tmp_path, maxbot=True) as harness:
        harness.allowed_errors.add("POST /answers")
        await harness.manager().send("/start")  # tickets reach the managers in private
        await harness.max_manager().open()
        maria = harness.max_user(501)
        await maria.onboard()
        assert harness.max is not None
        caplog.clear()
        with caplog.at_level(logging.INFO):
            marker = harness.max.press_payload(501, maria.last, "lk:max:501", expired=True)
            await harness.max.wait_processed(marker)
        assert "refused manager command approve_link from max:501" in caplog.text
        refused = [r for r in harness.max.requests if r.method == "POST /answers"]
        assert [(r.status, r.code) for r in refused] == [(404, "not.found")]
        (warning,) = _too_late(caplog)
        assert warning.levelno == logging.WARNING
        assert "callback not found" in warning.getMessage()
        _no_error_logged(caplog)
        # a rating pressed too late on MAX: kept and shown all the same
        await maria.send("/support Где акт?")
        await maria.press("✅ Вопрос решён, закрыть")
        rated = maria.last
        await maria.press("👍 Помогли", expired=True)
        assert await _rating(harness) == "up"
        shown = harness.max.chat_messages(maria.dialog)
        assert any(m.mid == rated.mid and "Ваша оценка: 👍 Помогли" in m.plain for m in shown)
        assert "10 и 25 числа" in (await maria.send("когда выплаты"))[-1].plain


async def test_a_vk_event_answered_too_late_is_one_warning_and_the_screen_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tmp_path, vk=True) as harness:
        harness.allowed_errors.add("messages.sendMessageEventAnswer")
        vera = harness.vk_user(2663)
        await vera.send("Начать")
        segment = next(b for b in vera.last.button_labels if b.startswith("Вебмастер"))
        caplog.clear()
        with caplog.at_level(logging.INFO):
            await vera.press(segment, expired=True)
        assert "Откуда у вас трафик?" in vera.last.text  # the onboarding goes on
        (warning,) = _too_late(caplog)
        assert warning.levelno == logging.WARNING
        _no_error_logged(caplog)


# --- 5: a ticket's forum topic and the partner's name --------------------------------


async def test_forget_renames_every_topic_of_the_partners_tickets(forum: Harness) -> None:
    anna = forum.user(2664, "Анна")
    await anna.onboard("Блогер")
    await anna.send("/support Не пришла выплата")
    first = topic_of(forum, 1)
    await anna.press("✅ Вопрос решён, закрыть")
    boris = forum.user(2665, "Борис")  # another partner's topic keeps its title
    await boris.onboard("Блогер")
    await boris.send("/support Где акт?")
    forum.clock.advance(3600 * 80)  # past the reopening window: a new ticket
    await anna.send("/support Как сменить реквизиты?")
    third = topic_of(forum, 3)
    assert forum.emulator.topics[(FORUM, third)] == f"#3 · Анна · {BLOGGER}"

    await anna.send("/forget")
    await anna.press("Да, удалить")
    topics = forum.emulator.topics
    assert topics[(FORUM, first)] == "#1 · данные удалены"
    assert topics[(FORUM, third)] == "#3 · данные удалены"
    assert topics[(FORUM, topic_of(forum, 2))] == f"#2 · Борис · {BLOGGER}"
    # the open ticket's topic was renamed before the 🗑 notice was posted in it
    requests = forum.emulator.requests
    renamed = next(
        i
        for i, r in enumerate(requests)
        if r.method == "editForumTopic" and r.params["message_thread_id"] == third
    )
    noticed = next(
        i
        for i, r in enumerate(requests)
        if r.method == "sendMessage" and str(r.params.get("text", "")).startswith("🗑")
    )
    assert renamed < noticed
    assert forum.emulator.chat_messages(FORUM)[-1].thread_id == third
    async with forum.services.db.read() as conn:
        rows = (await conn.execute(sa.select(tickets))).mappings().all()
    assert len(rows) == 3
    assert not any("Анна" in str(value) for row in rows for value in row.values())


async def test_forget_in_english_renames_in_the_managers_language(forum: Harness) -> None:
    """The title is the managers' (the program's language), whatever the partner's."""
    john = forum.user(2666, "John", language="en")
    await john.onboard_in_english()
    await john.send("/support Where is my payout?")
    thread = topic_of(forum, 1)
    await john.send("/forget")
    await john.press("Yes, delete")
    assert forum.emulator.topics[(FORUM, thread)] == "#1 · данные удалены"


async def test_a_new_display_name_retitles_the_topic_at_the_partners_next_message(
    forum: Harness,
) -> None:
    anna = forum.user(2667, "Анна")
    await anna.onboard("Блогер")
    await anna.send("/support Не пришла выплата")
    thread = topic_of(forum, 1)
    emulator = forum.emulator

    def edits() -> int:
        return sum(r.method == "editForumTopic" for r in emulator.requests)

    await anna.send("номер заказа 12345")  # the same name: nothing asked of Telegram
    assert edits() == 0

    emulator.users[2667].first_name = "Tom & Jerry"  # the sandbox's «/name Tom & Jerry»
    await anna.send("и ещё скриншот")
    assert emulator.topics[(FORUM, thread)] == f"#1 · Tom & Jerry · {BLOGGER}"
    assert edits() == 1
    await anna.send("жду ответа")
    assert edits() == 1

    # /support with words while the ticket is open (no message copied) retitles it too
    emulator.users[2667].first_name = "Аня"
    await anna.send("/support ещё вопрос про акт")
    assert emulator.topics[(FORUM, thread)] == f"#1 · Аня · {BLOGGER}"
    # and a manager's reply in the retitled topic reaches the partner as before
    await in_chat(forum, FORUM, "Проверили, всё в порядке", thread_id=thread)
    assert anna.last.plain == "Проверили, всё в порядке"


async def test_a_topic_that_cannot_be_retitled_does_not_stop_the_ticket(
    forum: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram refuses the rename (the topic deleted by a manager, say): the partner's
    message goes on into a new topic, /forget goes through; each refusal one warning."""
    # the refused renames, the copy that finds the topic gone, the 🗑 note into it
    forum.allowed_errors.update({"editForumTopic", "copyMessage", "sendMessage"})
    anna = forum.user(2668, "Анна")
    await anna.onboard("Блогер")
    await anna.send("/support Не пришла выплата")
    thread = topic_of(forum, 1)
    emulator = forum.emulator
    del emulator.topics[(FORUM, thread)]  # a manager deleted the topic
    emulator.users[2668].first_name = "Аня"
    with caplog.at_level(logging.INFO):
        await anna.send("номер заказа 12345")
    assert emulator.topics[(FORUM, topic_of(forum, 1))] == f"#1 · Аня · {BLOGGER}"
    assert emulator.chat_messages(FORUM)[-1].plain == "номер заказа 12345"
    del emulator.topics[(FORUM, topic_of(forum, 1))]
    with caplog.at_level(logging.INFO):
        await anna.send("/forget")
        await anna.press("Да, удалить")
    assert anna.last.plain.startswith("Ваши данные удалены")
    refused = [r for r in caplog.records if "topic not renamed" in r.getMessage()]
    assert [r.levelno for r in refused] == [logging.WARNING, logging.WARNING]
    _no_error_logged(caplog)
