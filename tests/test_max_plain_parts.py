"""MAX counts a text against its 4,000 characters as it is sent: a message (or a part of
one) without markup goes as plain text (no `format`, entities decoded), so what the reader
sees is what is counted; only a part with markup goes as HTML, counted as written (an
independent tester of session 28: an announcement of 3,986 characters, nearly all `<`,
reached MAX in five pieces, the 👍/👎 under the last, and one message everywhere else)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.max import convert
from bot.max.emulator import MaxApiEmulator, MaxMessage
from bot.services.announcements import Draft
from tests.harness import MANAGER_ID, Harness, max_managers_bot, running_bot

# the tester's: two lines, 1,990 «<», then 1,990 «<» and «&&&&&&» (3,986 characters)
TESTER = "<" * 1990 + "\n" + "<" * 1990 + "&&&&&&"
MAX_MANAGERS = -710


_WORDS = st.text(alphabet="ab &<>\n😀", min_size=1, max_size=400).map(convert.escape)
_PIECE = st.one_of(
    _WORDS, _WORDS.map(lambda w: f"<b>{w}</b>"), _WORDS.map(lambda w: f"<i>{w}</i>")
)


# texts this long are the point (around MAX's 4,000): hypothesis may find them too large
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.data_too_large])
@given(st.lists(_PIECE, min_size=1, max_size=40))
def test_a_max_text_with_some_markup_is_split_by_what_each_part_sends(pieces: list[str]) -> None:
    """A part with markup fits 4,000 as written, its tags balanced; one without as read;
    nothing is lost; a text that fits as sent is one part."""
    text = "".join(pieces)
    parts = convert.split(text)
    assert all(convert.sent_length(part) <= convert.TEXT_LIMIT for part in parts)
    if convert.sent_length(text) <= convert.TEXT_LIMIT:
        assert parts == [text]
    for part in parts:
        sent, markup = convert.wire(part)
        assert markup == ("html" if convert.has_markup(part) else None)
        if markup:  # every tag closed in its part (MAX parses each on its own)
            assert all(sent.count(f"<{t}>") == sent.count(f"</{t}>") for t in "bi")
        else:
            assert sent == convert.plain(part)
    words = "".join(convert.plain(part) for part in parts)
    assert words.replace("\n", "").replace(" ", "") == convert.plain(text).replace(
        "\n", ""
    ).replace(" ", "")


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True, maxbot=True) as running:
        yield running


def _emulator(harness: Harness) -> MaxApiEmulator:
    assert harness.max is not None
    return harness.max


def _sent_body(emulator: MaxApiEmulator, message: MaxMessage) -> dict[str, Any]:
    """The body of the `POST /messages` that made `message` (its text is unique)."""
    bodies = [
        r.body
        for r in emulator.requests
        if r.method == "POST /messages" and r.status == 200 and isinstance(r.body, dict)
    ]
    found = [b for b in bodies if (b.get("text") or "") == message.text]
    assert found, message.text[:80]
    return found[-1]


async def test_the_testers_announcement_goes_to_max_as_one_message(harness: Harness) -> None:
    """The tester's text through /announce to a partner with chats on Telegram, VK and
    MAX: one message in each (as many as the preview says), on MAX as plain text with
    the 👍/👎 under it; a press keeps it as it was."""
    partners = harness.services.partners
    anna = (harness.user(881, "Анна"), harness.vk_user(882, "Анна"), harness.max_user(883, "Анна"))
    for chat in anna:
        await chat.onboard()
    for platform, user_id in (("tg", 881), ("vk", 882), ("max", 883)):
        found = await partners.by_user(platform, user_id)
        assert found is not None
        await partners.approve_link(await partners.request_link(found, "aff-anna"))
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send(TESTER)
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    found = re.search(r"Сообщений уйдёт (\d+)", manager.messages[-2].plain)
    assert found is not None, manager.messages[-2].plain
    await manager.press("✅ Отправить")
    emulator = _emulator(harness)
    before = len(anna[2].messages)
    await harness.deliver()

    on_max = anna[2].messages[before:]
    assert [m.plain for m in on_max] == [TESTER]  # one message, not five
    assert on_max[0].button_labels == ["👍", "👎"]
    body = _sent_body(emulator, on_max[0])
    assert body["text"] == TESTER
    assert body.get("format") is None
    got = [sum(m.plain == TESTER for m in chat.messages) for chat in anna[:2]] + [len(on_max)]
    assert got == [1, 1, 1]
    assert sum(got) == int(found.group(1))  # the preview's «Сообщений уйдёт 3»

    pressed = len(emulator.requests)
    await anna[2].press("👍", on_max[0])
    assert anna[2].messages[before].plain == TESTER  # an edit, if any, keeps it as it was
    edits = [r.body for r in emulator.requests[pressed:] if r.method == "PUT /messages"]
    assert all((b.get("text") or TESTER) == TESTER and not b.get("format") for b in edits)


def _near_limit(ampersands: int) -> str:
    """Bold, a few «&» and words: 3,980 characters as read (MAX HTML); as written 7 more
    for the bold and 4 more for each «&» (`&amp;`)."""
    head = "<b>Акция недели</b>\n\n"
    words = "Скидки & бонусы " * ampersands
    filler = ("слово " * 700)[: 3980 - len(convert.plain(head)) - len(words) - 1] + "!"
    return head + convert.escape(words) + filler


@pytest.mark.parametrize("ampersands", [2, 12])
async def test_bold_with_a_few_ampersands_near_the_limit(
    harness: Harness, ampersands: int
) -> None:
    """Bold near the limit goes as HTML, counted as written: with 2 «&» it fits one
    message; with 12 (40 more as written) the part with the bold is HTML within 4,000
    as written, the rest plain; nothing lost, the keyboard under the last part; the same
    by the delivery worker (an announcement queued with the bold)."""
    emulator = _emulator(harness)
    maria = harness.max_user(890, "Мария")
    await maria.onboard()
    text = _near_limit(ampersands)
    read = convert.plain(text)
    assert len(read) == 3980
    assert len(text) == 3980 + 7 + 4 * ampersands
    bot = harness.max_bot
    assert bot is not None
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Ок", callback_data="noop")]]
    )
    before = len(maria.messages)
    await bot.send_message(maria.dialog, text, reply_markup=markup)

    announced = await harness.services.announcements.create(
        Draft(text), "all", None, "test", MANAGER_ID
    )
    assert announced[1] >= 1
    await harness.deliver()
    sent = maria.messages[before:]
    halves = [sent[: len(sent) // 2], sent[len(sent) // 2 :]]
    for parts in halves:
        assert len(parts) == (1 if ampersands == 2 else 2)
        joined = "\n\n".join(m.plain for m in parts)
        assert joined.replace("\n", "").replace(" ", "") == read.replace("\n", "").replace(" ", "")
        for part in parts:
            body = _sent_body(emulator, part)
            assert len(body["text"]) <= 4000
            assert body.get("format") == ("html" if "<b>" in body["text"] else None)
        assert "<b>Акция недели</b>" in parts[0].text
        assert parts[0].markup == "html"
        if len(parts) > 1:
            assert parts[1].markup is None
            assert "&amp;" not in parts[1].text
    assert halves[0][-1].button_labels == ["Ок"]
    assert all(not m.button_labels for m in halves[0][:-1])


async def test_tags_typed_by_a_partner_reach_a_max_manager_as_typed(tmp_path: Path) -> None:
    """A MAX partner's words with «<b>» and «&», relayed to the MAX managers' chat, go
    as plain text: MAX shows them as typed, and counts them so; the manager's answer
    with tags reaches the partner as typed too."""
    async with max_managers_bot(tmp_path, MAX_MANAGERS) as (harness, emulator):
        manager = harness.max_manager()
        maria = harness.max_user(311)
        await maria.onboard()
        await maria.send("/support")
        typed = "Почему <b>не пришла</b> выплата & где &lt;деньги&gt;?"
        await maria.send(typed)
        relayed = emulator.chat_messages(MAX_MANAGERS)[-1]
        assert relayed.plain == typed
        body = _sent_body(emulator, relayed)
        assert body["text"] == typed
        assert body.get("format") is None

        answer = "Ответ: <i>завтра</i> & <b>точно</b>"
        await manager.send(answer, reply_to=relayed, chat=MAX_MANAGERS)
        assert maria.last.plain == answer
        assert _sent_body(emulator, maria.last).get("format") is None
