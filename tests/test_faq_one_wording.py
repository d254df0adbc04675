"""FAQ review fixes: a manager's decision makes a wording learned for one entry only (link,
gap link, approve, move); /stats and the digest drop the gaps answered since; /faq_link
on a later message of a ticket, on a photo, on a very long question."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cli import main
from bot.clock import FakeClock
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.tables import faq_learned
from bot.services.faq_learning import FaqLearning
from bot.services.faq_wordings import MAX_PHRASING, phrasing_key
from bot.telegram.emulator import RateLimits
from handlers.callbacks import FaqGapCb
from tests.harness import DEMO_CONTENT, MANAGER_ID, Client, Harness, chats_emulator, running_bot
from tests.test_faq_learning import UNSURE, _content_with
from tests.test_journey_support import GROUP, in_chat

TAXES = "я смз, что там по налогам"


async def _rows(harness: Harness) -> dict[tuple[str, str], str]:
    """(entry, phrasing) → status."""
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(faq_learned).order_by(faq_learned.c.id))
        return {(str(row.entry_id), str(row.phrasing)): str(row.status) for row in rows}


@pytest.fixture
async def group(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=GROUP) as harness:
            yield harness


@pytest.fixture
async def reviewed(tmp_path: Path) -> AsyncIterator[Harness]:
    """Two partners must confirm a phrasing before it is learned."""
    async with running_bot(tmp_path, content_dir=_content_with(tmp_path, 2)) as harness:
        yield harness


async def _ticket(group: Harness, question: str | None, kind: str = "text") -> tuple[Client, int]:
    anna = group.user(840)
    await anna.onboard()
    await anna.send("/support")
    await anna.send(question, kind=kind)
    card = group.emulator.chat_messages(GROUP)[-2]
    assert "Обращение №" in card.plain, card.plain
    return anna, card.message_id


async def _answered_with(harness: Harness, number: int, words: str, answer: str) -> None:
    """A partner asking in those exact words gets the entry's answer at once."""
    partner = harness.user(number)
    await partner.onboard()
    replies = await partner.send(words)
    assert answer in replies[-1].plain, replies[-1].plain
    assert replies[-1].button_labels == ["👍 Помогло", "🙋 Спросить менеджера"]


# --- 1. one wording answers one entry ---------------------------------------------------


async def test_faq_link_twice_in_a_ticket_moves_the_wording(group: Harness) -> None:
    _anna, card = await _ticket(group, TAXES)
    await in_chat(group, GROUP, "/faq_link self-employed", reply_to=card)
    await in_chat(group, GROUP, "/faq_link tax-reports", reply_to=card)
    note = group.emulator.chat_messages(GROUP)[-1].plain
    assert note.startswith("Партнёр получил ответ «tax-reports». Формулировка запомнена.")
    assert note.endswith("Формулировка перенесена из «self-employed».")
    assert await _rows(group) == {
        ("self-employed", TAXES): "rejected",
        ("tax-reports", TAXES): "approved",
    }
    learning = group.services.faq.learning
    found = (await learning.read_only_matcher()).match(TAXES)  # what `faq match` reads
    assert (found.outcome, found.entry_id) == ("answer", "tax-reports")
    assert await learning.export() == {"tax-reports": [TAXES]}
    await _answered_with(group, 841, TAXES, "не является налоговым агентом")


