"""Session 17: what the tester of «Лингвёнок» found that the journeys did not cover."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from tests.harness import DEMO_CONTENT, MANAGER_ID, Harness, SentMessage
from tests.test_faq_learning import _learned, _ticket, group
from tests.test_journey_support import GROUP, in_chat

__all__ = ["group"]  # the fixture

HOSTILE = "реклама & <b>маркировка</b> токен где"


async def test_support_words_added_to_a_ticket_are_learned_as_typed(group: Harness) -> None:
    # /support TEXT with a ticket open: the words go to the managers as the bot's message
    # (HTML-escaped); a /faq_link to it learned «&amp; &lt;b&gt;…» — the emulator gave the
    # message back as sent, not as Telegram does (what it shows)
    anna = group.user(741)
    await anna.onboard()
    await anna.send("/support")
    await anna.send("как долго проверяют заказ после доставки")
    await anna.send(f"/support {HOSTILE}")
    said = group.emulator.chat_messages(GROUP)[-1]
    assert said.plain == HOSTILE
    await in_chat(group, GROUP, "/faq_link hold-period", reply_to=said.message_id)
    assert "Холд — 14 дней" in anna.last.plain
    learned = [row.phrasing for row in await _learned(group)]
    assert learned == ["реклама & маркировка токен где"]  # the words: no tag learned


@pytest.mark.no_database
def test_faq_learned_dates_are_the_program_s_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `faq learned` printed the day in UTC while /partner shows TIMEZONE's; two zones 25
    # hours apart never share a date, so printing either in UTC fails one of them
    taught = tmp_path / "taught.jsonl"
    taught.write_text(json.dumps({"q": "скока холд", "id": "hold-period"}) + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
        patch.setenv("CONTENT_DIR", str(DEMO_CONTENT))
        assert main(["faq", "teach", str(taught)]) == 0
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
            capsys.readouterr()
            patch.setenv("TIMEZONE", zone)
            assert main(["faq", "learned"]) == 0
            day = datetime.now(ZoneInfo(zone)).strftime("%Y-%m-%d")
            assert f"[approved] скока холд  (teach, {day})" in capsys.readouterr().out


@pytest.mark.parametrize("stamp", ["x", "-1", "1.0", "١"])
async def test_a_close_button_with_a_made_up_stamp_is_no_longer_available(
    group: Harness, stamp: str
) -> None:
    # «t:close:1:x» was read as a button from before a reopen («…открыто снова…»)
    anna = group.user(742)
    await anna.onboard()
    await anna.send("/support Не пришла выплата")
    for action in ("close", "withdraw", "keep"):
        await anna.press_data(anna.last, f"t:{action}:1:{stamp}")
        assert anna.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
    ticket = await group.services.support.get(1)
    assert ticket is not None
    assert ticket.is_open


@pytest.mark.parametrize("text", ["<b></b><i></i><br/><script></script>", "<b>&amp;&lt;&gt;</b>"])
async def test_a_message_of_tags_alone_is_no_question_and_no_gap(
    group: Harness, text: str
) -> None:
    # the second tester: it got «Пока не знаю ответа…» and stood first among /stats gaps,
    # and linking it learned nothing (nothing in it is a word)
    anna = group.user(743)
    await anna.onboard()
    reply = (await anna.send(text))[-1]
    assert "Пока не знаю" not in reply.plain
    assert await group.services.faq.gaps() == []


async def test_a_linked_wording_is_learned_without_its_tags_and_entities(group: Harness) -> None:
    # «<script>», «&lt;x&gt;» learned as typed made «script», «gt» questions of the entry
    anna = group.user(744)
    await anna.onboard()
    await anna.send("/support")
    await anna.send("как долго проверяют заказ после доставки")
    await anna.send("/support Выплата <b>не пришла</b> <script>alert(1)</script> 😡💸 &lt;x&gt;")
    said = group.emulator.chat_messages(GROUP)[-1]
    await in_chat(group, GROUP, "/faq_link payout-delay", reply_to=said.message_id)
    learned = [row.phrasing for row in await _learned(group)]
    assert learned == ["Выплата не пришла alert(1)"]  # «&lt;x&gt;» is the tag «<x>»
    matcher = await group.services.faq.learning.matcher()
    for word in ("script", "gt", "lt"):
        assert matcher.match(word).outcome == "miss", word


async def test_back_to_topics_returns_to_the_topic_s_page(group: Harness) -> None:
    # «⬅️ Темы» from a topic on the second page of topics showed the first page
    _anna, card = await _ticket(group, "как долго проверяют заказ после доставки")
    await in_chat(group, GROUP, "/faq_link", reply_to=card)
    picker = group.emulator.chat_messages(GROUP)[-1]

    async def press(label: str) -> SentMessage:
        await group.emulator.wait_processed(group.emulator.press(MANAGER_ID, picker, label))
        return next(
            m for m in group.emulator.chat_messages(GROUP) if m.message_id == picker.message_id
        )

    first = await press("📋 Другая статья")
    assert "Выплаты" in first.button_labels
    second = await press("Дальше →")
    assert "Аккаунт и документы" in second.button_labels
    await press("Аккаунт и документы")
    back = await press("⬅️ Темы")
    assert "Аккаунт и документы" in back.button_labels
    assert "Выплаты" not in back.button_labels
