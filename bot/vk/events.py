"""How `VkSession` listens: Bots Long Poll rounds read into aiogram `Update`s.

- `groups.getLongPollServer` once, then `a_check` rounds. `failed` 1: carry on from the
  `ts` given; 2: a new key, same `ts`; 3: a new key, and the old `ts` is tried first (if
  VK no longer has it, it answers `failed` 1 with the one to use), so nothing the server
  still holds is skipped. A network error keeps `ts` and the dispatcher backs off.
- Events are de-duplicated by `event_id`; unknown types are logged and ignored.
- Commands typed without the slash, "Начать", `?ref=` links and mentions of the
  community become what Telegram would send.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from collections.abc import Collection, Mapping
from typing import Any, Final, cast

from aiogram import Bot
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.platform.memory import Lru, SeenOnce, UpdateBuffer
from bot.platform.positions import KeptPosition
from bot.rendering import whole_characters_in
from bot.vk import convert
from bot.vk.people import Sent, VkDirectory

logger = logging.getLogger(__name__)

SEEN_EVENTS: Final = 50_000
WITH_ARGUMENTS: Final = frozenset({"start", "link"})  # typed with words after them
# a manager's commands typed with words after them in a reply to a ticket's message (where
# other words are the manager's answer to the partner)
IN_REPLY_WITH_ARGUMENTS: Final = frozenset({"t", "faq_link"})


class VkEvents(VkDirectory):
    """The long poll and the events (a mixin: state made by `_init_events`)."""

    def _init_events(
        self,
        commands: Mapping[str, str] | None,
        long_poll_wait: int,
        manager_commands: Mapping[str, str] | None = None,
        managers: Collection[int] = (),
    ) -> None:
        self._commands = dict(commands or {})  # a word typed without "/" → its command
        # the same for the managers' commands, typed by these VK users (MANAGERS)
        self._manager_commands = dict(manager_commands or {})
        self._managers = frozenset(managers)
        self._wait = long_poll_wait
        self._server: str | None = None
        self._key = ""
        self._ts = ""
        # where the long poll stopped reading, kept for the next leader (`ts`)
        self.position = KeptPosition("VK")
        self._buffer = UpdateBuffer()
        self._update_ids = 0
        self._event_keys: Lru = Lru(1000)  # update_id → event id
        self._seen = SeenOnce(SEEN_EVENTS)
        # "[club777|@partners] question": VK's mention of the community, as Telegram's @name
        self._mention = re.compile(rf"\[(?:club|public){self.group_id}\|[^\]]*\]")

    @property
    def repeated_events(self) -> int:
        """Events VK sent again, dropped by their event_id."""
        return self._seen.repeated

    async def _refresh_server(self, *, keep_ts: bool) -> None:
        answer = await self.client("groups.getLongPollServer", group_id=self.group_id)
        self._server = str(answer["server"])
        self._key = str(answer["key"])
        if not keep_ts or not self._ts:
            self._ts = str(answer["ts"])

    async def _poll(self, bot: Bot, method: GetUpdates) -> list[Update]:
        pending = self._buffer.pending(method.offset)
        if pending:
            return pending
        if self._server is None:
            await self._refresh_server(keep_ts=await self._kept_position())
        assert self._server is not None
        await self._confirm()
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
        return self._buffer.keep(await self._translate(bot, raw))

    async def _kept_position(self) -> bool:
        """At the first poll: go on from where the last leader stopped reading (True), if
        it was kept — VK sends the events since, as long as it still has them (else
        `failed: 1`, and the poll goes on from VK's newest)."""
        if self._ts:
            return False
        kept = await self.position.kept()
        if kept is None:
            return False
        self._ts = str(kept)
        return True

    async def _confirm(self) -> None:
        """Keep the position before polling from it."""
        if self._ts.isdigit():
            await self.position.confirm(int(self._ts))

    def _first_time(self, event: dict[str, Any]) -> bool:
        event_id = str(event.get("event_id") or "")
        if not event_id:
            return True
        if self._seen.first_time(event_id):
            return True
        logger.info("VK event %s delivered again; skipped", event_id)
        return False

    def event_key(self, update_id: int) -> str | None:
        """The VK event behind an update (for stable random ids)."""
        return cast("str | None", self._event_keys.get(update_id))

    def renumber(self, event_key: str | None) -> int:
        """A number of this process for an update another process kept, with its event
        (`bot.webhook.PolledReader`)."""
        self._update_ids += 1
        if event_key is not None:
            self._event_keys.put(self._update_ids, event_key)
        return self._update_ids

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
        replying = isinstance(message.get("reply_message"), dict)
        command = self._typed_command(words, int(user["id"]), replying, peer == int(user["id"]))
        if command is not None:
            # VK users type commands without the slash ("faq", "link 12345", "Начать")
            text = "/" + command + (f" {words[1]}" if len(words) > 1 else "")
        attachments = _attachments(message.get("attachments") or [])
        self._sent.put((peer, cmid), Sent(text, None, attachments, by_bot=False))
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

    def _typed_command(
        self, words: list[str], user_id: int, reply: bool, private: bool
    ) -> str | None:
        """The command a message typed without the slash is, or None (its words as typed).
        Partners' words: alone, or with words after them for those that take some ("link
        12345"), in any chat. A manager's (MANAGERS) commands only in their private chat
        with the bot (in the managers' chat a manager types the slash: «stats за неделю
        какие-то странные» there is talk): alone, or with words after them as with the
        slash («reload x» gets its usage) — but in a reply, whose words are an answer to a
        ticket's partner («close to …»), only those used in a ticket with words ("t KEY",
        "faq_link ENTRY")."""
        if not words:
            return None
        word, alone = words[0].lower(), len(words) == 1
        command = self._commands.get(word)
        if command is not None:
            return command if alone or command in WITH_ARGUMENTS else None
        command = self._manager_commands.get(word) if user_id in self._managers else None
        if command is None or not private:
            return None
        if alone or not reply:
            return command
        return command if command in IN_REPLY_WITH_ARGUMENTS else None

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