async def test_a_gap_linked_to_another_entry_moves_the_wording(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    question = "есть ли доставка в казахстан"
    partner = harness.user(850)
    await partner.onboard()
    await partner.send(question)
    await manager.send("/stats")
    stats = next(m for m in reversed(manager.messages) if m.button_labels)
    await manager.press(stats.button_labels[0], stats)  # which entry is it?
    picker = manager.messages[-1]  # a message of its own (session 17)
    assert picker.message_id != stats.message_id
    gap = FaqGapCb.unpack(picker.buttons[0][0]["callback_data"]).question
    # meanwhile the wording was taught for another entry (`faq teach`)
    await harness.services.faq.learning.learn("own-creatives", question, "teach")

    await manager.press_data(
        picker, FaqGapCb(action="to", question=gap, entry="top-products").pack()
    )
    done = next(m for m in manager.messages if m.message_id == picker.message_id).plain
    assert done.startswith(f"Формулировки «{question}» (1) теперь ведут к top-products.")
    assert done.endswith("Формулировка перенесена из «own-creatives».")
    assert await _rows(harness) == {
        ("own-creatives", question): "rejected",
        ("top-products", question): "approved",
    }
    matcher = await harness.services.faq.learning.read_only_matcher()
    assert matcher.match(question).entry_id == "top-products"
    top_products = harness.services.content_store.content.faq_entry("top-products")
    assert top_products is not None
    await _answered_with(harness, 851, question, top_products.answer[:30])


async def _confirm_after_teaching(harness: Harness, number: int) -> None:
    """A partner is offered "did you mean"; meanwhile a manager teaches the same words for
    payout-methods; then the partner picks "Когда выплаты?" and presses Helped."""
    partner = harness.user(number)
    await partner.onboard()
    await partner.send(UNSURE)
    offer = partner.last
    await harness.services.faq.learning.learn("payout-methods", UNSURE, "teach")
    await partner.press("Когда выплаты?", offer)
    await partner.press("👍 Помогло")


async def test_approving_a_wording_learned_elsewhere_warns_and_moves_it(
    reviewed: Harness,
) -> None:
    manager = reviewed.manager()
    await manager.send("/start")
    await _confirm_after_teaching(reviewed, 860)
    assert await _rows(reviewed) == {
        ("payout-methods", UNSURE): "approved",
        ("payout-dates", UNSURE): "pending",
    }
    card = (await manager.send("/faq_learned"))[-1]
    assert card.plain.startswith(f"На проверке (1): «{UNSURE}»")
    assert "⚠️ Эта формулировка уже ведёт к «payout-methods»" in card.plain
    await manager.press("✅ Принять", card)
    answer = manager.callback_answers()[-1]
    assert answer["text"].endswith("Формулировка перенесена из «payout-methods».")
    assert await _rows(reviewed) == {
        ("payout-methods", UNSURE): "rejected",
        ("payout-dates", UNSURE): "approved",
    }
    await _answered_with(reviewed, 861, UNSURE, "10 и 25 числа")


async def test_moving_a_pending_wording_takes_it_from_other_entries(reviewed: Harness) -> None:
    manager = reviewed.manager()
    await manager.send("/start")
    await _confirm_after_teaching(reviewed, 865)
    card = (await manager.send("/faq_learned"))[-1]
    await manager.press("↪️ К другому", card)
    target = next(m for m in reversed(manager.messages) if m.message_id == card.message_id)
    label = next(label for label in target.button_labels if ":" in label)
    chosen = label.split(":")[0]
    if chosen == "payout-methods":  # moved where it is approved: nothing taken elsewhere
        label = next(x for x in target.button_labels if ":" in x and x != label)
        chosen = label.split(":")[0]
    await manager.press(label, target)
    answer = manager.callback_answers()[-1]["text"]
    assert answer.startswith(f"Перенесено к {chosen} и принято.")
    assert answer.endswith("Формулировка перенесена из «payout-methods».")
    assert await _rows(reviewed) == {
        ("payout-methods", UNSURE): "rejected",
        (chosen, UNSURE): "approved",
    }


async def test_partners_never_approve_a_wording_approved_for_another_entry(
    harness: Harness,
) -> None:
    # the demo approves after one partner; a manager's decision stands against the votes
    await _confirm_after_teaching(harness, 870)
    assert await _rows(harness) == {
        ("payout-methods", UNSURE): "approved",
        ("payout-dates", UNSURE): "pending",
    }
    await _answered_with(harness, 871, UNSURE, "Выплаты на расчётный счёт")


async def _two_decisions(url: str) -> None:
    db = Database.from_url(url)
    try:
        await upgrade(db)
        learning = FaqLearning(db, ContentStore(DEMO_CONTENT), FakeClock())
        first = await learning.learn("self-employed", TAXES, "link")
        assert first is not None
        assert first.moved_from == ()
        second = await learning.learn("tax-reports", TAXES.upper() + "!", "link")  # same words
        assert second is not None
        assert second.moved_from == ("self-employed",)
        # a duplicate stored before the rule (both approved): the latest decision counts
        async with db.write() as conn:
            for entry_id, decided in (("promo-codes", 1), ("referral-link", 2)):
                await conn.execute(
                    faq_learned.insert().values(
                        entry_id=entry_id,
                        phrasing="где промик",
                        phrasing_key=phrasing_key("где промик"),
                        status="approved",
                        source="link",
                        created_at=datetime(2026, 1, 1, tzinfo=UTC),
                        decided_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=decided),
                    )
                )
    finally:
        await db.close()


