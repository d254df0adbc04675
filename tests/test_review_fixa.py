"""The independent review's findings 1, 6, 11, 12, 13, 14, 21, 22: each reproduced as the
reviewer saw it (journeys through the emulators, or the boundary that was crossed)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.max import convert
from bot.max.emulator import MaxApiEmulator
from tests.harness import running_bot

MAX_MANAGERS = -700


async def test_text_typed_on_max_is_passed_on_as_typed(tmp_path: Path) -> None:
    """Review 1: a MAX partner's words, copied to the MAX managers' chat, and a MAX
    manager's reply copied back, are text - not HTML - and nothing of a long one is lost."""
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(MAX_MANAGERS, "Менеджеры")
    try:
        async with running_bot(
            tmp_path, maxbot=emulator, max_managers_chat_id=MAX_MANAGERS
        ) as harness:
            manager = harness.max_manager()
            maria = harness.max_user(310)
            await maria.onboard()
            await maria.send("/support")
            typed = (
                'Тест <b>жирный</b> &lt;x&gt; <a href="https://evil.example">нажми</a>'
                " <code>c</code>"
            )
            await maria.send(typed)
            relayed = emulator.chat_messages(MAX_MANAGERS)[-1]
            assert relayed.plain == typed
            assert "<a href" not in relayed.text  # no live link in the managers' chat

            answer = '<b>Ответ</b> &amp; <a href="https://ok.example">ссылка</a>'
            await manager.send(answer, reply_to=relayed, chat=MAX_MANAGERS)
            assert maria.last.plain == answer

            long = "x&y<z>" * 680 + "!"  # 4,081 characters, each to be escaped
            before = len(emulator.chat_messages(MAX_MANAGERS))
            await maria.send(long)
            parts = emulator.chat_messages(MAX_MANAGERS)[before:]
            assert "".join(p.plain for p in parts).replace("\n", "") == long
            assert all(len(p.text) <= 4000 for p in parts)
    finally:
        await emulator.stop()


@settings(max_examples=20, deadline=None)
@given(st.text(alphabet="ab &<>\"'\n\u202e😀", min_size=3000, max_size=9000))
def test_a_max_text_is_split_by_its_written_length(typed: str) -> None:
    """Review 1: MAX counts the written text (escapes included) against its 4,000."""
    escaped = convert.escape(typed)
    parts = convert.split(escaped)
    assert all(len(part) <= convert.TEXT_LIMIT for part in parts)
    words = "".join(convert.plain(part) for part in parts)
    assert words.replace("\n", "").replace(" ", "") == typed.replace("\n", "").replace(" ", "")
