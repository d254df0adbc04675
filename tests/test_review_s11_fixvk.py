"""Session 11 (fixvk): a VK manager's reply after a restart on which VK's message ids
started over (the sandbox's emulator; in production a bot moved to another community,
whose conversations number their messages from 1 again) reaches the ticket the manager
sees, not an older one whose managers' message had the same id."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.content.models import FaqEntry
from bot.db.tables import faq_learned, pressed_once
from bot.services.faq_learned_index import LearnedIndex
from bot.services.faq_matching import FaqMatcher
from bot.services.faq_wordings import phrasing_key
from bot.vk.emulator import VkApiEmulator
from tests.faq_teach import run_teach
from tests.harness import (
    MANAGER_ID,
    VK_MANAGER_ID,
    Client,
    Harness,
    chats_emulator,
    running_bot,
)


async def test_a_vk_reply_after_the_ids_started_over_reaches_the_newer_ticket(
    tmp_path: Path,
) -> None:
    async with chats_emulator() as emulator:
        emulator.add_user(MANAGER_ID, "Михаил")
        first_vk = VkApiEmulator()
        try:
            async with running_bot(tmp_path, emulator=emulator, vk=first_vk) as harness:
                harness.vk_manager()  # gets tickets in private
                anna = harness.user(1101)
                await anna.onboard()
                await anna.send("/support Вопрос один из Телеграма")
                await anna.press("✅ Вопрос решён, закрыть")
                told = len(anna.messages)
                first_ids = [m.cmid for m in first_vk.chat_messages(VK_MANAGER_ID)]
        finally:
            await first_vk.stop()
        second_vk = VkApiEmulator()  # its conversations number messages from 1 again
        try:
            async with running_bot(tmp_path, emulator=emulator, vk=second_vk) as harness:
                harness.clock.advance(7 * 86400)  # past the reopen window
                manager = harness.vk_manager()
                vera = harness.vk_user(1102, "Вера")
                await vera.onboard()
                await vera.send("/support Вопрос два из ВК")
                words = manager.last  # the card: it stands for the question
                assert words.text.startswith("🎫 Обращение №2")
                assert words.cmid in first_ids  # the same id ticket №1's messages had
                await manager.send("Ответ менеджера из ВК", reply_to=words)
                assert vera.last.text == "Ответ менеджера из ВК"
                anna = Client(harness, 1101)
                assert len(anna.messages) == told  # the closed ticket's partner: nothing
                await manager.send("/faq_link traffic-allowed", reply_to=words)
                async with harness.services.db.read() as conn:
                    rows = await conn.execute(sa.select(faq_learned))
                    learned = [(row.entry_id, row.phrasing) for row in rows]
                assert learned == [("traffic-allowed", "Вопрос два из ВК")]
        finally:
            await second_vk.stop()


async def test_a_vk_picker_at_an_id_an_old_pressed_picker_had_still_acts(
    tmp_path: Path,
) -> None:
    """The /faq_link picker acts once, kept by its message: a new picker that got the id
    of a picker pressed before the ids started over is a new one."""
    async with running_bot(tmp_path, vk=True) as harness:
        harness.manager()  # the Telegram one gets the ticket too
        manager = harness.vk_manager()
        async with harness.services.db.write() as conn:  # pressed under the old numbering
            for cmid in range(1, 200):
                await conn.execute(
                    pressed_once.insert().values(
                        platform="vk",
                        chat_id=VK_MANAGER_ID,
                        message_id=cmid,
                        pressed_at=harness.clock.now(),
                    )
                )
        vera = harness.vk_user(1104, "Вера")
        await vera.onboard()
        await vera.send("/support где взять партнерскую ссылку на диван")
        await manager.send("/faq_link", reply_to=manager.last)
        picker = manager.last
        assert picker.text.startswith("К какому вопросу FAQ относится"), picker.text
        label = next(b for b in picker.button_labels if b.startswith("referral-link"))
        await manager.press(label, picker)
        assert "Инструменты → Ссылки" in vera.last.text, vera.last.text


async def test_what_a_message_id_stands_for_is_its_newest_messages(harness: Harness) -> None:
    """The same ticket's partner message and, after the ids started over, a note at the
    same id: the note is what the manager sees."""
    anna = harness.user(1105)
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 1105)
    assert partner is not None
    support = harness.services.support
    ticket = (await support.open_for(partner, "вопрос")).ticket
    await support.remember(ticket, "in", 800001, 5, partner_message_id=9, platform="vk")
    assert await support.is_partner_message(ticket, 800001, 5, "vk")
    await support.remember(ticket, "note", 800001, 5, platform="vk")
    assert not await support.is_partner_message(ticket, 800001, 5, "vk")
    assert await support.is_note(ticket, 800001, 5, "vk")


# --- a wording of chatty words alone is learned by no path ---

CHATTY = ("норм", "норм?", "короче норм", "ну точно?", "когда норм?", "ага")


async def _learned(harness: Harness) -> list[tuple[str, str, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(faq_learned).order_by(faq_learned.c.id))
        return [(row.entry_id, row.phrasing, row.status) for row in rows]


def test_faq_teach_refuses_a_wording_of_chatty_words_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [{"q": q, "id": "traffic-allowed"} for q in CHATTY]
    lines.append({"q": "норм ли дорвеи", "id": "traffic-allowed"})  # «норм ли»: allowed
    code, out, taught = run_teach(tmp_path, lines, capsys)
    assert code == 1
    for number in range(1, len(CHATTY) + 1):
        assert f"{taught}:{number}: no words that carry meaning" in out, out
    assert f"learned 1, already known 0, refused {len(CHATTY)}" in out


async def test_helped_and_faq_link_learn_no_wording_of_chatty_words_alone(
    harness: Harness,
) -> None:
    learning = harness.services.faq.learning
    anna = harness.user(1103)
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 1103)
    assert partner is not None
    for wording in CHATTY:
        assert (await learning.propose("traffic-allowed", wording, partner.id)).learned is None
        assert await learning.learn("traffic-allowed", wording, "link") is None
    assert await _learned(harness) == []


async def test_approving_a_waiting_wording_of_chatty_words_alone_rejects_it(
    harness: Harness,
) -> None:
    """A wording waiting from before the rule (or read so since the content changed)."""
    async with harness.services.db.write() as conn:
        for wording in ("норм", "ну точно?"):
            await conn.execute(
                faq_learned.insert().values(
                    entry_id="traffic-allowed",
                    phrasing=wording,
                    phrasing_key=phrasing_key(wording),
                    status="pending",
                    source="helped",
                    created_at=harness.clock.now(),
                )
            )
    moved = await harness.services.faq.learning.move(2, "payout-dates")
    assert moved is not None
    assert moved.status == "rejected"
    manager = harness.manager()
    await manager.send("/faq_learned")
    assert "норм" in manager.last.plain
    await manager.press("✅ Принять")
    assert await _learned(harness) == [
        ("traffic-allowed", "норм", "rejected"),
        ("traffic-allowed", "ну точно?", "rejected"),
    ]
    said = manager.callback_answers()[-1]["text"]
    assert said.startswith("Не принято: в формулировке нет слов со смыслом"), said


# --- the /faq_link picker offers the three closest, by words or by meaning ---


def _entry(entry_id: str, question: str, alt: tuple[str, ...], answer: str) -> FaqEntry:
    return FaqEntry.model_validate(
        {"id": entry_id, "topic": "general", "question": question, "alt": alt, "answer": answer}
    )


SCHOOL = [
    _entry(
        "trial-lesson",
        "Платите ли вы за пробный урок, если ученик потом не купил курс?",
        (),
        "За пробный урок вознаграждения нет: оно начисляется, когда ученик оплатит курс.",
    ),
    _entry(
        "reward-size",
        "Сколько я получаю за ученика?",
        ("Платите ли за продления обучения?",),
        "10% от первой оплаты и 5% от каждого продления.",
    ),
    _entry("teachers", "Кто преподаватели школы?", (), "Практики с опытом от 5 лет."),
    _entry("payout-dates", "Когда выплаты?", (), "Выплаты 10 и 25 числа."),
    _entry("referral-link", "Где взять реферальную ссылку?", (), "В личном кабинете."),
]


def test_the_picker_offers_the_paraphrase_closest_in_meaning() -> None:
    """«продлевается» shares no word with «продления» as read: the entry is offered by
    meaning (the matcher's rank brings the entries closest by sentence vectors)."""
    matcher = FaqMatcher(SCHOOL)
    index = LearnedIndex.__new__(LearnedIndex)  # closest() reads the matcher alone
    question = "мне капает с тех кто потом продлевается?"
    offered = index.closest(matcher, question)
    # how many others come beside it is the model's (3 with session 14's, 2 with 15's)
    assert 1 <= len(offered) <= 3, offered
    assert "reward-size" in offered
    assert index.closest(matcher, "привет") == []  # no word the FAQ knows: nothing


def test_faq_teach_refuses_small_talk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the bot answers small talk itself: a wording of it could never be matched
    talk = ["как дела", "спасибо за ответ!", "хорошего дня", "ты бот?"]
    lines = [{"q": q, "id": "payout-dates"} for q in talk]
    lines.append({"q": "спасибо, а когда выплаты приходят", "id": "payout-dates"})
    code, out, taught = run_teach(tmp_path, lines, capsys)
    assert code == 1
    for number in range(1, len(talk) + 1):
        assert f"{taught}:{number}: small talk" in out, out
    assert f"learned 1, already known 0, refused {len(talk)}" in out


OFFICE = [
    FaqEntry(
        id="sick", topic="t", question="Что делать, если заболел?", answer="Возьмите больничный."
    ),
    FaqEntry(id="parking", topic="t", question="Где оставить машину?", answer="Во дворе."),
    FaqEntry(id="lunch", topic="t", question="Когда обед?", answer="С 13 до 14."),
    FaqEntry(id="salary", topic="t", question="Когда зарплата?", answer="10 и 25 числа."),
]


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("у меня температура, на работу не приду", "sick"),
        ("простыл, лежу с гриппом", "sick"),
        ("куда мне деть свою тачку?", "parking"),
    ],
)
def test_the_picker_offers_an_entry_by_meaning_alone(question: str, entry: str) -> None:
    """The re-check: no word of the question is the FAQ's; the manager's picker still
    offers what is close in meaning. Since session 21 the matcher ranks such a question
    too, against the entries at least MEANING_FLOOR close (docs/decisions.md); a question
    close to nothing («погода сегодня») is still ranked nowhere."""
    matcher = FaqMatcher(OFFICE)
    index = LearnedIndex.__new__(LearnedIndex)
    assert [candidate.entry_id for candidate in matcher.rank(question)][:1] == [entry]
    assert matcher.rank("погода сегодня") == []
    assert index.closest(matcher, question)[:1] == [entry]
    assert index.closest(matcher, "погода сегодня") == []  # nothing close: nothing offered