def test_faq_match_and_export_follow_the_last_decision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_two_decisions(f"sqlite+aiosqlite:///{tmp_path}/cli.db"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        patch.setenv("CONTENT_DIR", str(DEMO_CONTENT))
        assert main(["faq", "match", TAXES, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["id"] == "tax-reports"
        assert main(["faq", "match", "где промик", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["id"] == "referral-link"
        assert main(["faq", "learned", "--export"]) == 0
        exported = capsys.readouterr().out
    assert exported.count("где промик") == 1
    assert exported.count(TAXES) + exported.count(TAXES.upper()) == 1
    assert "- id: self-employed" not in exported
    assert "- id: promo-codes" not in exported


# --- 2. a gap fixed is no gap -----------------------------------------------------------


async def test_gaps_drop_the_wordings_answered_since(group: Harness) -> None:
    faq = group.services.faq
    asked = [
        "шо по бабосам в пятницу",
        "а что по бабосам в пятницу?",
        "есть ли доставка в казахстан",
        "доставка в казахстан есть?",
        "какая погода",
        "можно ли платить по qr коду в магазине",
    ]
    for number, question in enumerate(asked, start=880):
        partner = group.user(number)
        await partner.onboard()
        await partner.send(question)
    before = sorted((sorted(gap.wordings), gap.people) for gap in await faq.gaps())
    assert before == sorted(
        [(sorted(asked[:2]), 2), (sorted(asked[2:4]), 2), ([asked[4]], 1), ([asked[5]], 1)]
    )

    # learned (approved): the same words are no gap, nor what the matcher now answers
    # with it («а что по бабосам…» reads the same, question words aside)
    await faq.learning.learn("payout-dates", asked[0], "gap")
    # learned: the same meaningful words in another order («есть ли» is an aside like
    # «есть») are answered too, so neither wording is a gap (session 9)
    await faq.learning.learn("top-products", asked[2], "gap")
    # /faq_link on a ticket with that question
    _anna, card = await _ticket(group, asked[5])
    await in_chat(group, GROUP, "/faq_link payout-methods", reply_to=card)
    after = sorted((gap.wordings, gap.people) for gap in await faq.gaps())
    assert after == [((asked[4],), 1)]  # a wording the matcher does not answer stays


async def test_the_weekly_digest_leaves_out_the_gaps_fixed(tmp_path: Path) -> None:
    async with running_bot(tmp_path, limits=RateLimits.off()) as harness:
        manager = harness.manager()
        await manager.send("/start")
        for number in range(3):
            partner = harness.user(890 + number)
            await partner.onboard()
            await partner.send("есть ли доставка в казахстан")
        partner = harness.user(895)
        await partner.onboard()
        await partner.send("какая погода")
        await harness.services.faq.learning.learn(
            "top-products", "есть ли доставка в казахстан", "gap"
        )
        friday = datetime(2026, 11, 6, 9, 5, tzinfo=UTC)  # 12:05 in Moscow: the digest
        harness.clock.advance((friday - harness.clock.now()).total_seconds())
        mark = len(manager.messages)
        await harness.services.planner.tick()
        await harness.deliver()
        (digest,) = [
            m.plain for m in manager.messages[mark:] if m.plain.startswith("Чего не хватает")
        ]
        assert "1. какая погода — 1 партнёр" in digest
        assert "казахстан" not in digest


# --- 3. /faq_link on real tickets -------------------------------------------------------


async def _later_message(group: Harness, anna: Client, text: str) -> int:
    await anna.send(text)
    copy = group.emulator.chat_messages(GROUP)[-1]
    assert copy.plain == text
    return copy.message_id


async def test_faq_link_replying_to_a_later_message_learns_that_message(group: Harness) -> None:
    anna, _card = await _ticket(group, "здравствуйте, у меня вопрос")
    later = await _later_message(group, anna, "как долго проверяют заказ после доставки")
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=later)
    assert "Холд — 14 дней" in anna.last.plain
    assert await _rows(group) == {
        ("hold-period", "как долго проверяют заказ после доставки"): "approved"
    }


async def test_the_picker_under_a_later_message_learns_that_message(group: Harness) -> None:
    anna, _card = await _ticket(group, "здравствуйте, у меня вопрос")
    later = await _later_message(group, anna, "где взять партнерскую ссылку на диван")
    await in_chat(group, GROUP, "/faq_link", reply_to=later)
    offer = group.emulator.chat_messages(GROUP)[-1]
    assert offer.plain.startswith("К какому вопросу FAQ относится «где взять партнерскую")
    assert offer.button_labels[0].startswith("referral-link:")
    await group.emulator.wait_processed(
        group.emulator.press(MANAGER_ID, offer, offer.button_labels[0])
    )
    assert "Инструменты → Ссылки" in anna.last.plain
    assert await _rows(group) == {
        ("referral-link", "где взять партнерскую ссылку на диван"): "approved"
    }


async def test_faq_link_on_a_photo_learns_nothing_but_answers(group: Harness) -> None:
    anna, card = await _ticket(group, None, kind="photo")
    await in_chat(group, GROUP, "/faq_link", reply_to=card)
    reply = group.emulator.chat_messages(GROUP)[-1].plain
    assert reply.startswith("В этом сообщении нет текста вопроса")
    assert "«»" not in reply
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=card)
    assert "Холд — 14 дней" in anna.last.plain  # the partner still gets the answer
    note = group.emulator.chat_messages(GROUP)[-1].plain
    assert "нет текста вопроса — запоминать нечего" in note
    assert await _rows(group) == {}


async def test_faq_link_on_a_very_long_question_answers_and_says_why_not_learned(
    group: Harness,
) -> None:
    long_question = ("Добрый день! Подскажите, пожалуйста, как долго проверяют заказ. " * 30)[
        :1930
    ]
    assert len(long_question) > MAX_PHRASING
    anna, card = await _ticket(group, long_question)
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=card)
    assert "Холд — 14 дней" in anna.last.plain
    note = group.emulator.chat_messages(GROUP)[-1].plain
    assert f"Вопрос длиннее {MAX_PHRASING} символов — как формулировка не запомнен." in note
    assert await _rows(group) == {}


async def test_an_entry_back_does_not_take_a_wording_approved_meanwhile(
    tmp_path: Path,
) -> None:
    folder = _content_with(tmp_path, 1)
    faq_yaml = folder / "faq.yaml"
    whole = faq_yaml.read_text(encoding="utf-8")
    async with running_bot(tmp_path, content_dir=folder) as harness:
        store, learning = harness.services.content_store, harness.services.faq.learning
        partner = harness.user(897)
        await partner.onboard()
        await partner.send(UNSURE)
        offer = partner.last
        await learning.learn("self-employed", UNSURE, "teach")
        head, tail = whole.split("- id: self-employed")
        faq_yaml.write_text(
            head + "- id: tax-reports" + tail.split("- id: tax-reports")[1], encoding="utf-8"
        )
        assert store.reload() == []
        await learning.sync(store.content)  # self-employed left: its wording waits
        await partner.press("Когда выплаты?", offer)
        await partner.press("👍 Помогло")  # one partner approves it for payout-dates
        faq_yaml.write_text(whole, encoding="utf-8")
        assert store.reload() == []
        await learning.sync(store.content)  # self-employed is back
        assert await _rows(harness) == {
            ("self-employed", UNSURE): "pending",  # a manager decides, warned in the card
            ("payout-dates", UNSURE): "approved",
        }
        (item,) = await learning.pending()
        assert item.note is None
        assert await learning.elsewhere(item) == [("payout-dates", "approved")]
