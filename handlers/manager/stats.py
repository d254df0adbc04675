"""/stats: partners, sales, questions and tickets, with an 8-week chart."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message

from bot.charts import weekly_chart
from bot.config import Settings
from bot.content.models import Content
from bot.i18n import L10n
from bot.names import without_bidi
from bot.rendering import at_a_word
from bot.services.audit import AuditLog
from bot.services.faq import FaqService
from bot.services.stats import ProgramStats, StatsService
from bot.texts import number
from handlers.manager.faq_gaps import gaps_markup
from handlers.screens import Screen, actor, file_or_notice, send


def stats_text(stats: ProgramStats, content: Content, l10n: L10n) -> str:
    segments = ", ".join(
        f"{html.escape(content.program.segment_title(segment) or segment)} {count}"
        for segment, count in stats.by_segment
    ) or l10n("stats-none")
    reply = (
        l10n("stats-reply-hours", hours=round(stats.first_reply_hours, 1))
        if stats.first_reply_hours is not None
        else l10n("stats-none")
    )
    text = l10n(
        "stats-text",
        partners=stats.partners,
        active=stats.active_month,
        inactive=stats.inactive,
        inactive_days=content.program.schedule.inactive_after_days,
        segments=segments,
        approved=stats.approved,
        amount=number(stats.approved_amount, l10n.language),
        pending=stats.pending,
        declined=stats.declined,
        answered=stats.faq_answered,
        suggested=stats.faq_suggested,
        missed=stats.faq_missed,
        open=stats.open_tickets,
        reply=reply,
        up=stats.ratings_up,
        down=stats.ratings_down,
        sent=stats.delivery.get("sent", 0),
        blocked=stats.delivery.get("blocked", 0),
        failed=stats.delivery.get("failed", 0),
        skipped=stats.delivery.get("skipped", 0) + stats.delivery.get("capped", 0),
        waiting=stats.delivery.get("queued", 0),
    )
    if stats.top_misses:
        text += "\n" + l10n("stats-misses")
        text += "".join(
            f"\n{i}. {html.escape(at_a_word(without_bidi(q), 120))} — "
            + l10n("faq-gap-people", count=n)
            for i, (q, n) in enumerate(stats.top_misses, start=1)
        )
    return text


def setup(name: str = __name__) -> Router:
    router = Router(name=name)

    @router.message(Command("stats"))
    async def stats(
        message: Message,
        stats_service: StatsService,
        faq: FaqService,
        settings: Settings,
        content: Content,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        await audit.record(actor(message), "stats")
        collected = await stats_service.collect(settings.tz, settings.managers)
        gaps = gaps_markup(await faq.gaps(limit=len(collected.top_misses)), l10n)
        await send(message, Screen(stats_text(collected, content, l10n), gaps))
        chart = weekly_chart(
            collected.weeks, [collected.approved_per_week, collected.active_per_week]
        )
        # a chart the platform would not take: a notice (its caption means nothing alone)
        await file_or_notice(
            message,
            message.answer_photo(
                BufferedInputFile(chart, filename="stats.png"), caption=l10n("stats-chart")
            ),
            "photo",
            l10n,
        )

    return router
