"""Lesson Markdown rendered to the HTML subset Telegram accepts, and long texts split."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

TEXT_LIMIT = 4096  # Telegram: characters in a message
CAPTION_LIMIT = 1024  # Telegram: characters in a caption sent by a bot

_md = MarkdownIt("commonmark")
_INLINE = {
    "strong_open": "<b>",
    "strong_close": "</b>",
    "em_open": "<i>",
    "em_close": "</i>",
    "s_open": "<s>",
    "s_close": "</s>",
}


def markdown_to_html(text: str) -> str:
    """Headings become bold lines, lists get bullets or numbers, links stay links."""
    out: list[str] = []
    lists: list[list[int]] = []  # a counter per open list; 0 means bulleted
    for token in _md.parse(text):
        kind = token.type
        if kind == "heading_open":
            out.append("<b>")
        elif kind == "heading_close":
            out.append("</b>\n\n")
        elif kind == "paragraph_close":
            out.append("\n" if lists else "\n\n")
        elif kind == "bullet_list_open":
            lists.append([0])
        elif kind == "ordered_list_open":
            lists.append([int(str(token.attrs.get("start", 1)))])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                out.append("\n")
        elif kind == "list_item_open":
            counter = lists[-1]
            indent = "  " * (len(lists) - 1)
            if counter[0]:
                out.append(f"{indent}{counter[0]}. ")
                counter[0] += 1
            else:
                out.append(f"{indent}• ")
        elif kind in ("fence", "code_block"):
            out.append(f"<pre>{html.escape(token.content.rstrip())}</pre>\n\n")
        elif kind == "blockquote_open":
            out.append("<blockquote>")
        elif kind == "blockquote_close":
            out.append("</blockquote>\n")
        elif kind == "hr":
            out.append("———\n\n")
        elif kind == "inline":
            out.append(_inline(token.children or []))
    return "".join(out).strip()


def _inline(children: list[Token]) -> str:
    out: list[str] = []
    for child in children:
        if child.type == "text":
            out.append(html.escape(child.content, quote=False))
        elif child.type == "code_inline":
            out.append(f"<code>{html.escape(child.content, quote=False)}</code>")
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "link_open":
            href = html.escape(str(child.attrs.get("href", "")), quote=True)
            out.append(f'<a href="{href}">')
        elif child.type == "link_close":
            out.append("</a>")
        elif child.type in _INLINE:
            out.append(_INLINE[child.type])
        elif child.type == "image":
            out.append(html.escape(child.content or "", quote=False))
        elif child.type == "html_inline":
            out.append(html.escape(child.content, quote=False))
    return "".join(out)


def plain_text(text: str) -> str:
    """Telegram HTML as the reader sees it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def at_a_word(text: str, limit: int) -> str:
    """`text` on one line, cut at a word (never inside one, so never mid-/command) with
    «…» when it is longer than `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit + 1].rsplit(" ", 1)[0] if " " in flat[: limit + 1] else flat[:limit]
    return cut.rstrip(" ,.;:—-") + "…"


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long text by paragraphs (then lines) so each part fits `limit`."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for block in text.split("\n\n"):
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        rest = block
        while len(rest) > limit:
            cut = rest.rfind("\n", 0, limit)
            cut = cut if cut > 0 else limit
            parts.append(rest[:cut])
            rest = rest[cut:].lstrip("\n")
        current = rest
    if current:
        parts.append(current)
    return parts
