"""Telegram's limits for every request (issue 12): replies, edits and a broadcast share
one budget; a 429 holds every sender; nothing is sent inside a window or twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.services.outbox_enqueue import OutMessage
from bot.telegram.emulator import RateLimits
from tests.harness import Client, running_bot


async def test_partners_acting_during_a_broadcast_and_a_429_storm(tmp_path: Path) -> None:
    """A Telegram slower than the bot believes (10 messages a second): 429s come, and
    every sender — the broadcast and four partners onboarding — waits each window out;
    every partner's screens arrive once, in order."""
    limits = RateLimits(global_per_second=10)
    async with running_bot(tmp_path, limits=limits) as harness:
        harness.allowed_errors.update({"sendMessage", "editMessageText"})  # the 429s
        emulator = harness.emulator
        chats = list(range(7000, 7060))
        for chat in chats:
            harness.user(chat, f"P{chat}")
        await harness.services.outbox.enqueue(
            [OutMessage(f"limits:{chat}", "community", "tg", chat, "Новость") for chat in chats]
        )
        people = [harness.user(user, f"Партнёр {user}") for user in range(7100, 7104)]

        async def onboard(person: Client) -> None:
            await person.onboard()

        await asyncio.gather(harness.deliver(), *(onboard(person) for person in people))
        assert emulator.rate_limited > 0  # the storm came
        assert emulator.window_violations == 0  # and nobody sent inside a window
        assert not emulator.duplicates
        assert [len(emulator.chat_messages(chat)) for chat in chats] == [1] * len(chats)
        for person in people:
            partner = await harness.services.partners.by_user("tg", person.user_id)
            assert partner is not None
            assert partner.onboarded
            assert "Меню" in person.last.plain
