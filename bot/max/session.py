"""`MaxSession`: aiogram's Bot talking to the MAX Bot API instead of Telegram.

Every aiogram method the bot uses becomes MAX requests, and MAX events (by long polling
or by webhook) become aiogram `Update`s, so the same routers, filters, dialogs and
keyboards serve MAX too. MAX's traps, and what is done about each:

- `marker` is the position in the event feed: it is kept here and sent with every
  `GET /updates`; a failed or lost poll asks again with the same marker, so nothing is
  skipped, and events MAX sends again are dropped by their identity (type, time, mid or
  callback id), so nothing is handled twice. Without a marker MAX sends "only the latest
  update", so the marker is kept in the database too (`position`) and the next start —
  a deploy, a crash, another worker leading — reads on from it.
- A message has a string `mid` (what MAX edits and deletes by) and an int64 `seq`;
  aiogram's `message_id` is the `seq`, and (chat, seq) → mid is remembered.
- `recipient.user_id` is the receiver (the bot, in a person's message), not the chat:
  the chat is always `recipient.chat_id`. A person's dialog with the bot has its own
  chat id; that is the aiogram chat id (so partners' chat ids are dialog ids). People
  known only by user id (MANAGERS) are written to with `?user_id=`.
- `bot_started` (a deep link's payload) becomes `/start PAYLOAD`; `user_added` a new
  chat member; `bot_stopped` / `bot_removed` the bot being blocked or removed.
- A callback answer without text is not sent: MAX refuses an empty one. One MAX no
  longer knows (404 «callback not found»: too late, or never issued) is reported as
  Telegram reports a press too old to answer (`bot.press_answers`).
- `attachment.not.ready` is waited out by the client; uploads are made once per file,
  and one answered badly is aiogram's `FileNotSent` (the screen goes on without it).
- A send whose answer was lost is checked (`GET /messages` in the chat) before it is
  sent again, so it is not delivered twice.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any, Final, cast

import aiohttp
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
    GetUpdates,
    SendChatAction,
    TelegramMethod,
)
from aiogram.types import ChatFullInfo, Update, User

from bot.max.client import MaxClient, MaxError, MaxUncertain, MaxUploadError
from bot.max.events import MaxEvents
from bot.max.people import BOT_ID
from bot.max.sending import MaxSending
from bot.pacing import Pacer
from bot.platform.memory import UpdateBuffer
from bot.platform.positions import KeptPosition
from bot.platform.session import FileNotSent, PlatformSession
from bot.press_answers import PRESS_GONE, note_answers

logger = logging.getLogger(__name__)

UNREACHABLE_CODES: Final = frozenset({"chat.denied", "error.dialog.suspended", "user.blocked"})
USED_TYPES: Final = (
    "message_created",
    "message_callback",
    "bot_started",
    "bot_stopped",
    "bot_added",
    "bot_removed",
    "user_added",
    "user_removed",
    "dialog_removed",
)


class MaxSession(MaxSending, MaxEvents, PlatformSession):
    """One MAX bot as an aiogram session (`Bot(token="max:…", session=…)`)."""

    platform: Final = "max"
    name = "MAX"

    def __init__(
        self,
        client: MaxClient,
        *,
        people: frozenset[int] = frozenset(),
        long_poll_timeout: int = 30,
    ) -> None:
        super().__init__()
        self._init_directory(client, people)
        self._init_events()
        self._init_files()
        self._init_sending()
        self._wait = long_poll_timeout
        self.marker: int | None = None
        # where the long poll stopped reading, kept for the next leader (`marker`)
        self.position = KeptPosition("MAX")
        self._buffer = UpdateBuffer()

    # --- BaseSession ----------------------------------------------------------------

    async def close(self) -> None:
        await self.client.close()

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response,
        ):
            if raise_for_status:
                response.raise_for_status()
            async for chunk in response.content.iter_chunked(chunk_size):
                yield chunk

    def _answer_lost(self, exc: Exception) -> bool:
        return isinstance(exc, MaxUncertain)

    def _aiogram_error(self, method: TelegramMethod[Any], exc: Exception) -> Exception | None:
        return telegram_error(method, exc) if isinstance(exc, MaxError) else None

    async def _other(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendChatAction):
            if int(method.chat_id) in self._dialogs or int(method.chat_id) < 0:
                await self.client.request(
                    "POST", f"/chats/{int(method.chat_id)}/actions", body={"action": "typing_on"}
                )
            return True
        return await super()._other(bot, method)

    async def _get_me(self) -> User:
        me = await self.me()  # aiogram knows the bot by BOT_ID (its token), as in replies
        return me.model_copy(update={"id": BOT_ID})

    async def _delete(self, chat_id: int, message_id: int) -> None:
        sent = self._find(chat_id, message_id)
        await self.client.request("DELETE", "/messages", params={"message_id": sent.mid})

    # --- identity and chats -----------------------------------------------------------

    async def _get_chat(self, chat_id: int) -> ChatFullInfo:
        """What the bot needs of a chat (MAX has no forums)."""
        if self._is_group(chat_id):
            if chat_id not in self._titles:
                answer = await self.client.request("GET", f"/chats/{chat_id}")
                self._titles[chat_id] = str(answer.get("title") or chat_id)
            return ChatFullInfo.model_construct(  # type: ignore[call-arg]
                id=chat_id, type="group", title=self._titles[chat_id], is_forum=False
            )
        first, last, _username = self._name(self._dialogs.get(chat_id, chat_id))
        return ChatFullInfo.model_construct(  # type: ignore[call-arg]
            id=chat_id, type="private", first_name=first, last_name=last or None
        )

    async def membership(self, chat_id: int) -> dict[str, Any]:
        """The bot's membership and rights in a group chat (`GET /chats/{id}/members/me`)."""
        return cast(
            "dict[str, Any]", await self.client.request("GET", f"/chats/{chat_id}/members/me")
        )

    # --- events -----------------------------------------------------------------------

    async def _poll(self, bot: Bot, method: GetUpdates) -> list[Update]:
        pending = self._buffer.pending(method.offset)
        if pending:
            return pending
        if self.marker is None:  # the first poll: on from where the last leader stopped
            self.marker = await self.position.kept()
        else:
            await self.position.confirm(self.marker)
        wait = self._wait if method.timeout is None else max(0, min(method.timeout, 90))
        params: dict[str, Any] = {"limit": 100, "timeout": wait, "marker": self.marker}
        answer = await self.client.request("GET", "/updates", params=params, wait=wait + 15)
        events = list(answer.get("updates") or [])
        if answer.get("marker") is not None:
            self.marker = int(answer["marker"])
        return self._buffer.keep(await self.translate(bot, events))

    # --- sending ----------------------------------------------------------------------

    async def subscribe(self, url: str, secret: str, update_types: list[str]) -> None:
        """Events by webhook to `url` (MAX sends `secret` back in X-Max-Bot-Api-Secret)."""
        await self.client.request(
            "POST",
            "/subscriptions",
            body={"url": url, "update_types": update_types, "secret": secret},
        )

    async def unsubscribe_all(self) -> None:
        """No webhook: long polling gets nothing while a subscription exists."""
        answer = await self.client.request("GET", "/subscriptions")
        for subscription in answer.get("subscriptions") or []:
            logger.info(
                "MAX webhook subscription to %s removed (long polling)", subscription.get("url")
            )
            await self.client.request(
                "DELETE", "/subscriptions", params={"url": str(subscription["url"])}
            )


