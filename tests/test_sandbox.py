"""The offline sandbox: `partnerbot run` without credentials, and its terminal chat."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.terminal import TerminalChat
from bot.vk.emulator import VkApiEmulator
from tests.harness import ROOT, Harness, running_bot


async def test_terminal_chat_types_and_presses_by_number(harness: Harness) -> None:
    lines: list[str] = []
    chat = TerminalChat(harness.emulator, lines.append)
    harness.emulator.add_user(700001, "Анна")
    assert chat.handle("/start")
    await harness.emulator.wait_processed(harness.emulator.last_update_id)
    output = "\n".join(lines)
    assert "🤖 Здравствуйте, Анна!" in output
    assert "[1] Вебмастер (сайт, SEO, контекст)" in output

    assert chat.handle("1")
    await harness.emulator.wait_processed(harness.emulator.last_update_id)
    assert "Вопрос 1 из 3" in "\n".join(lines)
    assert chat.handle("/as boss")
    assert "usage" in lines[-1]
    assert chat.handle("/as manager")
    assert chat.user_id == 700002
    assert not chat.handle("/quit")


async def test_a_number_no_button_has_is_said_not_sent(harness: Harness) -> None:
    """Under buttons, a number none of them has gets a note listing the numbers there
    are, and nothing is sent; ``` lines send it as text; with no buttons on the screen a
    number is text (an answer), as before."""
    lines: list[str] = []
    chat = TerminalChat(harness.emulator, lines.append)
    harness.emulator.add_user(700001, "Анна")

    async def typed(line: str) -> list[str]:
        assert chat.handle(line)
        await harness.emulator.wait_processed(harness.emulator.last_update_id)
        return [m.text or "" for m in harness.emulator.chat_messages(700001, from_bot=False)]

    sent = await typed("/start")  # three segments
    for number in ("4", "0", "99", "9" * 4000):  # (a longer line: cut by the terminal)
        assert await typed(number) == sent
        assert lines[-1] == (
            f"   (no button {number} here: the buttons are 1–3; to send {number} as text,"
            " put it between ``` lines)"
        )
    for line in ("```", "4", "```"):
        after = await typed(line)
    assert after == [*sent, "4"]
    assert await typed("²") == [*sent, "4", "²"]  # not a number: text, never a crash
    await typed("1")  # a segment, then the traffic question's four buttons
    await typed("1")
    await typed("2")  # then the audience question: no buttons
    assert "Вопрос 3 из 3" in "\n".join(lines)
    assert (await typed("42"))[-1] == "42"


@pytest.mark.parametrize("platform", ["vk", "max"])
async def test_a_number_no_button_has_is_said_on_vk_and_max(tmp_path: Path, platform: str) -> None:
    async with running_bot(tmp_path, vk=platform == "vk", maxbot=platform == "max") as harness:
        lines: list[str] = []
        emulator = harness.vk if platform == "vk" else harness.max
        assert emulator is not None
        chat = TerminalChat(harness.emulator, lines.append, harness.vk, harness.max)
        if harness.vk is not None:
            harness.vk.add_user(700001, "Анна", "Смирнова")
        if harness.max is not None:
            harness.max.add_user(700001, "Анна", "Иванова")
        assert chat.handle(f"/platform {platform}")
        assert chat.handle("Начать" if platform == "vk" else "/start")
        await emulator.wait_processed(emulator.feed.newest - 1)
        assert "[1]" in "\n".join(lines)
        events, requests = emulator.feed.newest, len(emulator.requests)
        assert chat.handle("7")
        assert lines[-1].startswith("   (no button 7 here: the buttons are 1–")
        assert (emulator.feed.newest, len(emulator.requests)) == (events, requests)


