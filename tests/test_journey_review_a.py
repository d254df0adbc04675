"""Findings of the black-box review (part A): each test reproduces one finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram.types import Message

from tests.harness import Harness, running_bot


async def test_unknown_commands_at_typing_pace_all_get_answers(tmp_path: Path) -> None:
    """Review 1: fourteen unknown commands about one a second: every one is answered
    (paced, never dropped), in the partner's language."""
    async with running_bot(tmp_path) as harness:
        tom = harness.user(700001, "Tom")
        await tom.onboard()
        partner = await harness.services.partners.by_user("tg", tom.user_id)
        assert partner is not None
        await harness.services.partners.set_language(partner, "en")
        for number in range(1, 15):
            harness.pacing.advance(1)
            await tom.send(f"/bar{number}")
        answers = [m.plain for m in tom.messages if "I don't know that command" in m.plain]
        assert len(answers) == 14
        assert not any("Что-то пошло не так" in m.plain for m in tom.messages)


async def test_error_message_in_the_partners_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 11: a partner who chose English in /settings (their client is Russian)
    gets the error message in English."""
    async with running_bot(tmp_path) as harness:
        anna = harness.user(700002, "Anna", language="ru")
        await anna.onboard()
        partner = await harness.services.partners.by_user("tg", anna.user_id)
        assert partner is not None
        await harness.services.partners.set_language(partner, "en")
        original = Message.answer

        async def broken(self: Message, *args: object, **kwargs: object) -> object:
            if self.text == "/me":
                raise RuntimeError("boom")
            return await original(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Message, "answer", broken)
        await anna.send("/me")
        assert "Something went wrong" in anna.last.plain


async def test_approve_link_for_nobody_says_not_found(harness: Harness) -> None:
    """Review 20: /approve_link with an id nobody has says "not found", not "no request"."""
    manager = harness.manager()
    await manager.send("/start")
    for query in ("tg:99999999999999999999999", "tg:424242", "aff-nobody"):
        reply = (await manager.send(f"/approve_link {query}"))[-1].plain
        assert reply == f"Партнёр «{query}» не найден."
    anna = harness.user(702, "Анна")
    await anna.onboard()
    reply = (await manager.send("/approve_link tg:702"))[-1].plain
    assert "нет запроса на привязку" in reply
