"""Session 13 (task fixr13a): what the session-13 tester found.

1. A manager's command sent as a reply (to a ticket's message, or to a bot message such as
   the /tickets list) runs as the command, on Telegram and VK; only ordinary text in a
   reply to a ticket's message is the answer to the partner, and words replying to a bot
   message that is no ticket's still get the hint.
2. An argument of any length never turns a text into «{???}» (Fluent refuses a placeable
   over 2,500 characters): bot.i18n cuts a longer one with «…» (never inside a tag or an
   entity, tags closed); /partner, /approve_link and /t answer with their usual refusal,
   quoting at most 200 characters of what was typed.
3. VK: a manager's command words typed without the slash are commands only in the
   manager's private chat with the bot; in the managers' chat («stats за неделю какие-то
   странные», «Reload») they are talk: no command, no answer.
4. A partner's words that start with a command's name («tickets», «reload x», «approve_link
   vk:700001») are no FAQ gap: on VK (in private) a manager command's word is the unknown
   command it is with the slash; on Telegram they may get an FAQ attempt, but /stats lists
   no such gap (nor one logged before).
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db.tables import audit_log
from bot.i18n import ARG_LIMIT, Translator, fitted
from bot.rendering import plain_text
from tests.harness import (
    MANAGER_ID,
    VK_MANAGER_ID,
    Harness,
    VkClient,
    chats_emulator,
    running_bot,
)
from tests.test_journey_support import GROUP, in_chat
from tests.test_journey_vk_max import SIDES, VK_CHAT

VK = SIDES[0].values[0]
NOT_A_TICKET = "Это не сообщение обращения"

# --- 1. a command in a reply is the command ---

Reply = Callable[[str, object], Awaitable[list[str]]]


def _first(said: list[str]) -> str:
    return said[0] if said else ""


async def _commands_in_replies(reply: Reply, card: object, listing: object) -> None:
    """The manager replies to the ticket's card and to the /tickets list with commands."""
    for to in (card, listing):
        said = await reply("/stats", to)
        assert _first(said).startswith("📊 Программа сейчас"), said
        said = await reply("/tickets", to)
        assert _first(said).startswith("Открытые обращения"), said
    said = await reply("/close 5", card)  # its usage, as without the reply
    assert said == ["Команда /close работает без параметров. Просто отправьте /close"], said
    said = await reply("/t", listing)  # /t, /close, /faq_link away from a ticket: the hint
    assert _first(said).startswith(NOT_A_TICKET), said
    said = await reply("понял", listing)  # words replying to a bot message: the hint
    assert _first(said).startswith(NOT_A_TICKET), said


async def _private_commands_in_replies(reply: Reply, card: object, listing: object) -> None:
    """In a manager's private chat every manager command works, replying too."""
    await _commands_in_replies(reply, card, listing)
    for to in (card, listing):
        said = await reply("/reload", to)
        assert _first(said).startswith("Контент обновлён"), said
        said = await reply("/schedule", to)
        assert _first(said).startswith("🗓 Автоматические отправки"), said
        said = await reply("/nonsense", to)
        assert _first(said).startswith("Такой команды я не знаю"), said


async def test_telegram_commands_replying_in_the_managers_chat(tmp_path: Path) -> None:
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=GROUP) as harness:
            anna = harness.user(603, "Анна")
            await anna.onboard()
            await anna.send("/support Где акт?")

            async def reply(text: str, to: object) -> list[str]:
                before = len(harness.emulator.chat_messages(GROUP))
                await in_chat(harness, GROUP, text, reply_to=getattr(to, "message_id", None))
                return [m.plain for m in harness.emulator.chat_messages(GROUP)[before:]]

            card = harness.emulator.chat_messages(GROUP)[1]
            assert "Обращение №1" in card.plain
            await reply("/tickets", None)
            listing = harness.emulator.chat_messages(GROUP)[-1]
            told = len(anna.messages)
            await _commands_in_replies(reply, card, listing)
            # /reload and /schedule work in private only: replying, as without a reply (since
            # session 19 they say so; they got no answer)
            for text in ("/reload", "/schedule"):
                where = f"Команда {text} работает в личном чате с ботом — напишите ему в личку."
                assert await reply(text, card) == await reply(text, None) == [where]
            assert len(anna.messages) == told  # no command reached the partner
            await reply("Акт отправили", card)
            assert anna.last.plain == "Акт отправили"
            await reply("/close", card)
            assert anna.last.plain.startswith("Обращение №1 закрыто")


