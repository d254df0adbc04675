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
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.content.models import Contest
from bot.content.store import ContentStore
from bot.db.engine import OUTAGE, OutageLog
from bot.notices import Notices
from bot.services.announcements import AnnouncementService
from bot.services.content_sync import ContentSync
from bot.services.contests import ContestService, Managed, Moment
from bot.services.faq import FaqService
from bot.services.partners import PartnerService
from scheduler.ahead import Ahead, Planned
from scheduler.timeline import (
    MAX_NUDGES_IN_A_ROW,
    NUDGE_TIME,
    contest_moments,
    just_announced,
    last_weekly,
    leaderboard_leaves_out,
)

logger = logging.getLogger(__name__)

WEEKLY_GRACE: Final = timedelta(hours=24)  # a weekly post missed longer ago is skipped
RESULTS_GRACE: Final = timedelta(days=30)
DRIP_EVERY: Final = timedelta(minutes=15)


@dataclass
class NewContentPlan:
    """What /reload planned: contests announced now (title, partners, community chat too),
    and those too close to their start to announce without a manager."""

    announced: list[tuple[str, int, bool]] = field(default_factory=list)
    too_soon: list[str] = field(default_factory=list)


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
        self._ahead = Ahead(store, contests, partners, notices, clock, zone)

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
        return contest_moments(contest, self._store.content.program.schedule, self._zone)

    async def _contest(self, item: Managed, now: datetime) -> int:
        contest = item.contest
        if item.announced_at is None:
            if contest.starts_at <= now:
                # partners do not see it until a manager announces it: the managers hear
                # it once while it runs, and its winners at the end
                await self._unannounced_running(contest, now)
                if item.source == "file":
                    return await self._unannounced_results(contest, now)
                return 0
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
            if at > now or at < item.announced_at or just_announced(name, at, item.announced_at):
                continue
            following = _following(moments, index)
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

    async def _unannounced_running(self, contest: Contest, now: datetime) -> None:
        """A contest nobody announced runs, unseen by partners (`ContestService.current`):
        the managers are told once (the outbox key: also across restarts)."""
        key = f"contest:{contest.id}:unannounced-running"
        if now < contest.ends_at and key not in self._done:
            self._done.add(key)
            await self._notices.contest_running_unannounced(contest)

    async def _unannounced_results(self, contest: Contest, now: datetime) -> int:
        """A file contest nobody announced (first seen after its start, or too close to
        announce itself and never announced by a manager): nobody was told of it, so
        nobody hears its results but the managers, who still hand out the prizes — its
        winners, when and as a contest's results go (after the hold, up to
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
        schedule = self._store.content.program.schedule
        leave_out = leaderboard_leaves_out(await self._contests.all(), at, schedule, self._zone)
        if leave_out is None:  # the same boards, posted that day already
            self._done.add(key)
            return 0
        tag = at.date().isoformat()
        queued = (await self._notices.weekly_leaderboard(tag, leave_out)).queued
        self._done.add(key)
        return queued

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
        """Every automated send of the next `days` days (scheduler/ahead.py)."""
        return await self._ahead.upcoming(days)


def _following(moments: list[tuple[datetime, str, str]], index: int) -> datetime | None:
    """When the moment after `moments[index]` that makes it superseded comes: for weekly
    standings the next standings or the results (not «последний день»: standings of the
    last day moved to its morning were skipped after a restart in the night — a tester of
    session 22), for the others the next moment."""
    name = moments[index][1]
    later = moments[index + 1 :]
    if name == "standings":
        later = [moment for moment in later if moment[1] in ("standings", "results")]
    return later[0][0] if later else None
