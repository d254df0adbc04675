"""Session 15 (fix15a): what partners and managers teach the FAQ never breaks it.

An entry's own wordings (question, alt) always answer that entry: a learned wording never
takes them (nor a short one a question an entry's own wording matches better); `faq teach`,
/faq_link, a gap's 🔗, partners' votes and the review refuse a wording that reads as another
entry's own; partners' votes approve a wording only when they agree, counted per person.
The bot never learns its own placeholder for what could not cross between messengers, and
/reload says how many learned wordings went back to review."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.content.loader import load_content
from bot.db.tables import faq_learned, partners
from bot.services.faq_matching import FaqMatcher, Match
from tests.faq_teach import run_teach
from tests.harness import DEMO_CONTENT, Harness, max_managers_bot, running_bot
from tests.test_faq_learning import _content_with, group
from tests.test_journey_support import GROUP, in_chat

__all__ = ["group"]  # the fixture

OWN = "Когда выплаты?"  # payout-dates' question in the demo FAQ
MAX_MANAGERS = -7151


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher(load_content(DEMO_CONTENT).faq)


# --- the matcher: an entry's own wordings answer it -----------------------------------


@pytest.mark.parametrize("question", [OWN, "когда выплаты", "выплаты", "выплаты норм?"])
def test_a_wording_learned_for_another_entry_never_takes_an_entrys_own(
    matcher: FaqMatcher, question: str
) -> None:
    # two partners (or a manager) taught «Когда выплаты?» and «выплаты» to commission-rate:
    # it answered «Когда выплаты?», «когда выплаты», «выплаты норм?» with it, confidence 1.0
    taught = matcher.with_learned({"commission-rate": [OWN, "выплаты"]})
    found = taught.match(question)
    assert (found.outcome, found.entry_id) == ("answer", "payout-dates")
    assert found.score >= taught.model.answer
    assert taught.rank(question)[0].entry_id == "payout-dates"
    assert matcher.own_entries(question) == ["payout-dates"]


def test_a_short_learned_wording_does_not_pull_a_question_an_own_wording_matches_better() -> None:
    # a FAQ whose question is «Когда приходят выплаты?»: «выплаты» alone is no entry's own
    # wording, so a manager may teach it to commission-rate. «когда выплаты» (question
    # words aside: «выплаты») reads as that learned wording, but payout-dates' own wording
    # shares every word of it with the question, and «когда» too
    faq = [
        entry.model_copy(update={"question": "Когда приходят выплаты?"})
        if entry.id == "payout-dates"
        else entry
        for entry in load_content(DEMO_CONTENT).faq
    ]
    matcher = FaqMatcher(faq)
    assert matcher.own_entries("выплаты") == []
    assert matcher.match("когда выплаты").entry_id == "payout-dates"
    taught = matcher.with_learned({"commission-rate": ["выплаты"]})
    assert taught.match("когда выплаты").entry_id == "payout-dates"
    assert taught.match("выплаты") == Match("answer", "commission-rate", 1.0)  # as taught
    # a learned wording of other words still answers at once (docs/faq.md)
    taught = matcher.with_learned({"payout-dates": ["шо по бабосам в пятницу"]})
    assert taught.match("по бабосам в пятницу") == Match("answer", "payout-dates", 1.0)


# --- faq teach, /faq_link, votes, the review refuse another entry's own wording -------------


def test_teach_refuses_another_entrys_own_wording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"q": OWN, "id": "commission-rate"},
        {"q": "выплаты норм?", "id": "commission-rate"},
        {"q": "когда выплаты", "id": "payout-dates"},  # its own entry: fine
        {"q": "шо по бабосам в пятницу", "id": "payout-dates"},
    ]
    code, out, taught = run_teach(tmp_path, lines, capsys)
    assert code == 1
    assert f"{taught}:1: reads the same as a wording of 'payout-dates' in faq.yaml" in out
    assert f"{taught}:2: reads the same as a wording of 'payout-dates'" in out
    assert ":3:" not in out
    assert "learned 2, already known 0, refused 2" in out
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        from bot.cli import main

        assert main(["faq", "match", OWN, "--content", str(DEMO_CONTENT)]) == 0
    assert capsys.readouterr().out.startswith("payout-dates 1.00")


async def _partner_id(harness: Harness, user_id: int) -> int:
    partner = await harness.services.partners.by_user("tg", user_id)
    assert partner is not None
    return partner.id


async def test_partners_votes_and_a_link_never_learn_another_entrys_own_wording(
    group: Harness,
) -> None:
    learning = group.services.faq.learning
    anna = group.user(1501)
    await anna.onboard()
    proposed = await learning.propose(
        "commission-rate", "выплаты норм?", await _partner_id(group, anna.user_id)
    )
    assert proposed.learned is None
    assert await learning.learn("commission-rate", OWN, "gap") is None
    await anna.send("/support")
    await anna.send("выплаты норм?")
    card = group.emulator.chat_messages(GROUP)[-2]
    await in_chat(group, GROUP, "/faq_link commission-rate", reply_to=card.message_id)
    note = group.emulator.chat_messages(GROUP)[-1].plain
    assert note.startswith("Партнёр получил ответ «commission-rate». Формулировка не запомнена")
    assert "формулировка вопроса «payout-dates» из faq.yaml" in note
    async with group.services.db.read() as conn:
        assert (await conn.execute(sa.select(faq_learned))).all() == []


async def test_the_review_warns_and_refuses_another_entrys_own_wording(
    harness: Harness,
) -> None:
    anna = harness.user(1502)
    await anna.onboard()
    async with harness.services.db.write() as conn:  # waiting from before the rule
        await conn.execute(
            faq_learned.insert().values(
                entry_id="commission-rate",
                phrasing="выплаты норм?",
                phrasing_key="выплаты норм",
                status="pending",
                source="helped",
                created_at=harness.clock.now(),
            )
        )
    manager = harness.manager()
    await manager.send("/start")
    review = (await manager.send("/faq_learned"))[-1]
    assert "Так читается формулировка вопроса «payout-dates» из faq.yaml" in review.plain
    await manager.press("✅ Принять", review)
    said = manager.callback_answers()[-1]["text"]
    assert said.startswith("Не принято: так читается формулировка вопроса «payout-dates»")
    async with harness.services.db.read() as conn:
        (row,) = await conn.execute(sa.select(faq_learned))
    assert row.status == "rejected"


# --- partners' votes: agreeing, per person ------------------------------------------------


async def test_votes_for_two_entries_wait_for_a_manager(tmp_path: Path) -> None:
    # TG voted commission-rate for a wording, VK and MAX deposit: deposit was approved
    wording = "бабосы норм"
    async with running_bot(tmp_path, content_dir=_content_with(tmp_path, 2)) as harness:
        learning = harness.services.faq.learning
        ids = []
        for user_id in (1511, 1512, 1513):
            await harness.user(user_id).onboard()
            ids.append(await _partner_id(harness, user_id))
        first = await learning.propose("commission-rate", wording, ids[0])
        assert first.learned is not None
        assert first.learned.status == "pending"
        await learning.propose("payout-dates", wording, ids[1])
        third = await learning.propose("payout-dates", wording, ids[2])
        assert third.learned is not None
        assert (third.learned.status, third.learned.votes) == ("pending", 2)
        assert not third.auto_approved
        manager = harness.manager()
        await manager.send("/start")
        review = (await manager.send("/faq_learned"))[-1]
        assert "Партнёры расходятся: эту же формулировку подтверждали и для" in review.plain


async def test_a_persons_linked_chats_vote_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, content_dir=_content_with(tmp_path, 2)) as harness:
        learning = harness.services.faq.learning
        ids = []
        for user_id in (1521, 1522):
            await harness.user(user_id).onboard()
            ids.append(await _partner_id(harness, user_id))
        async with harness.services.db.write() as conn:  # one person's two chats
            await conn.execute(
                partners.update()
                .where(partners.c.id.in_(ids))
                .values(affiliate_id="AFF-15", affiliate_status="linked")
            )
        for partner_id in ids:
            proposed = await learning.propose("payout-dates", "бабосы норм", partner_id)
        assert proposed.learned is not None
        assert (proposed.learned.status, proposed.learned.votes) == ("pending", 1)


# --- the bot's own placeholder is never learned -----------------------------------------------


async def test_a_sticker_from_another_messenger_is_not_learned_as_its_placeholder(
    tmp_path: Path,
) -> None:
    async with max_managers_bot(tmp_path, MAX_MANAGERS) as (harness, emulator):
        manager = harness.max_manager()
        anna = harness.user(1531)  # on Telegram: her sticker stays there
        await anna.onboard()
        await anna.send("/support")
        await anna.send("как долго проверяют заказ после доставки")
        await anna.send(kind="sticker")
        copied = emulator.chat_messages(MAX_MANAGERS)[-1]
        assert "осталось в другом мессенджере" in copied.plain
        await manager.send("/faq_link hold-period", reply_to=copied, chat=MAX_MANAGERS)
        said = emulator.chat_messages(MAX_MANAGERS)[-1].plain
        assert "В сообщении нет текста вопроса — запоминать нечего" in said, said
        assert "Холд — 14 дней" in anna.last.plain
        await manager.send("/faq_link", reply_to=copied, chat=MAX_MANAGERS)
        said = emulator.chat_messages(MAX_MANAGERS)[-1].plain
        assert said.startswith("В этом сообщении нет текста вопроса"), said
        async with harness.services.db.read() as conn:
            assert (await conn.execute(sa.select(faq_learned))).all() == []
        # a photo with a caption: the caption is learned, without the bot's line
        await anna.send("сколько длится холд у вас", kind="photo")
        copied = emulator.chat_messages(MAX_MANAGERS)[-1]
        assert "осталось в другом мессенджере" in copied.plain
        await manager.send("/faq_link hold-period", reply_to=copied, chat=MAX_MANAGERS)
        async with harness.services.db.read() as conn:
            rows = (await conn.execute(sa.select(faq_learned))).all()
        assert [(row.entry_id, row.phrasing) for row in rows] == [
            ("hold-period", "сколько длится холд у вас")
        ]


# --- /reload says what went back to review ------------------------------------------------


async def test_reload_says_how_many_learned_wordings_went_back_to_review(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    async with running_bot(tmp_path, content_dir=folder) as harness:
        learning = harness.services.faq.learning
        await learning.learn("email-traffic", "можно ли спамить по базе", "teach")
        await learning.learn("email-traffic", "письма по своей базе", "teach")
        faq = folder / "faq.yaml"
        text = faq.read_text(encoding="utf-8")
        start = text.index("- id: email-traffic")
        end = text.index("- id:", start + 1)
        faq.write_text(text[:start] + text[end:], encoding="utf-8")
        manager = harness.manager()
        await manager.send("/start")
        said = "\n".join(m.plain for m in await manager.send("/reload"))
        assert "2 выученные формулировки вернулись на проверку" in said, said
        assert "/faq_learned" in said
        faq.write_text(text, encoding="utf-8")
        said = "\n".join(m.plain for m in await manager.send("/reload"))
        assert "2 выученные формулировки снова приняты" in said, said


def test_a_word_read_as_a_typo_does_not_make_a_question_another_entrys_own() -> None:
    """«спосибо» (thanks, misspelt) is read as a typo of «способ»: then «спосибо) Когда
    выплаты?» read as «Какие способы вывода есть?» and was answered with the payout
    methods (found by hypothesis after fix15a). An entry's own wording counts only in the
    words as typed; the model decides the rest."""
    matcher = FaqMatcher(load_content(DEMO_CONTENT).faq)
    assert matcher.match("спосибо) Когда выплаты?").entry_id == "payout-dates"
    assert matcher.match("Какие способы вывода есть?").entry_id == "payout-methods"
