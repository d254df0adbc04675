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
  unreachable), 6 and 10 are retried by the client, then → retry-after / server error.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import re
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeVar, cast

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
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    ChatFullInfo,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageId,
    Update,
    User,
)

from bot.pacing import VK, Pacer, Pacers
from bot.rendering import split_text, whole_characters_in
from bot.vk import convert
from bot.vk.client import TOO_MANY_REQUESTS, VkClient, VkError, VkNetworkError

logger = logging.getLogger(__name__)

T = TypeVar("T")
TEXT_LIMIT: Final = 4096
REMEMBERED: Final = 20_000  # messages whose text/keyboard/attachments are kept for edits
SEEN_EVENTS: Final = 50_000
UNREACHABLE: Final = frozenset({900, 901, 902, 917, 7})
SNACKBAR_LIMIT: Final = 90
WITH_ARGUMENTS: Final = frozenset({"start", "link"})  # typed with words after them


@dataclass
class _Origin:
    """The update being handled: sends made for it get stable random ids."""

    key: str
    sends: int = 0


_origin: contextvars.ContextVar[_Origin | None] = contextvars.ContextVar("vk_origin", default=None)


def answering(event_key: str) -> contextvars.Token[_Origin | None]:
    """Mark the current task as handling the VK event `event_key` (see VkOriginMiddleware)."""
    return _origin.set(_Origin(event_key))


def done_answering(token: contextvars.Token[_Origin | None]) -> None:
    _origin.reset(token)


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
    text: str
    keyboard: str | None = None
    attachments: list[str] = field(default_factory=list)


