"""MAX's text markup, without aiogram (the content check measures answers with it): the
bot writes Telegram HTML; MAX takes an HTML subset (`format: "html"`) and counts a text's
characters as written, markup and `&amp;` included (NewMessageBody.text: ≤ 4000). So a
text (or a part of one) without markup goes as plain text — no `format`, its entities
decoded — and counts what the reader sees (`wire`); only one with markup goes as HTML."""

from __future__ import annotations

import html as _html
import re
from typing import Final

TEXT_LIMIT: Final = 4000
ALLOWED: Final = frozenset(
    {"b", "strong", "i", "em", "s", "del", "u", "ins", "a", "pre", "code", "mark", "h1"}
)

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")
_HREF = re.compile(r'href\s*=\s*"([^"]*)"')


def html(text: str) -> str:
    """Telegram HTML in MAX's subset: unknown tags dropped (their words kept)."""

    def tag(match: re.Match[str]) -> str:
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if name not in ALLOWED:
            return ""
        if name == "a" and not closing:
            href = _HREF.search(attrs)
            return f'<a href="{href.group(1)}">' if href else "<a>"
        return f"<{closing}{name}>"

    return _TAG.sub(tag, text)


def has_markup(text: str) -> bool:
    """Whether a MAX HTML text has a tag (then it must go as HTML)."""
    return _TAG.search(text) is not None


def wire(text: str) -> tuple[str, str | None]:
    """A MAX HTML text as it is sent: `(text, "html")` when it has markup; else the words
    as read (`&lt;` is `<` again) and no format, so MAX neither parses nor counts escapes."""
    if has_markup(text):
        return text, "html"
    return _html.unescape(text), None


def sent_length(text: str) -> int:
    """The characters MAX counts against `TEXT_LIMIT` for a MAX HTML text (`wire`)."""
    return len(wire(text)[0])
