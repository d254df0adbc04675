"""MAX's text markup, without aiogram (the content check measures answers with it): the
bot writes Telegram HTML; MAX takes an HTML subset (`format: "html"`) and counts a text's
characters as written, markup and `&amp;` included (NewMessageBody.text: ≤ 4000)."""

from __future__ import annotations

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
