"""The delivery worker for Telegram: sends what is due in the outbox, paced under the
platform's limits, with several requests in flight, and writes the outcomes back in
batches (the shared part of every platform's worker is `bot.delivery`).

- Pacing: the worker keeps its own configured rate (25 messages a second by default);
  its bot's session paces every request with the rest of the bot's traffic
  (`bot.pacing`): per chat, bot-wide with replies to people first (the worker's sends are
  `bulk()`), and 429 holds for every sender.
- 429: the session holds every send for `retry_after` and tries again; a row refused
  even so goes back to the queue and is tried after the window.
- "Blocked", "deactivated", "chat not found": final, the partner is marked unreachable.
  5xx and connection errors before sending: retried with a growing pause. A timeout after
  the request left is ambiguous: the row is marked uncertain and retried once.
- Before each send the recipient is looked at again: `/stop`, the topic switched off,
  blocked or forgotten since — skipped.
- A crash leaves the rows in flight queued: they are sent again on restart, so a partner
  gets a message twice at most for the requests that were in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, FSInputFile, InlineKeyboardMarkup, InputFile

from bot.clock import Clock
from bot.delivery import OutboxWorker, not_for
from bot.metrics import RATE_LIMITED
from bot.platform.files import (
    FetchedFile,
    FetchFile,
    FileFetchers,
    Uploads,
    platform_of_file,
)
from bot.platform.memory import Lru
from bot.rendering import CAPTION_LIMIT, split_text, visible_length
from bot.services.outbox import Outbox, Outcome, Queued
from bot.services.partner import Partner
from bot.services.partners import PartnerService


def _foreign(reference: str) -> bool:
    """A file another platform has (VK, MAX): fetched from there, or the text only."""
    return platform_of_file(reference) in ("vk", "max")


logger = logging.getLogger(__name__)

GLOBAL_RATE: Final = 25.0  # messages a second for the whole bot, under Telegram's ~30
IN_FLIGHT: Final = 8  # requests at once: a sequential loop cannot pass ~8/s at 100 ms RTT


class Delivery(OutboxWorker):
    """The Telegram worker."""

    platform = "tg"

    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        partners: PartnerService,
        clock: Clock,
        *,
        rate: float = GLOBAL_RATE,
        in_flight: int = IN_FLIGHT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        fetch_file: FetchFile | None = None,
    ) -> None:
        super().__init__(outbox, partners, clock)
        self._bot = bot
        self._fetch_file = fetch_file  # another platform's files (MAX, VK)
        self._fetched: Uploads[FetchedFile] = Uploads(8)  # fetched, not yet uploaded
        self._file_ids: Lru = Lru(1000)  # another platform's file → Telegram's file_id
        self._file_locks: dict[str, asyncio.Lock] = {}
        self._interval = 1.0 / rate
        self._in_flight = in_flight
        self._sleep = sleep
        self._monotonic = monotonic
        self._next_send = 0.0
        self.rate_limited = 0  # 429s seen (each held every sender for its window)

    async def close(self) -> None:
        await self._bot.session.close()

    async def _deliver_batch(self, rows: list[Queued]) -> list[Outcome]:
        """Send with up to `in_flight` rows between "taken" and "written": a slot is free
        again only once its outcome is in the database, so a crash resends at most that
        many. Outcomes that complete meanwhile are written together (group commit)."""
        ids = sorted({row.partner_id for row in rows if row.partner_id is not None})
        people = await self._partners.by_ids(ids)
        slots = asyncio.Semaphore(self._in_flight)
        pending: list[Outcome] = []
        writing = asyncio.Lock()

        async def one(row: Queued) -> Outcome:
            async with slots:
                outcome = await self._deliver(row, people.get(row.partner_id or 0))
                pending.append(outcome)
                async with writing:
                    if pending:
                        batch = pending[:]
                        pending.clear()
                        await self._outbox.finish(batch)
                return outcome

        return list(await asyncio.gather(*(one(row) for row in rows)))

    async def _deliver(self, row: Queued, partner: Partner | None) -> Outcome:
        skipped = not_for(row, partner)
        if skipped is not None:
            return skipped
        await self._pace()
        try:
            await self._send(row)
        except TelegramRetryAfter as exc:
            self.rate_limited += 1
            RATE_LIMITED.labels("tg").inc()
            logger.warning("429 from Telegram (retry after %s s): row queued", exc.retry_after)
            return Outcome(row.id, "queued", "429", count_attempt=False)
        except TelegramForbiddenError as exc:
            await self._unreachable(row, partner)
            return Outcome(row.id, "blocked", exc.message)
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                await self._unreachable(row, partner)
                return Outcome(row.id, "blocked", exc.message)
            logger.warning("outbox row %s refused: %s", row.id, exc.message)
            return Outcome(row.id, "failed", exc.message)
        except OSError as exc:  # the picture's file is gone
            return Outcome(row.id, "failed", str(exc))
        except TelegramNetworkError as exc:
            if "timeout" in exc.message.lower():  # it may have been delivered
                if row.uncertain:
                    return Outcome(row.id, "failed", exc.message, uncertain=True)
                return Outcome(row.id, "queued", exc.message, uncertain=True)
            return self._retry_later(row, exc.message)
        except TelegramServerError as exc:
            return self._retry_later(row, exc.message)
        return Outcome(row.id, "sent", uncertain=row.uncertain)

    async def _send(self, row: Queued) -> None:
        reference = row.document or row.photo
        if row.picture is None and reference and self._uploads_first(reference):
            # the first send of another platform's file uploads it: it goes alone, and
            # the others wait for the file_id Telegram gives it, then go side by side
            lock = self._file_locks.setdefault(reference, asyncio.Lock())
            async with lock:
                if self._uploads_first(reference):
                    await self._send_now(row)
                    return
        await self._send_now(row)

    def _uploads_first(self, reference: str) -> bool:
        """Another platform's file that can be fetched and has no Telegram file_id yet."""
        if not _foreign(reference) or reference in self._file_ids or self._fetch_file is None:
            return False
        fetchers = self._fetch_file
        return not isinstance(fetchers, FileFetchers) or fetchers.can_fetch(reference)

    async def _send_now(self, row: Queued) -> None:
        photo: InputFile | str | None = None
        if row.picture is not None:
            photo = BufferedInputFile(row.picture, filename="picture.png")
        elif row.photo and platform_of_file(row.photo) == "path":
            photo = FSInputFile(row.photo)
        elif row.photo:
            photo = await self._file(row.photo)
        markup = (
            InlineKeyboardMarkup.model_validate({"inline_keyboard": row.buttons})
            if row.buttons
            else None
        )
        document = await self._file(row.document) if row.document else None
        if row.document and document is not None:
            caption = row.text if visible_length(row.text) <= CAPTION_LIMIT else None
            sent = await self._bot.send_document(
                row.chat_id,
                document,
                caption=caption,
                reply_markup=markup if caption else None,
            )
            if sent.document is not None and _foreign(row.document):
                self._file_ids.put(row.document, sent.document.file_id)
            if caption is not None:
                return
        elif photo is not None:
            caption = row.text if visible_length(row.text) <= CAPTION_LIMIT else None
            sent = await self._bot.send_photo(
                row.chat_id, photo, caption=caption, reply_markup=markup if caption else None
            )
            if sent.photo and row.photo and _foreign(row.photo):
                self._file_ids.put(row.photo, sent.photo[-1].file_id)
            if caption is not None:
                return
        parts = split_text(row.text)  # a long text in parts, the buttons under the last
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await self._bot.send_message(row.chat_id, part, reply_markup=markup if last else None)

    async def _file(self, reference: str) -> InputFile | str | None:
        """A file_id Telegram has; another platform's file, fetched once and uploaded
        with the first send, then sent by the file_id Telegram gave it (None: it cannot
        be fetched, the text goes alone)."""
        if not _foreign(reference):
            return reference
        known = self._file_ids.get(reference)
        if known is not None:
            return str(known)
        fetch = self._fetch_file
        if fetch is None:
            return None

        async def fetched() -> FetchedFile:
            found = await fetch(reference)
            if found is None:
                raise LookupError(reference)
            return found

        try:
            name, data = await self._fetched.once(reference, fetched)
        except LookupError:
            logger.warning("a file of another platform is not reachable; text only")
            return None
        return BufferedInputFile(data, filename=name)

    async def _pace(self) -> None:
        """Wait for this send's slot at the worker's own rate; slots are taken in order,
        so concurrent senders never bunch up. (Chats, the bot-wide budget and 429 holds
        are the session's pacing.)"""
        now = self._monotonic()
        start = max(now, self._next_send)
        self._next_send = start + self._interval
        if start > now:
            await self._sleep(start - now)

    async def _unreachable(self, row: Queued, partner: Partner | None) -> None:
        if partner is None:
            logger.error("chat %s refused the bot's post", row.chat_id)
            return
        await self._partners.mark_unreachable(partner)