@pytest.mark.slow
async def test_partnerbot_run_starts_the_sandbox(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "VK_", "MAX_"))
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env["HTTP_PORT"] = str(port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run",
        cwd=ROOT, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdin is not None

    # generous bounds: they catch a hang, and a loaded machine starts the process slowly
    async def read_until(marker: str) -> str:
        seen = ""
        while marker not in seen:
            line = await asyncio.wait_for(process.stdout.readline(), 60)  # type: ignore[union-attr]
            assert line, f"the sandbox ended early; output so far:\n{seen}"
            seen += line.decode()
        return seen

    first = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    assert first.startswith(
        "partnerbot: offline sandbox (no TELEGRAM_BOT_TOKEN, VK_GROUP_TOKEN or MAX_BOT_TOKEN set)"
    )
    # the three emulators' addresses, each a different port (docs/sandbox.md)
    emulators = re.findall(
        r"(Bot API|VK API|MAX API) emulator at http://127\.0\.0\.1:(\d+),", first
    )
    assert [name for name, _port in emulators] == ["Bot API", "VK API", "MAX API"], first
    assert len({port for _name, port in emulators}) == 3, first
    await read_until("Type /start")
    process.stdin.write(b"/start\n")
    await process.stdin.drain()
    assert "[1] Вебмастер" in await read_until("Дизайнер интерьеров")
    process.stdin.write(b"1\n")
    await process.stdin.drain()
    await read_until("Откуда у вас трафик?")
    # the same person in VK
    process.stdin.write("/platform vk\nНачать\n".encode())
    await process.stdin.drain()
    assert "🟦 VK Здравствуйте, Анна!" in await read_until("Дизайнер интерьеров")
    # and in MAX: the start button, then a press by number
    process.stdin.write(b"/platform max\n/start\n")
    await process.stdin.drain()
    assert "🟪 MAX Здравствуйте, Анна!" in await read_until("Дизайнер интерьеров")
    process.stdin.write(b"1\n")
    await process.stdin.drain()
    await read_until("Откуда у вас трафик?")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/health") as response:
            assert await response.json() == {"ok": True}
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            body = await response.text()
    assert 'partnerbot_updates_handled_total{platform="tg"}' in body
    assert 'partnerbot_updates_handled_total{platform="vk"}' in body
    assert 'partnerbot_updates_handled_total{platform="max"}' in body
    process.stdin.write(b"/quit\n")
    await process.stdin.drain()
    assert "sandbox stopped" in await read_until("sandbox stopped")
    assert await asyncio.wait_for(process.wait(), 60) == 0


def test_a_long_paste_is_read_as_whole_characters() -> None:
    """The terminal hands a paste over in pieces that cut UTF-8 sequences (issue 14)."""
    from bot.sandbox.stdin import utf8_lines

    pasted = ("Здравствуйте, у меня вопрос по выплате 🙂 " * 100)[:3917]
    raw = (pasted + "\n" + "вторая строка\n").encode()
    for size in (1, 7, 4096, 1000):
        chunks = [raw[start : start + size] for start in range(0, len(raw), size)]
        lines = list(utf8_lines(chunks))
        assert lines == [pasted + "\n", "вторая строка\n"], size
        assert not any("\ud800" <= char <= "\udfff" for line in lines for char in line)
    assert list(utf8_lines([b"bad \xff byte"])) == ["bad \ufffd byte"]


async def test_a_half_character_never_crashes_a_handler(harness: Harness) -> None:
    """A text with a lone surrogate (a cut paste) is taken with U+FFFD, in a ticket too."""
    await harness.manager().send("/start")
    anna = harness.user(9101)
    await anna.onboard()
    replies = await anna.send("вопрос \udcd0 про выплаты")
    assert not replies[-1].plain.startswith("Что-то пошло не так")
    replies = await anna.send("/support Не пришла выплата \ud83d")
    assert replies[-1].plain.startswith("Обращение №1")


async def test_terminal_sets_the_client_language_and_the_display_name(harness: Harness) -> None:
    lines: list[str] = []
    vk = VkApiEmulator()  # not started: the terminal only sets its person
    chat = TerminalChat(harness.emulator, lines.append, vk)
    harness.emulator.add_user(700001, "Анна")
    vk.add_user(700001, "Анна")
    assert chat.handle("/lang fr")
    assert "usage: /lang ru | /lang en" in lines[-1]
    assert chat.handle("/name")
    assert "usage: /name" in lines[-1]
    assert chat.handle("/lang en")
    assert chat.handle("/name Tom & Jerry <b>")
    assert "Tom & Jerry <b>" in lines[-1]
    assert chat.handle("/start")
    await harness.emulator.wait_processed(harness.emulator.last_update_id)
    greeting = harness.emulator.chat_messages(700001)[-1].plain
    assert greeting.startswith("Hello, Tom & Jerry <b>!")
    user = vk.users[700001]
    assert (user.first_name, user.lang_id) == ("Tom & Jerry <b>", 3)


async def test_a_photo_without_a_file_name_shows_as_a_photo(harness: Harness) -> None:
    from bot.telegram.emulator.state import SentMessage

    lines: list[str] = []
    chat = TerminalChat(harness.emulator, lines.append)
    chat.show(SentMessage(1, 700002, True, caption="подпись", kind="photo", file_size=12))
    chat.show(SentMessage(2, 700002, True, kind="document", file_name="act.pdf"))
    output = "\n".join(lines)
    assert "None" not in output
    assert "📎 photo, 12 bytes" in output
    assert "📎 document: act.pdf" in output


async def test_the_sandbox_commands_work_in_a_block_of_several_lines(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review: `/reply` inside a ``` block reached the bot as text («Такой команды я не
    знаю»); now a block beginning with /reply, /photo or /document is that command with
    all the lines, a one-line block is that line typed, and the hint says so."""
    lines: list[str] = []
    chat = TerminalChat(harness.emulator, lines.append)
    harness.emulator.add_user(700001, "Анна")
    assert chat.handle("/start")
    await harness.emulator.wait_processed(harness.emulator.last_update_id)
    last_from_bot = harness.emulator.chat_messages(700001)[-1].message_id
    replies: list[int | None] = []  # what each typed message answers
    user_message = harness.emulator.user_message

    def recorded(user_id: int, text: str | None = None, **options: Any) -> int:
        replies.append(options.get("reply_to"))
        return user_message(user_id, text, **options)

    monkeypatch.setattr(harness.emulator, "user_message", recorded)
    assert chat.handle("```")
    assert "begin with /reply, /photo or /document" in lines[-1]
    for line in ("/reply Первая строка", "вторая строка", "```"):
        assert chat.handle(line)
    await harness.emulator.wait_processed(harness.emulator.last_update_id)
    typed = harness.emulator.chat_messages(700001, from_bot=False)[-1]
    assert (typed.text, replies[-1]) == ("Первая строка\nвторая строка", last_from_bot)
    assert "Такой команды я не знаю" not in harness.emulator.chat_messages(700001)[-1].plain

    for line in ("```", "/reply", "ответ с новой строки", "```"):  # the command alone first
        assert chat.handle(line)
    assert harness.emulator.chat_messages(700001, from_bot=False)[-1].text == (
        "ответ с новой строки"
    )
    for line in ("```", "/photo подпись", "в две строки", "```"):
        assert chat.handle(line)
    photo = harness.emulator.chat_messages(700001, from_bot=False)[-1]
    assert (photo.kind, photo.caption) == ("photo", "подпись\nв две строки")

    for line in ("```", "/as manager", "```"):  # one line: as typed on its own
        assert chat.handle(line)
    assert chat.user_id == 700002
    sent = len(harness.emulator.chat_messages(700002, from_bot=False))
    for line in ("```", "/as partner", "и ещё строка", "```"):
        assert chat.handle(line)
    assert "/as takes one line" in lines[-1]
    assert chat.user_id == 700002
    assert len(harness.emulator.chat_messages(700002, from_bot=False)) == sent  # nothing sent
    assert chat.handle("/reply")
    assert lines[-1].startswith("   usage: /reply TEXT")


@pytest.mark.parametrize("platform", ["tg", "vk", "max"])
async def test_press_forges_under_the_newest_bot_message_with_buttons(
    tmp_path: Path, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`/press DATA` after `/settings` (buttons) then `/link aff-10` (an answer without
    any) said «no message with buttons to press under» (a tester of session 25, on MAX):
    it looked at the bot's last message only. A forged press goes under the newest of the
    bot's messages in that chat that has buttons, on every platform; a typed number still
    does not (it is an answer there)."""
    async with running_bot(tmp_path, vk=platform == "vk", maxbot=platform == "max") as harness:
        lines: list[str] = []
        chat = TerminalChat(harness.emulator, lines.append, harness.vk, harness.max)
        await harness.manager().send("/start")  # the link request's card reaches someone
        pressed: list[Any] = []  # the message each forged press went under
        person: Any
        if platform == "tg":
            person = harness.user(700001, "Анна")
            await person.onboard()
            emulator: Any = harness.emulator
            press = emulator.press_data
            monkeypatch.setattr(
                emulator, "press_data", lambda uid, m, d: pressed.append(m) or press(uid, m, d)
            )
        elif platform == "vk":
            person = harness.vk_user(700001, "Анна")
            await person.onboard()
            emulator = harness.vk
        else:  # on MAX the harness's 700001 is a manager: no onboarding, the card comes too
            person = harness.max_user(700001, "Анна")
            await person.open()
            emulator = harness.max
        if platform != "tg":
            forged = emulator.press_payload
            monkeypatch.setattr(
                emulator,
                "press_payload",
                lambda uid, m, d: pressed.append(m) or forged(uid, m, d),
            )
        assert chat.handle(f"/platform {platform}")
        await person.send("/settings")
        await person.send("/link aff-10")
        assert person.last.buttons == []  # the bot's last message has no buttons
        newest = next(m for m in reversed(person.messages) if m.from_bot and m.buttons)
        if platform != "max":
            assert newest.plain.startswith("Настройки.")

        async def handled() -> None:
            newest_event = emulator.last_update_id if platform == "tg" else emulator.feed.newest
            await emulator.wait_processed(newest_event - (platform != "tg"))

        sent = len(person.messages)
        assert chat.handle("1")  # a number is still text under an answer without buttons
        await handled()
        assert len(person.messages) > sent
        assert not pressed
        assert not any(line.startswith("   (no button") for line in lines), lines

        assert chat.handle(f"/press lk:{platform}:700001")
        assert not any("no message with buttons" in line for line in lines), lines
        assert len(pressed) == 1
        assert pressed[0] is newest
        await handled()
        assert lines[-1].startswith("   💬 Этот пункт больше недоступен"), lines[-3:]


async def test_press_in_a_group_goes_past_the_bots_answers_without_buttons(
    tmp_path: Path,
) -> None:
    """In the managers' chat, `/press DATA` after `/tickets` (answered without buttons in
    the general topic) goes under the link request's card above it."""
    from bot.sandbox.group import MANAGERS_ID, add_groups
    from bot.sandbox.terminal import MANAGER_ID as SANDBOX_MANAGER
    from bot.sandbox.terminal import PARTNER_ID
    from tests.harness import chats_emulator

    async with chats_emulator() as emulator:
        add_groups(emulator)
        async with running_bot(
            tmp_path, emulator=emulator, tg_managers_chat_id=MANAGERS_ID,
            managers=f"tg:{SANDBOX_MANAGER}",
        ) as harness:  # fmt: skip
            lines: list[str] = []
            chat = TerminalChat(harness.emulator, lines.append)
            anna = harness.user(PARTNER_ID, "Анна")
            await anna.onboard()
            await anna.send("/link aff-25")
            for line in ("/as manager", "/chat managers", "/tickets"):
                assert chat.handle(line)
                await emulator.wait_processed(emulator.last_update_id)
            assert emulator.chat_messages(MANAGERS_ID)[-1].buttons == []
            partner = await harness.services.partners.by_user("tg", PARTNER_ID)
            assert partner is not None
            assert chat.handle(f"/press lk:approve:{partner.id}")  # the card's «✅ Подтвердить»
            await emulator.wait_processed(emulator.last_update_id)
            assert not any("no message with buttons" in line for line in lines), lines
            partner = await harness.services.partners.by_user("tg", PARTNER_ID)
            assert partner is not None
            assert (partner.affiliate_id, partner.affiliate_status) == ("aff-25", "linked")


@pytest.mark.parametrize("platform", ["max", "vk"])
async def test_a_max_or_vk_manager_is_told_where_tickets_are_answered(
    tmp_path: Path, platform: str
) -> None:
    """The sandbox's tickets arrive in its managers' chat on Telegram (it wins over VK's
    and MAX's, docs/max.md). As the manager on MAX (or VK), `/reply TEXT` and `/chat
    managers` say so and send nothing: the tester of session 26 saw `/reply` reach the
    bot as a question (FAQ options to the manager) and `/chat managers` answered with
    usage. Following the note answers the MAX (VK) partner's ticket."""
    from bot.sandbox.group import MANAGERS_ID, add_groups
    from bot.sandbox.terminal import MANAGER_ID as SANDBOX_MANAGER
    from bot.sandbox.terminal import PARTNER_ID
    from tests.harness import chats_emulator

    managers = f"tg:{SANDBOX_MANAGER},vk:{SANDBOX_MANAGER},max:{SANDBOX_MANAGER}"
    async with chats_emulator() as emulator:
        add_groups(emulator)
        async with running_bot(
            tmp_path, emulator=emulator, vk=platform == "vk", maxbot=platform == "max",
            tg_managers_chat_id=MANAGERS_ID, managers=managers,
        ) as harness:  # fmt: skip
            lines: list[str] = []
            chat = TerminalChat(harness.emulator, lines.append, harness.vk, harness.max)
            harness.user(SANDBOX_MANAGER, "Михаил")
            anna: Any
            if platform == "max":
                anna = harness.max_user(PARTNER_ID, "Анна")
                assert harness.max is not None
                harness.max.add_user(SANDBOX_MANAGER, "Михаил")
            else:
                anna = harness.vk_user(PARTNER_ID, "Анна")
                assert harness.vk is not None
                harness.vk.add_user(SANDBOX_MANAGER, "Михаил")
            other: Any = harness.max if platform == "max" else harness.vk
            await anna.onboard()
            await anna.send("/support")
            await anna.send("Не пришла выплата за октябрь")
            card = emulator.chat_messages(MANAGERS_ID)
            assert any("Не пришла выплата за октябрь" in m.plain for m in card), card

            answers = "the sandbox's tickets arrive in the managers' chat on Telegram"
            for line in (f"/platform {platform}", "/as manager"):
                assert chat.handle(line)
            assert lines[-1].endswith(f", {platform}:{SANDBOX_MANAGER})"), lines[-1]
            events, requests = other.feed.newest, len(other.requests)
            assert chat.handle("/reply Выплата ушла вчера, проверьте")
            assert answers in lines[-1], lines[-1]
            assert "/platform tg, /chat managers, then /reply TEXT" in lines[-1], lines[-1]
            assert "nothing was sent" in lines[-1], lines[-1]
            assert chat.handle("/chat managers")
            assert answers in lines[-1], lines[-1]
            assert "/platform tg, then /chat managers" in lines[-1], lines[-1]
            assert chat.where == "private"
            # nothing reached the bot: no event, no answer (it was FAQ options)
            assert (other.feed.newest, len(other.requests)) == (events, requests)
            assert chat.handle("/chat group")
            group = "   (the partners' group is on Telegram: /platform tg, then /chat group)"
            assert lines[-1] == group, lines[-1]

            for line in ("/platform tg", "/chat managers", "/reply Выплата ушла вчера"):
                assert chat.handle(line)
                await emulator.wait_processed(emulator.last_update_id)
            assert "Выплата ушла вчера" in _last_text(anna, platform)


def _last_text(person: Any, platform: str) -> str:
    """The last message a MAX or VK person got, as read."""
    return str(person.last.plain if platform == "max" else person.last.text)


async def test_several_lines_after_chat_group_go_to_the_group(tmp_path: Path) -> None:
    """A block between two ``` lines after `/chat group` is written in the group, as a
    single typed line is (tester R, session 26: it went to the private chat, and from there
    into the partner's open ticket)."""
    from bot.sandbox.group import GROUP_ID, add_groups
    from bot.sandbox.terminal import PARTNER_ID
    from tests.harness import chats_emulator

    async with chats_emulator() as emulator:
        add_groups(emulator)
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=GROUP_ID
        ) as harness:
            lines: list[str] = []
            chat = TerminalChat(harness.emulator, lines.append)
            private_before = len(emulator.chat_messages(PARTNER_ID))
            for line in ("/chat group", "```", "короткий текст в группу", "вторая строка", "```"):
                assert chat.handle(line)
            await emulator.wait_processed(emulator.last_update_id)
            said = [m.text for m in emulator.messages.get(GROUP_ID, [])]
            assert "короткий текст в группу\nвторая строка" in said
            assert len(emulator.chat_messages(PARTNER_ID)) == private_before
