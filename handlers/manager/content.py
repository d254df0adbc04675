"""/reload: validate the content folder again and swap it in only when it is valid, in
this worker at once and in every other within a second (`bot.services.content_sync`)."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.clock import Clock
from bot.config import Settings
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.services.audit import AuditLog
from bot.services.content_sync import ContentSync, ReloadHeld, lost, sections_kept, written
from bot.services.faq import FaqService
from bot.services.outbox import Outbox
from handlers.screens import Screen, actor, send
from scheduler.planner import Planner

MAX_PROBLEMS_SHOWN = 20


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("reload"))
    async def reload(
        message: Message,
        content_store: ContentStore,
        content_sync: ContentSync,
        planner: Planner,
        audit: AuditLog,
        faq: FaqService,
        outbox: Outbox,
        clock: Clock,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        before = {contest.id for contest in content_store.content.contests}
        sections = written(content_store.content.program)
        hold = sections_kept(sections, audit, actor(message), clock)
        try:
            problems = await content_sync.reload(hold)
        except ReloadHeld as held:
            said = l10n("reload-sections-held", sections=", ".join(held.sections))
            await send(message, Screen(said))
            return
        await audit.record(actor(message), "reload", details=f"{len(problems)} problem(s)")
        if problems:
            shown = "\n".join(html.escape(str(p)) for p in problems[:MAX_PROBLEMS_SHOWN])
            await send(
                message, Screen(l10n("reload-refused", count=len(problems), problems=shown))
            )
            return
        content = content_store.content
        # phrasings of entries that left (back to review) or came back (approved again)
        gone, back = await faq.learning.sync(content)
        lines = [
            l10n(
                "reload-done",
                faq=len(content.faq),
                lessons=len(content.lessons),
                creatives=len(content.creatives),
            )
        ]
        dropped = lost(sections, written(content.program))
        if dropped:  # a file cut short validates: its defaults would pass unnoticed
            lines.append(l10n("reload-sections-gone", sections=", ".join(dropped)))
        if gone:
            lines.append(l10n("reload-learned-back", count=gone))
        if back:
            lines.append(l10n("reload-learned-approved", count=back))
        if content_sync.shared:  # several workers can run: say they all follow
            lines.append(l10n("reload-everywhere"))
        moved = await outbox.follow_quiet_hours()  # the quiet hours changed: held rows follow
        if moved:
            lines.append(l10n("reload-held-moved", count=moved))
        new = {contest.id for contest in content.contests} - before
        plan = await planner.plan_new_content(new)  # at once, not at the next planner minute
        for title, partners, community in plan.announced:
            lines.append(
                l10n(
                    "reload-planned-announcement",
                    title=html.escape(title),
                    count=partners,
                    chat=int(community),
                )
            )
        for title in plan.too_soon:
            lines.append(l10n("reload-planned-too-soon", title=html.escape(title)))
        for contest in content.contests:  # new, and its start has passed: a typo? named
            where = content.late_contests.get(contest.id)
            if where is not None:
                start = contest.starts_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
                named = {"where": html.escape(where), "title": html.escape(contest.title)}
                lines.append(l10n("reload-late-contest", start=start, **named))
        await send(message, Screen("\n".join(lines)))

    return router
