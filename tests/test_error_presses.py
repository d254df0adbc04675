"""A button press whose handler fails is answered exactly once: by the handler when it
answered before failing, else by the error handler with the error text (Telegram, VK and
MAX, through the real dispatcher and each platform's emulator)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram import Router
from aiogram.types import CallbackQuery

import bot.assembly
from tests.harness import Harness, running_bot

ERROR_RU = "Что-то пошло не так, мы уже разбираемся. Попробуйте ещё раз чуть позже."
OWN_ANSWER = "Принято"


def _crashing_presses(answer_first: bool) -> Router:
    """Every press crashes its handler, after answering it when `answer_first`."""
    router = Router(name="crashing-presses")

    @router.callback_query()
    async def crash(callback: CallbackQuery) -> None:
        if answer_first:
            await callback.answer(OWN_ANSWER)
        raise RuntimeError("the handler failed")

    return router


def _answers(harness: Harness, platform: str) -> list[str]:
    """The texts of every answer to a press the bot sent (refused ones too)."""
    if platform == "tg":
        return [
            str(r.params.get("text") or "")
            for r in harness.emulator.requests
            if r.method == "answerCallbackQuery"
        ]
    if platform == "vk":
        assert harness.vk is not None
        texts = []
        for request in harness.vk.requests:
            if request.method == "messages.sendMessageEventAnswer":
                data = request.params.get("event_data") or "{}"
                texts.append(str(json.loads(str(data)).get("text", "")))
        return texts
    assert harness.max is not None
    return [
        str((r.body or {}).get("notification", ""))
        for r in harness.max.requests
        if r.http_method == "POST" and r.path.startswith("/answers")
    ]


async def _press_first_button(harness: Harness, platform: str) -> None:
    if platform == "tg":
        anna = harness.user(301)
        await anna.send("/start")
        await anna.press(anna.last.button_labels[0])
    elif platform == "vk":
        vera = harness.vk_user(302)
        await vera.send("Начать")
        await vera.press(vera.last.button_labels[0])
    else:
        maria = harness.max_user(303)
        await maria.open()
        await maria.press(maria.last.button_labels[0])


def _said_in_chat(harness: Harness, platform: str) -> list[str]:
    if platform == "tg":
        return [m.plain for m in harness.emulator.chat_messages(301)]
    if platform == "vk":
        assert harness.vk is not None
        return [m.text for m in harness.vk.chat_messages(302)]
    assert harness.max is not None
    return [m.plain for m in harness.max.chat_messages(harness.max.users[303].dialog)]


@pytest.mark.parametrize("platform", ["tg", "vk", "max"])
@pytest.mark.parametrize("answer_first", [True, False], ids=["answered", "unanswered"])
async def test_a_failed_press_is_answered_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, answer_first: bool
) -> None:
    original: Callable[[], list[Router]] = bot.assembly.setup_routers

    def with_crashing_presses() -> list[Router]:
        return [_crashing_presses(answer_first), *original()]

    monkeypatch.setattr(bot.assembly, "setup_routers", with_crashing_presses)
    extra: dict[str, Any] = {"vk": platform == "vk", "maxbot": platform == "max"}
    async with running_bot(tmp_path, **extra) as harness:
        await _press_first_button(harness, platform)
        answers = _answers(harness, platform)
        assert answers == ([OWN_ANSWER] if answer_first else [ERROR_RU])
        # the private chat is told either way (a toast passes; the message stays)
        assert any(ERROR_RU in text for text in _said_in_chat(harness, platform))
