"""Routine private sends (SPEC §11): the weekly digest, nudges to quiet partners and the
lesson drip, and when a private send planned for a moment really goes."""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.content.models import Contest, Lesson
from bot.i18n import L10n
from bot.notices.base import NoticesBase, private
from bot.services.contest_standings import Standings
from bot.services.lessons import Course
from bot.services.outbox import Queued
from bot.services.outbox_again import AGAIN
from bot.services.outbox_ahead import DRIP
from bot.services.outbox_enqueue import Enqueued
from bot.services.partner import Partner
from bot.services.sales_figures import MonthStats
from bot.texts import greeting, number


@dataclass(frozen=True)
class _Week:
    """What every digest of one moment shares: the moment, the month's leaderboard then
    and a week before."""

    now: datetime
    board_now: Standings
    board_before: Standings


@dataclass(frozen=True)
class _Facts:
    """What a batch of digests tells, read at once: by affiliate id the approved sales of
    the last 7 days (count, amount) and the calendar month's figures, the upcoming
    contests by segment, the course by partner id."""

    week: dict[str, tuple[int, Decimal]]
    month: dict[str, MonthStats]
    contests: dict[str | None, list[Contest]]
    courses: dict[int, Course]
    said: dict[tuple[Any, ...], str] = field(default_factory=dict)

    def say(self, l10n: L10n, key: str, /, **args: Any) -> str:
        """`l10n(key, **args)`, each line formatted once for the batch: most are the same
        for many partners (the title, the contests, the next lesson), and Fluent takes
        about a tenth of a millisecond a line."""
        memo = (l10n, key, *sorted(args.items()))
        text = self.said.get(memo)
        if text is None:
            text = self.said[memo] = l10n(key, **args)
        return text


def _linked(partner: Partner) -> str | None:
    return partner.affiliate_id if partner.affiliate_status == "linked" else None


def _offered_lesson(partner: Partner, course: Course) -> Lesson | None:
    """The lesson a digest or a nudge offers: the partner's next one in the course; none to
    someone who switched the lessons off in /settings (testers of session 26)."""
    return course.next_after(None) if partner.subscribed("lessons") else None


