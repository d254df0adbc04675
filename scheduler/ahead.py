"""/schedule: every automated send of the next days, with who will really get it (SPEC §11
"every automated send"). The sends are worked out as the planner will make them
(scheduler/timeline.py) and counted in time order, so the weekly cap a send meets counts
the sends planned before it as well as what is queued now (a tester of session 21: a
reminder listed for «3 получателя» that the reminders before it had capped for all three).
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content.store import ContentStore
from bot.notices import Notices
from bot.notices.contests import SCHEDULED
from bot.services.contests import ContestService, Managed
from bot.services.outbox_again import AGAIN
from bot.services.outbox_ahead import Foreseen
from bot.services.partner import Partner, person_key, why_not_reached
from bot.services.partners import PartnerService
from scheduler.timeline import (
    MAX_NUDGES_IN_A_ROW,
    NUDGE_TIME,
    contest_moments,
    just_announced,
    leaderboard_leaves_out,
    next_weekly,
    weeks,
)


@dataclass(frozen=True)
class Planned:
    """An automated send ahead, for /schedule."""

    at: datetime
    what: str  # a text key of the kind of send
    title: str  # e.g. the contest's title
    audience: int  # private recipients: people, a person's linked chats once (community: 0)
    community: bool
    messages: int = 0  # the private messages (a person may get it in each of their chats)


CONTESTS: Final = "contests"  # the topic (and outbox kind) of a contest's private messages

# a contest's scheduled sends (/schedule): their posts in the partners' chat wait for the
# quiet hours' end too (`ContestNotices.contest_moment`; an announcement goes at once)
CONTEST_SENDS: Final = frozenset(f"schedule-{name}" for name in SCHEDULED)


@dataclass(frozen=True)
class _Send:
    """A send ahead, made at `at` for `chats`, before the weekly cap is applied."""

    at: datetime
    what: str
    title: str = ""
    chats: list[Partner] = field(default_factory=list)
    community: bool = False
    kind: str | None = None  # the topic the cap counts it in; None: the cap does not hold it
    subject: str | None = None
    again: bool = False  # held back by the cap, made again a week later (`outbox_again`)


class Ahead:
    def __init__(
        self,
        store: ContentStore,
        contests: ContestService,
        partners: PartnerService,
        notices: Notices,
        clock: Clock,
        zone: ZoneInfo,
    ) -> None:
        self._store = store
        self._contests = contests
        self._partners = partners
        self._notices = notices
        self._clock = clock
        self._zone = zone

    async def upcoming(self, days: int = 14) -> list[Planned]:
        """Every automated send of the next `days` days, with who will really get it: the
        audience as of now (topic on, not stopped), less the people the weekly cap will
        hold back at the send's time — counted from what is queued or sent now and from
        the sends listed before it (`Foreseen`); a contest's results go to its winners as
        the standings are now, whatever the cap. A contest not announced that the schedule
        will not announce by itself (`_announces_itself`) sends nothing until a manager
        announces it: not listed."""
        now = self._clock.now()
        until = now + timedelta(days=days)
        sends = await self._contest_sends(now, until)
        schedule = self._store.content.program.schedule
        everything = await self._contests.all()
        for at in weeks(next_weekly(now, schedule.leaderboard, self._zone), until):
            # that day's standings are its boards
            if leaderboard_leaves_out(everything, at, schedule, self._zone) is not None:
                sends.append(_Send(at, "schedule-leaderboard", community=True))
        readers = await self._partners.audience("digest")
        for at in weeks(next_weekly(now, schedule.digest, self._zone), until):
            sends.append(_Send(at, "schedule-digest", "", readers, False, "digest", "digest"))
        sends.extend(await self._next_nudges(now))
        for at, partner in await self._notices.planned_drips(now, until):
            sends.append(
                _Send(at, "schedule-lesson", "", [partner], False, "lessons", "lesson", True)
            )
        planned = await self._counted(sends, until)
        if not self._notices.has_community:  # no partners' chat configured: nothing goes there
            planned = [replace(item, community=False) for item in planned]
        # nobody to get it (everyone stopped, capped, or no chat): not a send
        planned = [item for item in planned if item.audience or item.community]
        return _lessons_together(
            sorted((part for item in planned for part in self._really(item)), key=lambda p: p.at)
        )

    async def _counted(self, sends: list[_Send], until: datetime) -> list[Planned]:
        """The sends, in time order, as the weekly cap will let them go: each one reached
        counts against the cap of those after it; a lesson reminder it holds back is made
        again `AGAIN` later (by `until`), and counted then."""
        foreseen = Foreseen()
        planned = []
        waiting, index = sorted(sends, key=_when), 0
        while index < len(waiting):
            send, index = waiting[index], index + 1
            reached = send.chats
            goes = self._notices.private_time(send.at)  # the cap counts it when it goes
            if send.kind is not None:
                reached = await self._notices.under_cap(
                    send.chats, send.kind, send.subject, goes, foreseen
                )
            held = [chat for chat in send.chats if chat not in reached]
            if send.again and held and goes + AGAIN <= until:
                insort(waiting, replace(send, at=goes + AGAIN, chats=held), index, key=_when)
            foreseen.add({_person(chat) for chat in reached}, goes)
            audience, messages = _people(reached)
            planned.append(
                Planned(send.at, send.what, send.title, audience, send.community, messages)
            )
        return planned

    async def _contest_sends(self, now: datetime, until: datetime) -> list[_Send]:
        """Each active contest's sends by `until` (SPEC §7's timeline)."""
        sends: list[_Send] = []
        schedule = self._store.content.program.schedule
        for item in await self._contests.all():
            contest = item.contest
            if item.status != "active":
                continue
            if item.announced_at is None and not self._announces_itself(item, now):
                # nobody is told of it but by a manager (/contests_admin): nothing of it
                # goes by itself (its results go to the managers only, as `tick` does)
                continue
            everyone = await self._contests.audience(contest)
            subject = f"contest:{contest.id}"
            title = contest.title
            if item.announced_at is None:  # the next tick announces it
                sends.append(
                    _Send(now, "schedule-announcement", title, everyone, True, "contests", subject)
                )
            for at, name, _tag in contest_moments(contest, schedule, self._zone):
                if not now < at <= until or just_announced(name, at, item.announced_at or now):
                    continue
                what = f"schedule-{name}"
                if name == "results":  # the winners, as the standings are now, whatever
                    # the cap (everyone was listed: nobody but the winners gets it privately)
                    # — those it will reach: not who sent /stop or turned contests off
                    # (`delivery.not_for` skips them by `why_not_reached`; a tester of
                    # session 25)
                    winners = (await self._contests.results_moment(contest)).partners
                    reached = [c for c in winners if why_not_reached(c, CONTESTS) is None]
                    sends.append(_Send(at, what, title, reached, True))
                elif name == "standings":  # the partners' chat only
                    sends.append(_Send(at, what, title, community=True))
                else:
                    sends.append(_Send(at, what, title, everyone, True, "contests", subject))
        return sends

    async def _next_nudges(self, now: datetime) -> list[_Send]:
        """The next daily look for inactive partners (NUDGE_TIME), with whom it would nudge
        as things are now (no sale assumed meanwhile; SPEC §10 "every automated send": it
        was not listed — the tester of session 20). Only the next one: who is nudged later
        depends on sales and on this one."""
        local = now.astimezone(self._zone)
        at = datetime.combine(local.date(), NUDGE_TIME, tzinfo=self._zone)
        if local >= at:
            at += timedelta(days=1)
        days = self._store.content.program.schedule.inactive_after_days
        due = await self._notices.planned_nudges(days, MAX_NUDGES_IN_A_ROW, at)
        return [_Send(at, "schedule-held-nudge", "", due, False, "news", "nudge")] if due else []

    def _announces_itself(self, item: Managed, now: datetime) -> bool:
        """An unannounced contest the next `tick` announces (`Planner._contest`): from a
        file, not started and not too close to its start (that one waits for a manager)."""
        starts_at = item.contest.starts_at
        return (
            item.source == "file"
            and starts_at > now
            and not self._contests.short_notice(starts_at)
        )

    def _really(self, item: Planned) -> list[Planned]:
        """A send as it will really go: private messages planned in the quiet hours wait
        for their end (the outbox holds them), and so does a contest's post in the
        partners' chat (`ContestNotices.contest_moment`); the weekly leaderboard does not."""
        private_at = self._notices.private_time(item.at)
        if item.what in CONTEST_SENDS:
            return [replace(item, at=private_at)]
        if not item.audience or private_at == item.at:
            return [item]
        later = replace(item, at=private_at, community=False)
        return [replace(item, audience=0, messages=0), later] if item.community else [later]


def _lessons_together(planned: list[Planned]) -> list[Planned]:
    """Lesson reminders that go at the same moment as one line (each partner's is made
    on its own: a lesson finished at 23:00 and one at 06:00 both wait for the morning)."""
    merged: list[Planned] = []
    lessons: dict[datetime, int] = {}  # the minute shown → its line in `merged`
    for item in planned:
        minute = item.at.replace(second=0, microsecond=0)
        if item.what != "schedule-lesson":
            merged.append(item)
        elif minute in lessons:
            line = merged[lessons[minute]]
            merged[lessons[minute]] = replace(
                line,
                audience=line.audience + item.audience,
                messages=line.messages + item.messages,
            )
        else:
            lessons[minute] = len(merged)
            merged.append(item)
    return merged


def _when(send: _Send) -> datetime:
    return send.at


def _person(chat: Partner) -> str:
    return person_key(chat.id, chat.affiliate_id, chat.affiliate_status)


def _people(chats: list[Partner]) -> tuple[int, int]:
    """(people, chats) of the chats an automated send goes to: a person's chats linked to
    one affiliate id are one recipient, as the announcement preview counts them."""
    return len({_person(chat) for chat in chats}), len(chats)
