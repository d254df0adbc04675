"""Telegram shapes to MAX shapes: text markup, keyboards, long texts, callback answers.

- Markup: the bot writes Telegram HTML; MAX takes an HTML subset (`format: "html"`):
  b/strong, i/em, s/del, u/ins, a href, pre, code, mark, h1. Any other tag (blockquote,
  tg-spoiler, span) is dropped and its words stay, so nothing is ever refused for markup.
- Keyboards: an inline keyboard becomes an `inline_keyboard` attachment of `callback`
  buttons (the callback data is the payload, ≤ 1024 characters) and `link` buttons.
  MAX's limits: 30 rows, 7 buttons a row (3 for links), 210 buttons, label ≤ 128
  characters; a longer menu is re-flowed (bot/keyboards.py).
- Text: ≤ 4000 characters a message (NewMessageBody.text), as sent: a part without
  markup goes as plain text (`markup.wire`: no `format`, entities decoded), so it counts
  what the reader sees; one with markup goes as HTML, counted as written. A longer text is
  split by paragraphs, and a tag open at a cut is closed there and opened again in the
  next part.
"""

from __future__ import annotations

import html as _html
import re
from typing import Any, Final

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.keyboards import reflow
from bot.max.markup import ALLOWED, TEXT_LIMIT, has_markup, html, sent_length, wire

__all__ = [  # the markup's (bot/max/markup.py, without aiogram for the content check) too
    "ALLOWED", "BUTTONS", "LABEL_LIMIT", "NOTIFICATION_LIMIT", "PAYLOAD_LIMIT", "ROWS",
    "ROW_BUTTONS", "ROW_LINKS", "TEXT_LIMIT", "escape", "has_markup", "html", "keyboard",
    "notification", "plain", "sent_length", "split", "wire",
]  # fmt: skip
from bot.rendering import plain_text, split_text

LABEL_LIMIT: Final = 128
PAYLOAD_LIMIT: Final = 1024
ROWS, ROW_BUTTONS, ROW_LINKS, BUTTONS = 30, 7, 3, 210
NOTIFICATION_LIMIT: Final = 200

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")


def plain(text: str) -> str:
    """What a person reads (tags dropped, entities decoded): for the duplicate check."""
    return plain_text(text)


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A long (MAX HTML) text in parts of at most `limit` characters as sent (`wire`): a
    part with markup as written (MAX counts the tags and `&amp;` too), tags balanced; a
    part without as read. The parts stay MAX HTML."""
    if sent_length(text) <= limit:
        return [text]
    if not has_markup(text):  # plain text: split as read, each part escaped again
        words = _html.unescape(text)
        return [escape(part) for part in split_text(words, limit, html_mode=False)]
    budget = limit - 64  # room for the tags closed and opened again
    while True:
        parts = _split(text, budget)
        longest = max(sent_length(part) for part in parts)
        if longest <= limit or budget <= 64:
            return parts
        # escapes and tags make the written text longer than what is read: fewer per part
        budget = max(64, budget * (limit - 64) // longest)


def _split(text: str, budget: int) -> list[str]:
    parts = split_text(text, budget)
    if len(parts) == 1:
        return parts
    out: list[str] = []
    carried: list[str] = []  # open tags (as written) carried into the next part
    for part in parts:
        body = "".join(carried) + part
        stack: list[tuple[str, str]] = []
        for match in _TAG.finditer(body):
            name = match.group(2).lower()
            if match.group(1):
                for index in range(len(stack) - 1, -1, -1):
                    if stack[index][0] == name:
                        del stack[index]
                        break
            else:
                stack.append((name, match.group(0)))
        body += "".join(f"</{name}>" for name, _ in reversed(stack))
        carried = [opening for _, opening in stack]
        out.append(body)
    return out


def keyboard(markup: Any) -> dict[str, Any] | None:
    """The `inline_keyboard` attachment for an inline keyboard (None: no keyboard)."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return None
    rows: list[list[dict[str, Any]]] = []
    for row in markup.inline_keyboard:
        converted = [b for b in (_button(button) for button in row) if b is not None]
        links = [b for b in converted if b["type"] == "link"]
        others = [b for b in converted if b["type"] != "link"]
        if links and len(links) > ROW_LINKS:
            rows.extend(links[i : i + ROW_LINKS] for i in range(0, len(links), ROW_LINKS))
            if others:
                rows.append(others)
        elif converted:
            rows.append(converted)
    rows = reflow(rows, max_rows=ROWS, per_row=ROW_BUTTONS, total=BUTTONS)
    flat = [apart for row in rows for apart in _links_apart(row)]
    if not flat:
        return None
    return {"type": "inline_keyboard", "payload": {"buttons": flat[:ROWS]}}


def _links_apart(row: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A re-flowed row with more than 3 links: the links in rows of 3."""
    links = [b for b in row if b["type"] == "link"]
    if len(links) <= ROW_LINKS:
        return [row]
    others = [b for b in row if b["type"] != "link"]
    out = [links[i : i + ROW_LINKS] for i in range(0, len(links), ROW_LINKS)]
    return out + ([others] if others else [])


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _button(button: InlineKeyboardButton) -> dict[str, Any] | None:
    if button.url:
        return {"type": "link", "text": _label(button.text), "url": button.url}
    if button.callback_data is None or len(button.callback_data) > PAYLOAD_LIMIT:
        return None
    return {"type": "callback", "text": _label(button.text), "payload": button.callback_data}


def notification(text: str) -> str:
    """A callback answer's notification: plain words, short."""
    words = plain(text).strip()
    return words if len(words) <= NOTIFICATION_LIMIT else words[: NOTIFICATION_LIMIT - 1] + "…"


def escape(text: str) -> str:
    """Plain text for a message sent as MAX HTML."""
    return _html.escape(text, quote=False)
