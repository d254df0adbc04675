"""`VkSession`: aiogram's Bot talking to a VK community instead of Telegram.

Every aiogram method the bot uses becomes VK API calls, and a Bots Long Poll round
becomes aiogram `Update`s, so the same routers, filters, dialogs and keyboards serve both
platforms. What VK lacks (forum topics, chat member rights) is answered as "not
available", and the callers take their other path.

- Long poll: `groups.getLongPollServer` once, then `a_check` rounds. `failed` 1: carry on
  from the `ts` given; 2: a new key, same `ts`; 3: a new key, and the old `ts` is tried
  first (if VK no longer has it, it answers `failed` 1 with the one to use), so nothing
  the server still holds is skipped. A network error keeps `ts` and the dispatcher backs
  off. Events are de-duplicated by `event_id`.
- `random_id`: derived from the update being answered (its event id and the number of
  the send within it), so an update handled again after a crash sends nothing twice.
- Errors become aiogram's exceptions: 900/901/902 → forbidden (the person is
  unreachable), 6 and 10 are retried by the client, then → retry-after / server error;
  100 on an event answer's `event_id` (the event too old to answer) → Telegram's «query
  is too old» (`bot.press_answers`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Collection, Mapping
from dataclasses import replace
from typing import Any, Final

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    TelegramMethod,
)

from bot.clock import Clock
from bot.pacing import VK, Pacer, Pacers
from bot.platform.session import FileNotSent, PlatformSession
from bot.press_answers import PRESS_GONE, note_answers
from bot.vk.client import TOO_MANY_REQUESTS, VkClient, VkError, VkNetworkError, VkUploadError
from bot.vk.events import VkEvents
from bot.vk.sending import TEXT_LIMIT, VkSending, answering, done_answering

__all__ = [
    "TEXT_LIMIT",
    "UNREACHABLE",
    "VkSession",
    "answering",
    "create_vk_bot",
    "done_answering",
    "vk_pacer",
]

logger = logging.getLogger(__name__)
UNREACHABLE: Final = frozenset({900, 901, 902, 917, 7})


class VkSession(VkSending, VkEvents, PlatformSession):
    """One VK community as an aiogram session (`Bot(token=f"{group_id}:vk", session=…)`)."""

    platform: Final = "vk"
    name = "VK"

    def __init__(
        self,
        client: VkClient,
        group_id: int,
        *,
        commands: Mapping[str, str] | None = None,
        long_poll_wait: int = 25,
        manager_commands: Mapping[str, str] | None = None,
        managers: Collection[int] = (),
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self._init_directory(client, group_id, clock)
        self._init_events(commands, long_poll_wait, manager_commands, managers)
        self._init_sending()

    # --- BaseSession ----------------------------------------------------------------

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        response = await asyncio.to_thread(self.client.http.get, url, timeout=timeout)
        if raise_for_status:
            response.raise_for_status()
        yield response.content

    def _answer_lost(self, exc: Exception) -> bool:
        return isinstance(exc, VkNetworkError)

    def _aiogram_error(self, method: TelegramMethod[Any], exc: Exception) -> Exception | None:
        return _telegram_error(method, exc) if isinstance(exc, VkError) else None

    async def _delete(self, chat_id: int, message_id: int) -> None:
        await self.client("messages.delete", peer_id=chat_id, cmids=[message_id], delete_for_all=1)


def _telegram_error(method: TelegramMethod[Any], exc: VkError) -> Exception:
    text = f"VK error {exc.code}: {exc.message}"
    if isinstance(exc, VkUploadError):
        return FileNotSent(method=method, message=f"{exc.method}: {text}")
    if exc.code in UNREACHABLE:
        return TelegramForbiddenError(method=method, message=f"Forbidden: {text}")
    if exc.code == TOO_MANY_REQUESTS:
        return TelegramRetryAfter(method=method, message=text, retry_after=1)
    if exc.code == 10:
        return TelegramServerError(method=method, message=text)
    if exc.code == 5:
        return TelegramUnauthorizedError(method=method, message=text)
    if exc.code == 100 and "event_id" in exc.message and isinstance(method, AnswerCallbackQuery):
        # «invalid event_id»: the event is past VK's minute for an answer
        return TelegramBadRequest(method=method, message=f"Bad Request: {PRESS_GONE} ({text})")
    return TelegramBadRequest(method=method, message=text)


def vk_pacer(pacers: Pacers, group_id: int, rate: float = 20.0) -> Pacer:
    """The pacing of one community token (20 requests a second, `rate` to lower it)."""
    return pacers.get(replace(VK, per_second=rate), str(group_id))


def create_vk_bot(
    token: str,
    group_id: int,
    api_url: str,
    *,
    commands: Mapping[str, str] | None = None,
    rate: float = 20.0,
    long_poll_wait: int = 25,
    pacer: Pacer | None = None,
    manager_commands: Mapping[str, str] | None = None,
    managers: Collection[int] = (),
    clock: Clock | None = None,
) -> Bot:
    """An aiogram Bot whose requests go to a VK community (its id is the community's);
    `pacer`: the community token's pacing (`vk_pacer`), shared by all its senders;
    `commands` (and `manager_commands`, for the VK users `managers`): the words typed
    without the slash that are commands; `clock`: how long names are kept (`NAMES_FOR`)."""
    session = VkSession(
        VkClient(token, api_url, rate=rate, pacer=pacer),
        group_id,
        commands=commands,
        long_poll_wait=long_poll_wait,
        manager_commands=manager_commands,
        managers=managers,
        clock=clock,
    )
    note_answers(session)
    return Bot(f"{group_id}:vk", session=session, default=DefaultBotProperties(parse_mode="HTML"))
