"""The delivery worker for VK: the outbox's VK rows, in as few requests as VK allows.

- The same message to many people (an announcement, a contest moment) goes with
  `peer_ids`, 100 people a request; different messages are batched 25 to an `execute`.
  The community token's 20 requests a second are kept by the client, so the bounds are
  2,000 recipients a second for identical text and 500 for personalised text.
- Exactly once: every row's `random_id` comes from the row itself (its key without the
  recipient, and its content), so a request repeated after a crash or a lost answer is
  dropped by VK for everyone who already has the message.
- Per recipient: 900/901/902 (blocked the community, never allowed messages, privacy) →
  the partner is unreachable; 9 (flood control) → that recipient waits a while; the rest
  of the request is unaffected. Errors 6 and 10 are retried by the client; a network
  failure puts the request's rows back for a later try (safe: same random ids).
- One chat's messages arrive in the order they were queued: a request carrying a chat's
  next message starts only once the request with its previous one was answered (a sale
  notice queued before an announcement comes before it, though the announcement goes
  with `peer_ids` and the notice in an `execute`). A message put back for a later try
  does not hold the chat's next ones.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, InputFile

from bot.delivery import ChatOrder, not_for
from bot.pacing import Target
from bot.platform.delivery import BotDelivery
from bot.rendering import split_text
from bot.services.outbox import Outcome, Queued
from bot.services.partner import Partner
from bot.vk import convert
from bot.vk.client import FLOOD, VkError, VkNetworkError
from bot.vk.session import TEXT_LIMIT, UNREACHABLE, VkSession

logger = logging.getLogger(__name__)

PEER_IDS: Final = 100  # recipients of one messages.send
EXECUTE: Final = 25  # calls in one execute
BATCH: Final = 5000  # rows fetched at once (a batch boundary costs ~0.2 s of sending)
CHUNK: Final = 500  # rows looked at before their requests start
IN_FLIGHT: Final = 2  # requests at once (the client keeps them 1/20 s apart)
FLOOD_PAUSE: Final = timedelta(minutes=10)  # a recipient under flood control waits this long


@dataclass(frozen=True)
class _Content:
    parts: list[str]
    keyboard: str | None
    attachments: list[str]
    digest: str


@dataclass
class _Prepared:
    row: Queued
    identity: str  # the same for every recipient of one message
    parts: list[str]
    keyboard: str | None
    attachments: list[str]

    @property
    def peer(self) -> int:
        return self.row.chat_id

    def random_id(self, part: int = 0) -> int:
        return convert.random_id(f"{self.identity}#{part}")

    def call(self) -> dict[str, Any]:
        """The messages.send parameters for a one-part message to this recipient alone."""
        return {
            "peer_ids": [self.peer],
            "random_id": self.random_id(),
            "message": self.parts[0] or None,
            "keyboard": self.keyboard,
            "attachment": ",".join(self.attachments) or None,
            "dont_parse_links": 1,
        }


class VkDelivery(BotDelivery[VkSession]):
    platform = "vk"
    session_type = VkSession
    batch = BATCH

    in_flight = IN_FLIGHT

    async def _deliver_batch(self, rows: list[Queued]) -> list[Outcome]:
        """Send a batch: its rows are looked at a chunk at a time, and a chunk's requests
        start while the next chunk is being read (sending never waits for the batch). A
        request waits for the earlier requests to its chats (each chat's order kept)."""
        slots = asyncio.Semaphore(self._in_flight)
        memo: dict[Any, _Content | Exception] = {}
        outcomes: list[Outcome] = []
        running: list[asyncio.Task[list[Outcome]]] = []
        order: ChatOrder[list[Outcome]] = ChatOrder()

        async def run(request: Callable[[], Awaitable[list[Outcome]]]) -> list[Outcome]:
            async with slots:
                done = await request()
                await self._outbox.finish(done)  # written before the slot is free
                return done

        try:
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                ids = sorted({row.partner_id for row in chunk if row.partner_id is not None})
                people = await self._partners.by_ids(ids)
                ready, settled = await self._look_at(chunk, people, memo)
                if settled:
                    await self._outbox.finish(settled)
                    outcomes.extend(settled)
                running.extend(
                    order.start(peers, functools.partial(run, request))
                    for request, peers in self._requests(ready, people)
                )
                await asyncio.sleep(0)  # let the first requests start
            results = await asyncio.gather(*running)
        finally:
            for task in running:  # cancelled (a shutdown): nothing left running behind
                task.cancel()
        return outcomes + [outcome for done in results for outcome in done]

    async def _look_at(
        self, rows: list[Queued], people: dict[int, Partner], memo: dict[Any, _Content | Exception]
    ) -> tuple[list[_Prepared], list[Outcome]]:
        """Rows ready to send, and the outcomes of those that will not go."""
        ready: list[_Prepared] = []
        settled: list[Outcome] = []
        for row in rows:
            skipped = not_for(row, people.get(row.partner_id or 0))
            if skipped is not None:
                settled.append(skipped)
                continue
            try:
                ready.append(await self._prepare(row, memo))
            except (VkError, VkNetworkError, OSError) as exc:
                settled.append(self._retry_later(row, f"attachment: {exc}"))
        return ready, settled

    def _requests(
        self, ready: list[_Prepared], people: dict[int, Partner]
    ) -> list[tuple[Callable[[], Awaitable[list[Outcome]]], list[int]]]:
        """The requests, each with the chats it writes to, in an order that keeps each
        chat's messages in turn: every chat's first message, then every chat's second, …;
        in each turn identical messages go in groups of 100 (peer_ids), the rest 25 to an
        execute."""
        requests: list[tuple[Callable[[], Awaitable[list[Outcome]]], list[int]]] = []
        for turn in _turns(ready):
            by_identity: dict[str, list[_Prepared]] = {}
            for item in turn:
                by_identity.setdefault(item.identity, []).append(item)
            singles: list[_Prepared] = []
            for group in by_identity.values():
                if len(group[0].parts) > 1:
                    requests.extend((self._long(item, people), [item.peer]) for item in group)
                elif len(group) == 1:
                    singles.append(group[0])
                else:
                    for start in range(0, len(group), PEER_IDS):
                        some = group[start : start + PEER_IDS]
                        requests.append((self._many(some, people), [i.peer for i in some]))
            for start in range(0, len(singles), EXECUTE):
                some = singles[start : start + EXECUTE]
                requests.append((self._execute(some, people), [i.peer for i in some]))
        return requests

    async def _peer_turns(self, items: list[_Prepared]) -> None:
        """Each recipient's own pace (messages to one person are spaced, as replies are)."""
        await self._session.client.pacer.chat_turns([Target(item.peer) for item in items])

    async def _prepare(self, row: Queued, memo: dict[Any, _Content | Exception]) -> _Prepared:
        """The row as VK takes it; rows of one broadcast share the work (`memo`), and a
        failed upload of their file (they wait for the next try)."""
        callbacks = self._session.has_callbacks(row.chat_id)
        picture = hashlib.blake2b(row.picture, digest_size=8).digest() if row.picture else None
        buttons = json.dumps(row.buttons) if row.buttons else None
        key = (row.text, buttons, callbacks, row.photo, row.document, picture)
        content = memo.get(key)
        if isinstance(content, Exception):
            raise content  # its upload failed in this batch: the row waits with the others
        if content is None:
            try:
                content = await self._content(row, callbacks)
            except (VkError, VkNetworkError, OSError) as exc:
                memo[key] = exc  # one failed upload a batch, not one a recipient
                raise
            memo[key] = content
        # the row's key names its recipient; without it, it names the message
        general = row.key.replace(f"{row.platform}:{row.chat_id}", "*")
        return _Prepared(
            row,
            f"{general}|{content.digest}",
            content.parts,
            content.keyboard,
            content.attachments,
        )

    async def _content(self, row: Queued, callbacks: bool) -> _Content:
        text = convert.plain(row.text)
        attachments = []
        source = await self._file(row)
        if source is not None:
            kind = "doc" if row.document else "photo"
            attachments.append(
                await self._session.attachment(self._bot, row.chat_id, source, kind)
            )
        markup = (
            InlineKeyboardMarkup.model_validate({"inline_keyboard": row.buttons})
            if row.buttons
            else None
        )
        keyboard = convert.keyboard(markup, callbacks=callbacks)
        parts = split_text(text, TEXT_LIMIT, html_mode=False) if text else [""]
        digest = hashlib.blake2b(
            json.dumps([text, attachments, keyboard], ensure_ascii=False).encode(),
            digest_size=8,
        ).hexdigest()
        return _Content(parts, keyboard, attachments, digest)

    async def _file(self, row: Queued) -> InputFile | str | None:
        found = await self._row_file(row)
        if found is None or isinstance(found, str):
            return found
        name, data = found
        return BufferedInputFile(data, filename=name)

    async def _outcome(
        self, item: _Prepared, error: VkError | None, people: dict[int, Partner]
    ) -> Outcome:
        row = item.row
        if error is None:
            return Outcome(row.id, "sent", uncertain=row.uncertain)
        if error.code in UNREACHABLE:
            await self._unreachable(row, people)
            return Outcome(row.id, "blocked", f"VK error {error.code}: {error.message}")
        if error.code == FLOOD:
            return Outcome(
                row.id,
                "queued",
                "VK flood control",
                retry_at=self._clock.now() + FLOOD_PAUSE,
            )
        logger.warning("outbox row %s refused by VK: %s %s", row.id, error.code, error.message)
        return Outcome(row.id, "failed", f"VK error {error.code}: {error.message}")

    async def _unreachable(self, row: Queued, people: dict[int, Partner]) -> None:
        partner = people.get(row.partner_id or 0)
        if partner is None:
            logger.error("VK chat %s refused the community's post", row.chat_id)
            return
        await self._partners.mark_unreachable(partner)

    def _failed_request(self, items: list[_Prepared], exc: Exception) -> list[Outcome]:
        """The whole request failed (network, or VK after its retries): try again later;
        the random ids make a repeat harmless."""
        return [self._retry_later(item.row, str(exc), base=10.0) for item in items]

    def _many(
        self, group: list[_Prepared], people: dict[int, Partner]
    ) -> Callable[[], Awaitable[list[Outcome]]]:
        async def request() -> list[Outcome]:
            first = group[0]
            params = first.call() | {"peer_ids": [item.peer for item in group]}
            await self._peer_turns(group)
            try:
                answer = await self._session.client("messages.send", **params)
            except (VkError, VkNetworkError) as exc:
                return self._failed_request(group, exc)
            errors = _peer_errors(answer)
            return [await self._outcome(item, errors.get(item.peer), people) for item in group]

        return request

    def _execute(
        self, items: list[_Prepared], people: dict[int, Partner]
    ) -> Callable[[], Awaitable[list[Outcome]]]:
        async def request() -> list[Outcome]:
            await self._peer_turns(items)
            try:
                result = await self._session.client.execute(
                    [("messages.send", item.call()) for item in items]
                )
            except (VkError, VkNetworkError) as exc:
                return self._failed_request(items, exc)
            errors = iter(result.errors)
            outcomes = []
            for item, answer in zip(items, result.results, strict=False):
                error: VkError | None
                if answer is False:  # the call failed: its error is the next in the list
                    error = next(errors, VkError(0, "unknown error in execute"))
                else:
                    error = _peer_errors(answer).get(item.peer)
                outcomes.append(await self._outcome(item, error, people))
            missing = items[len(result.results) :]
            outcomes.extend(self._failed_request(missing, RuntimeError("no answer")))
            return outcomes

        return request

    def _long(
        self, item: _Prepared, people: dict[int, Partner]
    ) -> Callable[[], Awaitable[list[Outcome]]]:
        """A message over 4096 characters: its parts in turn, each with its own id."""

        async def request() -> list[Outcome]:
            try:
                for number, part in enumerate(item.parts):
                    last = number == len(item.parts) - 1
                    await self._session.send(
                        item.peer,
                        part,
                        keyboard=item.keyboard if last else None,
                        attachments=item.attachments if number == 0 else None,
                        random_id=item.random_id(number),
                    )
            except VkError as exc:
                return [await self._outcome(item, exc, people)]
            except VkNetworkError as exc:
                return self._failed_request([item], exc)
            return [await self._outcome(item, None, people)]

        return request


def _turns(items: list[_Prepared]) -> list[list[_Prepared]]:
    """Everyone's first message, then everyone's second, … (in the order queued): no chat
    twice in one turn, so one request never floods one person nor reorders their
    messages."""
    turns: list[list[_Prepared]] = []
    seen: dict[int, int] = {}
    for item in items:
        turn = seen.get(item.peer, 0)
        seen[item.peer] = turn + 1
        if turn == len(turns):
            turns.append([])
        turns[turn].append(item)
    return turns


def _peer_errors(answer: Any) -> dict[int, VkError]:
    """Per-recipient errors in a messages.send answer given peer_ids."""
    errors: dict[int, VkError] = {}
    if not isinstance(answer, list):
        return errors
    for item in answer:
        error = item.get("error") if isinstance(item, dict) else None
        if error:
            code = int(error.get("code", 0))
            errors[int(item["peer_id"])] = VkError(code, str(error.get("description", "")))
    return errors
