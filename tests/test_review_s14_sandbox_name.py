"""Session 14 (task fix14e): after `/name …` the sandbox's `/as` shows the name set, not
the persona's first name."""

from __future__ import annotations

from bot.sandbox.terminal import TerminalChat
from bot.vk.emulator import VkApiEmulator
from tests.harness import Harness


async def test_as_shows_the_name_set_with_name(harness: Harness) -> None:
    lines: list[str] = []
    vk = VkApiEmulator()  # not started: the terminal only sets its person
    chat = TerminalChat(harness.emulator, lines.append, vk)
    harness.emulator.add_user(700001, "Анна")
    vk.add_user(700001, "Анна")
    assert chat.handle("/as partner")
    assert lines[-1] == "   you are now the partner (Анна, tg:700001)"
    assert chat.handle("/name Мария Петрова")
    assert chat.handle("/as manager")
    assert chat.handle("/as partner")
    assert lines[-1] == "   you are now the partner (Мария Петрова, tg:700001)"
    assert chat.handle("/platform vk")
    assert chat.handle("/as partner")
    assert lines[-1] == "   you are now the partner (Мария Петрова, vk:700001)"


async def test_as_alone_says_who_you_are_and_sends_nothing(harness: Harness) -> None:
    """Session 18 (tester 2): «/as» alone went to the bot («Такой команды я не знаю»)."""
    lines: list[str] = []
    chat = TerminalChat(harness.emulator, lines.append)
    harness.emulator.add_user(700001, "Анна")
    assert chat.handle("/as")
    assert lines[-2:] == [
        "   you are the partner (Анна, tg:700001)",
        "   usage: /as partner | /as manager",
    ]
    assert harness.emulator.chat_messages(700001, from_bot=False) == []
