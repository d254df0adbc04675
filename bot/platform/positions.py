"""Where a platform's long poll stopped reading, kept for the next leader (a deploy, a
crash, another worker taking over), so it reads on from there: VK's `ts`, MAX's `marker`.
Without it VK starts from its newest event and MAX sends "only the latest update" — what
partners wrote while the bot was down would be skipped. The store is the database
(`bot.services.poll_positions.PollPosition`); a session without one keeps nothing."""

from __future__ import annotations

import logging
from typing import Protocol

logger = logging.getLogger(__name__)


class Position(Protocol):
    """A kept position (`bot.services.poll_positions.PollPosition`)."""

    async def read(self) -> int | None: ...

    async def write(self, value: int) -> None: ...


class KeptPosition:
    """A long poll's position as kept for the next leader: read at the first poll, written
    before each poll from a new position (the events before it are in hand, as Telegram's
    next `getUpdates` confirms the updates before its offset)."""

    def __init__(self, platform: str) -> None:
        self.store: Position | None = None  # set at start-up (None: nothing kept)
        self._platform = platform
        self._written: int | None = None

    async def kept(self) -> int | None:
        """Where the last leader stopped reading, if it was kept (a database away a moment:
        None, said, and the poll starts as a first start would)."""
        if self.store is None:
            return None
        try:
            value = await self.store.read()
        except Exception:
            logger.exception(
                "%s long poll: where the last start stopped is not known", self._platform
            )
            return None
        if value is not None:
            self._written = value
            logger.info("%s long poll: going on from event %s", self._platform, value)
        return value

    async def confirm(self, value: int) -> None:
        """Keep `value` before polling from it (once per new value)."""
        if self.store is None or value == self._written:
            return
        try:
            await self.store.write(value)
        except Exception:  # kept at the next poll; a start meanwhile reads from older
            logger.exception("%s long poll: the position %s was not kept", self._platform, value)
            return
        self._written = value
