"""The delivery worker for Telegram: sends what is due in the outbox, paced under the
platform's limits, and writes the outcomes back in batches.

Before each send it looks at the recipient again: a partner who used `/stop`, turned the
topic off, blocked the bot or was forgotten since the row was queued is skipped. "Blocked",
"deactivated" and "chat not found" are final (the partner is marked unreachable); 5xx and
connection errors are retried later with a growing pause. 429 is waited out by the bot's
request middleware before the send is given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, FSInputFile, InputFile

from bot.clock import Clock
from bot.rendering import CAPTION_LIMIT
from bot.services.outbox import COMMUNITY, Outbox, Outcome, Queued
from bot.services.partners import PartnerService

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 3
GLOBAL_RATE: Final = 25.0  # messages a second for the whole bot, under Telegram's ~30
PER_CHAT_INTERVAL: Final = 1.0  # seconds between messages to one private chat
IDLE_WAIT: Final = 5.0  # seconds to sleep when nothing is due (rows wake the worker)


class Delivery:
    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        partners: PartnerService,
        clock: Clock,
        *,
        rate: float = GLOBAL_RATE,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._outbox = outbox
        self._partners = partners
        self._clock = clock
        self._interval = 1.0 / rate
        self._sleep = sleep
        self._monotonic = monotonic
        self._next_send = 0.0
        self._last_in_chat: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        outbox.listeners.append(self._wake.set)

    async def run(self) -> None:
        """Deliver until cancelled."""
        while True:
            self._wake.clear()
            try:
                sent = await self.drain()
            except Exception:
                logger.exception("delivery round failed; trying again shortly")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_WAIT)

    async def drain(self) -> int:
        """Send everything due now; the number of rows handled."""
        handled = 0
        async with self._lock:
            while rows := await self._outbox.due():
                outcomes = [await self._deliver(row) for row in rows]
                await self._outbox.finish(outcomes)
                handled += len(rows)
                if all(outcome.status == "queued" for outcome in outcomes):
                    break  # only retries left, each waits for its own time
        return handled

    async def _deliver(self, row: Queued) -> Outcome:
        if row.partner_id is not None:
            partner = await self._partners.get(row.partner_id)
            if partner is None or partner.unreachable:
                return Outcome(row.id, "skipped", "unreachable or forgotten")
            if not partner.subscribed(row.kind):
                return Outcome(row.id, "skipped", "stopped or unsubscribed")
        await self._pace(row.chat_id, private=row.kind != COMMUNITY)
        try:
            await self._send(row)
        except TelegramForbiddenError as exc:
            await self._unreachable(row)
            return Outcome(row.id, "blocked", exc.message)
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                await self._unreachable(row)
                return Outcome(row.id, "blocked", exc.message)
            logger.warning("outbox row %s refused: %s", row.id, exc.message)
            return Outcome(row.id, "failed", exc.message)
        except OSError as exc:  # the picture's file is gone
            return Outcome(row.id, "failed", str(exc))
        except (TelegramServerError, TelegramNetworkError, TelegramRetryAfter) as exc:
            if row.attempts + 1 >= MAX_ATTEMPTS:
                return Outcome(row.id, "failed", str(exc))
            pause = timedelta(seconds=30 * 2**row.attempts)
            return Outcome(row.id, "queued", str(exc), retry_at=self._clock.now() + pause)
        return Outcome(row.id, "sent")

    async def _send(self, row: Queued) -> None:
        photo: InputFile | str | None = None
        if row.picture is not None:
            photo = BufferedInputFile(row.picture, filename="picture.png")
        elif row.photo and ("/" in row.photo or "." in row.photo):
            photo = FSInputFile(row.photo)
        elif row.photo:
            photo = row.photo  # a file_id Telegram already has
        if photo is not None:
            caption = row.text if len(row.text) <= CAPTION_LIMIT else None
            await self._bot.send_photo(row.chat_id, photo, caption=caption)
            if caption is not None:
                return
        await self._bot.send_message(row.chat_id, row.text)

    async def _pace(self, chat_id: int, *, private: bool) -> None:
        """Hold the global rate, and one message a second per private chat."""
        now = self._monotonic()
        start = max(now, self._next_send)
        if private:
            start = max(
                start, self._last_in_chat.get(chat_id, -PER_CHAT_INTERVAL) + PER_CHAT_INTERVAL
            )
        self._next_send = start + self._interval
        if private:
            self._last_in_chat[chat_id] = start
            if len(self._last_in_chat) > 10_000:
                self._last_in_chat = {
                    chat: moment
                    for chat, moment in self._last_in_chat.items()
                    if moment > now - PER_CHAT_INTERVAL
                }
        if start > now:
            await self._sleep(start - now)

    async def _unreachable(self, row: Queued) -> None:
        if row.partner_id is None:
            logger.error("chat %s refused the bot's post", row.chat_id)
            return
        partner = await self._partners.get(row.partner_id)
        if partner is not None:
            await self._partners.mark_unreachable(partner)
