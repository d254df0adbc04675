"""Contest notices (SPEC §7): each moment of a contest written for its partners and the
community chat (the results also as the winners' list for managers; a cancellation or a
change too, which `ContestChangeNotices` in bot/notices/contest_changes.py makes), the
weekly leaderboard post, and the group's posts written again for /forget."""

from __future__ import annotations

import html
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from bot.i18n import L10n
from bot.names import Naming
from bot.notices.base import NoticesBase, board_post, private
from bot.rendering import split_text
from bot.services.contests import Moment
from bot.services.outbox import GroupPost
from bot.services.outbox_enqueue import COMMUNITY, Enqueued, OutMessage, community_key
from bot.services.partner import Partner
from bot.texts import (
    contest_boards,
    contest_text,
    leaderboards,
    number,
    prize_lines,
    public_name,
    segments_of,
    winners_text,
)

LEADERBOARD: Final = "leaderboard"  # the weekly leaderboard posts' subject

# what corrects something a partner was told of a contest: past the weekly cap (since
# session 18 a cancel, since 19 new dates and new prizes too)
CORRECTIONS: Final = frozenset({"cancelled", "rescheduled", "changed"})
# the schedule's moments: in the partners' group too they wait for the quiet hours' end
# (since session 20; an announcement and a correction go at once)
SCHEDULED: Final = frozenset({"reminder", "started", "standings", "last_day", "results"})


