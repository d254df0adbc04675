"""MAX events read into aiogram's shapes: the half of `MaxSession` that listens (what it
knows of people and chats is `bot.max.people`).

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
from typing import Any, Final

from aiogram import Bot
from aiogram.types import Update

from bot.max import convert
from bot.max.files import aiogram_file
from bot.max.people import MaxDirectory, Sent
from bot.platform.memory import Lru, SeenOnce

logger = logging.getLogger(__name__)
SEEN_EVENTS: Final = 50_000
# the fields of a MAX event that are whole numbers (checked at the webhook: 400 naming one)
MAX_ID_FIELDS: Final = frozenset({"chat_id", "user_id", "seq", "timestamp"})


class MaxEvents(MaxDirectory):
    """How `MaxSession` reads events (a mixin: the session holds the state, made by
    `_init_events`)."""

    def _init_events(self) -> None:
        self._update_ids = 0
        self._seen = SeenOnce(SEEN_EVENTS)
        self._callbacks: Lru = Lru(10_000)  # callback id → (chat, seq)
        self._ignored: set[str] = set()  # event types logged once
        self.unreachable_chats: set[int] = set()

    @property
    def repeated_events(self) -> int:
        """Events MAX sent again, dropped."""
        return self._seen.repeated

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

    def event_key(self, update_id: int) -> str | None:
        """None: an event may make several updates, so a kept one is known by what it
        holds (`bot.webhook.PolledReader`)."""
        return None

    def renumber(self, event_key: str | None) -> int:
        """A number of this process for an update another process kept."""
        self._update_ids += 1
        return self._update_ids

    def first_time(self, event: dict[str, Any]) -> bool:
        if self._seen.first_time(event_key(event)):
            return True
        logger.info("MAX event %s delivered again; skipped", event.get("update_type"))
        return False

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
        attached = aiogram_file(body.get("attachments") or [], text)
        if attached:
            message.update(attached)
        else:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        replied = self._replied(raw, chat_id, message["date"])
        if replied is not None:
            message["reply_to_message"] = replied
        return message

    def _replied(self, raw: dict[str, Any], chat_id: int, date: int) -> dict[str, Any] | None:
        """The message a MAX message replies to (its `link` of type reply), in aiogram's
        shape; None for none (or a forward)."""
        link = raw.get("link")
        if not isinstance(link, dict) or link.get("type") != "reply":
            return None
        linked = link.get("message") or {}
        if linked.get("seq") is None:
            return None
        linked_from = link.get("sender") or {}
        bot_id = self._me.id if self._me is not None else None
        from_bot = linked_from.get("user_id") is not None and (
            int(linked_from["user_id"]) == bot_id
        )
        # the bot's own message reads as the MAX HTML it was sent as (remembered: one sent
        # as plain text comes back without its escapes); a person's as typed
        linked_text = str(linked.get("text") or "")
        known = self._sent.setdefault(
            (chat_id, int(linked["seq"])),
            Sent(
                str(linked.get("mid") or ""),
                linked_text if from_bot else convert.escape(linked_text),
            ),
        )
        return {
            "message_id": int(linked["seq"]),
            "date": date,
            "chat": self._chat_json(chat_id),
            "from": self._bot_json()
            if from_bot
            else self._person_json(self._learn_user(linked_from))
            if linked_from.get("user_id") is not None
            else self._bot_json(),
            "text": convert.plain(known.text) if from_bot else linked_text,
        }

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
        message: dict[str, Any] = {
            "message_id": seq,
            "date": int(time.time()),
            "chat": self._chat_json(chat_id),
            "from": self._bot_json(),
            "text": convert.plain(sent.text) if sent else "",
        }
        # the pressed message comes with the one it replies to (a /faq_link picker: the
        # partner's message it is about)
        replied = self._replied(raw, chat_id, message["date"])
        if replied is not None:
            message["reply_to_message"] = replied
        return {
            "id": callback_id,
            "from": self._person_json(user_id, event.get("user_locale")),
            "chat_instance": str(chat_id),
            "data": str(callback.get("payload") or ""),
            "message": message,
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
