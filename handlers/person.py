"""What a partner is told when another chat of theirs (one person, docs/one-person.md)
changed their settings: a chat linked to their affiliate id, or one forgotten."""

from __future__ import annotations

import html

from aiogram import Bot

from bot.content.models import Program
from bot.i18n import L10n
from bot.services.partner import Partner
from bot.services.partners import Changed
from handlers.relay import TicketRelay


def newsletters_state(partner: Partner) -> str:
    """none (no consent), stopped (/stop) or on: the `person-newsletters` selector."""
    if not partner.consent:
        return "none"
    return "stopped" if partner.stopped else "on"


def newsletters_line(partner: Partner, source: str | None, l10n: L10n) -> str:
    """Whether newsletters come, and from which chat's choice when not this one's."""
    state = newsletters_state(partner)
    if source is None:
        return l10n("person-newsletters-own", state=state)
    platform = l10n("person-platform", platform=source)
    return l10n("person-newsletters", state=state, platform=platform)


def joined_lines(change: Changed, program: Program, l10n: L10n, joining: bool) -> list[str]:
    """What a chat of the person is told once a chat joined them: the segment (always to
    the joining chat, to the others when it changed) and the newsletters if they changed."""
    before, after, source = change
    lines = []
    if after.segment and (joining or after.segment != before.segment):
        title = program.segment_title(after.segment) or after.segment
        lines.append(l10n("person-segment", segment=html.escape(title)))
    if after.newsletters != before.newsletters:
        lines.append(newsletters_line(after, source, l10n))
    return lines


async def tell_joined(
    bot: Bot, relay: TicketRelay, changes: list[Changed], program: Program, affiliate: str
) -> None:
    """The joining chat (first in `changes`) gets the approval with the person's segment
    and newsletters; the person's other chats hear of it when their settings changed."""
    joining = changes[0][1]
    for number, change in enumerate(changes):
        chat = change[1]
        l10n = relay.l10n_of(chat)
        lines = joined_lines(change, program, l10n, joining=number == 0)
        if number == 0:
            head = l10n("link-approved", affiliate=affiliate)
            if len(changes) == 1:
                lines = []  # a first chat: nothing to say about the others
        elif lines:
            platform = l10n("person-platform", platform=joining.platform)
            head = l10n("link-joined-other", platform=platform, affiliate=affiliate)
        else:
            continue
        await relay.notify_text(bot, chat, "\n".join([head, *lines]))


async def tell_forgotten(
    bot: Bot, relay: TicketRelay, forgotten: Partner, changes: list[Changed]
) -> None:
    """The person's other chats whose own newsletter choice is back."""
    for _before, after, source in changes:
        l10n = relay.l10n_of(after)
        platform = l10n("person-platform", platform=forgotten.platform)
        text = l10n("person-forgotten", platform=platform)
        await relay.notify_text(bot, after, text + "\n" + newsletters_line(after, source, l10n))
