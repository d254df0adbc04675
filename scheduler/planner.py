"""What the schedule sends, decided from the database and the clock (SPEC §7, §11).

One job, `Planner.tick`, runs every minute and once at start-up. It works out every moment
that is due now and still makes sense, and queues it in the outbox; a moment's key (what,
to whom, which occurrence) makes a second fire, a restart or an overlap queue nothing new.
Nothing is sent from here. So a moment missed while the bot was down is sent when it comes
back if it still makes sense (a reminder before the start, "last day" before the end, a
weekly post within a day of its time), and never twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content.models import Contest, WeeklyMoment
from bot.content.store import ContentStore
from bot.db.engine import OUTAGE, OutageLog
from bot.notices import Notices
from bot.notices.contests import SCHEDULED
from bot.services.announcements import AnnouncementService
from bot.services.content_sync import ContentSync
from bot.services.contests import ContestService, Managed, Moment
from bot.services.faq import FaqService
from bot.services.outbox_enqueue import after_quiet_hours
from bot.services.partner import Partner, person_key
from bot.services.partners import PartnerService

logger = logging.getLogger(__name__)

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKLY_GRACE: Final = timedelta(hours=24)  # a weekly post missed longer ago is skipped
RESULTS_GRACE: Final = timedelta(days=30)
NUDGE_TIME: Final = time(11, 0)  # the daily look for inactive partners, local time
MAX_NUDGES_IN_A_ROW: Final = 3
DRIP_EVERY: Final = timedelta(minutes=15)


@dataclass(frozen=True)
class Planned:
    """An automated send ahead, for /schedule."""

    at: datetime
    what: str  # a text key of the kind of send
    title: str  # e.g. the contest's title
    audience: int  # private recipients: people, a person's linked chats once (community: 0)
    community: bool
    messages: int = 0  # the private messages (a person may get it in each of their chats)


# a contest's scheduled sends (/schedule): their posts in the partners' chat wait for the
# quiet hours' end too (`ContestNotices.contest_moment`; an announcement goes at once)
CONTEST_SENDS: Final = frozenset(f"schedule-{name}" for name in SCHEDULED)


@dataclass
class NewContentPlan:
    """What /reload planned: contests announced now (title, partners, community chat too),
    and those too close to their start to announce without a manager."""

    announced: list[tuple[str, int, bool]] = field(default_factory=list)
    too_soon: list[str] = field(default_factory=list)


def last_weekly(now: datetime, moment: WeeklyMoment, zone: ZoneInfo) -> datetime:
    """The latest occurrence of a weekly moment at or before `now` (local wall time, so a
    daylight-saving switch keeps it at the same hour)."""
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in moment.time.split(":"))
    days_back = (local.weekday() - WEEKDAYS.index(moment.weekday)) % 7
    day = local.date() - timedelta(days=days_back)
    occurrence = datetime.combine(day, time(hour, minute), tzinfo=zone)
    if occurrence > local:
        occurrence = datetime.combine(day - timedelta(days=7), time(hour, minute), tzinfo=zone)
    return occurrence


def next_weekly(now: datetime, moment: WeeklyMoment, zone: ZoneInfo) -> datetime:
    last = last_weekly(now, moment, zone)
    following = last.date() + timedelta(days=7)
    return datetime.combine(following, last.timetz().replace(tzinfo=None), tzinfo=zone)


class Planner:
    def __init__(
        self,
        store: ContentStore,
        contests: ContestService,
        partners: PartnerService,
        notices: Notices,
        clock: Clock,
        zone: ZoneInfo,
        announcements: AnnouncementService,
        faq: FaqService | None = None,
        content_sync: ContentSync | None = None,
    ) -> None:
        self._faq = faq  # the managers' digest names the week's FAQ gaps
        self._content_sync = content_sync  # a /reload made in another worker, followed
        self._announcements = announcements
        self._store = store
        self._contests = contests
        self._partners = partners
        self._notices = notices
        self._clock = clock
        self._zone = zone
        self._done: set[str] = set()  # occurrences fully queued by this process
        self._digest_served: dict[str, set[int]] = {}  # digest key → partners it was planned for
        self._drip_at: datetime | None = None
        self._outage = OutageLog(logger, "the schedule")

    async def scheduled_tick(self) -> int:
        """`tick` as the scheduler runs it every minute: the database away is said once
        (then once when it answers), not a traceback a minute."""
        try:
            queued = await self.tick()
        except OUTAGE as exc:
            self._outage.failed(exc)
            return 0
        self._outage.worked()
        return queued

    async def tick(self) -> int:
        """Queue whatever is due; the number of rows queued."""
        if self._content_sync is not None:
            await self._content_sync.refresh()
        now = self._clock.now()
        queued = 0
        for item in await self._contests.all():
            if item.status == "active":
                queued += await self._contest(item, now)
        queued += await self._weekly_leaderboard(now)
        queued += await self._digest(now)
        queued += await self._nudges(now)
        queued += await self._lesson_drip(now)
        queued += await self._reports()
        if queued:
            logger.info("schedule: %d message(s) queued", queued)
        return queued

    async def plan_new_content(self, contest_ids: set[str]) -> NewContentPlan:
        """What a content reload implies, planned at once rather than at the next tick:
        each new contest file (`contest_ids`) is announced now (by the rule of `tick`), or
        named as too close to announce without a manager's confirmation."""
        now = self._clock.now()
        plan = NewContentPlan()
        for item in await self._contests.all():
            contest = item.contest
            if item.status != "active" or item.announced_at is not None or item.source != "file":
                continue
            if contest.id not in contest_ids or contest.starts_at <= now:
                continue
            if self._contests.short_notice(contest.starts_at):
                plan.too_soon.append(contest.title)
                continue
            announced = await self._notices.announce_contest(contest)
            plan.announced.append((contest.title, announced.partners, announced.community))
        return plan

    # Contests: the timeline of SPEC §7

    def contest_moments(self, contest: Contest) -> list[tuple[datetime, str, str]]:
        """(when, moment, tag) of a contest after its announcement, in time order."""
        schedule = self._store.content.program.schedule

        def in_the_day(moment: datetime, before: datetime) -> datetime:
            """`moment`, or the end of the quiet hours it falls in if that still leaves an
            hour before `before` (a reminder or «последний день» at 00:00 was posted in
            the partners' group at midnight; private chats wait for the morning anyway)."""
            waking = after_quiet_hours(moment, schedule.quiet_hours, self._zone)
            return waking if waking <= before - timedelta(hours=1) else moment

        moments = [
            (in_the_day(contest.starts_at - timedelta(days=days), contest.starts_at), "reminder",
             str(days))
            for days in sorted(set(schedule.reminder_days_before), reverse=True)
            if days > 0
        ]  # fmt: skip
        moments.append((contest.starts_at, "started", ""))
        week = 1
        while contest.starts_at + timedelta(days=7 * week) < contest.ends_at:
            moments.append((contest.starts_at + timedelta(days=7 * week), "standings", f"w{week}"))
            week += 1
        # a day before the end, or when the quiet hours it falls in end (a contest ending
        # at 23:59 gave «последний день» at 23:59 the night before)
        last_day = in_the_day(contest.ends_at - timedelta(days=1), contest.ends_at)
        if last_day > contest.starts_at:
            moments.append((last_day, "last_day", ""))
        moments.append((contest.ends_at + timedelta(days=contest.hold_days), "results", ""))
        # in time order: a week's standings may come after «последний день» moved to the
        # morning, and «the next moment» of each must be the one after it in time
        return sorted(moments, key=lambda moment: moment[0])

    async def _contest(self, item: Managed, now: datetime) -> int:
        contest = item.contest
        if item.announced_at is None:
            if item.source == "file" and contest.starts_at <= now:
                return await self._unannounced_results(contest, now)
            if item.source != "file":
                return 0  # a manager's contest is announced when it is saved
            if self._contests.short_notice(contest.starts_at):
                # too close: only a manager may announce it (/contests_admin) — told once
                key = f"contest:{contest.id}:too-soon"
                if key not in self._done:
                    self._done.add(key)
                    await self._notices.contest_too_soon(contest.id, contest.title)
                return 0
            return (await self._notices.announce_contest(contest)).enqueued.queued
        queued = 0
        moments = self.contest_moments(contest)
        for index, (at, name, tag) in enumerate(moments):
            if at > now or at < item.announced_at or _just_announced(name, at, item.announced_at):
                continue
            following = moments[index + 1][0] if index + 1 < len(moments) else None
            if not self._still_makes_sense(name, at, following, contest, now):
                continue
            key = f"contest:{contest.id}:{name}:{tag}"
            if key in self._done:
                continue
            if name == "results":
                moment = await self._contests.results_moment(contest)
            else:
                moment = await self._contests.moment(name, contest, tag)
            queued += await self._queue(moment)
            self._done.add(key)
        return queued

    async def _unannounced_results(self, contest: Contest, now: datetime) -> int:
        """A file contest first seen after its start was never announced: nobody was told
        of it, so nobody hears its results but the managers, who still hand out the prizes
        — its winners, when and as a contest's results go (after the hold, up to
        RESULTS_GRACE late; the results' outbox keys, so once, also after /reload)."""
        at = contest.ends_at + timedelta(days=contest.hold_days)
        key = f"contest:{contest.id}:results:"
        if not at <= now < at + RESULTS_GRACE or key in self._done:
            return 0
        moment = await self._contests.results_moment(contest)
        quiet = replace(moment, partners=[], community=False, winners={}, unannounced=True)
        queued = await self._queue(quiet)
        self._done.add(key)
        return queued

    @staticmethod
    def _still_makes_sense(
        name: str, at: datetime, following: datetime | None, contest: Contest, now: datetime
    ) -> bool:
        if name == "reminder":
            return now < contest.starts_at
        if name in ("started", "standings"):
            return now < contest.ends_at and (following is None or now < following)
        if name == "last_day":
            return now < contest.ends_at
        return now < at + RESULTS_GRACE  # results

    async def _queue(self, moment: Moment) -> int:
        return (await self._notices.contest_moment(moment)).queued

    # Weekly and daily sends

    async def _weekly_leaderboard(self, now: datetime) -> int:
        moment = self._store.content.program.schedule.leaderboard
        at = last_weekly(now, moment, self._zone)
        key = f"leaderboard:{at.date().isoformat()}"
        if now - at > WEEKLY_GRACE or key in self._done:
            return 0
        if await self._standings_near(at):  # the same boards, posted that day already
            self._done.add(key)
            return 0
        queued = (await self._notices.weekly_leaderboard(at.date().isoformat())).queued
        self._done.add(key)
        return queued

    async def _standings_near(self, at: datetime) -> bool:
        """A running contest posts its weekly standings within a day of `at`: the weekly
        leaderboard (which shows the running contest's boards) would post the same
        pictures again (a contest starting on a Monday: six pictures that Monday — the
        tester of session 20)."""
        for item in await self._contests.all():
            contest = item.contest
            if item.status != "active" or item.announced_at is None:
                continue
            for moment, name, _tag in self.contest_moments(contest):
                if name == "standings" and abs(moment - at) < timedelta(days=1):
                    return True
        return False

    async def _digest(self, now: datetime) -> int:
        """The week's digest on the tick its time passes, and, for the rest of its day
        (WEEKLY_GRACE), to partners who joined its audience since (onboarded, subscribed)
        on every tick, as a restart would: each partner's key makes it once."""
        moment = self._store.content.program.schedule.digest
        at = last_weekly(now, moment, self._zone)
        key = f"digest:{at.date().isoformat()}"
        if now - at > WEEKLY_GRACE:
            return 0
        audience = await self._partners.audience_ids("digest")
        served = self._digest_served.get(key, set())
        self._digest_served = {key: served}  # older weeks are done with
        new = audience - served
        queued = 0
        if new:
            queued += (await self._notices.digests(at.date().isoformat(), only=new)).queued
            served.update(new)
        if self._faq is not None and key not in self._done:
            gaps = [(gap.question, gap.people) for gap in await self._faq.gaps(days=7, limit=5)]
            digest = await self._notices.faq_gaps(at.date().isoformat(), gaps)
            queued += digest.queued
        self._done.add(key)
        return queued

    async def _nudges(self, now: datetime) -> int:
        local = now.astimezone(self._zone)
        at = datetime.combine(local.date(), NUDGE_TIME, tzinfo=self._zone)
        if local < at:
            at -= timedelta(days=1)
        key = f"nudges:{at.date().isoformat()}"
        if now - at > WEEKLY_GRACE or key in self._done:
            return 0
        days = self._store.content.program.schedule.inactive_after_days
        queued = (await self._notices.nudges(days, MAX_NUDGES_IN_A_ROW)).queued
        self._done.add(key)
        return queued

    async def _lesson_drip(self, now: datetime) -> int:
        """Every quarter of an hour at most: each partner's progress is read."""
        days = self._store.content.program.schedule.lesson_drip_days
        if days <= 0 or (self._drip_at is not None and now - self._drip_at < DRIP_EVERY):
            return 0
        self._drip_at = now
        return (await self._notices.lesson_drip(now - timedelta(days=days))).queued

    async def _reports(self) -> int:
        """Each finished announcement's delivery report, to the manager who sent it."""
        queued = 0
        for item in await self._announcements.finished_unreported():
            report = await self._announcements.report(item.id)
            queued += (await self._notices.announcement_report(item, report)).queued
            await self._announcements.mark_reported(item.id)
        return queued

    # /schedule

    async def upcoming(self, days: int = 14) -> list[Planned]:
        """Every automated send of the next `days` days, with who will really get it: the
        audience as of now (topic on, not stopped), less the people the weekly cap will
        hold back at the send's time (counted from what is queued or sent now; a contest's
        results are not: a winner hears of their prize whatever the cap). A contest not
        announced that the schedule will not announce by itself (`_announces_itself`)
        sends nothing until a manager announces it: not listed."""
        now = self._clock.now()
        until = now + timedelta(days=days)
        planned: list[Planned] = []
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
            if item.announced_at is None:  # the next tick announces it
                audience, chats = _people(
                    await self._notices.under_cap(everyone, "contests", subject, now)
                )
                planned.append(
                    Planned(now, "schedule-announcement", contest.title, audience, True, chats)
                )
            for at, name, _tag in self.contest_moments(contest):
                if not now < at <= until or _just_announced(name, at, item.announced_at or now):
                    continue
                reached: list[Partner] = []
                if name == "results":
                    reached = everyone
                elif name != "standings":
                    reached = await self._notices.under_cap(everyone, "contests", subject, at)
                private, messages = _people(reached)
                planned.append(
                    Planned(at, f"schedule-{name}", contest.title, private, True, messages)
                )
        schedule = self._store.content.program.schedule
        leaderboard = next_weekly(now, schedule.leaderboard, self._zone)
        for at in _weeks(leaderboard, until):
            if not await self._standings_near(at):  # that day's standings are its boards
                planned.append(Planned(at, "schedule-leaderboard", "", 0, True))
        readers = await self._partners.audience("digest")
        for at in _weeks(next_weekly(now, schedule.digest, self._zone), until):
            audience, chats = _people(
                await self._notices.under_cap(readers, "digest", "digest", at)
            )
            planned.append(Planned(at, "schedule-digest", "", audience, False, chats))
        planned.extend(await self._next_nudges(now))
        drips: dict[datetime, int] = {}
        for at in await self._notices.planned_drips(now, until):
            drips[at] = drips.get(at, 0) + 1
        planned.extend(Planned(at, "schedule-lesson", "", n, False, n) for at, n in drips.items())
        if not self._notices.has_community:  # no partners' chat configured: nothing goes there
            planned = [replace(item, community=False) for item in planned]
        # nobody to get it (everyone stopped, capped, or no chat): not a send
        planned = [item for item in planned if item.audience or item.community]
        return sorted(
            (part for item in planned for part in self._really(item)), key=lambda p: p.at
        )

    async def _next_nudges(self, now: datetime) -> list[Planned]:
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
        audience, chats = _people(await self._notices.under_cap(due, "news", "nudge", at))
        return [Planned(at, "schedule-held-nudge", "", audience, False, chats)] if audience else []

    def _announces_itself(self, item: Managed, now: datetime) -> bool:
        """An unannounced contest the next `tick` announces (`_contest`): from a file, not
        started and not too close to its start (that one waits for a manager)."""
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


# a reminder this soon after the contest's announcement (made late: a manager's contest
# starting the next day) would say again what the partners just read: not sent
REMINDER_GAP: Final = timedelta(hours=12)


def _just_announced(name: str, at: datetime, announced_at: datetime) -> bool:
    return name == "reminder" and at - announced_at < REMINDER_GAP


def _weeks(first: datetime, until: datetime) -> list[datetime]:
    """A weekly moment from `first` on, by `until` (the same local time each week)."""
    found = []
    at = first
    while at <= until:
        found.append(at)
        at = datetime.combine(
            at.date() + timedelta(days=7), at.timetz().replace(tzinfo=None), tzinfo=first.tzinfo
        )
    return found


def _people(chats: list[Partner]) -> tuple[int, int]:
    """(people, chats) of the chats an automated send goes to: a person's chats linked to
    one affiliate id are one recipient, as the announcement preview counts them."""
    people = {person_key(c.id, c.affiliate_id, c.affiliate_status) for c in chats}
    return len(people), len(chats)
