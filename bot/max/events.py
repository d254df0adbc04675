"""MAX events read into aiogram's shapes, and what the session knows of MAX's people and
chats (names, dialogs, titles, messages' mids): the half of `MaxSession` that listens.

- The chat is always `recipient.chat_id`, never `recipient.user_id` (the receiver: the
  bot, in a person's message). A person's dialog has its own chat id (the aiogram chat
  id); people known only by user id (MANAGERS) are written to with `?user_id=`.
- aiogram's `message_id` is MAX's `seq`; (chat, seq) → the string `mid` MAX edits by.
- `bot_started` with a deep link's payload → `/start PAYLOAD`; `user_added` → a new chat
  member; `bot_stopped`, `dialog_removed`, `bot_removed` → the bot blocked or removed
  (`my_chat_member`); other kinds are logged once and ignored.
- MAX gives events no id: an event is known by its type, time and subject (mid, callback
  id, chat and user), and one delivered again is dropped.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final, cast

from aiogram import Bot
from aiogram.types import Update, User

from bot.max import convert

logger = logging.getLogger(__name__)

FILE_PREFIX: Final = "max:"  # a MAX file token as an aiogram file_id (told from Telegram's)
BOT_ID: Final = 1  # the bot's id for aiogram (its MAX user id is `me().id`)
SEEN_EVENTS: Final = 50_000
REMEMBERED: Final = 20_000  # messages whose mid/text/keyboard are kept for edits
# the fields of a MAX event that are whole numbers (checked at the webhook: 400 naming one)
MAX_ID_FIELDS: Final = frozenset({"chat_id", "user_id", "seq", "timestamp"})


class Lru(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self._size:
            self.popitem(last=False)


@dataclass
class Sent:
    mid: str
    text: str  # MAX HTML
    keyboard: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)


class MaxEvents:
    """What `MaxSession` knows and how it reads events (a mixin: the session holds the
    state, created by `_init_events`)."""

    _me: User | None

    def _init_events(self, people: frozenset[int]) -> None:
        self._people = people  # user ids written to by `?user_id=` (MANAGERS on MAX)
        self._update_ids = 0
        self._seen: Lru = Lru(SEEN_EVENTS)
        self._sent: Lru = Lru(REMEMBERED)  # (chat, seq) → Sent
        self._dialogs: Lru = Lru(100_000)  # dialog chat id → user id
        self._user_dialog: Lru = Lru(100_000)  # user id → dialog chat id
        self._names: Lru = Lru(100_000)  # user id → (first, last, username)
        self._titles: dict[int, str] = {}  # group chat id → title
        self._newest: Lru = Lru(100_000)  # chat id → the newest seq seen there
        self._callbacks: Lru = Lru(10_000)  # callback id → (chat, seq)
        self._ignored: set[str] = set()  # event types logged once
        self.unreachable_chats: set[int] = set()
        self.repeated_events = 0

    async def me(self) -> User:
        raise NotImplementedError

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

    def _see(self, chat_id: int, seq: int) -> None:
        if seq > int(self._newest.get(chat_id) or 0):
            self._newest.put(chat_id, seq)

    def _chat_of(self, address: dict[str, int]) -> int | None:
        if "chat_id" in address:
            return address["chat_id"]
        dialog = self._user_dialog.get(address.get("user_id", 0))
        return None if dialog is None else int(dialog)

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
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
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
        files = files_of(body.get("attachments") or [])
        # what a person typed is text: kept as MAX HTML escaped, so a copy shows it as typed
        self._sent.put((chat_id, seq), Sent(mid, convert.escape(text), None, files))
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
                linked_text = str(linked.get("text") or "")
                self._sent.setdefault(
                    (chat_id, int(linked["seq"])),
                    Sent(
                        str(linked.get("mid") or ""),
                        linked_text if from_bot else convert.escape(linked_text),
                    ),
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
            files = files_of(body.get("attachments") or [])
            self._sent.put(
                (chat_id, seq),
                Sent(str(body["mid"]), str(body.get("text") or ""), keyboard, files),
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
        """An aiogram chat for a MAX chat id. A dialog is known by its chat id, except a
        manager's (MANAGERS name them by user id, and the bot writes to them so): by the
        manager's user id, so that replies there match what was sent there."""
        if self._is_group(chat_id):
            return {"id": chat_id, "type": "group", "title": self._titles.get(chat_id, "MAX")}
        user_id = self._dialogs.get(chat_id, chat_id)
        first, _last, _username = self._name(user_id)
        shown = user_id if user_id in self._people else chat_id
        return {"id": shown, "type": "private", "first_name": first or str(chat_id)}

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


def files_of(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Image and file attachments, as they can be sent again (type + token)."""
    out = []
    for item in raw:
        kind = item.get("type")
        payload = item.get("payload") or {}
        if kind in ("image", "file") and isinstance(payload, dict) and payload.get("token"):
            out.append({"type": kind, "payload": {"token": str(payload["token"])}})
    return out
