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
from collections import OrderedDict
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
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

logger = logging.getLogger(__name__)

FILE_PREFIX: Final = "max:"  # a MAX file token as an aiogram file_id (told from Telegram's)
BOT_ID: Final = 1  # the bot's id for aiogram (its MAX user id is `me().id`)
REMEMBERED: Final = 20_000  # messages whose mid/text/keyboard are kept for edits
SEEN_EVENTS: Final = 50_000
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


class _Lru(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self._size:
            self.popitem(last=False)


@dataclass
class _Sent:
    mid: str
    text: str  # MAX HTML
    keyboard: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)


class MaxSession(BaseSession):
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
        self.client = client
        self._people = people  # user ids written to by `?user_id=` (MANAGERS on MAX)
        self._wait = long_poll_timeout
        self.marker: int | None = None
        self._buffer: list[Update] = []
        self._update_ids = 0
        self._seen: _Lru = _Lru(SEEN_EVENTS)
        self._sent: _Lru = _Lru(REMEMBERED)  # (chat, seq) → _Sent
        self._dialogs: _Lru = _Lru(100_000)  # dialog chat id → user id
        self._user_dialog: _Lru = _Lru(100_000)  # user id → dialog chat id
        self._names: _Lru = _Lru(100_000)  # user id → (first, last, username)
        self._titles: dict[int, str] = {}  # group chat id → title
        self._newest: _Lru = _Lru(100_000)  # chat id → the newest seq seen there
        self._callbacks: _Lru = _Lru(10_000)  # callback id → (chat, seq)
        self._uploads: _Lru = _Lru(1000)  # (kind, digest) → attachment
        self._ignored: set[str] = set()  # event types logged once
        self._me: User | None = None
        self.unreachable_chats: set[int] = set()
        self.repeated_events = 0
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

    def _is_group(self, chat_id: int) -> bool:
        return chat_id not in self._dialogs and (chat_id < 0 or chat_id in self._titles)

    def _name(self, user_id: int) -> tuple[str, str, str | None]:
        known = self._names.get(user_id)
        return cast("tuple[str, str, str | None]", known or (str(user_id), "", None))

    def dialog_of(self, user_id: int) -> int | None:
        """The dialog chat id of a person, when known."""
        return cast("int | None", self._user_dialog.get(user_id))

    def _learn_user(self, user: dict[str, Any]) -> int:
        user_id = int(user["user_id"])
        first = str(user.get("first_name") or user.get("name") or user_id)
        self._names.put(
            user_id, (first, str(user.get("last_name") or ""), user.get("username") or None)
        )
        return user_id

    def _learn_dialog(self, chat_id: int, user_id: int) -> None:
        self._dialogs.put(chat_id, user_id)
        self._user_dialog.put(user_id, chat_id)

    def _address(self, chat: int | str) -> dict[str, int]:
        """`chat_id=` or `user_id=` for an aiogram chat id (see the module's notes)."""
        chat_id = int(chat)
        if chat_id < 0 or chat_id in self._dialogs:
            return {"chat_id": chat_id}
        dialog = self._user_dialog.get(chat_id)
        if dialog is not None:
            return {"chat_id": int(dialog)}
        if chat_id in self._people:
            return {"user_id": chat_id}
        return {"chat_id": chat_id}

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

    async def translate(self, bot: Bot, events: list[dict[str, Any]]) -> list[Update]:
        """MAX events as aiogram updates (each seen once; unknown kinds logged once)."""
        if any(e.get("update_type") == "message_created" for e in events):
            await self.me()  # to tell the bot's own messages apart
        updates: list[Update] = []
        for event in events:
            if not self.first_time(event):
                continue
            try:
                bodies = self._update_bodies(event)
            except (KeyError, TypeError, ValueError) as exc:
                logger.warning(
                    "MAX event %s is malformed (%s); ignored", event.get("update_type"), exc
                )
                continue
            for body in bodies:
                self._update_ids += 1
                body["update_id"] = self._update_ids
                updates.append(Update.model_validate(body, context={"bot": bot}))
        return updates

    def first_time(self, event: dict[str, Any]) -> bool:
        key = event_key(event)
        if key in self._seen:
            self.repeated_events += 1
            logger.info("MAX event %s delivered again; skipped", event.get("update_type"))
            return False
        self._seen.put(key, True)
        return True

    def _update_bodies(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        kind = str(event.get("update_type"))
        stamp = int(event.get("timestamp") or time.time() * 1000) // 1000
        if kind == "message_created":
            body = self._message_created(event["message"], event.get("user_locale"))
            return [{"message": body}] if body is not None else []
        if kind == "message_callback":
            return [{"callback_query": self._callback(event)}]
        if kind == "bot_started":
            chat_id = int(event["chat_id"])
            user_id = self._learn_user(event["user"])
            self._learn_dialog(chat_id, user_id)
            self.unreachable_chats.discard(chat_id)
            payload = str(event.get("payload") or "").strip()
            text = "/start" + (f" {payload}" if payload else "")
            user = self._person_json(user_id, event.get("user_locale"))
            message = {
                "message_id": 0,
                "date": stamp,
                "chat": self._chat_json(chat_id),
                "from": user,
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
            return [
                self._membership(chat_id, user, blocked=False, stamp=stamp),
                {"message": message},
            ]
        if kind in ("bot_stopped", "dialog_removed"):
            chat_id = int(event["chat_id"])
            user_id = self._learn_user(event["user"])
            self._learn_dialog(chat_id, user_id)
            self.unreachable_chats.add(chat_id)
            user = self._person_json(user_id)
            return [self._membership(chat_id, user, blocked=True, stamp=stamp)]
        if kind == "bot_removed":
            chat_id = int(event["chat_id"])
            self.unreachable_chats.add(chat_id)
            self._titles.setdefault(chat_id, str(chat_id))
            logger.warning("the MAX bot was removed from chat %s", chat_id)
            user = self._person_json(self._learn_user(event["user"]))
            return [self._membership(chat_id, user, blocked=True, stamp=stamp)]
        if kind == "bot_added":
            chat_id = int(event["chat_id"])
            self.unreachable_chats.discard(chat_id)
            self._titles.setdefault(chat_id, str(chat_id))
            user = self._person_json(self._learn_user(event["user"]))
            return [self._membership(chat_id, user, blocked=False, stamp=stamp)]
        if kind == "user_added":
            chat_id = int(event["chat_id"])
            self._titles.setdefault(chat_id, str(chat_id))
            user = self._person_json(self._learn_user(event["user"]))
            return [
                {
                    "message": {
                        "message_id": 0,
                        "date": stamp,
                        "chat": self._chat_json(chat_id),
                        "from": user,
                        "new_chat_members": [user],
                    }
                }
            ]
        if kind not in self._ignored:
            self._ignored.add(kind)
            logger.info("MAX event %r is not used by partnerbot; ignored (said once)", kind)
        return []

    def _message_created(self, raw: dict[str, Any], locale: Any) -> dict[str, Any] | None:
        sender = raw.get("sender") or {}
        recipient = raw["recipient"]
        chat_id = int(recipient["chat_id"])  # never recipient.user_id: that is the receiver
        user_id = self._learn_user(sender)
        if self._me is not None and user_id == self._me.id:
            return None  # the bot's own message
        if sender.get("is_bot"):
            return None  # another bot
        if recipient.get("chat_type") == "dialog":
            self._learn_dialog(chat_id, user_id)
        else:
            self._titles.setdefault(chat_id, str(chat_id))
        body = raw["body"]
        seq, mid = int(body["seq"]), str(body["mid"])
        text = str(body.get("text") or "")
        files = _files(body.get("attachments") or [])
        self._sent.put((chat_id, seq), _Sent(mid, text, None, files))
        self._see(chat_id, seq)
        message: dict[str, Any] = {
            "message_id": seq,
            "date": int(raw.get("timestamp") or time.time() * 1000) // 1000,
            "chat": self._chat_json(chat_id),
            "from": self._person_json(user_id, locale),
        }
        image = next((f for f in files if f["type"] == "image"), None)
        document = next((f for f in files if f["type"] == "file"), None)
        if image is not None:
            token = FILE_PREFIX + str(image["payload"].get("token") or "")
            message["photo"] = [
                {"file_id": token, "file_unique_id": token, "width": 0, "height": 0}
            ]
            if text:
                message["caption"] = text
        elif document is not None:
            token = FILE_PREFIX + str(document["payload"].get("token") or "")
            message["document"] = {"file_id": token, "file_unique_id": token}
            if text:
                message["caption"] = text
        else:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        link = raw.get("link")
        if isinstance(link, dict) and link.get("type") == "reply":
            linked = link.get("message") or {}
            if linked.get("seq") is not None:
                linked_from = link.get("sender") or {}
                bot_id = self._me.id if self._me is not None else None
                from_bot = linked_from.get("user_id") is not None and (
                    int(linked_from["user_id"]) == bot_id
                )
                self._sent.setdefault(
                    (chat_id, int(linked["seq"])),
                    _Sent(str(linked.get("mid") or ""), str(linked.get("text") or "")),
                )
                message["reply_to_message"] = {
                    "message_id": int(linked["seq"]),
                    "date": message["date"],
                    "chat": self._chat_json(chat_id),
                    "from": self._bot_json()
                    if from_bot
                    else self._person_json(self._learn_user(linked_from))
                    if linked_from.get("user_id") is not None
                    else self._bot_json(),
                    "text": str(linked.get("text") or ""),
                }
        return message

    def _callback(self, event: dict[str, Any]) -> dict[str, Any]:
        callback = event["callback"]
        user_id = self._learn_user(callback["user"])
        raw = event.get("message") or {}
        recipient = raw.get("recipient") or {}
        chat_id = int(recipient.get("chat_id") or self._user_dialog.get(user_id) or user_id)
        if recipient.get("chat_type") == "dialog":
            self._learn_dialog(chat_id, user_id)
        body = raw.get("body") or {}
        seq = int(body.get("seq") or 0)
        if body.get("mid") and (chat_id, seq) not in self._sent:
            keyboard = next(
                (a for a in body.get("attachments") or [] if a.get("type") == "inline_keyboard"),
                None,
            )
            files = _files(body.get("attachments") or [])
            self._sent.put(
                (chat_id, seq),
                _Sent(str(body["mid"]), str(body.get("text") or ""), keyboard, files),
            )
        callback_id = str(callback["callback_id"])
        self._callbacks.put(callback_id, (chat_id, seq))
        sent = self._sent.get((chat_id, seq))
        return {
            "id": callback_id,
            "from": self._person_json(user_id, event.get("user_locale")),
            "chat_instance": str(chat_id),
            "data": str(callback.get("payload") or ""),
            "message": {
                "message_id": seq,
                "date": int(time.time()),
                "chat": self._chat_json(chat_id),
                "from": self._bot_json(),
                "text": convert.plain(sent.text) if sent else "",
            },
        }

    def _membership(
        self, chat_id: int, user: dict[str, Any], *, blocked: bool, stamp: int
    ) -> dict[str, Any]:
        old, new = ("member", "kicked") if blocked else ("kicked", "member")

        def member(status: str) -> dict[str, Any]:
            body: dict[str, Any] = {"status": status, "user": self._bot_json()}
            if status == "kicked":
                body["until_date"] = 0
            return body

        return {
            "my_chat_member": {
                "chat": self._chat_json(chat_id),
                "from": user,
                "date": stamp,
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }
        }

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        if self._is_group(chat_id):
            return {"id": chat_id, "type": "group", "title": self._titles.get(chat_id, "MAX")}
        first, _last, _username = self._name(self._dialogs.get(chat_id, chat_id))
        return {"id": chat_id, "type": "private", "first_name": first or str(chat_id)}

    def _person_json(self, user_id: int, locale: Any = None) -> dict[str, Any]:
        first, last, username = self._name(user_id)
        body: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first or "—"}
        if last:
            body["last_name"] = last
        if username:
            body["username"] = username
        if isinstance(locale, str) and locale:
            body["language_code"] = locale.split("-")[0].lower()
        return body

    def _bot_json(self) -> dict[str, Any]:
        me = self._me
        return {
            "id": me.id if me else 0,
            "is_bot": True,
            "first_name": me.first_name if me else "bot",
        }

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
            got_files = len(_files(body.get("attachments") or []))
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
        self._sent.put((chat_id, seq), _Sent(str(body["mid"]), text, keyboard, files))
        self._see(chat_id, seq)

    def _see(self, chat_id: int, seq: int) -> None:
        if seq > int(self._newest.get(chat_id) or 0):
            self._newest.put(chat_id, seq)

    def _chat_of(self, address: dict[str, int]) -> int | None:
        if "chat_id" in address:
            return address["chat_id"]
        dialog = self._user_dialog.get(address.get("user_id", 0))
        return None if dialog is None else int(dialog)

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
        files = _files(body.get("attachments") or [])
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
                message = await self.send(chat_id, convert.html(sent.text), attachments=sent.files)
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

    def _find(self, chat: int, seq: int) -> _Sent:
        chat_id = self._address(chat).get("chat_id", chat)
        sent = self._sent.get((chat_id, seq))
        if sent is None or not sent.mid:
            raise MaxError(400, "not.found", "message to edit not found", "edit")
        return cast("_Sent", sent)

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
        self, chat: int, seq: int, sent: _Sent, text: str, keyboard: dict[str, Any] | None
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
        self._sent.put((chat_id, seq), _Sent(sent.mid, text, keyboard, sent.files))

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


def event_key(event: dict[str, Any]) -> str:
    """An event's identity (MAX gives events no id): its type, time and subject."""
    kind = str(event.get("update_type"))
    message = event.get("message") or {}
    callback = event.get("callback") or {}
    subject = (
        callback.get("callback_id")
        or (message.get("body") or {}).get("mid")
        or f"{event.get('chat_id')}:{(event.get('user') or {}).get('user_id')}"
    )
    return f"{kind}:{event.get('timestamp')}:{subject}"


def event_number(event: dict[str, Any]) -> int:
    """A 63-bit number for an event's identity (the webhook inbox's key)."""
    digest = hashlib.blake2b(event_key(event).encode(), digest_size=8).digest()
    return int.from_bytes(digest) & 0x7FFF_FFFF_FFFF_FFFF


def _files(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Image and file attachments, as they can be sent again (type + token)."""
    out = []
    for item in raw:
        kind = item.get("type")
        payload = item.get("payload") or {}
        if kind in ("image", "file") and isinstance(payload, dict) and payload.get("token"):
            out.append({"type": kind, "payload": {"token": str(payload["token"])}})
    return out


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
