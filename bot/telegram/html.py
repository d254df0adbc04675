"""Telegram's HTML parse mode, as the Bot API server parses it: what the content checks
and the emulator both hold a text to.

Only the entities below are accepted (a bare "&" is refused here, stricter than the
server, which keeps it: escaping every "&" is what the bot must do anyway), a "<" must
open a known tag, tags must nest.
"""

from __future__ import annotations

import html
import re
from typing import Final

ALLOWED_HTML_TAGS: Final = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip

_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[A-Za-z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTRIBUTE = re.compile(r"([A-Za-z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_REQUIRED_ATTRIBUTE = {"a": "href", "tg-emoji": "emoji-id"}


class HtmlRefused(ValueError):
    """A text Telegram refuses to parse; `description` as the Bot API words it (400)."""

    def __init__(self, detail: str) -> None:
        self.description = f"Bad Request: can't parse entities: {detail}"
        super().__init__(self.description)


def parse_html(text: str) -> str:
    """The text a reader sees, or HtmlRefused as Telegram answers a malformed one."""
    out: list[str] = []
    stack: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "&":
            entity = _ENTITY.match(text, index)
            if entity is None:
                raise HtmlRefused(f"unescaped ampersand at offset {index}")
            out.append(html.unescape(entity.group()))
            index = entity.end()
            continue
        if char != "<":
            out.append(char)
            index += 1
            continue
        tag = _TAG.match(text, index)
        if tag is None:
            raise HtmlRefused(f"unsupported start tag at offset {index}")
        closing, name, attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
        if closing:
            if attributes.strip():
                raise HtmlRefused(f'unexpected attributes in end tag "{name}"')
            if not stack or stack[-1] != name:
                expected = f'"</{stack[-1]}>"' if stack else "nothing"
                raise HtmlRefused(f'unmatched end tag "</{name}>", expected {expected}')
            stack.pop()
        else:
            if name not in ALLOWED_HTML_TAGS:
                raise HtmlRefused(f'unsupported start tag "{name}" at offset {index}')
            values = {
                found.group(1).lower(): found.group(2) or found.group(3) or found.group(4) or ""
                for found in _ATTRIBUTE.finditer(attributes)
            }
            required = _REQUIRED_ATTRIBUTE.get(name)
            if required is not None and not values.get(required):
                raise HtmlRefused(f'tag "{name}" must have attribute "{required}"')
            if name == "span" and values.get("class") != "tg-spoiler":
                raise HtmlRefused('tag "span" must have class "tg-spoiler"')
            stack.append(name)
        index = tag.end()
    if stack:
        raise HtmlRefused(f'can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)
