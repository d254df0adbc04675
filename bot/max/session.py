"""`MaxSession`: aiogram's Bot talking to the MAX Bot API instead of Telegram.

Every aiogram method the bot uses becomes MAX requests, and MAX events (by long polling
or by webhook) become aiogram `Update`s, so the same routers, filters, dialogs and
keyboards serve MAX too. MAX's traps, and what is done about each:

- `marker` is the position in the event feed: it is kept here and sent with every
  `GET /updates`; a failed or lost poll asks again with the same marker, so nothing is
  skipped, and events MAX sends again are dropped by their identity (type, time, mid or
  callback id), so nothing is handled twice.
- A message has a string `mid` (what MAX edits and deletes by) and an int64 `seq`;
  aiogram's `message_id` is the `seq`, and (chat, seq) → mid is remembered.
- `recipient.user_id` is the receiver (the bot, in a person's message), not the chat:
  the chat is always `recipient.chat_id`. A person's dialog with the bot has its own
  chat id; that is the aiogram chat id (so partners' chat ids are dialog ids). People
  known only by user id (MANAGERS) are written to with `?user_id=`.
- `bot_started` (a deep link's payload) becomes `/start PAYLOAD`; `user_added` a new
  chat member; `bot_stopped` / `bot_removed` the bot being blocked or removed.
- A callback answer without text is not sent: MAX refuses an empty one.
- `attachment.not.ready` is waited out by the client; uploads are made once per file.
- A send whose answer was lost is checked (`GET /messages` in the chat) before it is
  sent again, so it is not delivered twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any, Final, cast

import aiohttp
from aiogram import Bot
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CopyMessages,
    DeleteMessage,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChat,
    GetMe,
    GetUpdates,
    SendChatAction,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import ChatFullInfo, InputFile, Message, MessageId, Update, User

from bot.max import convert
from bot.max.client import MaxClient, MaxError, MaxUncertain
from bot.max.events import (
    BOT_ID,
    FILE_PREFIX,
    Lru,
    MaxEvents,
    Sent,
    files_of,
)

logger = logging.getLogger(__name__)

RECENT_MS: Final = 30 * 60 * 1000  # a crash's unknown sends: looked for this far back
CHECKED: Final = 20  # recent messages looked at to tell whether a lost send arrived
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


class MaxSession(MaxEvents, BaseSession):
    """One MAX bot as an aiogram session (`Bot(token="max:…", session=…)`)."""

    platform: Final = "max"

    def __init__(
        self,
        client: MaxClient,
        *,
        people: frozenset[int] = frozenset(),
        long_poll_timeout: int = 30,
    ) -> None:
        super().__init__()
        self._init_events(people)
        self.client = client
        self._wait = long_poll_timeout
        self.marker: int | None = None
        self._buffer: list[Update] = []
        self._uploads: Lru = Lru(1000)  # (kind, digest) → attachment
        self._me: User | None = None
        self.checked_sends = 0  # sends looked up in the chat (answer lost, or a crash)
        self.found_sends = 0  # of those, found there (not sent again)

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

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        try:
            result = await self._dispatch(bot, method)
        except MaxError as exc:
            raise telegram_error(method, exc) from None
        except MaxUncertain as exc:
            message = "Request timeout error" if exc.timeout else str(exc)
            raise TelegramNetworkError(method=method, message=message) from None
        return cast("TelegramType", result)

    async def _dispatch(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetUpdates):
            return await self._poll(bot, method)
        if isinstance(method, SendMessage):
            return await self._send_message(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            return await self._answer_callback(method)
        if isinstance(method, EditMessageText):
            return await self._edit_text(bot, method)
        if isinstance(method, EditMessageReplyMarkup):
            return await self._edit_markup(bot, method)
        if isinstance(method, (SendPhoto, SendDocument)):
            return await self._send_file(bot, method)
        if isinstance(method, CopyMessage):
            ids = await self._copy(method.chat_id, method.from_chat_id, [method.message_id])
            return MessageId(message_id=ids[0])
        if isinstance(method, CopyMessages):
            ids = await self._copy(method.chat_id, method.from_chat_id, method.message_ids)
            return [MessageId(message_id=i) for i in ids]
        if isinstance(method, DeleteMessage):
            sent = self._find(int(method.chat_id), method.message_id)
            await self.client.request("DELETE", "/messages", params={"message_id": sent.mid})
            return True
        if isinstance(method, GetMe):
            me = await self.me()  # aiogram knows the bot by BOT_ID (its token), as in replies
            return me.model_copy(update={"id": BOT_ID})
        if isinstance(method, GetChat):
            return await self._get_chat(int(method.chat_id))
        if isinstance(method, (SetMyCommands, DeleteWebhook)):
            # MAX's command list is set in @MasterBot (the API has no method for it); its
            # webhook is a subscription, made at start-up
            return True
        if isinstance(method, SendChatAction):
            if int(method.chat_id) in self._dialogs or int(method.chat_id) < 0:
                await self.client.request(
                    "POST", f"/chats/{int(method.chat_id)}/actions", body={"action": "typing_on"}
                )
            return True
        raise TelegramBadRequest(
            method=method, message=f"{type(method).__name__} is not available on MAX"
        )

    # --- identity and chats -----------------------------------------------------------

    async def me(self) -> User:
        """The bot (`GET /me`), asked once."""
        if self._me is None:
            answer = await self.client.request("GET", "/me")
            self._me = User(
                id=int(answer["user_id"]),
                is_bot=True,
                first_name=str(answer.get("first_name") or answer.get("name") or "MAX"),
                username=str(answer.get("username") or "") or None,
            )
        return self._me

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
        offset = method.offset or 0
        self._buffer = [u for u in self._buffer if u.update_id >= offset]
        if self._buffer:
            return list(self._buffer)
        wait = self._wait if method.timeout is None else max(0, min(method.timeout, 90))
        params: dict[str, Any] = {"limit": 100, "timeout": wait, "marker": self.marker}
        answer = await self.client.request("GET", "/updates", params=params, wait=wait + 15)
        events = list(answer.get("updates") or [])
        if answer.get("marker") is not None:
            self.marker = int(answer["marker"])
        self._buffer = await self.translate(bot, events)
        return list(self._buffer)

    # --- sending ----------------------------------------------------------------------

    def _text(self, bot: Bot, text: str, parse_mode: Any) -> str:
        mode = bot.default["parse_mode"] if isinstance(parse_mode, Default) else parse_mode
        if mode and str(mode).upper() == "HTML":
            return convert.html(text)
        return convert.escape(text)

    async def send(
        self,
        chat: int | str,
        text: str,
        *,
        attachments: list[dict[str, Any]] | None = None,
        reply_to: str | None = None,
        urgent: bool = True,
        checked: bool = False,
    ) -> dict[str, Any]:
        """One `POST /messages` (text in MAX HTML); the new message as MAX gives it. A
        lost answer is looked up in the chat before the message is sent again; with
        `checked` the chat is looked at first (a send that may have happened before)."""
        address = self._address(chat)
        body: dict[str, Any] = {
            "text": text or None,
            "attachments": attachments or None,
            "link": {"type": "reply", "mid": reply_to} if reply_to else None,
            "format": "html" if text else None,
        }
        floor = self._newest.get(self._chat_of(address))  # the chat's newest known message
        if checked:
            found = await self.find_sent(address, text, attachments or [], urgent=urgent)
            if found is not None:
                return found
        try:
            answer = await self.client.request(
                "POST", "/messages", params=address, body=body, urgent=urgent
            )
        except MaxUncertain:
            found = await self.find_sent(
                address, text, attachments or [], urgent=urgent, after_seq=floor
            )
            if found is not None:
                return found
            answer = await self.client.request(
                "POST", "/messages", params=address, body=body, urgent=urgent
            )
        message = cast("dict[str, Any]", answer.get("message") or {})
        self._remember(message, text, attachments or [])
        return message

    async def find_sent(
        self,
        address: dict[str, int],
        text: str,
        attachments: list[dict[str, Any]],
        *,
        urgent: bool = True,
        after_seq: int | None = None,
    ) -> dict[str, Any] | None:
        """The bot's message with this text among the chat's newest, if it is there (a
        send whose answer was lost): newer than `after_seq` (the chat's newest message
        before the send) when that is known, else sent in the last `RECENT_MS`. Needs
        the dialog's chat id (known once the person has written or been written to)."""
        chat_id = self._chat_of(address)
        if chat_id is None:
            return None
        self.checked_sends += 1
        me = await self.me()
        answer = await self.client.request(
            "GET", "/messages", params={"chat_id": chat_id, "count": CHECKED}, urgent=urgent
        )
        since = int(time.time() * 1000) - RECENT_MS
        want = convert.plain(text).strip()
        files = sum(1 for a in attachments if a.get("type") in ("image", "file"))
        for message in answer.get("messages") or []:
            sender = message.get("sender") or {}
            body = message.get("body") or {}
            if sender.get("user_id") != me.id:
                continue
            if after_seq is not None and int(body.get("seq") or 0) <= after_seq:
                continue
            if after_seq is None and int(message.get("timestamp") or 0) < since:
                continue
            got = convert.plain(str(body.get("text") or "")).strip()
            got_files = len(files_of(body.get("attachments") or []))
            if got == want and got_files == files:
                logger.info("a lost MAX send to chat %s had arrived; not sent again", chat_id)
                self.found_sends += 1
                return cast("dict[str, Any]", message)
        return None

    def _remember(
        self, message: dict[str, Any], text: str, attachments: list[dict[str, Any]]
    ) -> None:
        body = message.get("body") or {}
        recipient = message.get("recipient") or {}
        if body.get("mid") is None or recipient.get("chat_id") is None:
            return
        chat_id = int(recipient["chat_id"])
        if recipient.get("chat_type") == "dialog" and recipient.get("user_id") is not None:
            self._learn_dialog(chat_id, int(recipient["user_id"]))  # the bot's message: the person
        keyboard = next((a for a in attachments if a.get("type") == "inline_keyboard"), None)
        files = [a for a in attachments if a.get("type") != "inline_keyboard"]
        seq = int(body.get("seq") or 0)
        self._sent.put((chat_id, seq), Sent(str(body["mid"]), text, keyboard, files))
        self._see(chat_id, seq)

    def _message(self, bot: Bot, message: dict[str, Any], fallback_chat: int | str) -> Message:
        body = message.get("body") or {}
        recipient = message.get("recipient") or {}
        chat_id = int(recipient.get("chat_id") or fallback_chat)
        text = convert.plain(str(body.get("text") or ""))
        data: dict[str, Any] = {
            "message_id": int(body.get("seq") or 0),
            "date": int(message.get("timestamp") or time.time() * 1000) // 1000,
            "chat": self._chat_json(chat_id),
            "from": self._bot_json(),
        }
        files = files_of(body.get("attachments") or [])
        image = next((f for f in files if f["type"] == "image"), None)
        document = next((f for f in files if f["type"] == "file"), None)
        if image is not None:
            token = FILE_PREFIX + str(image["payload"].get("token") or "")
            data["photo"] = [{"file_id": token, "file_unique_id": token, "width": 0, "height": 0}]
            data["caption"] = text or None
        elif document is not None:
            token = FILE_PREFIX + str(document["payload"].get("token") or "")
            data["document"] = {"file_id": token, "file_unique_id": token}
            data["caption"] = text or None
        else:
            data["text"] = text
        return Message.model_validate(
            {k: v for k, v in data.items() if v is not None}, context={"bot": bot}
        )

    def _reply_mid(self, chat: int | str, message_id: int | None) -> str | None:
        if message_id is None:
            return None
        address = self._address(chat)
        sent = self._sent.get((address.get("chat_id", int(chat)), message_id))
        return sent.mid if sent is not None and sent.mid else None

    async def _send_message(self, bot: Bot, method: SendMessage) -> Message:
        text = self._text(bot, method.text, method.parse_mode)
        keyboard = convert.keyboard(method.reply_markup)
        reply = method.reply_parameters.message_id if method.reply_parameters else None
        reply_mid = self._reply_mid(method.chat_id, reply)
        parts = convert.split(text)
        message: dict[str, Any] = {}
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message = await self.send(
                method.chat_id,
                part,
                attachments=[keyboard] if keyboard and last else None,
                reply_to=reply_mid if index == 0 else None,
            )
        return self._message(bot, message, method.chat_id)

    async def _send_file(self, bot: Bot, method: SendPhoto | SendDocument) -> Message:
        source = method.photo if isinstance(method, SendPhoto) else method.document
        kind = "image" if isinstance(method, SendPhoto) else "file"
        attachment = await self.attachment(bot, source, kind)
        caption = self._text(bot, method.caption or "", method.parse_mode)
        parts = convert.split(caption) if caption else [""]
        keyboard = convert.keyboard(method.reply_markup)
        first = [attachment] + ([keyboard] if keyboard and len(parts) == 1 else [])
        message = await self.send(method.chat_id, parts[0], attachments=first)
        for index, part in enumerate(parts[1:], start=1):
            last = index == len(parts) - 1
            message = await self.send(
                method.chat_id, part, attachments=[keyboard] if keyboard and last else None
            )
        return self._message(bot, message, method.chat_id)

    async def attachment(self, bot: Bot, source: Any, kind: str) -> dict[str, Any]:
        """An upload made once per file (cached by content), or a token/URL passed on."""
        if isinstance(source, str):
            if source.startswith(FILE_PREFIX):
                return {"type": kind, "payload": {"token": source[len(FILE_PREFIX) :]}}
            if source.startswith(("http://", "https://")) and kind == "image":
                return {"type": "image", "payload": {"url": source}}
            raise MaxError(400, "file.elsewhere", "a file of another platform", "attachment")
        assert isinstance(source, InputFile)
        data = b"".join([chunk async for chunk in source.read(bot)])
        return await self.upload(kind, source.filename or "", data)

    async def upload(self, kind: str, filename: str, data: bytes) -> dict[str, Any]:
        key = (kind, hashlib.blake2b(data, digest_size=16).hexdigest())
        cached = self._uploads.get(key)
        if cached is not None:
            return cast("dict[str, Any]", cached)
        name = filename or ("picture.png" if kind == "image" else "file")
        endpoint = await self.client.request("POST", "/uploads", params={"type": kind})
        uploaded = await self.client.upload(str(endpoint["url"]), name, data)
        token = _token(uploaded) or str(endpoint.get("token") or "")
        if not token:
            raise MaxError(200, "upload", "no token in the upload's answer", "upload")
        attachment = {"type": kind, "payload": {"token": token}}
        self._uploads.put(key, attachment)
        return attachment

    async def _copy(
        self, chat_id: int | str, from_chat_id: int | str, ids: list[int]
    ) -> list[int]:
        """A copy as the bot's own message: the text and files again; a message the
        session never saw is forwarded."""
        source = self._address(from_chat_id).get("chat_id", int(from_chat_id))
        out: list[int] = []
        for seq in ids:
            sent = self._sent.get((source, seq))
            if sent is None:
                raise MaxError(400, "not.found", f"message {seq} is not known", "copy")
            if sent.text or sent.files:
                parts = convert.split(convert.html(sent.text)) if sent.text else [""]
                message = await self.send(chat_id, parts[0], attachments=sent.files)
                for part in parts[1:]:  # a long text escaped: in parts, nothing cut off
                    message = await self.send(chat_id, part)
            else:
                address = self._address(chat_id)
                answer = await self.client.request(
                    "POST",
                    "/messages",
                    params=address,
                    body={
                        "text": None,
                        "attachments": None,
                        "link": {"type": "forward", "mid": sent.mid},
                    },
                )
                message = answer.get("message") or {}
            out.append(int((message.get("body") or {}).get("seq") or 0))
        return out

    def _find(self, chat: int, seq: int) -> Sent:
        chat_id = self._address(chat).get("chat_id", chat)
        sent = self._sent.get((chat_id, seq))
        if sent is None or not sent.mid:
            raise MaxError(400, "not.found", "message to edit not found", "edit")
        return cast("Sent", sent)

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            raise TelegramBadRequest(method=method, message="inline messages are not on MAX")
        sent = self._find(int(method.chat_id), method.message_id)
        text = convert.split(self._text(bot, method.text or "", method.parse_mode))[0]
        keyboard = convert.keyboard(method.reply_markup)
        await self._edit(int(method.chat_id), method.message_id, sent, text, keyboard)
        return True

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            raise TelegramBadRequest(method=method, message="inline messages are not on MAX")
        sent = self._find(int(method.chat_id), method.message_id)
        keyboard = convert.keyboard(method.reply_markup)
        await self._edit(int(method.chat_id), method.message_id, sent, sent.text, keyboard)
        return True

    async def _edit(
        self, chat: int, seq: int, sent: Sent, text: str, keyboard: dict[str, Any] | None
    ) -> None:
        attachments = sent.files + ([keyboard] if keyboard else [])
        await self.client.request(
            "PUT",
            "/messages",
            params={"message_id": sent.mid},
            body={
                "text": text or None,
                "attachments": attachments,
                "link": None,
                "format": "html" if text else None,
            },
        )
        chat_id = self._address(chat).get("chat_id", chat)
        self._sent.put((chat_id, seq), Sent(sent.mid, text, keyboard, sent.files))

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

    async def _answer_callback(self, method: AnswerCallbackQuery) -> bool:
        """A notification when there are words to show; MAX refuses an empty answer,
        and the press needs none (the edit, if any, went by `PUT /messages`)."""
        if not method.text:
            return True
        await self.client.request(
            "POST",
            "/answers",
            params={"callback_id": method.callback_query_id},
            body={"notification": convert.notification(method.text)},
        )
        return True


def _token(uploaded: dict[str, Any]) -> str | None:
    """The token in an upload's answer: files at the top, images under `photos`."""
    if uploaded.get("token"):
        return str(uploaded["token"])
    for item in (uploaded.get("photos") or {}).values():
        if isinstance(item, dict) and item.get("token"):
            return str(item["token"])
    return None


def telegram_error(method: TelegramMethod[Any], exc: MaxError) -> Exception:
    text = f"MAX {exc.status} {exc.code}: {exc.message}"
    if exc.status == 403 or exc.code in UNREACHABLE_CODES:
        return TelegramForbiddenError(method=method, message=f"Forbidden: {text}")
    if exc.status == 404 and "chat" in exc.code:
        return TelegramBadRequest(method=method, message=f"Bad Request: chat not found ({text})")
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
) -> Bot:
    """An aiogram Bot whose requests go to MAX (its id is the bot's MAX user id)."""
    session = MaxSession(
        client or MaxClient(token, api_url), people=people, long_poll_timeout=long_poll_timeout
    )
    # aiogram checks the token's shape (digits:rest); MAX's token is only in the client
    return Bot(f"{BOT_ID}:max", session=session, default=DefaultBotProperties(parse_mode="HTML"))