async def test_telegram_commands_replying_in_private(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(604)
    await anna.onboard()
    await anna.send("/support Не могу войти в кабинет")
    card = manager.last
    listing = (await manager.send("/tickets"))[-1]

    async def reply(text: str, to: object) -> list[str]:
        harness.clock.advance(1)
        before = len(manager.messages)
        update = harness.emulator.user_message(
            MANAGER_ID, text, reply_to=getattr(to, "message_id", None)
        )
        await harness.emulator.wait_processed(update)
        return [m.plain for m in manager.messages[before:]]

    told = len(anna.messages)
    await _private_commands_in_replies(reply, card, listing)
    assert len(anna.messages) == told
    await reply("Сбросили пароль", card)
    assert anna.last.plain == "Сбросили пароль"


async def test_vk_commands_replying_in_the_managers_chat(tmp_path: Path) -> None:
    async with VK.running(tmp_path, managers_chat=True) as harness:
        assert harness.vk is not None
        harness.vk_manager()
        partner = harness.vk_user(1501, "Вера")
        await partner.onboard()
        await partner.send("/support Где статистика?")

        async def reply(text: str, to: object) -> list[str]:
            assert harness.vk is not None
            harness.clock.advance(1)
            before = len(harness.vk.chat_messages(VK_CHAT))
            ts = harness.vk.user_message(
                VK_MANAGER_ID,
                text,
                peer_id=VK_CHAT,
                reply_to=to,  # type: ignore[arg-type]
            )
            await harness.vk.wait_processed(ts)
            return [m.plain for m in harness.vk.chat_messages(VK_CHAT)[before:]]

        card = next(m for m in harness.vk.chat_messages(VK_CHAT) if "Обращение №1" in m.plain)
        await reply("/tickets", None)
        listing = harness.vk.chat_messages(VK_CHAT)[-1]
        told = len(partner.messages)
        await _commands_in_replies(reply, card, listing)
        assert len(partner.messages) == told
        await reply("Вкладка «Статистика»", card)
        assert partner.last.plain == "Вкладка «Статистика»"


async def test_vk_commands_replying_in_private(tmp_path: Path) -> None:
    async with VK.running(tmp_path) as harness:
        await harness.manager().send("/start")  # every manager gets the ticket in private
        await harness.max_manager().open()
        manager: VkClient = harness.vk_manager()
        await manager.send("Начать")
        partner = harness.vk_user(1502, "Вера")
        await partner.onboard()
        await partner.send("/support Где статистика?")
        card = next(m for m in manager.messages if "Обращение №1" in m.plain)
        listing = (await manager.send("/tickets"))[-1]

        async def reply(text: str, to: object) -> list[str]:
            return [m.plain for m in await manager.send(text, reply_to=to)]  # type: ignore[arg-type]

        told = len(partner.messages)
        await _private_commands_in_replies(reply, card, listing)
        for to in (card, listing):  # the words VK maps to commands, replying too
            assert _first(await reply("stats", to)).startswith("📊 Программа сейчас")
            assert _first(await reply("Tickets", to)).startswith("Открытые обращения")
        assert len(partner.messages) == told
        await reply("Вкладка «Статистика»", card)
        assert partner.last.plain == "Вкладка «Статистика»"


# --- 2. an argument of any length: never «{???}» ---

ALPHABET = list("ab я🙂&<>;#/\"'\n{}$")
# short and hostile, or long (the tester's 3,000 and 5,000), of one character or many
arguments = st.one_of(
    st.text(alphabet=ALPHABET, min_size=1, max_size=40),
    st.builds(
        lambda char, size, tail: char * size + tail,
        st.sampled_from(["a", "b", "&", "<", "я", "🙂", " "]),
        st.integers(min_value=190, max_value=6000),
        st.text(alphabet=ALPHABET, max_size=5),
    ),
).filter(lambda text: bool(text.strip()))
TAGS = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)[^<>]*>")


@settings(max_examples=200, deadline=None)
@given(argument=arguments, language=st.sampled_from(["ru", "en"]))
def test_no_text_fails_on_a_long_argument(argument: str, language: str) -> None:
    l10n = Translator().get(language)
    for key, args in (
        ("partner-not-found", {"query": argument}),
        ("partner-not-found", {"query": html.escape(argument)}),
        ("ticket-template-unknown", {"key": html.escape(argument), "keys": argument}),
        ("ticket-template-usage", {"keys": argument}),
        ("reload-refused", {"count": 3, "problems": argument}),
    ):
        text = l10n(key, **args)
        assert "{???}" not in text, (key, len(argument))
        assert not text.startswith(key), text[:80]  # the text, not its id


