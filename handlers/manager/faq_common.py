"""What the managers' FAQ screens share: the entries closest to a text, and the line
saying a wording was moved from other entries."""

from __future__ import annotations

import html

from bot.i18n import L10n
from bot.services.faq import FaqService
from bot.services.faq_thread import beside_loop

CHOICES = 3  # entries offered as buttons


async def closest_entries(
    faq: FaqService,
    text: str,
    exclude: str | None = None,
    segments: frozenset[str] = frozenset(),
    fill: bool = False,
) -> list[str]:
    """The entries closest to a text: what the bot itself answers or offers for it (for
    `segments`), then those with evidence (words shared with the text), possibly none —
    the pickers say so rather than offer noise; with `fill` (/faq_link), then the other
    entries the matcher ranks for it, up to `CHOICES`."""
    matcher = await faq.matcher()
    return await beside_loop(
        faq.learning.closest, matcher, text, CHOICES, exclude, segments, fill=fill
    )


def entries_list(ids: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"«{html.escape(entry_id)}»" for entry_id in ids)


def moved_note(moved_from: tuple[str, ...], l10n: L10n) -> str:
    """The line "moved from «tax-reports»" when a manager's decision took the wording from
    other entries (one wording answers one entry); empty otherwise."""
    return (
        " " + l10n("faq-wording-moved-from", entries=entries_list(moved_from))
        if moved_from
        else ""
    )


def plain(text: str) -> str:
    """A callback answer: plain text (no HTML), at most 200 characters."""
    unescaped = html.unescape(text)
    return unescaped if len(unescaped) <= 200 else unescaped[:199] + "…"