class ContestNotices(NoticesBase):
    async def contest_moment(self, moment: Moment) -> Enqueued:
        """Queue a moment for its partners and, when it has one, the community chat."""
        subject = f"contest:{moment.contest.id}"
        # at the start: whoever's announcement still waits (the quiet hours) gets the card
        # with «начался!» instead of it, after the start in the future tense
        unheard = await self._drop_before_start(subject) if moment.name == "started" else set()
        messages = [
            replace(
                private(
                    f"{moment.key}:{partner.key}",
                    "contests",
                    subject,
                    partner,
                    await self._moment_text(
                        moment, self._l10n(partner.language), partner, partner.id in unheard
                    ),
                ),
                # a winner hears of their prize even at the weekly cap (their own result),
                # and whoever was told of a contest hears that it was cancelled, moved or
                # that its prizes changed (SPEC §7: a correction of what they were told,
                # never held back by the cap)
                own=(moment.name == "results" and partner.id in moment.winners)
                or moment.name in CORRECTIONS,
            )
            for partner in moment.partners
        ]
        if moment.community:
            # nor is the partners' group woken by the schedule: a start at 00:00, a week's
            # standings or results falling in the quiet hours are posted when they end
            now = self._clock.now()
            waking = self._outbox.after_quiet_hours(now) if moment.name in SCHEDULED else now
            for platform, chat in self._settings.community_chats():
                posts = await self._community_posts(
                    moment, platform, chat, subject, None in unheard
                )
                messages.extend(replace(post, not_before=waking) for post in posts)
        if moment.name == "results":
            messages.extend(await self._winners_for_managers(moment))
        return await self._outbox.enqueue(messages)

    async def _drop_before_start(self, subject: str) -> set[int | None]:
        """At a contest's start: an announcement that still waits (held for the end of the
        quiet hours, it would come after the start in the future tense) is dropped; the
        partners whose announcement was dropped (None: a group chat's), to be told the
        contest with its start."""
        announcement = f"{subject}:announcement"
        waiting = [
            (k, p) for k, p in await self._outbox.waiting(subject) if k.startswith(announcement)
        ]
        await self._outbox.cancel(subject, [key for key, _partner in waiting])
        return {partner for _key, partner in waiting}

    async def _winners_for_managers(self, moment: Moment) -> list[OutMessage]:
        """The winners with their labels and affiliate ids, to the managers' chat (or each
        manager), so someone hands out the prizes."""
        l10n = self._l10n(None)
        header = l10n("contest-winners", title=html.escape(moment.contest.title))
        if moment.unannounced:  # nobody was told of it: the managers decide what to do
            header += "\n" + l10n("contest-winners-unannounced")
        text = await winners_text(
            header, moment.contest, moment.results, self._partners, l10n, self._settings.tz
        )
        parts = split_text(text)  # many places: the message's limit
        return [
            OutMessage(
                key=f"{moment.key}:managers:{platform}:{chat}" + (f":{n}" if n else ""),
                kind="report",
                platform=platform,
                chat_id=chat,
                text=part,
                subject="report",
            )
            for platform, chat in self.manager_targets()
            for n, part in enumerate(parts)
        ]

    async def _community_posts(
        self,
        moment: Moment,
        platform: str,
        chat: int,
        subject: str,
        unheard: bool = False,
        forgotten: int | None = None,
    ) -> list[OutMessage]:
        """The moment's posts in a partners' group; `forgotten`: a partner using /forget,
        not named (`forget_in_posts`)."""
        l10n = self._l10n(None)
        if moment.name != "standings":
            if moment.name == "results":
                text = await self._results_text(moment, l10n, forgotten)
            else:
                text = await self._moment_text(moment, l10n, None, unheard)
            key = community_key(f"{moment.key}:community", platform)
            return [OutMessage(key, COMMUNITY, platform, chat, text, subject=subject)]
        boards = await contest_boards(
            moment.contest,
            None,
            self._partners,
            self._contests,
            self._settings,
            l10n,
            forgotten=forgotten,
        )
        return [
            board_post(f"{moment.key}:{category.category}", platform, chat, subject, board)
            for category, board in zip(moment.contest.prizes, boards, strict=True)
        ]

    async def _moment_text(
        self, moment: Moment, l10n: L10n, partner: Partner | None, unheard: bool = False
    ) -> str:
        """The moment's text; `unheard`: the start to someone whose announcement was
        dropped at the start (`_drop_before_start`) — with the contest's card."""
        contest = moment.contest
        title = html.escape(contest.title)
        zone = self._settings.tz
        if moment.name == "announcement":
            program = self._store.content.program
            running = self._contests.started(contest)  # a manager announced it late
            card = contest_text(
                contest,
                None,
                running,
                zone,
                l10n,
                personal=False,
                open_to=segments_of(contest, program),
            )
            headline = l10n("moment-announcement")
            if running:  # it runs: no «Старт уже …» of a start gone by
                start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
                end = contest.ends_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
                headline = l10n("moment-announcement-running", start=start, end=end)
            elif self._contests.short_notice(contest.starts_at):  # no "announced early" then
                start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
                headline = l10n("moment-announcement-soon", start=start)
            return "\n\n".join((headline, card, l10n("moment-how-to-join")))
        if moment.name == "reminder":
            start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            days, hours = self._time_left(contest.starts_at)
            if days < 1:
                return l10n("moment-reminder-soon", title=title, start=start)
            if hours:
                return l10n(
                    "moment-reminder-hours", title=title, days=days, hours=hours, start=start
                )
            return l10n("moment-reminder", title=title, days=days, start=start)
        if moment.name == "started":
            end = contest.ends_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            started = l10n("moment-started", title=title, end=end)
            if not unheard:
                return started
            card = contest_text(
                contest,
                None,
                True,
                zone,
                l10n,
                personal=False,
                open_to=segments_of(contest, self._store.content.program),
            )
            return "\n\n".join((started, card, l10n("moment-how-to-join")))
        if moment.name == "last_day":
            return l10n("moment-last-day", title=title)
        if moment.name == "cancelled":
            return l10n("moment-cancelled", title=title)
        if moment.name == "rescheduled":
            start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            end = contest.ends_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            return l10n("moment-rescheduled", title=title, start=start, end=end)
        if moment.name == "changed":
            lines = prize_lines(contest, l10n)  # each line its own: an argument is cut at 2,000
            return "\n".join(
                (l10n("moment-changed", title=title), *lines, l10n("moment-changed-end"))
            )
        if moment.name == "results":
            if partner is not None:
                return self._congratulation(moment, partner, l10n)
            return await self._results_text(moment, l10n)
        raise ValueError(f"unknown moment {moment.name}")

    def _time_left(self, start: datetime) -> tuple[int, int]:
        """The days and hours (to the nearest hour; under a day: no whole day) from when a
        message made now goes (now, or the end of the quiet hours) to `start`: a reminder
        «3 days before» a start at 00:00, moved to 09:00 by the quiet hours, goes 2 days
        15 hours before and says so — not the 3 days it was planned as, nor 2 (the start
        sounding a day nearer than it is)."""
        goes = self._outbox.after_quiet_hours(self._clock.now())
        left = max(start - goes, timedelta(0))
        if left < timedelta(days=1):
            return 0, left // timedelta(hours=1)
        days, hours = divmod(round(left / timedelta(hours=1)), 24)  # to the nearest hour
        return days, hours

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

    async def _results_text(self, moment: Moment, l10n: L10n, forgotten: int | None = None) -> str:
        keys = [placed.entry.key for places in moment.results for placed in places]
        people = await self._partners.by_affiliates(keys, forgotten)
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

    async def weekly_leaderboard(self, tag: str, leave_out: Collection[str] = ()) -> Enqueued:
        """The leaderboard post in the community chat: each board of every running
        contest (or the month's) with its picture; `leave_out`: ids of contests whose
        weekly standings the group gets that day (`scheduler.timeline.leaderboard_leaves_out`)."""
        if not self._settings.community_chats():
            return Enqueued(0, 0, 0)
        return await self._outbox.enqueue(await self._leaderboard_posts(tag, None, leave_out))

    async def _leaderboard_posts(
        self, tag: str, forgotten: int | None = None, leave_out: Collection[str] = ()
    ) -> list[OutMessage]:
        """The week's (`tag`) leaderboard posts, a board each, in every partners' group;
        `forgotten`: a partner using /forget, not named. A post's key names its board (a
        contest's category, or the month), so a post written again for /forget is the
        same board whatever was left out when it was queued."""
        l10n = self._l10n(None)
        boards = await leaderboards(
            None,
            self._partners,
            self._contests,
            self._settings,
            l10n,
            forgotten=forgotten,
            leave_out=leave_out,
        )
        header = l10n("weekly-leaderboard") + "\n"
        return [
            board_post(
                f"{LEADERBOARD}:{tag}:{board.key}", platform, chat, LEADERBOARD, board, header
            )
            for platform, chat in self._settings.community_chats()
            for board in boards
        ]

    # /forget

    async def forget_in_posts(self, partner: Partner, naming: Naming) -> None:
        """/forget, before the partner's data goes: the partners' group posts still
        waiting (held for the end of the quiet hours, a backlog) that name them (`naming`,
        whole: `bot.names.Naming`; or their label on the boards) are written again as they
        are now, the partner shown as one no longer linked («Партнёр», pictures drawn
        again) — a leaderboard or standings board, the contest's results (each place keeps
        its prize: they are still counted). Those posts are about the contest, not about
        the partner, so they go; none in the group is about one partner alone (a winner's
        congratulation is private and is cancelled with their rows). A post that cannot be
        written again (its board is gone: the contest ended meanwhile) does not go. What
        else names them — a manager's words in /announce — goes as the manager wrote it."""
        shown = public_name(partner, partner.affiliate_id or "", self._l10n(None))
        found = await self._outbox.posts_naming(naming.also(shown))
        again: dict[int, OutMessage | None] = {}
        for post in found:
            rewritten = await self._posts_again(post, partner.id)
            if rewritten is not None:
                again[post.id] = next((new for new in rewritten if new.key == post.key), None)
        await self._outbox.rewrite(again)

    async def _posts_again(self, post: GroupPost, forgotten: int) -> list[OutMessage] | None:
        """The posts `post` is one of (its key tells which), as they are now without the
        `forgotten` partner; None: not a post naming partners."""
        if post.subject == LEADERBOARD:
            tag = post.key.split(":")[1]  # leaderboard:TAG:BOARD:community
            return await self._leaderboard_posts(tag, forgotten)
        if post.subject is None or not post.subject.startswith("contest:"):
            return None
        # contest:ID:standings:TAG:CATEGORY:community, contest:ID:results:community
        name, _, rest = post.key.removeprefix(f"{post.subject}:").partition(":")
        if name not in ("standings", "results"):
            return None
        found = await self._contests.find(post.subject.removeprefix("contest:"))
        if found is None:
            return []
        if name == "results":
            moment = await self._contests.results_moment(found.contest)
        else:
            moment = await self._contests.moment(name, found.contest, rest.partition(":")[0])
        return await self._community_posts(
            moment, post.platform, post.chat_id, post.subject, forgotten=forgotten
        )
