"""Automated messages: what the services decided (a contest's moments, approved sales),
written in each recipient's language and queued in the outbox, with a key that makes
deciding the same thing twice harmless."""

from __future__ import annotations

import html
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.content.models import Contest
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.services.announcements import Announcement, Report
from bot.services.contests import ContestService, Moment, Standings
from bot.services.lessons import LessonService
from bot.services.outbox import COMMUNITY, Enqueued, Outbox, OutMessage, community_key
from bot.services.partners import Partner, PartnerService
from bot.services.sales import Approved, SalesService, month_start
from bot.texts import Board, contest_boards, contest_text, leaderboards, number, public_name

logger = logging.getLogger(__name__)

# The category a sale notice reports the place in, best first.
SALE_BOARDS: Final = ("most_sales", "top_amount", "first_sales")


@dataclass(frozen=True)
class Announced:
    partners: int
    community: bool
    enqueued: Enqueued


@dataclass(frozen=True)
class Cancelled:
    told: int
    dropped: int


class Notices:
    def __init__(
        self,
        settings: Settings,
        store: ContentStore,
        outbox: Outbox,
        contests: ContestService,
        partners: PartnerService,
        sales: SalesService,
        lessons: LessonService,
        clock: Clock,
    ) -> None:
        self._lessons = lessons
        self._settings = settings
        self._clock = clock
        self._store = store
        self._outbox = outbox
        self._contests = contests
        self._partners = partners
        self._sales = sales

    @property
    def has_community(self) -> bool:
        """Whether community-chat posts have somewhere to go."""
        return bool(self._settings.community_chats())

    def _l10n(self, language: str | None) -> L10n:
        return self._store.live.translator.get(language)

    # Contests

    async def contest_moment(self, moment: Moment) -> Enqueued:
        """Queue a moment for its partners and, when it has one, the community chat."""
        subject = f"contest:{moment.contest.id}"
        messages = [
            private(
                f"{moment.key}:{partner.key}",
                "contests",
                subject,
                partner,
                await self._moment_text(moment, self._l10n(partner.language), partner),
            )
            for partner in moment.partners
        ]
        if moment.community:
            for platform, chat in self._settings.community_chats():
                messages.extend(await self._community_posts(moment, platform, chat, subject))
        return await self._outbox.enqueue(messages)

    async def announce_contest(self, contest: Contest) -> Announced:
        """Announce a contest now: every eligible partner with the contests topic on and
        the partners' chat; the contest is marked announced."""
        moment = await self._contests.moment("announcement", contest)
        result = await self.contest_moment(moment)
        await self._contests.mark_announced(contest)
        return Announced(len(moment.partners), moment.community and self.has_community, result)

    async def cancel_contest(self, contest: Contest) -> Cancelled:
        """Cancel a contest: what was not sent about it yet is dropped, and everyone who was
        told about it (partners, and the chat if it was) hears it is cancelled."""
        subject = f"contest:{contest.id}"
        await self._contests.cancel(contest)
        dropped = await self._outbox.cancel(subject)
        told = await self._outbox.told(subject)
        partner_ids = sorted({partner for _platform, _chat, partner in told if partner})
        moment = await self._contests.cancellation(contest, partner_ids)
        if not any(partner is None for _platform, _chat, partner in told):
            moment = replace(moment, community=False)
        await self.contest_moment(moment)
        return Cancelled(len(partner_ids), dropped)

    async def reschedule_contest(self, contest: Contest) -> Cancelled:
        """An announced contest got new dates: whoever was told about it (or was about to
        be: what is still queued about it carries the old dates and is dropped) hears the
        new ones, through the outbox with its usual rules (quiet hours, the weekly cap,
        /stop and the contests topic checked when it goes)."""
        subject = f"contest:{contest.id}"
        waiting = await self._outbox.told(subject, status="queued")
        dropped = await self._outbox.cancel(subject)
        told = await self._outbox.told(subject) + waiting
        partner_ids = sorted({partner for _platform, _chat, partner in told if partner})
        moment = await self._contests.rescheduling(contest, partner_ids)
        if not any(partner is None for _platform, _chat, partner in told):
            moment = replace(moment, community=False)
        await self.contest_moment(moment)
        return Cancelled(len(partner_ids), dropped)

    async def _community_posts(
        self, moment: Moment, platform: str, chat: int, subject: str
    ) -> list[OutMessage]:
        l10n = self._l10n(None)
        if moment.name != "standings":
            text = await self._moment_text(moment, l10n, None)
            key = community_key(f"{moment.key}:community", platform)
            return [OutMessage(key, COMMUNITY, platform, chat, text, subject=subject)]
        boards = await contest_boards(
            moment.contest, None, self._partners, self._contests, self._settings, l10n
        )
        return [
            _board_post(f"{moment.key}:{category.category}", platform, chat, subject, board)
            for category, board in zip(moment.contest.prizes, boards, strict=True)
        ]

    async def _moment_text(self, moment: Moment, l10n: L10n, partner: Partner | None) -> str:
        contest = moment.contest
        title = html.escape(contest.title)
        zone = self._settings.tz
        if moment.name == "announcement":
            card = contest_text(contest, None, False, zone, l10n, personal=False)
            headline = l10n("moment-announcement")
            if self._contests.short_notice(contest.starts_at):  # no "announced early" then
                start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
                headline = l10n("moment-announcement-soon", start=start)
            return "\n\n".join((headline, card, l10n("moment-how-to-join")))
        if moment.name == "reminder":
            start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            return l10n("moment-reminder", title=title, days=int(moment.tag), start=start)
        if moment.name == "started":
            end = contest.ends_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            return l10n("moment-started", title=title, end=end)
        if moment.name == "last_day":
            return l10n("moment-last-day", title=title)
        if moment.name == "cancelled":
            return l10n("moment-cancelled", title=title)
        if moment.name == "rescheduled":
            start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            end = contest.ends_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            return l10n("moment-rescheduled", title=title, start=start, end=end)
        if moment.name == "results":
            if partner is not None:
                return self._congratulation(moment, partner, l10n)
            return await self._results_text(moment, l10n)
        raise ValueError(f"unknown moment {moment.name}")

    def _congratulation(self, moment: Moment, partner: Partner, l10n: L10n) -> str:
        lines = [l10n("moment-winner", title=html.escape(moment.contest.title))]
        for category, placed in moment.winners.get(partner.id, []):
            lines.append(
                l10n(
                    "moment-winner-row",
                    category=l10n(f"category-{category.category}"),
                    place=placed.place,
                    prize=html.escape(placed.prize),
                )
            )
        lines.append(l10n("moment-winner-next"))
        return "\n".join(lines)

    async def _results_text(self, moment: Moment, l10n: L10n) -> str:
        keys = [placed.entry.key for places in moment.results for placed in places]
        people = await self._partners.by_affiliates(keys)
        lines = [l10n("moment-results", title=html.escape(moment.contest.title))]
        for category, places in zip(moment.contest.prizes, moment.results, strict=True):
            lines.append(
                l10n("moment-results-category", name=l10n(f"category-{category.category}"))
            )
            if not places:
                lines.append(l10n("moment-results-nobody"))
            for placed in places:
                name = public_name(people.get(placed.entry.key), placed.entry.key, l10n)
                lines.append(
                    l10n(
                        "moment-results-row",
                        place=placed.place,
                        name=html.escape(name),
                        value=number(placed.entry.value, l10n.language),
                        prize=html.escape(placed.prize),
                    )
                )
        return "\n".join(lines)

    # Weekly and daily sends

    async def weekly_leaderboard(self, tag: str) -> Enqueued:
        """The leaderboard post in the community chat: each board with its picture."""
        chats = self._settings.community_chats()
        if not chats:
            return Enqueued(0, 0, 0)
        l10n = self._l10n(None)
        boards = await leaderboards(None, self._partners, self._contests, self._settings, l10n)
        header = l10n("weekly-leaderboard") + "\n"
        posts = [
            _board_post(
                f"leaderboard:{tag}:{number}", platform, chat, "leaderboard", board, header
            )
            for platform, chat in chats
            for number, board in enumerate(boards)
        ]
        return await self._outbox.enqueue(posts)

    async def digests(self, tag: str, only: set[int] | None = None) -> Enqueued:
        """The weekly digest in private: the partner's own week, place and its change, the
        distance to the next tier, upcoming contests, the next lesson (`only`: to these
        partner ids of the audience)."""
        zone = self._settings.tz
        now = self._clock.now()
        board_now = await self._contests.month_leaderboard(zone)
        board_before = await self._contests.month_leaderboard(zone, now - timedelta(days=7))
        messages = []
        for partner in await self._partners.audience("digest"):
            if only is not None and partner.id not in only:
                continue
            l10n = self._l10n(partner.language)
            lines = [l10n("digest-title")]
            linked = partner.affiliate_id if partner.affiliate_status == "linked" else None
            if linked:
                count, amount = await self._sales.between(linked, now - timedelta(days=7))
                lines.append(
                    l10n("digest-week", count=count, amount=number(amount, l10n.language))
                )
                place, before = board_now.index_of(linked), board_before.index_of(linked)
                if place is not None:
                    change = 0 if before is None else before - place
                    key = "digest-place-up" if change > 0 else "digest-place-down"
                    key = "digest-place" if change == 0 else key
                    lines.append(l10n(key, place=place + 1, change=abs(change)))
                month = await self._sales.month(linked, zone)
                tier = self._sales.tier(month.approved)
                if tier.next_tier is not None:
                    lines.append(
                        l10n(
                            "digest-tier",
                            tier=html.escape(tier.next_tier.title),
                            remaining=tier.remaining,
                        )
                    )
            else:
                lines.append(l10n("digest-link"))
            upcoming = [
                contest
                for contest in await self._contests.eligible(partner.segment)
                if contest.starts_at > now
            ]
            for contest in upcoming[:3]:
                start = contest.starts_at.astimezone(zone).strftime("%d.%m")
                lines.append(l10n("digest-contest", title=html.escape(contest.title), start=start))
            fresh = [
                html.escape(creative.title)
                for creative in self._store.content.creatives
                if creative.added is not None
                and creative.added > (now - timedelta(days=7)).astimezone(zone).date()
                and creative.visible_to(partner.segment)
            ]
            if fresh:
                lines.append(l10n("digest-creatives", titles=", ".join(fresh[:5])))
            course = await self._lessons.course(partner)
            lesson = course.next_after(None)
            if lesson is not None:
                lines.append(l10n("digest-lesson", title=html.escape(lesson.title)))
            lines.append(l10n("digest-footer"))
            messages.append(
                private(
                    f"digest:{tag}:{partner.key}", "digest", "digest", partner, "\n".join(lines)
                )
            )
        return await self._outbox.enqueue(messages)

    async def nudges(self, days: int, max_in_a_row: int) -> Enqueued:
        """A personal nudge to partners with no approved sale for `days` days: at most once
        per period, at most `max_in_a_row` times without a sale in between."""
        now = self._clock.now()
        period = (now.date().toordinal()) // days
        quiet_since = now - timedelta(days=days)
        messages = []
        for partner in await self._partners.audience("news"):
            if as_utc(partner.created_at) > quiet_since:
                continue
            linked = partner.affiliate_id if partner.affiliate_status == "linked" else None
            last_sale = await self._sales.last_approved(linked) if linked else None
            if last_sale is not None and last_sale > quiet_since:
                continue
            since = last_sale or datetime.min.replace(tzinfo=UTC)
            if await self._outbox.count(partner.id, "nudge", since) >= max_in_a_row:
                continue
            l10n = self._l10n(partner.language)
            course = await self._lessons.course(partner)
            lesson = course.next_after(None)
            creative = next(
                (c for c in self._store.content.creatives if c.visible_to(partner.segment)), None
            )
            lines = [l10n("nudge-title", name=html.escape(partner.first_name))]
            if lesson is not None:
                lines.append(l10n("nudge-lesson", title=html.escape(lesson.title)))
            if creative is not None:
                lines.append(l10n("nudge-creative", title=html.escape(creative.title)))
            lines.append(l10n("nudge-manager"))
            messages.append(
                private(
                    f"nudge:{period}:{partner.key}", "news", "nudge", partner, "\n".join(lines)
                )
            )
        return await self._outbox.enqueue(messages)

    async def lesson_drip(self, finished_before: datetime) -> Enqueued:
        """The next lesson to partners who finished one at least `lesson_drip_days` ago."""
        latest = await self._lessons.finished_before(finished_before)
        people = await self._partners.by_ids(sorted(latest))
        messages = []
        for partner_id, lesson_id in latest.items():
            partner = people.get(partner_id)
            if partner is None or not partner.receives("lessons"):
                continue
            course = await self._lessons.course(partner)
            lesson = course.next_after(lesson_id)
            if lesson is None:
                continue  # the course is done
            text = self._l10n(partner.language)(
                "lesson-drip",
                title=html.escape(lesson.title),
                done=course.finished,
                total=len(course.lessons),
            )
            messages.append(
                private(f"lesson:{lesson.id}:{partner.key}", "lessons", "lesson", partner, text)
            )
        return await self._outbox.enqueue(messages)

    async def planned_drips(self, now: datetime, until: datetime) -> list[datetime]:
        """When each lesson drip still to come before `until` will really go (after the
        quiet hours), one per partner: for /schedule."""
        days = self._store.content.program.schedule.lesson_drip_days
        if days <= 0:
            return []
        latest = await self._lessons.latest_finished(now - timedelta(days=days))
        people = await self._partners.by_ids(sorted(latest))
        due: list[tuple[datetime, str]] = []
        for partner_id, (lesson_id, finished_at) in latest.items():
            partner = people.get(partner_id)
            if partner is None or not partner.receives("lessons"):
                continue
            lesson = (await self._lessons.course(partner)).next_after(lesson_id)
            if lesson is not None:
                at = max(now, finished_at + timedelta(days=days))
                due.append((at, f"lesson:{lesson.id}:{partner.key}"))
        sent = await self._outbox.known([key for _at, key in due])
        return sorted(
            self._outbox.after_quiet_hours(at)
            for at, key in due
            if key not in sent and at <= until
        )

    def private_time(self, moment: datetime) -> datetime:
        """When a private automated send planned for `moment` really goes (quiet hours)."""
        return self._outbox.after_quiet_hours(moment)

    async def announcement_report(self, item: Announcement, report: Report) -> Enqueued:
        """The delivery report of an announcement, to the manager who sent it."""
        l10n = self._l10n(None)
        text = l10n(
            "announcement-report",
            number=item.id,
            delivered=report.delivered,
            blocked=report.blocked,
            failed=report.failed,
            skipped=report.skipped,
            uncertain=report.uncertain,
            up=report.up,
            down=report.down,
        )
        message = OutMessage(
            key=f"report:announcement:{item.id}",
            kind="report",
            platform=item.manager_platform,
            chat_id=item.manager_chat_id,
            text=text,
            subject="report",
        )
        return await self._outbox.enqueue([message])

    # Sales

    async def tell_approved(self, approved: list[Approved]) -> None:
        await self.sales_approved(approved)

    async def sales_approved(self, approved: list[Approved]) -> Enqueued:
        """Tell partners about their approved sales (SPEC §6): the new standing, and the
        first, 10th, 50th and 100th sale and a new tier congratulated."""
        by_affiliate: dict[str, list[str]] = defaultdict(list)
        for item in approved:
            by_affiliate[item.affiliate_id].append(item.conversion_id)
        linked = await self._partners.linked_to(sorted(by_affiliate))
        tiers = self._store.content.program.tiers
        messages: list[OutMessage] = []
        for affiliate, conversion_ids in by_affiliate.items():
            people = linked.get(affiliate, [])
            if not people:
                continue
            facts = await self._sales.approval(affiliate, conversion_ids, self._settings.tz)
            if not facts.new:
                continue  # reversed again meanwhile
            tier = facts.new_tier(tiers)
            month = month_start(self._clock.now(), self._settings.tz).strftime("%Y-%m")
            for partner in people:
                l10n = self._l10n(partner.language)
                standing = await self._standing(partner, l10n)
                lines = [l10n("sale-approved", count=facts.new)]
                if standing:
                    lines.append(standing)
                messages.append(
                    self._sale_message(
                        f"sale:{min(conversion_ids)}:{partner.key}", partner, "\n".join(lines)
                    )
                )
                for milestone in facts.milestones():
                    text = l10n("sale-milestone", count=milestone)
                    key = f"milestone:{affiliate}:{milestone}:{partner.key}"
                    messages.append(self._sale_message(key, partner, text))
                if tier is not None:
                    text = l10n("sale-tier", tier=html.escape(tier.title), perk=tier.perk)
                    key = f"tier:{month}:{tier.title}:{partner.key}"
                    messages.append(self._sale_message(key, partner, text))
        return await self._outbox.enqueue(messages)

    @staticmethod
    def _sale_message(key: str, partner: Partner, text: str) -> OutMessage:
        return private(key, "sales", None, partner, text)

    async def _standing(self, partner: Partner, l10n: L10n) -> str | None:
        """ "You are #3 in Most sales, 2 behind #2" in the running contest (or the month)."""
        contest = await self._contests.running(partner.segment)
        if contest is not None:
            kinds = {category.category: category for category in contest.prizes}
            category = next((kinds[k] for k in SALE_BOARDS if k in kinds), None)
            if category is None:
                return None
            entries = await self._contests.standings(contest, category)
            board = l10n(f"category-{category.category}")
            gaps = category.category != "first_sales"
            return _place_text(entries, partner.affiliate_id, board, l10n, gaps=gaps)
        entries = await self._contests.month_leaderboard(self._settings.tz)
        return _place_text(entries, partner.affiliate_id, l10n("sale-board-month"), l10n)

    # FAQ gaps: the managers' weekly digest

    async def faq_gaps(self, tag: str, gaps: list[tuple[str, int]]) -> Enqueued:
        """The week's top unanswered questions (grouped), to the managers' chat of each
        platform, or to each manager in private when there is none."""
        if not gaps:
            return Enqueued(0, 0, 0)
        l10n = self._l10n(None)
        lines = [l10n("faq-gaps-digest")]
        lines += [
            l10n("faq-gaps-digest-line", number=n, question=html.escape(q[:200]), count=count)
            for n, (q, count) in enumerate(gaps, start=1)
        ]
        lines.append(l10n("faq-gaps-digest-footer"))
        targets: list[tuple[str, int]] = []
        for platform in ("tg", "vk"):
            chat = self._settings.managers_chat(platform)
            if chat is not None:
                targets.append((platform, chat))
        if not targets:
            for manager in self._settings.managers:
                platform, _, user_id = manager.partition(":")
                if platform in ("tg", "vk") and user_id.lstrip("-").isdigit():
                    targets.append((platform, int(user_id)))
        messages = [
            OutMessage(
                key=f"faq-gaps:{tag}:{platform}:{chat}",
                kind="report",
                platform=platform,
                chat_id=chat,
                text="\n".join(lines),
                subject="faq-gaps",
            )
            for platform, chat in targets
        ]
        return await self._outbox.enqueue(messages)


def _place_text(
    entries: Standings, me: str | None, board: str, l10n: L10n, *, gaps: bool = True
) -> str | None:
    place = entries.index_of(me)
    if place is None:
        return None
    if place == 0 or not gaps:
        return l10n("sale-place", place=place + 1, board=board)
    gap = entries[place - 1].value - entries[place].value
    return l10n(
        "sale-place-gap", place=place + 1, board=board, above=place, gap=number(gap, l10n.language)
    )


def private(key: str, kind: str, subject: str | None, partner: Partner, text: str) -> OutMessage:
    """A message to a partner's private chat; `kind` is the topic it belongs to."""
    return OutMessage(
        key=key,
        kind=kind,
        platform=partner.platform,
        chat_id=partner.chat_id,
        partner_id=partner.id,
        subject=subject,
        text=text,
    )


def _board_post(
    key: str, platform: str, chat: int, subject: str, board: Board, header: str = ""
) -> OutMessage:
    """A leaderboard post in the partners' chat, with its picture."""
    return OutMessage(
        key=community_key(f"{key}:community", platform),
        kind=COMMUNITY,
        platform=platform,
        chat_id=chat,
        text=header + board.text,
        subject=subject,
        picture=board.picture(),
    )
