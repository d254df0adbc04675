"""Session 14 (task fix14e): flood protection counts a person's updates as they arrive, on
every platform. Before, on Telegram the check ran after the chat's earlier updates were
handled (one chat's updates go one at a time), and Telegram paces replies to a chat at
about one a second: 30 lines at once were all answered, one a second, with no "slow
down"; on MAX (no such pacing) 10 were answered and the note came."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiogram.types import Chat, Message, Update, User

from bot.assembly import FLOOD_BURST
from tests.harness import running_bot

SLOW_DOWN = "Слишком много сообщений подряд — подождите пару секунд, и я снова отвечу."
HELLO = "Здравствуйте! Напишите вопрос — отвечу сразу. Всё, что я умею, — в /help."


async def test_thirty_lines_at_once_on_telegram_meet_the_flood_limit(tmp_path: Path) -> None:
    """Through the Telegram emulator, with the production limits and a reply to the chat
    taking a second and a bit (Telegram's per-chat pace, on the injected clock): the
    burst of 10 is answered, the rest dropped, "slow down" said once."""
    async with running_bot(tmp_path) as harness:
        anna = harness.user(1411)
        await anna.onboard()
        harness.clock.advance(60)  # the onboarding's taps are forgotten by the bucket
        emulator = harness.emulator
        send = emulator._m_sendMessage

        async def paced(params: dict[str, Any]) -> Any:
            harness.clock.advance(1.05)
            return await send(params)

        emulator._m_sendMessage = paced  # type: ignore[method-assign]
        before = len(anna.messages)
        # as polling hands them over (each update a task of its own, as in production)
        lines = [_line(1411, 9000 + index) for index in range(30)]
        await asyncio.gather(*(harness.dp.feed_update(harness.bot, line) for line in lines))
        texts = [m.plain for m in anna.messages[before:]]
        assert texts.count(HELLO) == FLOOD_BURST
        assert texts.count(SLOW_DOWN) == 1
        harness.clock.advance(60)
        assert (await anna.send("привет"))[-1].plain == HELLO


def _line(user_id: int, number: int) -> Update:
    """«привет» from `user_id` in their private chat, as getUpdates would bring it."""
    person = User(id=user_id, is_bot=False, first_name="Анна", language_code="ru")
    chat = Chat(id=user_id, type="private", first_name="Анна")
    message = Message(
        message_id=number, date=1_765_000_000, chat=chat, from_user=person, text="привет"
    )
    return Update(update_id=number, message=message)