class VkSession(BaseSession):
    """One VK community as an aiogram session (`Bot(token=f"{group_id}:vk", session=…)`)."""

    platform: Final = "vk"

    def __init__(
        self,
        client: VkClient,
        group_id: int,
        *,
        commands: Mapping[str, str] | None = None,
        long_poll_wait: int = 25,
    ) -> None:
        super().__init__()
        self.client = client
        self.group_id = group_id
        self._commands = dict(commands or {})  # a word typed without "/" → its command
        self._wait = long_poll_wait
        self._server: str | None = None
        self._key = ""
        self._ts = ""
        self._buffer: list[Update] = []
        self._update_ids = 0
        self._event_keys: _Lru = _Lru(1000)  # update_id → event id
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        self._people: dict[int, tuple[str, str]] = {}
        self._chat_titles: dict[int, str] = {}
        self._callbacks: dict[int, bool] = {}  # person → client supports callback buttons
        self._events: _Lru = _Lru(10_000)  # event id → (user id, peer id)
        self._sent: _Lru = _Lru(REMEMBERED)  # (peer, cmid) → _Sent
        self._last_keyboard: dict[int, int] = {}  # peer → cmid of the newest keyboard
        self._uploads: _Lru = _Lru(1000)  # file key → attachment
        self._me: User | None = None
        self.repeated_events = 0  # events VK sent again, dropped by their event_id
        # "[club777|@partners] question": VK's mention of the community, as Telegram's @name
        self._mention = re.compile(rf"\[(?:club|public){group_id}\|[^\]]*\]")

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

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        try:
            result = await self._dispatch(bot, method)
        except VkError as exc:
            raise _telegram_error(method, exc) from None
        except VkNetworkError as exc:
            message = "Request timeout error" if exc.timeout else str(exc)
            raise TelegramNetworkError(method=method, message=message) from None
        return cast("TelegramType", result)

    async def _dispatch(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetUpdates):
            return await self._poll(bot, method)
        if isinstance(method, SendMessage):
            return await self._send_message(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            return await self._answer_callback(bot, method)
        if isinstance(method, EditMessageText):
            return await self._edit_text(bot, method)
        if isinstance(method, EditMessageReplyMarkup):
            return await self._edit_markup(bot, method)
        if isinstance(method, (SendPhoto, SendDocument)):
            return await self._send_file(bot, method)
        if isinstance(method, CopyMessage):
            ids = await self._copy(bot, method.chat_id, method.from_chat_id, [method.message_id])
            return MessageId(message_id=ids[0])
        if isinstance(method, CopyMessages):
            ids = await self._copy(bot, method.chat_id, method.from_chat_id, method.message_ids)
            return [MessageId(message_id=i) for i in ids]
        if isinstance(method, DeleteMessage):
            await self.client(
                "messages.delete",
                peer_id=_peer(method.chat_id),
                cmids=[method.message_id],
                delete_for_all=1,
            )
            return True
        if isinstance(method, GetMe):
            return await self._get_me()
        if isinstance(method, GetChat):
            return await self._get_chat(_peer(method.chat_id))
        if isinstance(method, (SetMyCommands, DeleteWebhook)):
            return True  # VK has no command menu and no Telegram webhook
        raise TelegramBadRequest(
            method=method, message=f"{type(method).__name__} is not available on VK"
        )

    # --- identity -------------------------------------------------------------------

    async def _get_me(self) -> User:
        if self._me is None:
            answer = await self.client("groups.getById", group_id=self.group_id)
            groups = answer["groups"] if isinstance(answer, dict) else answer
            group = groups[0]
            self._me = User(
                id=self.group_id,
                is_bot=True,
                first_name=str(group.get("name", "VK")),
                username=str(group.get("screen_name") or f"club{self.group_id}"),
            )
        return self._me

    async def _get_chat(self, peer: int) -> ChatFullInfo:
        """What the bot needs of a chat (VK has no forums). Built without validation:
        Telegram's required fields (colours, gift settings) mean nothing on VK."""
        await self._learn([peer])
        if convert.is_chat(peer):
            return ChatFullInfo.model_construct(  # type: ignore[call-arg]
                id=peer, type="group", title=self._chat_titles.get(peer, "VK"), is_forum=False
            )
        first, last = self._people.get(peer, ("", ""))
        return ChatFullInfo.model_construct(  # type: ignore[call-arg]
            id=peer, type="private", first_name=first or str(peer), last_name=last or None
        )

    async def _learn(self, peers: list[int]) -> None:
        """Names of people and titles of chats not seen before, in one request."""
        unknown = sorted(
            {p for p in peers if p not in self._people and p not in self._chat_titles}
        )
        for start in range(0, len(unknown), 100):  # VK takes 100 peers a call
            answer = await self.client(
                "messages.getConversationsById", peer_ids=unknown[start : start + 100], extended=1
            )
            for profile in answer.get("profiles", []):
                self._people[int(profile["id"])] = (
                    str(profile.get("first_name", "")),
                    str(profile.get("last_name", "")),
                )
            for item in answer.get("items", []):
                peer = int(item["peer"]["id"])
                if convert.is_chat(peer):
                    title = item.get("chat_settings", {}).get("title", "VK")
                    self._chat_titles[peer] = str(title)
        for peer in unknown:
            if not convert.is_chat(peer):
                self._people.setdefault(peer, (str(peer), ""))

    # --- long poll ------------------------------------------------------------------

    async def _refresh_server(self, *, keep_ts: bool) -> None:
        answer = await self.client("groups.getLongPollServer", group_id=self.group_id)
        self._server = str(answer["server"])
        self._key = str(answer["key"])
        if not keep_ts or not self._ts:
            self._ts = str(answer["ts"])

    async def _poll(self, bot: Bot, method: GetUpdates) -> list[Update]:
        offset = method.offset or 0
        self._buffer = [u for u in self._buffer if u.update_id >= offset]
        if self._buffer:
            return list(self._buffer)
        if self._server is None:
            await self._refresh_server(keep_ts=False)
        assert self._server is not None
        wait = self._wait if method.timeout is None else max(0, min(method.timeout, 90))
        answer = await asyncio.to_thread(
            self.client.long_poll, self._server, self._key, self._ts, wait
        )
        failed = answer.get("failed")
        if failed is not None:
            logger.info("VK long poll: failed %s", failed)
            if failed == 1 and "ts" in answer:
                self._ts = str(answer["ts"])
            elif failed in (2, 3):
                await self._refresh_server(keep_ts=True)
            else:
                await self._refresh_server(keep_ts=False)
            return []
        self._ts = str(answer.get("ts", self._ts))
        raw = [event for event in answer.get("updates", []) if self._first_time(event)]
        self._buffer = await self._translate(bot, raw)
        return list(self._buffer)

    def _first_time(self, event: dict[str, Any]) -> bool:
        event_id = str(event.get("event_id") or "")
        if not event_id:
            return True
        if event_id in self._seen:
            logger.info("VK event %s delivered again; skipped", event_id)
            self.repeated_events += 1
            return False
        self._seen.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > SEEN_EVENTS:
            self._seen.discard(self._seen_order.popleft())
        return True

    def event_key(self, update_id: int) -> str | None:
        """The VK event behind an update (for stable random ids)."""
        return cast("str | None", self._event_keys.get(update_id))

    async def _translate(self, bot: Bot, events: list[dict[str, Any]]) -> list[Update]:
        people: list[int] = []
        for event in events:
            obj = event.get("object") or {}
            message = obj.get("message") or {}
            action = message.get("action") if isinstance(message, dict) else None
            member = action.get("member_id") if isinstance(action, dict) else None
            people.extend(
                int(x)
                for x in (
                    message.get("from_id"),
                    message.get("peer_id"),
                    obj.get("user_id"),
                    member,
                )
                if isinstance(x, int) and x > 0
            )
        if people:
            await self._learn(people)
        updates: list[Update] = []
        for event in events:
            try:
                body = self._update_body(event)
            except (KeyError, TypeError, ValueError) as exc:
                logger.warning("VK event %s is malformed (%s); ignored", event.get("type"), exc)
                continue
            if body is None:
                continue
            self._update_ids += 1
            body["update_id"] = self._update_ids
            self._event_keys.put(
                self._update_ids, str(event.get("event_id") or secrets.token_hex(8))
            )
            body = whole_characters_in(body)  # a half-character never gets in (bot.rendering)
            updates.append(Update.model_validate(body, context={"bot": bot}))
        return updates

    def _update_body(self, event: dict[str, Any]) -> dict[str, Any] | None:
        kind = event.get("type")
        obj = event["object"]
        if kind == "message_new":
            return self._message_new(obj)
        if kind == "message_event":
            return {"callback_query": self._callback(obj)}
        if kind in ("message_allow", "message_deny"):
            user_id = int(obj["user_id"])
            allowed = kind == "message_allow"
            statuses = ("kicked", "member") if allowed else ("member", "kicked")
            return {
                "my_chat_member": {
                    "chat": self._chat_json(user_id),
                    "from": self._person_json(user_id),
                    "date": int(time.time()),
                    "old_chat_member": self._member_json(statuses[0]),
                    "new_chat_member": self._member_json(statuses[1]),
                }
            }
        logger.info("VK event %r is not used by partnerbot; ignored", kind)
        return None

    def _message_new(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        message = obj["message"]
        client = obj.get("client_info") or {}
        from_id = int(message["from_id"])
        peer = int(message["peer_id"])
        if from_id <= 0:
            return None  # another community or the bot itself
        actions = client.get("button_actions")
        if actions is not None:
            self._callbacks[from_id] = "callback" in actions
        user = self._person_json(from_id, client.get("lang_id"))
        data = convert.data_of(message.get("payload")) if message.get("payload") else None
        if data is not None:  # a text button of an old client: the same as a press
            cmid = self._last_keyboard.get(peer, int(message["conversation_message_id"]))
            return {
                "callback_query": {
                    "id": f"t{peer}_{message['conversation_message_id']}",
                    "from": user,
                    "chat_instance": str(peer),
                    "data": data,
                    "message": self._bot_message_json(peer, cmid),
                }
            }
        body = self._incoming_json(message, user)
        return {"message": body}

    def _incoming_json(self, message: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        peer = int(message["peer_id"])
        cmid = int(message["conversation_message_id"])
        text = self._mention.sub(self._mention_name, str(message.get("text") or ""))
        ref = message.get("ref")
        if ref and (not text.strip() or self._commands.get(text.strip().lower()) == "start"):
            text = f"/start {ref}"  # came by a vk.me link with ?ref= (a referral, a button)
        words = text.split(maxsplit=1)
        command = self._commands.get(words[0].lower()) if words else None
        if command is not None and (len(words) == 1 or command in WITH_ARGUMENTS):
            # VK users type commands without the slash ("faq", "link 12345", "Начать")
            text = "/" + command + (f" {words[1]}" if len(words) > 1 else "")
        attachments = _attachments(message.get("attachments") or [])
        self._sent.put((peer, cmid), _Sent(text, None, attachments))
        body: dict[str, Any] = {
            "message_id": cmid,
            "date": int(message.get("date") or time.time()),
            "chat": self._chat_json(peer),
            "from": user,
        }
        photos = [a for a in attachments if a.startswith("photo")]
        docs = [a for a in attachments if a.startswith("doc")]
        if photos:
            body["photo"] = [
                {"file_id": photos[0], "file_unique_id": photos[0], "width": 0, "height": 0}
            ]
            if text:
                body["caption"] = text
        elif docs:
            body["document"] = {"file_id": docs[0], "file_unique_id": docs[0]}
            if text:
                body["caption"] = text
        elif text:
            body["text"] = text
        elif attachments:
            body["sticker"] = {
                "file_id": attachments[0],
                "file_unique_id": attachments[0],
                "type": "regular",
                "width": 0,
                "height": 0,
                "is_animated": False,
                "is_video": False,
            }
        else:
            body["text"] = ""
        action = message.get("action") or {}
        if action.get("type") in ("chat_invite_user", "chat_invite_user_by_link"):
            member = int(action.get("member_id") or message["from_id"])
            if member > 0:  # someone joined the chat (a community joining is not greeted)
                body.pop("text", None)
                body["new_chat_members"] = [self._person_json(member)]
        reply = message.get("reply_message")
        if isinstance(reply, dict) and reply.get("conversation_message_id"):
            reply_from = int(reply.get("from_id", 0))
            body["reply_to_message"] = {
                "message_id": int(reply["conversation_message_id"]),
                "date": int(reply.get("date") or time.time()),
                "chat": self._chat_json(peer),
                "from": self._bot_json() if reply_from < 0 else self._person_json(reply_from),
                "text": str(reply.get("text") or ""),
            }
        return body

    def _mention_name(self, _match: re.Match[str]) -> str:
        username = self._me.username if self._me is not None else None
        return f"@{username or f'club{self.group_id}'}"

    def _callback(self, obj: dict[str, Any]) -> dict[str, Any]:
        user_id = int(obj["user_id"])
        peer = int(obj["peer_id"])
        event_id = str(obj["event_id"])
        self._events.put(event_id, (user_id, peer))
        payload = obj.get("payload")
        data = convert.data_of(payload)
        if data is None:  # not one of ours (an old keyboard): "no longer available"
            data = json.dumps(payload, ensure_ascii=False)[:64]
        return {
            "id": event_id,
            "from": self._person_json(user_id),
            "chat_instance": str(peer),
            "data": data,
            "message": self._bot_message_json(peer, int(obj.get("conversation_message_id", 0))),
        }

    def _bot_message_json(self, peer: int, cmid: int) -> dict[str, Any]:
        sent = self._sent.get((peer, cmid))
        return {
            "message_id": cmid,
            "date": int(time.time()),
            "chat": self._chat_json(peer),
            "from": self._bot_json(),
            "text": sent.text if sent else "",
        }

    def _chat_json(self, peer: int) -> dict[str, Any]:
        if convert.is_chat(peer):
            return {"id": peer, "type": "group", "title": self._chat_titles.get(peer, "VK")}
        first, _last = self._people.get(peer, (str(peer), ""))
        return {"id": peer, "type": "private", "first_name": first or str(peer)}

    def _person_json(self, user_id: int, lang_id: Any = None) -> dict[str, Any]:
        first, last = self._people.get(user_id, (str(user_id), ""))
        body: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first or "—"}
        if last:
            body["last_name"] = last
        if lang_id is not None:
            body["language_code"] = "en" if lang_id == 3 else "ru"
        return body

    def _bot_json(self) -> dict[str, Any]:
        return {"id": self.group_id, "is_bot": True, "first_name": "bot"}

    def _member_json(self, status: str) -> dict[str, Any]:
        body: dict[str, Any] = {"status": status, "user": self._bot_json()}
        if status == "kicked":
            body["until_date"] = 0
        return body

    # --- sending --------------------------------------------------------------------

    def next_random_id(self, peer: int) -> int:
        origin = _origin.get()
        if origin is None:
            return secrets.randbits(31)
        origin.sends += 1
        return convert.random_id(f"{origin.key}:{peer}:{origin.sends}")

    def has_callbacks(self, peer: int) -> bool:
        """Whether the person's VK client shows callback buttons (as far as is known)."""
        return bool(self._callbacks.get(peer, True))

    def _keyboard(self, peer: int, markup: Any) -> str | None:
        if not isinstance(markup, InlineKeyboardMarkup):
            return None
        return convert.keyboard(markup, callbacks=self._callbacks.get(peer, True))

    def _text(self, bot: Bot, text: str, parse_mode: Any) -> str:
        mode = bot.default["parse_mode"] if isinstance(parse_mode, Default) else parse_mode
        return convert.plain(text) if mode else text

    async def send(
        self,
        peer: int,
        text: str,
        *,
        keyboard: str | None = None,
        attachments: list[str] | None = None,
        reply_to: int | None = None,
        random_id: int | None = None,
    ) -> int:
        """One `messages.send` to one peer; the new message's conversation id."""
        params: dict[str, Any] = {
            "peer_ids": [peer],
            "random_id": self.next_random_id(peer) if random_id is None else random_id,
            "message": text or None,
            "keyboard": keyboard,
            "attachment": attachments or None,
            "dont_parse_links": 1,
        }
        if reply_to is not None:
            params["forward"] = {
                "peer_id": peer,
                "conversation_message_ids": [reply_to],
                "is_reply": 1,
            }
        answer = await self.client("messages.send", **params)
        item = answer[0] if isinstance(answer, list) else {"conversation_message_id": answer}
        if "error" in item:
            error = item["error"]
            raise VkError(
                int(error.get("code", 0)), str(error.get("description", "")), "messages.send"
            )
        cmid = int(item.get("conversation_message_id") or item.get("message_id") or 0)
        self._sent.put((peer, cmid), _Sent(text, keyboard, list(attachments or [])))
        if keyboard is not None:
            self._last_keyboard[peer] = cmid
        return cmid

    async def _send_message(self, bot: Bot, method: SendMessage) -> Message:
        peer = _peer(method.chat_id)
        text = self._text(bot, method.text, method.parse_mode)
        keyboard = self._keyboard(peer, method.reply_markup)
        reply_to = method.reply_parameters.message_id if method.reply_parameters else None
        parts = split_text(text, TEXT_LIMIT, html_mode=False)
        cmid = 0
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            cmid = await self.send(
                peer,
                part,
                keyboard=keyboard if last else None,
                reply_to=reply_to if index == 0 else None,
            )
        return self._message(bot, peer, cmid, text=parts[-1])

    async def _send_file(self, bot: Bot, method: SendPhoto | SendDocument) -> Message:
        peer = _peer(method.chat_id)
        source = method.photo if isinstance(method, SendPhoto) else method.document
        kind = "photo" if isinstance(method, SendPhoto) else "doc"
        attachment = await self.attachment(bot, peer, source, kind)
        caption = self._text(bot, method.caption or "", method.parse_mode)
        parts = split_text(caption, TEXT_LIMIT, html_mode=False) if caption else [""]
        keyboard = self._keyboard(peer, method.reply_markup)
        cmid = await self.send(
            peer,
            parts[0],
            keyboard=keyboard if len(parts) == 1 else None,
            attachments=[attachment],
        )
        for index, part in enumerate(parts[1:], start=1):
            cmid = await self.send(
                peer, part, keyboard=keyboard if index == len(parts) - 1 else None
            )
        message = self._message(bot, peer, cmid, caption=parts[-1] or None)
        body = message.model_dump(exclude_none=True)
        if kind == "photo":
            body["photo"] = [
                {"file_id": attachment, "file_unique_id": attachment, "width": 0, "height": 0}
            ]
        else:
            body["document"] = {"file_id": attachment, "file_unique_id": attachment}
        return Message.model_validate(body, context={"bot": bot})

    async def attachment(self, bot: Bot, peer: int, source: Any, kind: str) -> str:
        """Upload a file once (cached by its content), or pass on an attachment id."""
        if isinstance(source, str):
            return source  # an attachment VK already has (from an earlier send)
        assert isinstance(source, InputFile)
        data = b"".join([chunk async for chunk in source.read(bot)])
        key = (kind, hashlib.blake2b(data, digest_size=16).hexdigest())
        cached = self._uploads.get(key)
        if cached is not None:
            return cast("str", cached)
        filename = source.filename or ("picture.png" if kind == "photo" else "file")
        if kind == "photo":
            server = await self.client("photos.getMessagesUploadServer", peer_id=peer)
            uploaded = await asyncio.to_thread(
                self.client.upload, server["upload_url"], "photo", filename, data
            )
            saved = await self.client(
                "photos.saveMessagesPhoto",
                photo=uploaded["photo"],
                server=uploaded["server"],
                hash=uploaded["hash"],
            )
            photo = saved[0]
            attachment = f"photo{photo['owner_id']}_{photo['id']}"
            if photo.get("access_key"):
                attachment += f"_{photo['access_key']}"
        else:
            server = await self.client("docs.getMessagesUploadServer", type="doc", peer_id=peer)
            uploaded = await asyncio.to_thread(
                self.client.upload, server["upload_url"], "file", filename, data
            )
            saved = await self.client("docs.save", file=uploaded["file"], title=filename)
            doc = saved["doc"]
            attachment = f"doc{doc['owner_id']}_{doc['id']}"
        self._uploads.put(key, attachment)
        return attachment

    async def _copy(
        self, bot: Bot, chat_id: int | str, from_chat_id: int | str, ids: list[int]
    ) -> list[int]:
        """A copy as the bot's own message (anonymous, like Telegram's copyMessage): the
        text and attachments again; a message the session never saw is forwarded."""
        peer, source = _peer(chat_id), _peer(from_chat_id)
        out: list[int] = []
        for cmid in ids:
            sent = self._sent.get((source, cmid))
            if sent is not None and (sent.text or sent.attachments):
                out.append(await self.send(peer, sent.text, attachments=sent.attachments))
                continue
            answer = await self.client(
                "messages.send",
                peer_ids=[peer],
                random_id=self.next_random_id(peer),
                forward={"peer_id": source, "conversation_message_ids": [cmid]},
            )
            out.append(int(answer[0].get("conversation_message_id", 0)))
        return out

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            raise TelegramBadRequest(method=method, message="inline messages are not on VK")
        peer = _peer(method.chat_id)
        text = self._text(bot, method.text or "", method.parse_mode)[:TEXT_LIMIT]
        keyboard = self._keyboard(peer, method.reply_markup)
        await self._edit(peer, method.message_id, text, keyboard)
        return self._message(bot, peer, method.message_id, text=text)

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            raise TelegramBadRequest(method=method, message="inline messages are not on VK")
        peer = _peer(method.chat_id)
        sent = self._sent.get((peer, method.message_id))
        if sent is None:
            raise TelegramBadRequest(method=method, message="message to edit not found")
        keyboard = self._keyboard(peer, method.reply_markup)
        await self._edit(peer, method.message_id, sent.text, keyboard, sent.attachments)
        return self._message(bot, peer, method.message_id, text=sent.text)

    async def _edit(
        self,
        peer: int,
        cmid: int,
        text: str,
        keyboard: str | None,
        attachments: list[str] | None = None,
    ) -> None:
        await self.client(
            "messages.edit",
            peer_id=peer,
            cmid=cmid,
            message=text or None,
            attachment=attachments or None,
            keyboard=keyboard or '{"buttons":[],"inline":true}',
            dont_parse_links=1,
        )
        self._sent.put((peer, cmid), _Sent(text, keyboard, list(attachments or [])))

    async def _answer_callback(self, bot: Bot, method: AnswerCallbackQuery) -> bool:
        known = self._events.get(method.callback_query_id)
        if known is None:
            # a text button's press: an alert becomes a message, a passing toast is dropped
            if method.text and method.show_alert and method.callback_query_id.startswith("t"):
                peer = int(method.callback_query_id[1:].split("_", 1)[0])
                await self.send(peer, method.text)
            return True
        user_id, peer = known
        data = None
        if method.text:
            data = {"type": "show_snackbar", "text": method.text[:SNACKBAR_LIMIT]}
        await self.client(
            "messages.sendMessageEventAnswer",
            event_id=method.callback_query_id,
            user_id=user_id,
            peer_id=peer,
            event_data=data,
        )
        return True

    def _message(
        self,
        bot: Bot,
        peer: int,
        cmid: int,
        *,
        text: str | None = None,
        caption: str | None = None,
    ) -> Message:
        body: dict[str, Any] = {
            "message_id": cmid,
            "date": int(time.time()),
            "chat": self._chat_json(peer),
            "from": self._bot_json(),
        }
        if caption is not None:
            body["caption"] = caption
        else:
            body["text"] = text or ""
        return Message.model_validate(body, context={"bot": bot})


def _peer(chat_id: int | str) -> int:
    return int(chat_id)


def _attachments(raw: list[dict[str, Any]]) -> list[str]:
    """Incoming attachments as `type{owner}_{id}[_{key}]` strings the bot may send on."""
    out = []
    for item in raw:
        kind = str(item.get("type", ""))
        body = item.get(kind) or {}
        if "owner_id" in body and "id" in body:
            name = f"{kind}{body['owner_id']}_{body['id']}"
            if body.get("access_key"):
                name += f"_{body['access_key']}"
            out.append(name)
        elif kind:
            out.append(kind)
    return out


def _telegram_error(method: TelegramMethod[Any], exc: VkError) -> Exception:
    text = f"VK error {exc.code}: {exc.message}"
    if exc.code in UNREACHABLE:
        return TelegramForbiddenError(method=method, message=f"Forbidden: {text}")
    if exc.code == TOO_MANY_REQUESTS:
        return TelegramRetryAfter(method=method, message=text, retry_after=1)
    if exc.code == 10:
        return TelegramServerError(method=method, message=text)
    if exc.code == 5:
        return TelegramUnauthorizedError(method=method, message=text)
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
) -> Bot:
    """An aiogram Bot whose requests go to a VK community (its id is the community's);
    `pacer`: the community token's pacing (`vk_pacer`), shared by all its senders."""
    session = VkSession(
        VkClient(token, api_url, rate=rate, pacer=pacer),
        group_id,
        commands=commands,
        long_poll_wait=long_poll_wait,
    )
    return Bot(f"{group_id}:vk", session=session, default=DefaultBotProperties(parse_mode="HTML"))
