"""/partner ID: one partner's card for a manager."""

from __future__ import annotations

import html
import re
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.config import Settings
from bot.content.models import Content, Program
from bot.i18n import L10n, echo
from bot.names import without_bidi
from bot.rendering import shorten
from bot.services.audit import AuditLog
from bot.services.onboarding import ANSWER_LIMIT
from bot.services.partner import TOPICS, Partner
from bot.services.profile import ManagerCard, ProfileService
from bot.texts import shown_name, standing_lines
from handlers.partner.me import sales_lines
from handlers.screens import Screen, actor, arguments, send


def _answers(partner: Partner, program: Program) -> list[str]:
    """The onboarding answers under their questions' words, not their ids."""
    asked = {question.id: question.text for question in program.onboarding_questions}
    lines = []
    for key, value in partner.answers.items():
        label = re.sub(r"\s*\([^)]*\)\s*$", "", asked.get(key, key)).rstrip(" ?:")
        shown = shorten(value, ANSWER_LIMIT)[0]  # kept before the limit: up to 500
        lines.append(f"• {html.escape(label)}: {html.escape(shown)}")
    return lines


def partner_screen(card: ManagerCard, l10n: L10n, zone: ZoneInfo, program: Program) -> Screen:
    profile = card.profile
    partner = profile.partner
    who = partner.who
    if not partner.consent:
        newsletters = l10n("partner-newsletters-none")
    elif partner.stopped:
        newsletters = l10n("partner-newsletters-stopped")
    else:
        on = [l10n(f"topic-{topic}") for topic in TOPICS if partner.subscribed(topic)]
        newsletters = (
            l10n("partner-newsletters-topics", topics=", ".join(on))
            if on
            else l10n("partner-newsletters-no-topics")
        )
    if partner.choice_from:  # a linked chat's newer choice (docs/one-person.md)
        platform = l10n("person-platform", platform=partner.choice_from)
        newsletters = l10n("partner-newsletters-from", why=newsletters, platform=platform)
    affiliate = partner.affiliate_id or "—"
    text = l10n(
        "partner-card",
        name=html.escape(shown_name(partner.first_name, partner.partner_code, l10n)),
        who=html.escape(who),
        code=partner.partner_code,
        affiliate=html.escape(affiliate),
        segment=html.escape(profile.segment_title or "—"),
        language=partner.language,
        newsletters=newsletters,
        done=profile.lessons_done,
        total=profile.lessons_total,
        referrals=profile.referrals,
        tickets=card.tickets_total,
        open=card.open_ticket if card.open_ticket is not None else "none",
        since=partner.created_at.astimezone(zone).strftime("%d.%m.%Y"),
        seen=partner.last_seen_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
    )
    answers = _answers(partner, program)
    if answers:
        text += "\n" + l10n("partner-answers") + "".join("\n" + line for line in answers)
    text += "\n" + "\n".join(sales_lines(profile, l10n, for_manager=True))
    if card.conversions:
        text += "\n" + l10n(
            "partner-conversions",
            approved=card.conversions.get("approved", 0),
            pending=card.conversions.get("pending", 0),
            declined=card.conversions.get("declined", 0),
        )
    if card.contest is not None and card.standings:
        title = html.escape(card.contest.title)
        counted = card.counted
        joined = counted.joined if counted is not None else None
        if counted is None or joined is None:
            text += "\n" + l10n("partner-contest", title=title)
        else:  # switched into its segments after its start
            key = "partner-contest-joined-breaks" if counted.breaks else "partner-contest-joined"
            since = joined.astimezone(zone).strftime("%d.%m %H:%M")
            text += "\n" + l10n(key, title=title, since=since)
        text += "".join("\n" + line for line in standing_lines(card.standings, l10n))
    if partner.unreachable:
        text += "\n" + l10n("partner-unreachable")
    if card.recent_questions:
        text += "\n" + l10n("ticket-card-asked-before")
        text += "".join(  # without bidi controls, as on the ticket card
            f"\n• {html.escape(shorten(without_bidi(q), 200)[0])}" for q in card.recent_questions
        )
    return Screen(text)


def setup(name: str = __name__) -> Router:
    router = Router(name=name)

    @router.message(Command("partner"))
    async def partner_card(
        message: Message,
        command: CommandObject,
        profile: ProfileService,
        audit: AuditLog,
        settings: Settings,
        content: Content,
        l10n: L10n,
    ) -> None:
        query = arguments(command)
        if not query:
            await message.answer(l10n("partner-usage"))
            return
        await audit.record(actor(message), "partner", target=query)
        card = await profile.manager_card(query)
        if card is None:
            await message.answer(l10n("partner-not-found", query=echo(query)))
            return
        await send(message, partner_screen(card, l10n, settings.tz, content.program))

    return router
