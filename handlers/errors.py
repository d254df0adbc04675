"""One error handler for every update: log it, tell the user, keep the bot running."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.content.store import ContentStore
from bot.i18n import pick_language
from bot.platforms import platform_of
from bot.services.partners import PartnerService

logger = logging.getLogger(__name__)


def setup() -> Router:
    router = Router(name=__name__)

    @router.errors()
    async def on_error(
        event: ErrorEvent, content_store: ContentStore, partners: PartnerService
    ) -> bool:
        update = event.update
        logger.error(
            "update %s failed: %s", update.update_id, event.exception, exc_info=event.exception
        )
        message = update.message or (
            update.callback_query.message if update.callback_query else None
        )
        user = (
            update.message.from_user
            if update.message
            else (update.callback_query.from_user if update.callback_query else None)
        )
        if update.callback_query is not None:
            try:  # a press that failed is still answered: no spinner left hanging
                await update.callback_query.answer()
            except Exception:  # noqa: BLE001 - it may have been answered already
                logger.debug("callback %s already answered", update.callback_query.id)
        if message is not None and message.chat.type == "private" and update.bot is not None:
            language = pick_language(user.language_code if user else None)
            if user is not None:  # a partner's own choice in /settings comes first
                with contextlib.suppress(Exception):  # the database may be the failure
                    partner = await partners.by_user(platform_of(update.bot), user.id)
                    if partner is not None:
                        language = partner.language
            l10n = content_store.live.translator.get(language)
            try:
                await update.bot.send_message(message.chat.id, l10n("error-generic"))
            except Exception:  # noqa: BLE001 - the report itself may fail; the bot goes on
                logger.warning("could not tell chat %s about the error", message.chat.id)
        return True

    return router
