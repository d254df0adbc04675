"""Lesson Markdown to Telegram HTML, splitting long texts, 429 retries."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.rendering import markdown_to_html, split_text, utf16_length
from bot.sandbox.emulator import parse_html
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


def _html_pieces() -> st.SearchStrategy[str]:
    words = st.text(alphabet=list("ab я&<>\"'🙂\n"), min_size=1, max_size=40)
    escaped = words.map(lambda w: html.escape(w, quote=False))
    tagged = st.tuples(st.sampled_from(["b", "i", "code", "pre", "blockquote"]), escaped).map(
        lambda pair: f"<{pair[0]}>{pair[1]}</{pair[0]}>"
    )
    link = escaped.map(lambda w: f'<a href="https://example.com/?a=1&amp;b=2">{w}</a>')
    return st.one_of(escaped, tagged, link)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(_html_pieces(), min_size=1, max_size=60),
    limit=st.integers(min_value=8, max_value=200),
)
def test_every_part_of_a_split_is_valid_and_fits(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    assume(parse_html(text).strip())  # Telegram refuses a blank message anyway
    parts = split_text(text, limit)
    for part in parts:
        visible = parse_html(part)  # the emulator's parser: raises as Telegram would
        assert utf16_length(visible) <= limit, (part, limit)
        assert visible.strip()
    joined = "".join(parse_html(part) for part in parts)
    squeeze = re.compile(r"\s+")
    assert squeeze.sub("", joined) == squeeze.sub("", parse_html(text))


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    text = "Первый абзац. " * 20 + "\n\n" + "Второй абзац, строка.\n" * 30
    parts = split_text(text, 400)
    assert parts[0] == ("Первый абзац. " * 20).strip()
    assert all(len(part) <= 400 for part in parts)
    assert all(part.endswith(".") for part in parts)  # no word cut
    words = split_text("слово " * 200, 100)
    assert all(part.endswith("слово") for part in words)


def test_split_never_cuts_a_tag_an_entity_or_an_emoji() -> None:
    code = "<pre>" + "x = 1 &amp;&amp; y\n" * 400 + "</pre>"
    parts = split_text(code, 4096)
    assert len(parts) > 1
    for part in parts:
        assert part.startswith("<pre>")
        assert part.endswith("</pre>")
        assert utf16_length(parse_html(part)) <= 4096
    emoji = split_text("🙂" * 3000, 4096)
    assert [utf16_length(part) for part in emoji] == [4096, 1904]
    assert split_text("&amp;" * 5000, 4096)[0] == "&amp;" * 4096  # counted once parsed