def telegram_error(method: TelegramMethod[Any], exc: MaxError) -> Exception:
    text = f"MAX {exc.status} {exc.code}: {exc.message}"
    if isinstance(exc, MaxUploadError):
        return FileNotSent(method=method, message=f"{exc.method}: {text}")
    if exc.status == 403 or exc.code in UNREACHABLE_CODES:
        return TelegramForbiddenError(method=method, message=f"Forbidden: {text}")
    if exc.status == 404 and "chat" in exc.code:
        return TelegramBadRequest(method=method, message=f"Bad Request: chat not found ({text})")
    if exc.status == 404 and isinstance(method, AnswerCallbackQuery):  # «callback not found»
        return TelegramBadRequest(method=method, message=f"Bad Request: {PRESS_GONE} ({text})")
    if exc.status == 429:
        return TelegramRetryAfter(method=method, message=text, retry_after=1)
    if exc.status == 401:
        return TelegramUnauthorizedError(method=method, message=text)
    if exc.status >= 500:
        return TelegramServerError(method=method, message=text)
    return TelegramBadRequest(method=method, message=text)


def create_max_bot(
    token: str,
    api_url: str,
    *,
    people: frozenset[int] = frozenset(),
    client: MaxClient | None = None,
    long_poll_timeout: int = 30,
    pacer: Pacer | None = None,
) -> Bot:
    """An aiogram Bot whose requests go to MAX (its id is the bot's MAX user id);
    `pacer`: the token's pacing (`max_pacer`), shared by all its senders."""
    session = MaxSession(
        client or MaxClient(token, api_url, pacer=pacer),
        people=people,
        long_poll_timeout=long_poll_timeout,
    )
    note_answers(session)
    # aiogram checks the token's shape (digits:rest); MAX's token is only in the client
    return Bot(f"{BOT_ID}:max", session=session, default=DefaultBotProperties(parse_mode="HTML"))
