"""One error handler for every update: log it, tell the user, keep the bot running."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.types import ErrorEvent, Update

from bot.content.store import ContentStore
from bot.db.engine import OUTAGE
from bot.i18n import pick_language
from bot.platforms import platform_of
from bot.services.partners import PartnerService

logger = logging.getLogger(__name__)


async def _language(update: Update, partners: PartnerService) -> str:
    """The partner's own choice in /settings, else their client's language."""
    user = (
        update.message.from_user
        if update.message
        else (update.callback_query.from_user if update.callback_query else None)
    )
    language = pick_language(user.language_code if user else None)
    if user is not None and update.bot is not None:
        with contextlib.suppress(Exception):  # the database may be the failure
            partner = await partners.by_user(platform_of(update.bot), user.id)
            if partner is not None:
                language = partner.language
    return language


def setup() -> Router:
    router = Router(name=__name__)

    @router.errors()
    async def on_error(
        event: ErrorEvent,
        content_store: ContentStore,
        partners: PartnerService,
        answered_presses: set[str] | None = None,
    ) -> bool:
        update = event.update
        logger.error(
            "update %s failed: %s", update.update_id, event.exception, exc_info=event.exception
        )
        query = update.callback_query
        message = update.message or (query.message if query else None)
        private = message is not None and message.chat.type == "private"
        # a press the failed handler left unanswered is answered with the error: no
        # spinner left hanging; one it answered is not answered twice (Telegram refuses
        # the second answer, «query is too old»)
        unanswered = query is not None and query.id not in (answered_presses or ())
        if not (unanswered or private) or update.bot is None:
            return True
        l10n = content_store.live.translator.get(await _language(update, partners))
        # the database away: nothing of it was kept, so say to send it again
        said = l10n("error-outage" if isinstance(event.exception, OUTAGE) else "error-generic")
        if query is not None and unanswered:
            try:
                await query.answer(said)
            except Exception:  # noqa: BLE001 - the press may be too old by now
                logger.debug("could not answer callback %s", query.id)
        if message is not None and private:
            try:
                await update.bot.send_message(message.chat.id, said)
            except Exception:  # noqa: BLE001 - the report itself may fail; the bot goes on
                logger.warning("could not tell chat %s about the error", message.chat.id)
        return True

    return router
