"""At start-up: does the bot have the rights it needs in each configured chat? What is
missing is said plainly in the log and in the managers' chat."""

from __future__ import annotations

import html
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ChatMemberAdministrator

from bot.config import Settings
from bot.i18n import L10n

logger = logging.getLogger(__name__)


async def check_chat_rights(bot: Bot, settings: Settings, l10n: L10n) -> list[str]:
    """One line per chat that lacks something; also sent to the managers' chat."""
    me = await bot.me()
    chats = [
        (settings.tg_managers_chat_id, "managers"),
        (settings.tg_community_chat_id, "community"),
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
            member = await bot.get_chat_member(chat_id, me.id)
        except (TelegramBadRequest, TelegramForbiddenError):
            missing.append(l10n("rights-unreachable"))
        else:
            admin = isinstance(member, ChatMemberAdministrator)
            can_manage_topics = isinstance(member, ChatMemberAdministrator) and bool(
                member.can_manage_topics
            )
            if not admin:
                missing.append(l10n("rights-not-admin"))
                if not me.can_read_all_group_messages:
                    missing.append(l10n("rights-privacy"))
            if role == "managers" and chat.is_forum and not can_manage_topics:
                missing.append(l10n("rights-no-topics"))
            if role == "managers" and not chat.is_forum:
                missing.append(l10n("rights-not-forum"))
        if missing:
            line = l10n("rights-missing", chat=html.escape(title), missing="; ".join(missing))
            logger.warning("chat %s (%s): %s", chat_id, role, "; ".join(missing))
            lines.append(line)
    if lines and settings.tg_managers_chat_id is not None:
        try:
            await bot.send_message(settings.tg_managers_chat_id, "\n".join(lines))
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            logger.warning("could not tell the managers' chat about rights: %s", exc)
    return lines
