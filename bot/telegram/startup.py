"""Telegram at start-up: the bot's identity asked (a wrong token stops here), a webhook
left from an earlier run removed when polling, the command menu set per language, and
the bot's rights in the configured chats checked (`rights`)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, User

from bot.config import Settings
from bot.i18n import LANGUAGES, Translator
from bot.telegram.rights import check_chat_rights
from handlers.partner import PARTNER_COMMANDS

logger = logging.getLogger(__name__)


async def set_commands(bot: Bot, translator: Translator) -> None:
    """The command list in the Telegram menu, per language."""
    for language in LANGUAGES:
        l10n = translator.get(language)
        commands = [
            BotCommand(command=name, description=l10n(f"command-{name}"))
            for name in PARTNER_COMMANDS
        ]
        await bot.set_my_commands(
            commands,
            scope=BotCommandScopeAllPrivateChats(),
            language_code=None if language == "ru" else language,
        )


async def prepare_telegram_bot(
    bot: Bot, settings: Settings, translator: Translator, me: User, *, webhook: bool = False
) -> None:
    """`me`: the bot's identity, asked first (`bot.startup.prepare_bot`)."""
    logger.info("bot @%s (id %s) ready", me.username, me.id)
    if not webhook:  # long polling: a webhook left set would take the updates
        await bot.delete_webhook(drop_pending_updates=False)
    await set_commands(bot, translator)
    await check_chat_rights(bot, settings, translator.get(None))