def _balanced(text: str) -> bool:
    stack: list[str] = []
    for closing, name in TAGS.findall(text):
        if not closing:
            stack.append(name.lower())
        elif not stack or stack.pop() != name.lower():
            return False
    return not stack


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(
            [
                "<b>",
                "</b>",
                "<i>",
                "</i>",
                "&amp;",
                "&lt;",
                "&#128578;",
                "a",
                "я",
                " ",
                "\n",
                "🙂",
                "<a href='https://e.example'>",
                "</a>",
            ]
        ),
        max_size=3000,
    ),
    limit=st.integers(min_value=150, max_value=ARG_LIMIT),
)
def test_a_cut_argument_keeps_its_html_whole(parts: list[str], limit: int) -> None:
    value = "".join(parts)
    if not _balanced(value):
        return  # the bot's own arguments are balanced HTML
    cut = fitted(value, limit)
    if len(value) <= limit:
        assert cut == value
        return
    assert len(cut) <= limit + 20, len(cut)  # the closing tags a little over at most
    assert cut.count("…") == value.count("…") + 1
    assert _balanced(cut), cut[-80:]
    kept = cut[: cut.rindex("…")]
    assert value.startswith(kept)  # a prefix of the value, cut between whole tokens
    assert not re.search(r"&[#A-Za-z0-9]*$", kept), kept[-12:]  # no entity cut in half
    assert plain_text(cut)  # Telegram can read it


@pytest.fixture
async def manager_with_a_ticket(harness: Harness) -> Harness:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(605)
    await anna.onboard()
    await anna.send("/support Вопрос")
    return harness


@pytest.mark.slow
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argument=arguments)
async def test_long_arguments_get_the_usual_refusal(
    manager_with_a_ticket: Harness, argument: str
) -> None:
    harness = manager_with_a_ticket
    manager = harness.manager()
    card = next(m for m in manager.messages if "Обращение №1" in m.plain)
    quoted = argument.strip()
    shown = quoted if len(quoted) <= 200 else quoted[:199].rstrip() + "…"
    for command in ("/partner", "/approve_link"):
        said = [m.plain for m in await manager.send(f"{command} {argument}")]
        assert said == [f"Партнёр «{shown}» не найден."], (command, said[0][:80])
    harness.clock.advance(1)
    before = len(manager.messages)
    update = harness.emulator.user_message(MANAGER_ID, f"/t {argument}", reply_to=card.message_id)
    await harness.emulator.wait_processed(update)
    said = [m.plain for m in manager.messages[before:]]
    assert len(said) == 1, said
    assert said[0].startswith(f"Нет шаблона «{shown}». Есть: "), said[0][:80]
    assert all("{???}" not in text for text in said)


async def test_a_long_argument_is_kept_cut_in_the_audit_log(harness: Harness) -> None:
    """The audit log keeps what a manager typed as the target, cut to its column: a longer
    value failed the whole command on PostgreSQL («value too long for type character
    varying(128)», the partner's lookup answered «Что-то пошло не так»)."""
    manager = harness.manager()
    await manager.send("/start")
    said = [m.plain for m in await manager.send("/partner " + "a" * 300)]
    assert said == [f"Партнёр «{'a' * 199}…» не найден."], said[0][:80]
    async with harness.services.db.read() as conn:
        targets = [row.target for row in await conn.execute(sa.select(audit_log))]
    kept = [t for t in targets if t and t.startswith("aaa")]
    assert kept, targets
    assert all(len(t) <= 128 for t in kept), targets
    assert all(t.endswith("…") for t in kept), targets


# --- 3. VK: a manager's slash-less words are commands in private only ---


async def _audited(harness: Harness) -> list[str]:
    async with harness.services.db.read() as conn:
        return [row.action for row in await conn.execute(sa.select(audit_log))]


SENTENCES = [
    "stats за неделю какие-то странные",
    "Close to the top of the list",
    "announce tomorrow maybe",
    "partner is angry, call him",
    "Reload",
    "tickets",
    "schedule",
]


async def test_vk_manager_words_in_the_managers_chat_are_talk(tmp_path: Path) -> None:
    async with VK.running(tmp_path, managers_chat=True) as harness:
        assert harness.vk is not None
        harness.vk_manager()
        partner = harness.vk_user(1503, "Вера")
        await partner.onboard()
        before = len(harness.vk.chat_messages(VK_CHAT))

        async def in_chat(text: str) -> list[str]:
            assert harness.vk is not None
            harness.clock.advance(1)
            start = len(harness.vk.chat_messages(VK_CHAT))
            ts = harness.vk.user_message(VK_MANAGER_ID, text, peer_id=VK_CHAT)
            await harness.vk.wait_processed(ts)
            return [m.plain for m in harness.vk.chat_messages(VK_CHAT)[start:]]

        for sentence in SENTENCES:
            assert await in_chat(sentence) == [], sentence
        assert await _audited(harness) == []  # nothing done, nothing refused
        assert len(harness.vk.chat_messages(VK_CHAT)) == before
        said = await in_chat("/stats")  # the slash: the command
        assert _first(said).startswith("📊 Программа сейчас"), said


