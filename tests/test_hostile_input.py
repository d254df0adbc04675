"""Hostile names and texts through every screen (issue 12 point 2, issue 14 point 1): every
request the bot makes is one Telegram accepts (the emulator parses HTML as the server
does), no handler fails, and what a person wrote is shown as written, never as markup."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.names import BIDI_CONTROLS, display_name, greeting_name
from bot.services.conversions import ConversionIn
from bot.services.onboarding import ANSWER_LIMIT
from bot.telegram.emulator import RateLimits
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

COMMUNITY = -1009876543210
MANAGERS = -4005006

HOSTILE = [
    "Tom & Jerry", "<b>", "</b>", "<b>жирный</b>", "a < b", "<i>unbalanced", "&amp;", "&",
    "<", ">", "\u202eRTL override", "\u200fRTL mark", "🙂👨‍👩‍👧 emoji", "x" * 300,
    "half \ud83d pair", "\udcd0", " ", "<a href='https://evil.example'>link</a>", "{ $name }",
    "\\", "'\"", "<script>alert(1)</script>", "&lt;b&gt;", "<pre>", "<tg-spoiler>", "\n\n",
    "\u200b\u2060",
]  # fmt: skip
ALPHABET = list("&<>\"'/ab я🙂\u200f\u202e\u200b\ud83d\udcd0\n;#=")
hostile = st.one_of(st.sampled_from(HOSTILE), st.text(alphabet=ALPHABET, max_size=60))
# a message has some text, and is not a command (those have their own tests)
texts = hostile.filter(lambda text: bool(text.strip()) and not text.startswith("/"))
FAILED_TEXT = ("Что-то пошло не так", "Something went wrong")


@pytest.fixture
async def chats(tmp_path: Path) -> AsyncIterator[Harness]:
    # pacing has its own tests; here every request is judged on its content alone
    async with chats_emulator(RateLimits.off()) as emulator:
        emulator.add_group(COMMUNITY, "Партнёры")
        emulator.add_group(MANAGERS, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path,
            emulator=emulator,
            tg_community_chat_id=COMMUNITY,
            tg_managers_chat_id=MANAGERS,
        ) as harness:
            yield harness


_ids = itertools.count(30_000)


async def in_chat(harness: Harness, user_id: int, chat_id: int, text: str) -> None:
    harness.clock.advance(1)
    await harness.emulator.wait_processed(
        harness.emulator.user_message(user_id, text, chat_id=chat_id)
    )


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=hostile, answer=texts, question=texts, ticket=texts, affiliate=texts)
async def test_hostile_names_and_texts_through_every_screen(
    chats: Harness, name: str, answer: str, question: str, ticket: str, affiliate: str
) -> None:
    harness = chats
    emulator = harness.emulator
    first = len(emulator.requests)
    uid = next(_ids)
    person = harness.user(uid, name)

    # onboarding, with a typed answer
    await person.send("/start")
    await person.press(next(b for b in person.last.button_labels if b.startswith("Вебмастер")))
    await person.press("Сайт")
    await person.press("До года")
    await person.send(answer)
    if len(answer.strip()) > ANSWER_LIMIT:  # refused, saying the limit: a shorter one
        await person.send(answer.strip()[:ANSWER_LIMIT])
    await person.press("✅ Да, присылайте")
    # every screen of a partner's own
    for command in ("/me", "/top", "/contests", "/settings", "/lessons", "/creatives"):
        await person.send(command)
    await person.send(question)  # a question, quoted back where the bot does
    await person.send(f"/link {affiliate}")
    # the leaderboards name them: linked, with a sale this month
    partner = await harness.services.partners.by_user("tg", uid)
    assert partner is not None
    partner = await harness.services.partners.request_link(partner, f"h-{uid}")
    await harness.services.partners.approve_link(partner)
    sale = ConversionIn(f"h-{uid}", f"h-{uid}-1", "approved", Decimal(100), "RUB", None)
    await harness.services.sales.record(sale, "postback")
    await harness.deliver()
    await person.send("/top")
    # a ticket: the card and the copy in the managers' chat, the manager's screens
    await person.send(f"/support {ticket}")
    await person.send(ticket)
    await in_chat(harness, MANAGER_ID, MANAGERS, "/tickets")
    await in_chat(harness, MANAGER_ID, MANAGERS, f"/partner tg:{uid}")
    # the community: a welcome by name, /top in the group
    emulator.add_user(uid, name)
    harness.clock.advance(1)
    await emulator.wait_processed(emulator.join(uid, COMMUNITY))
    await in_chat(harness, uid, COMMUNITY, "/top")
    await harness.deliver()

    refused = [
        (r.method, r.status, r.description, str(r.params.get("text"))[:60])
        for r in emulator.requests[first:]
        if r.status >= 400
    ]
    assert refused == []
    failed = [
        m.plain
        for chat in (uid, MANAGERS, COMMUNITY)
        for m in emulator.chat_messages(chat)
        if m.plain.startswith(FAILED_TEXT)
    ]
    assert failed == []
    # shown as written: a name that looks like a tag is text, not markup
    # (two halves that meet make one character; a lone half becomes U+FFFD), without
    # bidi controls (review 11: an override must not turn the rest of a line around)
    cleaned = name.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    greeting = next(m for m in person.messages if m.plain.startswith("Здравствуйте"))
    shown = greeting_name(cleaned)  # "" when nothing visible is left (zero-width alone)
    if shown and len(cleaned) <= 64:
        assert shown in greeting.plain, (cleaned, greeting.plain)
    assert not BIDI_CONTROLS.search(greeting.plain)


async def test_a_name_that_is_a_tag_is_shown_as_written(chats: Harness) -> None:
    person = chats.user(29_001, "<b>Tom & Jerry</b>")
    replies = await person.send("/start")
    assert replies[0].plain.startswith("Здравствуйте, <b>Tom & Jerry</b>")
    client = Client(chats, 29_001)
    assert client.messages


@pytest.mark.parametrize("name", ["<b>Tom & Jerry</b>", "a < b &amp;", "\u202eRTL", "🙂"])
async def test_vk_shows_hostile_names_and_texts_as_written(tmp_path: Path, name: str) -> None:
    async with running_bot(tmp_path, vk=True) as harness:
        assert harness.vk is not None
        await harness.manager().send("/start")  # tickets reach the managers in private
        await harness.vk_manager().send("Начать")
        harness.vk.add_user(5001, name, "Смирнова")
        from tests.harness import VkClient

        vera = VkClient(harness, 5001)
        replies = await vera.send("Начать")
        assert replies[0].text.startswith(f"Здравствуйте, {display_name(name)}")
        await vera.press(next(b for b in vera.last.button_labels if b.startswith("Вебмастер")))
        await vera.press("Сайт")
        await vera.press("До года")
        await vera.send(f"{name} <i>& co")
        await vera.press("✅ Да, присылайте")
        for text in ("/me", "/top", f"вопрос {name} &", f"/support {name} <b>&"):
            await vera.send(text)
        assert not [m for m in vera.messages if m.text.startswith(FAILED_TEXT)]
