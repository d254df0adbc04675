"""Lesson Markdown to Telegram HTML, splitting long texts, 429 retries."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.rendering import markdown_to_html, split_text
from bot.telegram import RetryAfterMiddleware


def test_markdown_to_telegram_html() -> None:
    text = (
        "# Title\n\n**bold** and *it* `code` [link](https://x.example?a=1&b=2)"
        "\n\n- one\n- two\n\n1. first\n2. second"
    )
    assert markdown_to_html(text) == (
        "<b>Title</b>\n\n"
        '<b>bold</b> and <i>it</i> <code>code</code> <a href="https://x.example?a=1&amp;b=2">link</a>'
        "\n\n• one\n• two\n\n1. first\n2. second"
    )


def test_html_in_markdown_is_escaped() -> None:
    assert markdown_to_html("a <script> & b") == "a &lt;script&gt; &amp; b"


def test_split_text_by_paragraphs() -> None:
    paragraphs = ["a" * 3000, "b" * 3000, "c" * 100]
    parts = split_text("\n\n".join(paragraphs), limit=4096)
    assert parts == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]
    assert all(len(part) <= 10 for part in split_text("x" * 35, limit=10))


async def test_retry_after_waits_and_sends_again() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    calls = {"n": 0}
    method = SendMessage(chat_id=1, text="hi")

    async def make_request(bot: Any, sent: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise TelegramRetryAfter(method=sent, message="Too Many Requests", retry_after=3)
        return "ok"

    middleware = RetryAfterMiddleware(sleep=sleep)
    bot = Bot("1:x")
    assert await middleware(make_request, bot, method) == "ok"  # type: ignore[arg-type]
    assert waits == [3.0]
    await bot.session.close()


async def test_retry_after_gives_up() -> None:
    async def sleep(seconds: float) -> None:
        return None

    async def make_request(bot: Any, sent: Any) -> str:
        raise TelegramRetryAfter(method=sent, message="Too Many Requests", retry_after=1)

    bot = Bot("1:x")
    with pytest.raises(TelegramRetryAfter):
        await RetryAfterMiddleware(attempts=2, sleep=sleep)(
            make_request,  # type: ignore[arg-type]
            bot,
            SendMessage(chat_id=1, text="hi"),
        )
    await bot.session.close()
