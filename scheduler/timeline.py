"""When the schedule's moments fall (SPEC §7, §11): a contest's timeline and the weekly
moments, worked out from the content and the clock alone. The planner queues them when
they are due (scheduler/planner.py), /schedule lists them ahead (scheduler/ahead.py).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.content.models import Contest, Schedule, WeeklyMoment
from bot.services.contests import Managed
from bot.services.outbox_enqueue import after_quiet_hours

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NUDGE_TIME: Final = time(11, 0)  # the daily look for inactive partners, local time
MAX_NUDGES_IN_A_ROW: Final = 3
# a reminder this soon after the contest's announcement (made late: a manager's contest
# starting the next day) would say again what the partners just read: not sent
REMINDER_GAP: Final = timedelta(hours=12)


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


def weeks(first: datetime, until: datetime) -> list[datetime]:
    """A weekly moment from `first` on, by `until` (the same local time each week)."""
    found = []
    at = first
    while at <= until:
        found.append(at)
        at = datetime.combine(
            at.date() + timedelta(days=7), at.timetz().replace(tzinfo=None), tzinfo=first.tzinfo
        )
    return found


def contest_moments(
    contest: Contest, schedule: Schedule, zone: ZoneInfo
) -> list[tuple[datetime, str, str]]:
    """(when, moment, tag) of a contest after its announcement, in time order."""

    def in_the_day(moment: datetime, before: datetime) -> datetime:
        """`moment`, or the end of the quiet hours it falls in if that still leaves an
        hour before `before` (a reminder or «последний день» at 00:00 was posted in
        the partners' group at midnight; private chats wait for the morning anyway)."""
        waking = after_quiet_hours(moment, schedule.quiet_hours, zone)
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


def just_announced(name: str, at: datetime, announced_at: datetime) -> bool:
    """A reminder due within REMINDER_GAP of the contest's announcement: not sent."""
    return name == "reminder" and at - announced_at < REMINDER_GAP


def standings_near(
    contests: list[Managed], at: datetime, schedule: Schedule, zone: ZoneInfo
) -> set[str]:
    """The contests posting their weekly standings within a day of `at` (their ids)."""
    near = set()
    for item in contests:
        if item.status != "active" or item.announced_at is None:
            continue
        for moment, name, _tag in contest_moments(item.contest, schedule, zone):
            if name == "standings" and abs(moment - at) < timedelta(days=1):
                near.add(item.contest.id)
    return near


def leaderboard_leaves_out(
    contests: list[Managed], at: datetime, schedule: Schedule, zone: ZoneInfo
) -> frozenset[str] | None:
    """What the weekly leaderboard at `at` leaves out: the running contests that post
    their weekly standings within a day of it (the same pictures again: a contest starting
    on a Monday gave six pictures that Monday — the tester of session 20); None: it is not
    posted that week — every running contest it would show posts its standings (or, when
    none runs for the group, a contest's standings go within the day, as before). The
    other running contests' boards are shown (two contests at once showed only the one
    that ends first, or none beside the other's standings — a tester of session 25)."""
    near = standings_near(contests, at, schedule, zone)
    running = [
        item.contest.id
        for item in contests
        if item.status == "active"
        and item.announced_at is not None  # the partners see it (`ContestService.current`)
        and item.contest.starts_at <= at < item.contest.ends_at
        and item.contest.visible_to(None)  # the group's boards: contests for everyone
    ]
    if not running:
        return None if near else frozenset()
    if all(contest in near for contest in running):
        return None
    return frozenset(near)
