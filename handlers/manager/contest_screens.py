"""The screens of /contest_new and /contests_admin: each step's question, the draft's
preview, a contest's card and status, the list of contests."""

from __future__ import annotations

import html
from datetime import datetime

from bot.config import Settings
from bot.content.models import Contest, Program, short_title
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.rendering import at_a_word
from bot.services.contest_drafts import DraftError
from bot.services.contests import Managed
from bot.texts import contest_text
from handlers.callbacks import ContestCb
from handlers.screens import Screen, keyboard

STEPS = ("title", "description", "starts", "ends", "segments", "prizes", "hold", "restrictions")


def ask_step(step: str, l10n: L10n, settings: Settings, program: Program | None = None) -> str:
    number = STEPS.index(step) + 1
    text = l10n(
        "draft-step", number=number, total=len(STEPS), question=l10n(f"draft-ask-{step}")
    ) + ("\n" + l10n("draft-zone", zone=settings.timezone) if step in ("starts", "ends") else "")
    if step == "segments" and program is not None:  # the names before any mistake
        known = ", ".join(short_title(segment.title) for segment in program.segments)
        text += "\n" + l10n("draft-segments-known", known=html.escape(known))
    return text


def refusal(error: DraftError, l10n: L10n) -> str:
    """The refusal; what the manager typed (a name, a threshold) is shown as typed, never
    read as markup."""
    args = {k: html.escape(v) if isinstance(v, str) else v for k, v in error.args_.items()}
    return l10n("draft-refused", reason=l10n(error.key, **args))


def summary(
    contest: Contest,
    l10n: L10n,
    settings: Settings,
    store: ContentStore,
    now: datetime | None = None,
) -> str:
    """A contest as managers read it; with `now`, whether it runs or ran by then (a draft's
    preview: when it will start)."""
    running = now is not None and contest.starts_at <= now < contest.ends_at
    ended = now is not None and contest.ends_at <= now
    card = contest_text(contest, None, running, settings.tz, l10n, personal=False, ended=ended)
    titles = [html.escape(store.content.program.segment_title(s) or s) for s in contest.segments]
    extra = l10n(
        "draft-extra",
        segments=", ".join(titles) if titles else l10n("draft-everyone"),
        hold=contest.hold_days,
        one=1 if contest.one_prize_per_partner else 0,
    )
    return f"{card}\n\n{extra}"


def preview_screen(
    contest: Contest, short: bool, l10n: L10n, settings: Settings, store: ContentStore, lead: int
) -> Screen:
    text = l10n("draft-preview") + "\n\n" + summary(contest, l10n, settings, store)
    if short:
        text += "\n\n" + l10n("draft-short-confirmed", days=lead)
    one = 1 if contest.one_prize_per_partner else 0
    return Screen(
        text,
        keyboard(
            [(l10n("draft-save"), ContestCb(action="save"))],
            [(l10n("draft-toggle-one", on=one), ContestCb(action="one"))],
            [(l10n("draft-abort"), ContestCb(action="abort"))],
        ),
    )


def admin_card(
    item: Managed, now: datetime, l10n: L10n, settings: Settings, store: ContentStore
) -> Screen:
    contest = item.contest
    running = contest.starts_at <= now < contest.ends_at
    card = summary(contest, l10n, settings, store, now)
    text = f"{status_line(item, now, settings, l10n)}\n\n{card}"
    if item.source == "file":
        text += "\n\n" + l10n("contests-admin-from-file", id=contest.id)
    rows: list[list[tuple[str, ContestCb]]] = []
    if item.status == "active" and contest.ends_at > now:
        if item.announced_at is None:  # partners see it only once announced, running too
            rows.append(
                [(l10n("contests-admin-announce"), ContestCb(action="announce", id=contest.id))]
            )
        if item.source == "manager" and not running:
            rows.append(
                [
                    (l10n("contests-admin-edit-dates"), ContestCb(action="dates", id=contest.id)),
                    (
                        l10n("contests-admin-edit-prizes"),
                        ContestCb(action="prizes", id=contest.id),
                    ),
                    (l10n("contests-admin-edit-text"), ContestCb(action="text", id=contest.id)),
                ]
            )
        rows.append([(l10n("contests-admin-cancel"), ContestCb(action="cancel", id=contest.id))])
    rows.append([(l10n("contests-admin-back"), ContestCb(action="list"))])
    return Screen(text, keyboard(*rows))


def status_line(item: Managed, now: datetime, settings: Settings, l10n: L10n) -> str:
    title = html.escape(item.contest.title)
    if item.status == "cancelled":
        return l10n("contests-admin-cancelled", title=title)
    if item.contest.ends_at <= now:
        return l10n("contests-admin-finished", title=title)
    if item.contest.starts_at <= now and item.announced_at is None:
        return l10n("contests-admin-running-unannounced", title=title)
    if item.contest.starts_at <= now:
        return l10n("contests-admin-running", title=title)
    if item.announced_at is not None:
        when = item.announced_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
        return l10n("contests-admin-announced", title=title, when=when)
    return l10n("contests-admin-not-announced", title=title)


def admin_list(items: list[Managed], now: datetime, l10n: L10n, settings: Settings) -> Screen:
    if not items:
        return Screen(l10n("contests-admin-none"))
    rows = []
    lines = [l10n("contests-admin-list", count=len(items))]
    for number, item in enumerate(items, start=1):
        # the status in the text, whole; the button only names the contest (a VK button
        # holds 40 characters: «объявлен 04.…» said nothing)
        lines.append(f"{number}. {status_line(item, now, settings, l10n)}")
        label = at_a_word(f"{number}. {item.contest.title}", 38)
        rows.append([(label, ContestCb(action="open", id=item.contest.id))])
    return Screen("\n".join(lines), keyboard(*rows))
