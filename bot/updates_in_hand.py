"""The updates being handled, and what a stop does with them: the process stops taking
updates, gives the ones in hand `STOP_GRACE` seconds to finish, and only then closes the
platforms' sessions and the database (they were closed under them: a partner's answer
was cut off, and «something went wrong» went out instead). One still running after that
is cancelled and handed back to the caller, which keeps it for the next start.

A long poll confirms an update to the platform as soon as the next poll goes out —
while it is still being handled —, so an update cut short here is not sent again: kept
in the database, it is handled by the next leader (`bot.app`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

logger = logging.getLogger(__name__)

STOP_GRACE: Final = 5.0  # seconds the updates in hand get to finish when the process stops
CANCEL_WAIT: Final = 2.0  # seconds a cancelled one gets to end (its `finally`s run)


class UpdatesInHand(BaseMiddleware):
    """An outer update middleware (the first, so that an update waiting for its chat's
    turn is in hand too) that knows the task handling each update."""

    def __init__(self) -> None:
        self._running: dict[asyncio.Task[Any], tuple[Bot, Update]] = {}

    def __len__(self) -> int:
        return len(self._running)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        task = asyncio.current_task()
        if task is None or task in self._running or not isinstance(event, Update):
            return await handler(event, data)
        self._running[task] = (data["bot"], event)
        try:
            return await handler(event, data)
        finally:
            del self._running[task]

    async def finish(self, grace: float) -> list[tuple[Bot, Update]]:
        """Wait up to `grace` seconds for the updates in hand; those still running then
        are cancelled, and returned (each with its bot)."""
        running = dict(self._running)
        if not running:
            return []
        logger.info("stopping: %d update(s) in hand, waiting for them", len(running))
        _done, pending = await asyncio.wait(list(running), timeout=grace)
        if not pending:
            return []
        for task in pending:
            task.cancel()
        _ended, stuck = await asyncio.wait(pending, timeout=CANCEL_WAIT)
        if stuck:  # gone on after the cancel: let go, the stop must end
            logger.error("stopping: %d update(s) went on after being cancelled", len(stuck))
        return [running[task] for task in pending]
