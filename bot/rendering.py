"""Lesson Markdown rendered to the HTML subset Telegram accepts, and long texts split."""

from __future__ import annotations

import html
import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

TEXT_LIMIT = 4096  # Telegram: characters in a message
CAPTION_LIMIT = 1024  # Telegram: characters in a caption sent by a bot

_SURROGATE = re.compile("[\ud800-\udfff]")
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


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to at most `limit` characters at a word, with «…»; and whether it was
    cut (then the whole text must be one tap away)."""
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" \n,.;:—-") + "…", True


def at_a_word(text: str, limit: int) -> str:
    """`text` on one line, cut at a word (never mid-/command) with «…» when longer than
    `limit` characters: a button label, a preview line."""
    return shorten(" ".join(text.split()), limit + 1)[0]


def whole_characters(text: str) -> str:
    """`text` with every half of a UTF-16 surrogate pair that has no other half replaced by
    U+FFFD (a paste cut in the middle of a character): such a string cannot be encoded,
    stored or sent, so it never gets past the door."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def whole_characters_in(value: Any) -> Any:
    """`whole_characters` on every string of a decoded JSON value."""
    if isinstance(value, str):
        return whole_characters(value)
    if isinstance(value, dict):
        return {key: whole_characters_in(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_characters_in(item) for item in value]
    return value


def plain_text(text: str) -> str:
    """Telegram HTML as the reader sees it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def utf16_length(text: str) -> int:
    """A text's length as Telegram counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_length(text: str, *, html_mode: bool = True) -> int:
    """The length Telegram checks against its limits: after entity parsing, in UTF-16."""
    return utf16_length(plain_text(text) if html_mode else text)


# Telegram HTML as tokens: a tag, an entity, or one character (a code point: an emoji
# is never cut in half); the parts of a split are made of whole tokens.
_TOKEN = re.compile(r"<[^<>]*>|&(?:[A-Za-z]{1,8}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});|.", re.S)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")
# where a part may end, best first: a paragraph, a line, a word; else anywhere
_PARAGRAPH, _LINE, _WORD, _ANYWHERE = 3, 2, 1, 0


def split_text(text: str, limit: int = TEXT_LIMIT, *, html_mode: bool = True) -> list[str]:
    """Split a long message so each part fits `limit` as Telegram counts it (UTF-16 code
    units of the text after entity parsing). A part ends at a paragraph, else a line, else
    a word, and only in the last resort inside a word; never inside a tag or an entity,
    never between the halves of a character. A tag open where a part ends is closed there
    and opened again at the start of the next part, so every part is valid on its own.
    `html_mode=False`: plain text (VK), where `<` and `&` are just characters."""
    if visible_length(text, html_mode=html_mode) <= limit:
        return [text]
    tokens = _TOKEN.findall(text) if html_mode else list(text)
    shown = [_visible(token, html_mode) for token in tokens]
    parts: list[str] = []
    index = 0
    tags: tuple[tuple[str, str], ...] = ()  # the tags open where the part starts
    while index < len(tokens):
        while index < len(tokens) and shown[index] in ("\n", " "):
            index += 1  # a part never starts with the blank the last one ended at
        stack = list(tags)
        units = 0
        # the latest place to end the part, per rank: (token index after it, open tags)
        places: dict[int, tuple[int, tuple[tuple[str, str], ...]]] = {}
        end = index
        while end < len(tokens):
            size = utf16_length(shown[end])
            if units + size > limit and end > index:
                break
            units += size
            _track(tokens[end], stack, html_mode)
            rank = _rank_after(shown, end)
            if rank > _ANYWHERE:
                places[rank] = (end + 1, tuple(stack))
            end += 1
        cut, open_at_cut = end, tuple(stack)
        if end < len(tokens):  # not the last part: the best place in its second half
            middle = index + (end - index) // 2
            for rank in (_PARAGRAPH, _LINE, _WORD):
                if rank in places and places[rank][0] > middle:
                    cut, open_at_cut = places[rank]
                    break
        body = "".join(t for t in [*(o for _n, o in tags), *tokens[index:cut]])
        closing = "".join(f"</{name}>" for name, _opening in reversed(open_at_cut))
        part = (body.rstrip("\n ") + closing) if html_mode else body.rstrip("\n ")
        if (plain_text(part) if html_mode else part).strip():
            parts.append(part)
        index, tags = cut, open_at_cut
    return parts or [text]


def _visible(token: str, html_mode: bool) -> str:
    if not html_mode or len(token) == 1:
        return token
    if token.startswith("<"):
        return ""
    return html.unescape(token)


def _track(token: str, stack: list[tuple[str, str]], html_mode: bool) -> None:
    """Keep `stack` (the open tags) up to date with one token."""
    if not html_mode or not token.startswith("<") or len(token) == 1:
        return
    found = _TAG_NAME.match(token)
    if found is None:
        return
    closing, name = found.group(1), found.group(2).lower()
    if closing:
        for position in range(len(stack) - 1, -1, -1):
            if stack[position][0] == name:
                del stack[position]
                break
    elif not token.endswith("/>"):
        stack.append((name, token))


def _rank_after(shown: list[str], index: int) -> int:
    """How good a place to end a part the point after token `index` is."""
    if shown[index] == "\n":
        previous = shown[index - 1] if index > 0 else ""
        return _PARAGRAPH if previous == "\n" else _LINE
    if shown[index] in (" ", "\t"):
        return _WORD
    return _ANYWHERE
