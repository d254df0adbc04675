"""The screens of /announce: who gets it (in words and as buttons), why nobody would,
when it goes, the preview's buttons; and 👍/👎 under an announcement."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from bot.config import Settings
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.names import unformatted
from bot.services.announcements import AnnouncementService
from bot.services.outbox_enqueue import COMMUNITY
from handlers.callbacks import AnnounceCb, ReactionCb
from handlers.screens import Screen, keyboard

MOMENT = "%d.%m.%Y %H:%M"  # a date and time as the manager types them


def held_note(held_until: datetime | None, tz: ZoneInfo, l10n: L10n) -> str:
    """The line saying when private messages held for the end of the quiet hours go (as
    the /announce preview says it; a contest saved, announced or edited at night), or
    nothing when none waits."""
    if held_until is None:
        return ""
    return "\n" + l10n("announced-held", end=held_until.astimezone(tz).strftime(MOMENT))


NOW_WORDS = frozenset({"сейчас", "сразу", "now", "right now", "immediately"})


def reaction_buttons(number: int) -> list[list[dict[str, str]]]:
    return [
        [
            {"text": "👍", "callback_data": ReactionCb(announcement=number, value="up").pack()},
            {"text": "👎", "callback_data": ReactionCb(announcement=number, value="down").pack()},
        ]
    ]


def audience_title(
    audience: str, l10n: L10n, store: ContentStore, contest_titles: dict[str, str] | None = None
) -> str:
    """Who gets it, in words (a contest by its title, not its id)."""
    kind, _, ref = audience.partition(":")
    program = store.content.program
    if kind == "segment":
        return l10n("announce-to-segment", name=html.escape(program.segment_title(ref) or ref))
    if kind == "tier":
        tier = next((t.title for t in program.tiers if t.id == ref), ref)
        return l10n("announce-to-tier", name=html.escape(tier))
    if kind == "contest":
        return l10n("announce-to-contest", name=html.escape((contest_titles or {}).get(ref, ref)))
    days = program.schedule.inactive_after_days  # inactive: bot/services/inactivity.py
    return l10n(f"announce-to-{kind}-title", days=days)  # all, inactive, community


def audience_screen(l10n: L10n) -> Screen:
    return Screen(
        l10n("announce-ask-audience"),
        keyboard(
            [(l10n("announce-to-all"), AnnounceCb(action="to", value="all"))],
            [(l10n("announce-pick-segment"), AnnounceCb(action="pick", value="segment"))],
            [(l10n("announce-pick-tier"), AnnounceCb(action="pick", value="tier"))],
            [(l10n("announce-pick-contest"), AnnounceCb(action="pick", value="contest"))],
            [(l10n("announce-to-inactive"), AnnounceCb(action="to", value="inactive"))],
            [(l10n("announce-to-community"), AnnounceCb(action="to", value=COMMUNITY))],
        ),
    )


async def empty_text(
    audience: str, announcements: AnnouncementService, settings: Settings, l10n: L10n
) -> str:
    """Why nobody would get it: no partners' chat, or partners who switched news off."""
    if audience == COMMUNITY and not settings.community_chats():
        return l10n("announce-empty-community")
    text = l10n("announce-empty")
    excluded = await announcements.excluded(audience)
    if excluded:
        text += "\n" + l10n("announce-excluded", count=excluded)
    return text


def preview_buttons(l10n: L10n) -> InlineKeyboardMarkup:
    return keyboard(
        [(l10n("announce-confirm"), AnnounceCb(action="confirm"))],
        [(l10n("announce-abort"), AnnounceCb(action="abort"))],
    )


def when_screen(l10n: L10n, prefix: str = "") -> Screen:
    """The "when?" step; it names the «Сейчас» button, so it always shows it."""
    return Screen(
        prefix + l10n("announce-ask-when"),
        keyboard([(l10n("announce-now"), AnnounceCb(action="now"))]),
    )


def means_now(text: str, l10n: L10n) -> bool:
    """«сейчас», «Сейчас», «now», «сразу»: the «Сейчас» button typed."""
    word = unformatted(text).strip().strip(".!").casefold()
    return word in NOW_WORDS or word == l10n("announce-now").casefold()
