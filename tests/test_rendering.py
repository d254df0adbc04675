"""Lesson Markdown to Telegram HTML, splitting long texts."""

from __future__ import annotations

import pytest

from bot.rendering import markdown_to_html, split_text

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis


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