async def test_vk_manager_words_in_private_are_commands(tmp_path: Path) -> None:
    async with VK.running(tmp_path) as harness:
        manager = harness.vk_manager()
        await manager.send("Начать")
        said = [m.plain for m in await manager.send("stats за неделю какие-то странные")]
        assert said == ["Команда /stats работает без параметров. Просто отправьте /stats"]
        said = [m.plain for m in await manager.send("announce tomorrow maybe")]
        assert said == ["Команда /announce работает без параметров. Просто отправьте /announce"]
        said = [m.plain for m in await manager.send("partner is angry, call him")]
        assert said == ["Партнёр «is angry, call him» не найден."]
        assert _first([m.plain for m in await manager.send("Reload")]).startswith(
            "Контент обновлён"
        )


# --- 4. command words are no FAQ gap ---

COMMAND_WORDS = [
    "tickets",
    "reload x",
    "close",
    "announce",
    "approve_link vk:700001",
    "faq_learned",
    "Stats всё",
]
UNKNOWN = "Такой команды я не знаю. Вот что я умею:"


def _gaps(stats: list[str]) -> list[str]:
    text = "\n".join(stats)
    if "Чаще всего без прямого ответа" not in text:
        return []
    after = text.split("Чаще всего без прямого ответа", 1)[1].splitlines()[1:]
    return [line for line in after if re.match(r"\d+\. ", line)]


async def test_vk_partner_command_words_are_unknown_commands_and_no_gaps(
    tmp_path: Path,
) -> None:
    async with VK.running(tmp_path) as harness:
        partner = harness.vk_user(1504, "Вера")
        await partner.onboard()
        for words in COMMAND_WORDS:
            said = [m.plain for m in await partner.send(words)]
            assert _first(said) == UNKNOWN, (words, said)
        said = [m.plain for m in await partner.send("/tickets")]
        assert _first(said) == UNKNOWN
        assert _first([m.plain for m in await partner.send("faq")]).startswith("Частые вопросы")
        # a question still goes to the FAQ, and one it cannot answer is a gap
        await partner.send("Где купить слона оптом?")
        manager = harness.manager()
        await manager.send("/start")
        stats = [m.plain for m in await manager.send("/stats")]
        assert _gaps(stats) == ["1. Где купить слона оптом? — 1 партнёр"], _gaps(stats)


async def test_command_words_asked_on_telegram_are_no_gaps(harness: Harness) -> None:
    anna = harness.user(606, "Анна")
    await anna.onboard()
    for words in COMMAND_WORDS:
        assert _first([m.plain for m in await anna.send(words)]) == UNKNOWN, words
    for words in ("/tickets", "me too", "Где купить слона оптом?"):
        await anna.send(words)
    manager = harness.manager()
    await manager.send("/start")
    stats = [m.plain for m in await manager.send("/stats")]
    assert _gaps(stats) == ["1. Где купить слона оптом? — 1 партнёр"], _gaps(stats)


async def test_a_sentence_starting_with_a_command_word_is_a_question(harness: Harness) -> None:
    """Only the name alone or with one word after it is the command typed as words: a
    partner's longer sentence that starts with one («partner program …») is a question,
    and a gap when the FAQ cannot answer it."""
    anna = harness.user(607, "Анна")
    await anna.onboard()
    for words in ("Stats за неделю не обновились", "partner слоны оптом где купить"):
        assert UNKNOWN not in [m.plain for m in await anna.send(words)], words
    manager = harness.manager()
    await manager.send("/start")
    stats = [m.plain for m in await manager.send("/stats")]
    assert "1. partner слоны оптом где купить — 1 партнёр" in _gaps(stats), _gaps(stats)


async def test_command_words_in_an_open_ticket_reach_the_managers(tmp_path: Path) -> None:
    async with VK.running(tmp_path, managers_chat=True) as harness:
        assert harness.vk is not None
        harness.vk_manager()
        partner = harness.vk_user(1505, "Вера")
        await partner.onboard()
        await partner.send("/support Вопрос")
        for words in ("Close the ticket please", "stats are wrong"):
            said = [m.plain for m in await partner.send(words)]
            assert UNKNOWN not in said, said
            assert harness.vk.chat_messages(VK_CHAT)[-1].plain == words
