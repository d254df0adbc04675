"""/announcements (scheduled and past, with their reports; cancel) and /schedule (what
goes in the next 14 days)."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.names import without_bidi
from bot.notices.reports import MERGED, delivered_text
from bot.rendering import at_a_word, plain_text
from bot.services.announcements import AnnouncementService
from bot.services.contests import ContestService
from bot.services.outbox import Outbox
from handlers.callbacks import AnnounceCb
from handlers.manager.announce_screens import MOMENT, audience_title
from handlers.screens import Screen, keyboard, send
from scheduler.planner import Planner

LATE = timedelta(minutes=5)  # a send that went this much later is said with its real time

SCHEDULE_DAYS = 14  # /schedule looks this far ahead (its title says so)


def setup() -> Router:
    """/announcements and /schedule (inside the managers' router)."""
    router = Router(name=__name__)

    @router.message(Command("announcements"))
    async def announcements_list(
        message: Message,
        announcements: AnnouncementService,
        contests: ContestService,
        outbox: Outbox,
        clock: Clock,
        settings: Settings,
        content_store: ContentStore,
        l10n: L10n,
    ) -> None:
        found = await announcements.listing()
        titles = {item.contest.id: item.contest.title for item in await contests.all()}
        if not found:
            await message.answer(l10n("announcements-none"))
            return
        now = clock.now()
        for item in found:
            report = await announcements.report(item.id)
            people = await outbox.people(f"announcement:{item.id}", MERGED)
            held_until = await announcements.held_until(item)
            # the queue as /schedule counts it: who will get it (a row for someone who
            # stopped the messages since waits only to be dropped)
            unreached = await outbox.unreached(f"announcement:{item.id}")
            status = announcements.state(item, report, held_until)
            when = item.send_at.astimezone(settings.tz).strftime(MOMENT)
            if held_until is not None:  # as the /announce preview said it
                end = held_until.astimezone(settings.tz).strftime(MOMENT)
                when = l10n("announce-when-quiet", when=when, end=end)
            elif report.first_sent is not None and report.first_sent - item.send_at > LATE:
                # it went later than planned (the quiet hours): when it really went
                went = as_utc(report.first_sent).astimezone(settings.tz).strftime(MOMENT)
                when = l10n("announcements-went", when=when, went=went)
            text = l10n(
                "announcements-item",
                number=item.id,
                status=l10n(f"announcements-status-{status}"),
                when=when,
                audience=audience_title(item.audience, l10n, content_store, titles),
                recipients=item.recipients,
                delivered=delivered_text(l10n, people.get("sent", 0), report.delivered),
                waiting=max(0, people.get("queued", 0) - unreached),
                blocked=people.get("blocked", 0),
                failed=people.get("failed", 0),
                up=report.up,
                down=report.down,
                # no bidi controls: an override would turn the rest of the line around
                preview=html.escape(at_a_word(without_bidi(plain_text(item.text)), 80)),
            )
            # and those who used /forget before it reached them (their rows cancelled)
            gone = unreached + await outbox.forgotten(f"announcement:{item.id}")
            if gone:
                text += "\n" + l10n("announcements-unreached", count=gone)
            if report.uncertain:
                text += "\n" + l10n("announcements-uncertain", count=report.uncertain)
            markup = None
            if item.status == "scheduled" and (report.waiting or item.send_at > now):
                markup = keyboard(
                    [
                        (
                            l10n("announcements-cancel"),
                            AnnounceCb(action="cancel", value=str(item.id)),
                        )
                    ]
                )
            await send(message, Screen(text, markup))

    @router.message(Command("schedule"))
    async def schedule(
        message: Message,
        planner: Planner,
        announcements: AnnouncementService,
        outbox: Outbox,
        contests: ContestService,
        clock: Clock,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        lines = [l10n("schedule-title")]
        until = clock.now() + timedelta(days=SCHEDULE_DAYS)
        rows: list[tuple[datetime, str]] = []
        for planned in await planner.upcoming(SCHEDULE_DAYS):
            rows.append(
                (
                    planned.at,
                    l10n(
                        (
                            "schedule-row-chat"
                            if not planned.audience and planned.community
                            else "schedule-row"
                        )
                        + ("-titled" if planned.title else ""),
                        what=l10n(planned.what),
                        title=html.escape(planned.title),
                        count=planned.audience,
                        messages=planned.messages if planned.messages > planned.audience else 0,
                        chat=int(planned.community),
                    ),
                )
            )
        for goes_at, item, count in await announcements.due_by(until):
            what = l10n("schedule-announcement-manager", number=item.id)
            rows.append(
                (
                    goes_at,
                    l10n("schedule-row", what=what, title="", count=count, messages=0, chat=0),
                )
            )
        # what is queued already and waits (a broadcast for later, the quiet hours; a
        # contest's posts in the partners' group held for their end: «+ чат»)
        titles = {item.contest.id: item.contest.title for item in await contests.all()}
        for held in await outbox.held(until):
            what, title = held_what(held.what, l10n, titles)
            rows.append(
                (
                    held.at,
                    l10n(
                        (
                            "schedule-row-chat"
                            if not held.people and held.community
                            else "schedule-row"
                        )
                        + ("-titled" if title else ""),
                        what=what,
                        title=html.escape(title),
                        count=held.people,
                        messages=held.messages if held.messages > held.people else 0,
                        chat=int(held.community),
                    ),
                )
            )
        for moment, text in sorted(rows, key=lambda row: row[0]):
            lines.append(f"{moment.astimezone(settings.tz):%d.%m %H:%M} — {text}")
        if len(lines) == 1:
            lines.append(l10n("schedule-empty"))
        await send(message, Screen("\n".join(lines)))

    return router


HELD_KINDS = {  # a held row's kind (topic) → its text key
    "sales": "schedule-held-sales",
    "digest": "schedule-digest",
    "lessons": "schedule-lesson",
    "contests": "schedule-held-contest",
    "news": "schedule-held-news",
    "nudge": "schedule-held-nudge",
}


def held_what(what: str, l10n: L10n, titles: dict[str, str]) -> tuple[str, str]:
    """(the kind of send, a title) of held rows about `what` (`Outbox.held`)."""
    kind, _, ref = what.partition(":")
    if kind == "announcement" and ref.isdigit():
        return l10n("schedule-announcement-manager", number=int(ref)), ""
    if kind == "contest":
        return l10n("schedule-held-contest"), titles.get(ref, "")
    return l10n(HELD_KINDS.get(what, "schedule-held-news")), ""
