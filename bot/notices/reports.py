"""Reports to managers: an announcement's delivery report, the week's unanswered
questions (FAQ gaps), content kept back, and contests waiting for a manager to announce
them."""

from __future__ import annotations

import hashlib
import html
from typing import Final

from bot.content.models import Contest
from bot.i18n import L10n
from bot.names import without_bidi
from bot.notices.base import NoticesBase
from bot.services.announcements import Announcement, Report
from bot.services.outbox_enqueue import Enqueued, OutMessage

KEPT_LINES: Final = 10  # problems named in the managers' notice (the rest counted)

# statuses an announcement's report counts together (as `AnnouncementService.report`)
MERGED: Final = {"capped": "skipped"}


def delivered_text(l10n: L10n, people: int, messages: int) -> str:
    """«2 получателям (3 сообщения)»: the people reached, and the messages when more."""
    return l10n(
        "announcement-delivered", people=people, messages=messages if messages > people else 0
    )


class ReportNotices(NoticesBase):
    async def announcement_report(self, item: Announcement, report: Report) -> Enqueued:
        """The delivery report of an announcement, to the manager who sent it: people, as
        its preview counted them (the messages too when there are more)."""
        l10n = self._l10n(None)
        people = await self._outbox.people(f"announcement:{item.id}", MERGED)
        text = l10n(
            "announcement-report",
            number=item.id,
            delivered=delivered_text(l10n, people.get("sent", 0), report.delivered),
            blocked=people.get("blocked", 0),
            failed=people.get("failed", 0),
            skipped=people.get("skipped", 0),
            forgotten=report.forgotten,
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

    async def faq_gaps(self, tag: str, gaps: list[tuple[str, int]]) -> Enqueued:
        """The week's top unanswered questions (grouped), where the contest winners go
        (`manager_targets`): the first managers' chat of Telegram, VK, MAX, or each
        manager in private when none is set."""
        if not gaps:
            return Enqueued(0, 0, 0)
        l10n = self._l10n(None)
        lines = [l10n("faq-gaps-digest")]
        lines += [
            l10n(
                "faq-gaps-digest-line",
                number=n,
                question=html.escape(without_bidi(q)[:200]),
                people=l10n("faq-gap-people", count=count),
            )
            for n, (q, count) in enumerate(gaps, start=1)
        ]
        lines.append(l10n("faq-gaps-digest-footer"))
        messages = [
            OutMessage(
                key=f"faq-gaps:{tag}:{platform}:{chat}",
                kind="report",
                platform=platform,
                chat_id=chat,
                text="\n".join(lines),
                subject="faq-gaps",
            )
            for platform, chat in self.manager_targets()
        ]
        return await self._outbox.enqueue(messages)

    async def content_kept(self, folder: str, problems: list[str], fingerprint: int) -> Enqueued:
        """A start on a content folder that does not validate serves the last valid content
        (`bot.content.kept`): the managers hear it, with the problems (it was only in the
        log: the tester of session 20). Once for each such state of the folder, however
        many workers start on it."""
        l10n = self._l10n(None)
        # cut before escaping: a cut «&amp;» is HTML Telegram refuses
        shown = [html.escape(without_bidi(problem)[:300]) for problem in problems[:KEPT_LINES]]
        more = len(problems) - len(shown)
        text = l10n("content-kept", folder=html.escape(folder), count=len(problems))
        text += "\n" + "\n".join(f"• {line}" for line in shown)
        if more:
            text += "\n" + l10n("content-kept-more", count=more)
        digest = hashlib.sha256("\n".join(problems).encode()).hexdigest()[:12]
        return await self._to_managers(f"content-kept:{fingerprint:016x}:{digest}", text)

    async def contest_too_soon(self, contest_id: str, title: str) -> Enqueued:
        """A file contest the schedule will not announce by itself (it starts sooner than
        the announcement lead): the managers hear it once — at start-up only
        /contests_admin said «не объявлен», and its week ahead went by in silence."""
        text = self._l10n(None)("reload-planned-too-soon", title=html.escape(title))
        return await self._to_managers(f"contest-too-soon:{contest_id}", text)

    async def contest_running_unannounced(self, contest: Contest) -> Enqueued:
        """A contest nobody announced has started (one too close to announce itself that
        no manager announced, or a file first seen after its start): partners do not see
        it (`ContestService.current`), so the managers hear it once, with how to announce
        it."""
        start = contest.starts_at.astimezone(self._settings.tz).strftime("%d.%m.%Y %H:%M")
        text = self._l10n(None)(
            "contest-running-unannounced", title=html.escape(contest.title), start=start
        )
        return await self._to_managers(f"contest-running-unannounced:{contest.id}", text)

    async def _to_managers(self, key: str, text: str) -> Enqueued:
        """`text` where the managers read reports (`manager_targets`), once per `key`."""
        return await self._outbox.enqueue(
            [
                OutMessage(
                    key=f"{key}:{platform}:{chat}",
                    kind="report",
                    platform=platform,
                    chat_id=chat,
                    text=text,
                )
                for platform, chat in self.manager_targets()
            ]
        )
