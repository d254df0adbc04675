"""At start-up: the MAX bot's rights in the configured MAX chats, said plainly in the log
and in the managers' chat (MAX shows a bot a group's messages when it is an admin with
the "read all messages" right; it needs "write" to post)."""

from __future__ import annotations

import html
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.config import Settings
from bot.i18n import L10n
from bot.max.client import MaxError, MaxUncertain
from bot.max.session import MaxSession

logger = logging.getLogger(__name__)


async def check_max_rights(
    bot: Bot, session: MaxSession, settings: Settings, l10n: L10n
) -> list[str]:
    """One line per MAX chat that lacks something; also sent to the managers' chat."""
    chats = [
        (settings.max_managers_chat_id, "managers"),
        (settings.max_community_chat_id, "community"),
    ]
    lines: list[str] = []
    for chat_id, role in chats:
        if chat_id is None:
            continue
        missing: list[str] = []
        title = str(chat_id)
        try:
            chat = await bot.get_chat(chat_id)
            title = chat.title or title
            member = await session.membership(chat_id)
        except (MaxError, MaxUncertain, TelegramAPIError):
            missing.append(l10n("rights-unreachable"))
        else:
            rights = set(member.get("permissions") or [])
            if not member.get("is_admin"):
                missing.append(l10n("rights-not-admin"))
            elif "read_all_messages" not in rights:
                missing.append(l10n("max-rights-read"))
            if member.get("is_admin") and "write" not in rights:
                missing.append(l10n("max-rights-write"))
        if missing:
            logger.warning("MAX chat %s (%s): %s", chat_id, role, "; ".join(missing))
            lines.append(
                l10n("rights-missing", chat=html.escape(title), missing="; ".join(missing))
            )
    target = settings.max_managers_chat_id
    if lines and target is not None:
        try:
            await bot.send_message(target, "\n".join(lines))
        except TelegramAPIError as exc:
            logger.warning("could not tell the MAX managers' chat about rights: %s", exc)
    return lines
