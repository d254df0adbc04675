"""The delivery worker for MAX: the outbox's MAX rows, one `POST /messages` each.

- Rate: MAX allows 30 requests a second per token; the shared pacing (`bot.pacing`, run
  inside `bulk()` by `OutboxWorker`) keeps every request under it, broadcast sends
  waiting while people's replies go first, and a 429 holds every sender for a second
  before the row is tried again.
- Crash safety without `random_id`: a chunk of rows (about a second of sends) is marked
  `sending` before their requests leave, and each outcome clears the mark. A row still
  marked when the worker starts again (it died mid-send), or whose answer was lost, is
  looked up among the chat's newest messages before it is sent: found → counted as sent,
  not sent again. Nobody is skipped (every row is sent or found), nobody gets it twice.
- Per recipient: 403 (stopped the bot, removed it from the chat) and 404 chat not found
  → the partner is unreachable; other refusals → failed; a lost answer that the check
  could not settle → tried again later, checked again.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from aiogram.types import InlineKeyboardMarkup

from bot.delivery import ChatOrder, not_for
from bot.max import convert
from bot.max.client import MaxError, MaxUncertain
from bot.max.files import token_of
from bot.max.session import UNREACHABLE_CODES, MaxSession
from bot.platform.delivery import BotDelivery
from bot.services.outbox import Outcome, Queued
from bot.services.partner import Partner

logger = logging.getLogger(__name__)

BATCH: Final = 1000  # rows claimed at once
AHEAD: Final = 30  # rows marked `sending` at once (about a second of sends)
IN_FLIGHT: Final = 4  # requests at once (the pacing spaces their starts 1/30 s apart)


@dataclass(frozen=True)
class _Content:
    parts: list[str]  # MAX HTML
    keyboard: dict[str, Any] | None
    files: list[dict[str, Any]]


class MaxDelivery(BotDelivery[MaxSession]):
    platform = "max"
    session_type = MaxSession
    batch = BATCH

    in_flight = IN_FLIGHT

    async def _deliver_batch(self, rows: list[Queued]) -> list[Outcome]:
        ids = sorted({row.partner_id for row in rows if row.partner_id is not None})
        people = await self._partners.by_ids(ids)
        slots = asyncio.Semaphore(self._in_flight)
        memo: dict[Any, _Content | Exception] = {}
        outcomes: list[Outcome] = []
        pending: list[Outcome] = []
        writing = asyncio.Lock()

        async def one(row: Queued) -> Outcome:
            async with slots:
                outcome = await self._deliver(row, people, memo)
                pending.append(outcome)
                async with writing:  # outcomes done meanwhile are written together
                    if pending:
                        done = pending[:]
                        pending.clear()
                        await self._outbox.finish(done)
                return outcome

        order: ChatOrder[Outcome] = ChatOrder()  # each chat's rows in the order queued
        outstanding: deque[list[asyncio.Task[Outcome]]] = deque()
        running: list[asyncio.Task[Outcome]] = []
        try:
            for start in range(0, len(rows), AHEAD):
                chunk = rows[start : start + AHEAD]
                ready: list[Queued] = []
                settled: list[Outcome] = []
                for row in chunk:
                    skipped = not_for(row, people.get(row.partner_id or 0))
                    if skipped is not None:
                        settled.append(skipped)
                    else:
                        ready.append(row)
                if settled:
                    await self._outbox.finish(settled)
                    outcomes.extend(settled)
                if len(outstanding) > 1:  # at most two chunks marked and not yet done
                    outcomes.extend(await asyncio.gather(*outstanding.popleft()))
                await self._outbox.mark_sending([row.id for row in ready])
                tasks = [order.start([row.chat_id], functools.partial(one, row)) for row in ready]
                outstanding.append(tasks)
                running.extend(tasks)
            while outstanding:
                outcomes.extend(await asyncio.gather(*outstanding.popleft()))
        finally:
            for task in running:  # cancelled (a shutdown): nothing left running behind
                task.cancel()
        return outcomes

    async def _deliver(
        self, row: Queued, people: dict[int, Partner], memo: dict[Any, _Content | Exception]
    ) -> Outcome:
        try:
            content = await self._content(row, memo)
        except (MaxError, MaxUncertain, OSError) as exc:
            return self._retry_later(row, f"attachment: {exc}")
        suspect = row.sending or row.uncertain  # it may have arrived already
        try:
            for number, part in enumerate(content.parts):
                last = number == len(content.parts) - 1
                attachments = (content.files if number == 0 else []) + (
                    [content.keyboard] if last and content.keyboard else []
                )
                await self._session.send(
                    row.chat_id, part, attachments=attachments, checked=suspect
                )
        except MaxError as exc:
            return await self._refused(row, exc, people)
        except MaxUncertain as exc:
            if row.uncertain:
                return Outcome(row.id, "failed", str(exc), uncertain=True)
            return Outcome(row.id, "queued", str(exc), uncertain=True, retry_at=self._clock.now())
        return Outcome(row.id, "sent", uncertain=row.uncertain)

    async def _refused(self, row: Queued, exc: MaxError, people: dict[int, Partner]) -> Outcome:
        text = f"MAX {exc.status} {exc.code}: {exc.message}"
        if exc.status == 429:
            return Outcome(row.id, "queued", text, count_attempt=False)
        if exc.status in (403, 404) or exc.code in UNREACHABLE_CODES:
            partner = people.get(row.partner_id or 0)
            if partner is None:
                logger.error("MAX chat %s refused the bot's post: %s", row.chat_id, text)
            else:
                await self._partners.mark_unreachable(partner)
            return Outcome(row.id, "blocked", text)
        logger.warning("outbox row %s refused by MAX: %s", row.id, text)
        return Outcome(row.id, "failed", text)

    async def _content(self, row: Queued, memo: dict[Any, _Content | Exception]) -> _Content:
        """The row as MAX takes it; rows of one broadcast share the work (`memo`), and a
        failed upload of their file (they wait for the next try)."""
        picture = hashlib.blake2b(row.picture, digest_size=8).digest() if row.picture else None
        buttons = json.dumps(row.buttons) if row.buttons else None
        key = (row.text, buttons, row.photo, row.document, picture)
        content = memo.get(key)
        if isinstance(content, Exception):
            raise content  # its upload failed in this batch: the row waits with the others
        if content is None:
            text = convert.html(row.text)
            files = []
            try:
                attached = await self._file(row)
            except (MaxError, MaxUncertain, OSError) as exc:
                memo[key] = exc  # one failed upload a batch, not one a recipient
                raise
            if attached is not None:
                files.append(attached)
            markup = (
                InlineKeyboardMarkup.model_validate({"inline_keyboard": row.buttons})
                if row.buttons
                else None
            )
            parts = convert.split(text) if text else [""]
            content = _Content(parts, convert.keyboard(markup), files)
            memo[key] = content
        return content

    async def _file(self, row: Queued) -> dict[str, Any] | None:
        found = await self._row_file(row)
        kind = "file" if row.document and row.picture is None else "image"
        if isinstance(found, str):
            return {"type": kind, "payload": {"token": token_of(found)}}
        if found is None:
            return None
        name, data = found
        return await self._session.upload(kind, name, data)
