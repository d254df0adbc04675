"""What the VK and MAX delivery workers share: they send through the dispatcher's own bot
of their platform (so answers and broadcasts are one budget of the token), and a row's
file is resolved the same way — the platform's own file id passed on, the bot's content
read from disk, another platform's file fetched (then uploaded by the worker)."""

from __future__ import annotations

import asyncio
import logging
from typing import Generic, TypeVar

from aiogram import Bot
from aiogram.client.session.base import BaseSession

from bot.clock import Clock
from bot.delivery import OutboxWorker
from bot.platform.files import FetchedFile, FetchFile, platform_of_file
from bot.services.outbox import Outbox, Queued
from bot.services.partners import PartnerService

logger = logging.getLogger(__name__)

S = TypeVar("S", bound=BaseSession)


class BotDelivery(OutboxWorker, Generic[S]):
    """An outbox worker on the dispatcher's bot of its platform (`session_type`)."""

    session_type: type[S]
    in_flight: int = 1  # requests at once (the platform's worker says how many)

    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        partners: PartnerService,
        clock: Clock,
        *,
        in_flight: int | None = None,
        fetch_file: FetchFile | None = None,
    ) -> None:
        super().__init__(outbox, partners, clock)
        assert isinstance(bot.session, self.session_type)
        self._bot = bot
        self._session: S = bot.session
        self._in_flight = in_flight or self.in_flight
        self._fetch_file = fetch_file

    async def close(self) -> None:
        """Nothing of its own: it shares the dispatcher's bot, so that the token's limit
        is one budget for answers and broadcasts."""

    async def _row_file(self, row: Queued) -> str | FetchedFile | None:
        """The row's file: its id when it is this platform's, else its name and bytes
        (the bot's own content, or another platform's file fetched); None: no file, or
        one that cannot be reached (the text goes alone)."""
        if row.picture is not None:
            return "picture.png", row.picture
        reference = row.document or row.photo
        if not reference:
            return None
        where = platform_of_file(reference)
        if where == self.platform:
            return reference
        if where == "path":
            return reference.rsplit("/", 1)[-1], await asyncio.to_thread(_read, reference)
        fetched = await self._fetch_file(reference) if self._fetch_file is not None else None
        if fetched is None:
            logger.warning(
                "outbox row %s: its file is not reachable from %s; text only",
                row.id,
                self.platform,
            )
        return fetched


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()
