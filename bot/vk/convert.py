"""Telegram shapes to VK shapes and back: keyboards, text, random ids, events.

- An inline keyboard becomes a VK inline keyboard of callback buttons (the callback data
  travels in the payload, ≤ 255 bytes); URL buttons become `open_link`. A keyboard over
  VK's inline limits (6 rows, 10 buttons) goes as a regular keyboard (10 rows, 40
  buttons); a menu of more than 6 rows but at most 10 buttons is re-flowed two (or more)
  a row to stay inline. Clients without callback support get text buttons with the same
  payload.
- Telegram HTML becomes plain text (VK shows no markup): tags dropped, a link's address
  kept after its words.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # annotations only: the content loader imports this module, and aiogram
    # (seconds of pydantic schemas) is not needed to read content or match a question
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.keyboards import fit_rows, reflow
from bot.platform.files import platform_of_file
from bot.rendering import at_a_word

CHAT_PEER_BASE: Final = 2_000_000_000
LABEL_LIMIT: Final = 40
PAYLOAD_LIMIT: Final = 255
INLINE_ROWS, INLINE_BUTTONS = 6, 10
REGULAR_ROWS, REGULAR_BUTTONS, ROW_BUTTONS = 10, 40, 5
PAYLOAD_KEY: Final = "c"  # {"c": "<callback data>"}

_LINK = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def is_chat(peer_id: int) -> bool:
    return peer_id >= CHAT_PEER_BASE


def is_vk_attachment(reference: str) -> bool:
    """`photo-1_2` and the like: a file VK has (not a Telegram file id or a path)."""
    return platform_of_file(reference) == "vk"


def random_id(key: str) -> int:
    """A stable 31-bit `random_id` for a send that must happen exactly once."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest()) & 0x7FFFFFFF


def plain(text: str) -> str:
    """Telegram HTML as plain text for VK: links keep their address."""

    def link(match: re.Match[str]) -> str:
        href, words = html.unescape(match.group(1)), _TAG.sub("", match.group(2))
        words = html.unescape(words)
        return words if words.strip() == href or not href else f"{words} ({href})"

    return html.unescape(_TAG.sub("", _LINK.sub(link, text)))


def payload_of(data: str) -> str:
    return json.dumps({PAYLOAD_KEY: data}, ensure_ascii=False, separators=(",", ":"))


def data_of(payload: Any) -> str | None:
    """The callback data in a button's payload (an object, or its JSON text)."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            return None
    if isinstance(payload, dict) and isinstance(payload.get(PAYLOAD_KEY), str):
        return str(payload[PAYLOAD_KEY])
    return None


def keyboard(markup: InlineKeyboardMarkup | None, *, callbacks: bool = True) -> str | None:
    """The VK keyboard JSON for an inline keyboard (None: no keyboard)."""
    if markup is None:
        return None
    converted = [[_button(b, callbacks) for b in row] for row in markup.inline_keyboard]
    rows = fit_rows([[b for b in row if b is not None] for row in converted], per_row=ROW_BUTTONS)
    total = sum(len(row) for row in rows)
    if total <= INLINE_BUTTONS:
        # a long menu of single buttons (settings): two or more a row fit VK's 6 rows
        rows = reflow(rows, max_rows=INLINE_ROWS, per_row=ROW_BUTTONS, total=INLINE_BUTTONS)
    inline = len(rows) <= INLINE_ROWS and total <= INLINE_BUTTONS
    if not inline:  # a regular keyboard: 10 rows, 40 buttons
        rows = reflow(rows, max_rows=REGULAR_ROWS, per_row=ROW_BUTTONS, total=REGULAR_BUTTONS)
    body: dict[str, Any] = {"inline": inline, "buttons": rows}
    if not inline:
        body["one_time"] = False
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _label(text: str) -> str:
    """A button's label within VK's 40 characters, cut at a word."""
    return text if len(text) <= LABEL_LIMIT else at_a_word(text, LABEL_LIMIT - 1)


def _button(button: InlineKeyboardButton, callbacks: bool) -> dict[str, Any] | None:
    if button.url:
        return {"action": {"type": "open_link", "link": button.url, "label": _label(button.text)}}
    if button.callback_data is None:
        return None
    payload = payload_of(button.callback_data)
    if len(payload.encode()) > PAYLOAD_LIMIT:
        return None
    kind = "callback" if callbacks else "text"
    return {"action": {"type": kind, "label": _label(button.text), "payload": payload}}