class DigestNotices(NoticesBase):
    async def digests(self, tag: str, only: set[int] | None = None) -> Enqueued:
        """The weekly digest in private: the partner's own week, place and its change, the
        distance to the next tier, upcoming contests, the next lesson unless the lessons
        are off (`only`: to these partner ids of the audience). Written again when it is
        sent (`refresh_digests`)."""
        week = await self._week()
        people = [
            partner
            for partner in await self._partners.audience("digest")
            if only is None or partner.id in only
        ]
        texts = await self._digest_texts(people, week)
        return await self._outbox.enqueue(
            [
                private(
                    f"digest:{tag}:{partner.key}", "digest", "digest", partner, texts[partner.id]
                )
                for partner in people
            ]
        )

    async def refresh_digests(self, rows: list[Queued]) -> dict[int, str]:
        """The digests of these outbox rows as they are when sent (a /link approved, a sale
        refunded, the language changed since they were queued): their texts by row id."""
        people = await self._partners.by_ids(sorted({r.partner_id for r in rows if r.partner_id}))
        texts = await self._digest_texts(list(people.values()), await self._week())
        # a row whose partner is gone is not written again: the worker skips it
        return {row.id: texts[row.partner_id] for row in rows if row.partner_id in texts}

    async def _week(self) -> _Week:
        zone, now = self._settings.tz, self._clock.now()
        return _Week(
            now,
            await self._contests.month_leaderboard(zone),
            await self._contests.month_leaderboard(zone, now - timedelta(days=7)),
        )

    async def _digest_texts(self, people: list[Partner], week: _Week) -> dict[int, str]:
        """The digests of these partners (by partner id), their figures read at once: a
        few queries for the lot, not a few for each (a claimed batch is up to 5,000)."""
        zone = self._settings.tz
        ids = sorted({aff for partner in people if (aff := _linked(partner))})
        facts = _Facts(
            week=await self._sales.between_of_each(ids, week.now - timedelta(days=7)),
            month=await self._sales.month_of_each(ids, zone),
            contests={
                segment: [
                    contest
                    for contest in await self._contests.eligible(segment)
                    if contest.starts_at > week.now
                ]
                for segment in {partner.segment for partner in people}
            },
            courses=await self._lessons.courses(people),
        )
        return {partner.id: self._digest_text(partner, week, facts) for partner in people}

    def _digest_text(self, partner: Partner, week: _Week, facts: _Facts) -> str:
        zone, now = self._settings.tz, week.now
        l10n = self._l10n(partner.language)
        say = functools.partial(facts.say, l10n)
        lines = [say("digest-title")]
        linked = _linked(partner)
        if linked:
            count, amount = facts.week.get(linked, (0, Decimal(0)))
            lines.append(say("digest-week", count=count, amount=number(amount, l10n.language)))
            place, before = week.board_now.index_of(linked), week.board_before.index_of(linked)
            if place is not None:
                change = 0 if before is None else before - place
                key = "digest-place-up" if change > 0 else "digest-place-down"
                key = "digest-place" if change == 0 else key
                lines.append(say(key, place=place + 1, change=abs(change)))
            month = facts.month.get(linked)
            tier = self._sales.tier(month.approved if month is not None else 0)
            if tier.next_tier is not None:
                lines.append(
                    say(
                        "digest-tier",
                        tier=html.escape(tier.next_tier.title),
                        remaining=tier.remaining,
                    )
                )
        elif partner.affiliate_status == "pending" and partner.affiliate_id:
            # as /me says: the id is asked for, a manager has not approved it yet
            lines.append(say("digest-link-pending", affiliate=html.escape(partner.affiliate_id)))
        else:
            lines.append(say("digest-link"))
        for contest in facts.contests[partner.segment][:3]:
            start = contest.starts_at.astimezone(zone).strftime("%d.%m")
            lines.append(say("digest-contest", title=html.escape(contest.title), start=start))
        fresh = [
            html.escape(creative.title)
            for creative in self._store.content.creatives
            if creative.added is not None
            and creative.added > (now - timedelta(days=7)).astimezone(zone).date()
            and creative.visible_to(partner.segment)
        ]
        if fresh:
            lines.append(say("digest-creatives", titles=", ".join(fresh[:5])))
        lesson = _offered_lesson(partner, facts.courses[partner.id])
        if lesson is not None:
            lines.append(say("digest-lesson", title=html.escape(lesson.title)))
        lines.append(say("digest-footer"))
        return "\n".join(lines)

    async def nudges(self, days: int, max_in_a_row: int) -> Enqueued:
        """A personal nudge to inactive partners (`days`: `inactive_after_days`; who they
        are: bot/services/inactivity.py): at most once per period, at most `max_in_a_row`
        times without a sale in between."""
        due = await self._due_nudges(days, max_in_a_row, self._clock.now())
        courses = await self._lessons.courses([partner for partner, _key in due])
        messages = [
            private(key, "news", "nudge", partner, self._nudge_text(partner, courses[partner.id]))
            for partner, key in due
        ]
        return await self._outbox.enqueue(messages)

    async def planned_nudges(self, days: int, max_in_a_row: int, at: datetime) -> list[Partner]:
        """The chats a nudge run at `at` would nudge, as things are now (no sale assumed
        meanwhile; for /schedule): those `nudges` would write, less the ones told this
        period already."""
        due = await self._due_nudges(days, max_in_a_row, at)
        known = await self._outbox.known([key for _partner, key in due])
        return [partner for partner, key in due if key not in known]

    async def _due_nudges(
        self, days: int, max_in_a_row: int, at: datetime
    ) -> list[tuple[Partner, str]]:
        """Who is inactive at `at` and nudged fewer than `max_in_a_row` times since their
        last sale, with the key of `at`'s period (once a period)."""
        period = (at.date().toordinal()) // days
        news = await self._partners.audience("news")
        due = []
        for quiet in await self._sales.inactive(news, days, at):
            partner = quiet.partner
            since = quiet.last_sale or datetime.min.replace(tzinfo=UTC)
            if await self._outbox.count(partner.id, "nudge", since) >= max_in_a_row:
                continue
            due.append((partner, f"nudge:{period}:{partner.key}"))
        return due

    async def refresh_nudges(self, rows: list[Queued]) -> dict[int, str | None]:
        """Nudges as they are when sent: dropped (None) when a sale of the partner was
        approved after the nudge was decided (it would say there was none for long), else
        written again."""
        people = await self._partners.by_ids(sorted({r.partner_id for r in rows if r.partner_id}))
        linked = {p.id: p.affiliate_id for p in people.values() if p.affiliate_status == "linked"}
        approved = await self._sales.last_approvals(sorted({a for a in linked.values() if a}))
        courses = await self._lessons.courses(list(people.values()))
        texts: dict[int, str | None] = {}
        for row in rows:
            partner = people.get(row.partner_id or 0)
            if partner is None:
                continue  # not sent: the worker skips it
            sold = approved.get(linked.get(partner.id) or "")
            decided = row.created_at
            if sold is not None and decided is not None and sold > decided:
                texts[row.id] = None
            else:
                texts[row.id] = self._nudge_text(partner, courses[partner.id])
        return texts

    def _nudge_text(self, partner: Partner, course: Course) -> str:
        """The nudge: a lesson to start with (not to someone who switched the lessons off
        in /settings: a tester of session 26), a creative of their segment, a manager."""
        l10n = self._l10n(partner.language)
        lesson = _offered_lesson(partner, course)
        creative = next(
            (c for c in self._store.content.creatives if c.visible_to(partner.segment)), None
        )
        lines = [greeting(l10n, "nudge-title", partner.first_name)]
        if lesson is not None:
            lines.append(l10n("nudge-lesson", title=html.escape(lesson.title)))
        if creative is not None:
            lines.append(l10n("nudge-creative", title=html.escape(creative.title)))
        lines.append(l10n("nudge-manager"))
        return "\n".join(lines)

    async def lesson_drip(self, finished_before: datetime) -> Enqueued:
        """The next lesson to partners who finished one at least `lesson_drip_days` ago
        (each partner's latest; the reminder the weekly cap held back, a week after it was
        held back: `outbox_again`)."""
        latest = await self._lessons.finished_before(finished_before)
        people = await self._partners.by_ids(sorted(latest))
        courses = await self._lessons.courses(list(people.values()))
        messages = []
        for partner_id, lesson_id in latest.items():
            partner = people.get(partner_id)
            if partner is None or not partner.receives("lessons"):
                continue
            course = courses[partner.id]
            lesson = course.next_after(lesson_id)
            if lesson is None:
                continue  # the course is done
            text = self._drip_text(partner, course, lesson)
            message = private(
                f"{DRIP}{lesson.id}:{partner.key}", "lessons", "lesson", partner, text
            )
            # not about a moment: one the weekly cap held back comes a week later
            messages.append(replace(message, again=True))
        return await self._outbox.enqueue(messages)

    async def refresh_drips(self, rows: list[Queued]) -> dict[int, str | None]:
        """Lesson reminders as they are when sent: dropped (None) when the partner finished
        that lesson meanwhile (the next one has its own reminder), else written again."""
        people = await self._partners.by_ids(sorted({r.partner_id for r in rows if r.partner_id}))
        courses = await self._lessons.courses(list(people.values()))
        texts: dict[int, str | None] = {}
        for row in rows:
            partner = people.get(row.partner_id or 0)
            if partner is None:
                continue  # not sent: the worker skips it
            lesson_id = row.key.removeprefix(DRIP).removesuffix(f":{partner.key}")
            course = courses[partner.id]
            lesson = next((one for one in course.lessons if one.id == lesson_id), None)
            if lesson is None or lesson.id in course.done:
                texts[row.id] = None
            else:
                texts[row.id] = self._drip_text(partner, course, lesson)
        return texts

    def _drip_text(self, partner: Partner, course: Course, lesson: Lesson) -> str:
        return self._l10n(partner.language)(
            "lesson-drip",
            title=html.escape(lesson.title),
            done=course.finished,
            total=len(course.lessons),
        )

    async def planned_drips(
        self, now: datetime, until: datetime
    ) -> list[tuple[datetime, Partner]]:
        """Each lesson reminder the drip will make before `until` (one per partner): when,
        and for whom — for /schedule, which moves it past the quiet hours and applies the
        weekly cap. One the cap held back already is made again `AGAIN` after it was."""
        days = self._store.content.program.schedule.lesson_drip_days
        if days <= 0:
            return []
        latest = await self._lessons.latest_finished()
        people = await self._partners.by_ids(sorted(latest))
        courses = await self._lessons.courses(list(people.values()))
        due: list[tuple[datetime, str, Partner]] = []
        for partner_id, (lesson_id, finished_at) in latest.items():
            partner = people.get(partner_id)
            if partner is None or not partner.receives("lessons"):
                continue
            lesson = courses[partner.id].next_after(lesson_id)
            if lesson is not None:
                at = finished_at + timedelta(days=days)
                due.append((at, f"{DRIP}{lesson.id}:{partner.key}", partner))
        keys = [key for _at, key, _partner in due]
        known, held = await self._outbox.known(keys), await self._outbox.capped_at(keys)
        planned = []
        for made, key, partner in due:
            if key in known and key not in held:
                continue  # queued or sent already
            at = max(now, held[key] + AGAIN if key in held else made)
            if at <= until:
                planned.append((at, partner))
        return sorted(planned, key=lambda drip: drip[0])

    def private_time(self, moment: datetime) -> datetime:
        """When a private automated send planned for `moment` really goes (quiet hours)."""
        return self._outbox.after_quiet_hours(moment)
