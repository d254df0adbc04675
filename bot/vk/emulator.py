"""An in-process VK API server for one community: the methods partnerbot uses, the Bots
Long Poll server, uploads, `execute`, and the community limits.

What it holds the bot to, as VK does: 20 requests a second per token (error 6 beyond;
the second must pass before the next request), flood control per peer (error 9: more
than a short burst of messages and edits to one person, then about one a second),
`random_id` de-duplication per conversation, message length 4096, keyboard limits
(inline: 6 rows, 5 a row, 10 buttons; label ≤ 40; payload ≤ 255 bytes), error 901 for
people who have not allowed messages. Tests and the sandbox play the users: they type,
press buttons (callback or, for old clients, text buttons) and allow or deny messages.
Faults can be injected: a `failed` code or a dropped connection on the next long-poll
request, an error code on the next calls of a method, or a malformed answer (`garble`:
a method's or the upload URL's answer with a field missing, not JSON, or an HTTP error).
"""

from __future__ import annotations

import json
import secrets
import time
from collections import deque
from typing import Any

from aiohttp import web

from bot.vk.emulator_methods import VkMethods
from bot.vk.emulator_model import (
    API_VERSION,
    CHAT_PEER_BASE,
    RATE,
    TEXT_LIMIT,
    VkFault,
    VkMessage,
    VkRequest,
    VkUser,
    _error,
)

__all__ = [
    "API_VERSION",
    "CHAT_PEER_BASE",
    "RATE",
    "TEXT_LIMIT",
    "VkApiEmulator",
    "VkFault",
    "VkMessage",
    "VkRequest",
    "VkUser",
]


class VkApiEmulator(VkMethods):
    """One community's VK API on 127.0.0.1 (`start`), and the people who write to it."""

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/method/{method}", self._handle)
        app.router.add_get("/lp", self._long_poll)
        app.router.add_post("/upload/{kind}", self._upload)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        params.update(await request.post())
        record = VkRequest(method, {k: v for k, v in params.items() if k != "access_token"})
        self.requests.append(record)
        try:
            if params.get("access_token") != self.token:
                raise VkFault(5, "User authorization failed: invalid access_token")
            self._throttle()
            if method == "execute":
                return web.json_response(self._execute(str(params.get("code", ""))))
            result = self._call(method, params)
            garbled = self._garbled_answer(method)
            if garbled is not None:
                return garbled
        except VkFault as fault:
            record.error = fault.code
            return web.json_response(_error(fault, method, params))
        finally:
            self._fire_triggers()
        return web.json_response({"response": result})

    async def _long_poll(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if self._lp_drop:
            self._lp_drop -= 1
            assert request.transport is not None
            request.transport.close()  # the connection drops: no answer at all
            raise web.HTTPInternalServerError
        if query.get("key") != self._key:
            return web.json_response({"failed": 2})
        try:
            ts = int(query.get("ts", "0"))
        except ValueError:
            return web.json_response({"failed": 1, "ts": self.feed.newest})
        await self.feed.note_poll(ts)
        if self._lp_fail:
            code = self._lp_fail.popleft()
            if code == 1:  # "history lost": carry on from a ts a little back (repeats)
                return web.json_response({"failed": 1, "ts": max(self.feed.first, ts - 10)})
            self._key = secrets.token_hex(8)  # 2 and 3: the key expired
            return web.json_response({"failed": code})
        newest = self.feed.newest
        if ts < self.feed.first or ts > newest:
            return web.json_response({"failed": 1, "ts": newest})
        await self.feed.wait_for_event(ts, min(float(query.get("wait", "25")), 90.0))
        updates = self.feed.since(ts, 1000)
        return web.json_response({"ts": str(ts + len(updates)), "updates": updates})

    def fail_long_poll(self, *codes: int) -> None:
        """The next long-poll requests answer `{"failed": code}` (1, 2 or 3)."""
        self._lp_fail.extend(codes)

    def drop_long_poll(self, times: int = 1) -> None:
        """The next long-poll requests lose their connection."""
        self._lp_drop += times

    def fail_method(self, method: str, *codes: int) -> None:
        """The next calls of `method` fail with these error codes, one each."""
        self._faults.setdefault(method, deque()).extend(codes)

    def garble(self, method: str, body: str, *, status: int = 200, times: int = 1) -> None:
        """The next `times` calls of `method` ("photos.getMessagesUploadServer"; "upload":
        the upload URL) are carried out, then answered with `body` as it is (the whole
        HTTP body: a field missing, not JSON at all) and `status`."""
        self._garbled.setdefault(method, deque()).extend([(status, body)] * times)

    # --- the people -----------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str = "",
        *,
        language: str = "ru",
        callback_buttons: bool = True,
    ) -> VkUser:
        user = VkUser(
            user_id,
            first_name,
            last_name,
            lang_id=3 if language == "en" else 0,
            callback_buttons=callback_buttons,
        )
        self.users[user_id] = user
        return user

    def add_chat(self, peer_id: int, title: str) -> None:
        assert peer_id >= CHAT_PEER_BASE
        self.chats[peer_id] = title

    def push_event(self, kind: str, obj: dict[str, Any]) -> int:
        """Queue a long-poll event; its `ts` (the bot has handled it once it asks past it)."""
        event = {
            "type": kind,
            "object": obj,
            "group_id": self.group_id,
            "event_id": secrets.token_hex(10),
            "v": API_VERSION,
        }
        return self.feed.append(event)

    def repeat_event(self, ts: int) -> int:
        """The same event (same event_id) delivered once more, as VK may."""
        return self.feed.append(dict(self.feed.at(ts)))

    def user_message(
        self,
        user_id: int,
        text: str = "",
        *,
        peer_id: int | None = None,
        payload: str | None = None,
        reply_to: VkMessage | None = None,
        attachments: list[dict[str, Any]] | None = None,
        ref: str | None = None,
    ) -> int:
        peer = peer_id or user_id
        user = self.users[user_id]
        message = VkMessage(
            peer_id=peer,
            cmid=next(self._cmid_counter(peer)),
            from_id=user_id,
            text=text,
            reply_to=reply_to.cmid if reply_to else None,
            date=int(time.time()),
            payload=payload,
        )
        self.messages.setdefault(peer, []).append(message)
        self._screens.acted(peer)
        raw: dict[str, Any] = {
            "id": next(self._ids) if peer < CHAT_PEER_BASE else 0,
            "date": message.date,
            "peer_id": peer,
            "from_id": user_id,
            "text": text,
            "conversation_message_id": message.cmid,
            "attachments": attachments or [],
            "fwd_messages": [],
            "out": 0,
            "version": 1,
        }
        if payload is not None:
            raw["payload"] = payload
        if ref is not None:
            raw["ref"] = ref
        if reply_to is not None:
            raw["reply_message"] = self._raw(reply_to)
        actions = ["text", "open_link", "location"]
        if user.callback_buttons:
            actions.append("callback")
        client = {
            "button_actions": actions,
            "keyboard": True,
            "inline_keyboard": True,
            "carousel": True,
            "lang_id": user.lang_id,
        }
        return self.push_event("message_new", {"message": raw, "client_info": client})

    def join(self, user_id: int, peer_id: int) -> int:
        """Someone joins a chat by its invite link (VK's chat_invite_user_by_link)."""
        message = VkMessage(
            peer_id=peer_id,
            cmid=next(self._cmid_counter(peer_id)),
            from_id=user_id,
            date=int(time.time()),
        )
        self.messages.setdefault(peer_id, []).append(message)
        raw = self._raw(message) | {
            "action": {"type": "chat_invite_user_by_link", "member_id": user_id}
        }
        return self.push_event("message_new", {"message": raw, "client_info": {}})

    def _raw(self, message: VkMessage) -> dict[str, Any]:
        return {
            "id": 0,
            "date": message.date,
            "peer_id": message.peer_id,
            "from_id": message.from_id,
            "text": message.text,
            "conversation_message_id": message.cmid,
            "attachments": [],
        }

    def press(self, user_id: int, message: VkMessage, label: str, *, expired: bool = False) -> int:
        button = next((b for b in message.buttons if b["action"].get("label") == label), None)
        if button is None:
            raise AssertionError(f"no button {label!r}; there are {message.button_labels}")
        action = button["action"]
        if action["type"] == "callback":
            payload = json.loads(action["payload"])
            return self.press_payload(user_id, message, payload, expired=expired)
        if action["type"] == "text":
            return self.user_message(
                user_id, action["label"], peer_id=message.peer_id, payload=action.get("payload")
            )
        raise AssertionError(f"button {label!r} is a {action['type']} button")

    def press_payload(
        self, user_id: int, message: VkMessage, payload: Any, *, expired: bool = False
    ) -> int:
        """A callback button under `message` pressed with this payload (a forged one too:
        what a client can send). `expired`: the event reaches the bot after VK stopped
        taking an answer to it (a minute on), so its answer is refused."""
        event_id = secrets.token_hex(8)
        if not expired:
            self._open_events[event_id] = (user_id, message.peer_id)
        self._screens.acted(message.peer_id)
        obj = {
            "user_id": user_id,
            "peer_id": message.peer_id,
            "event_id": event_id,
            "payload": payload,
            "conversation_message_id": message.cmid,
        }
        return self.push_event("message_event", obj)

    def allow(self, user_id: int, allowed: bool = True) -> int:
        """The person allows (or denies) messages from the community."""
        self.users[user_id].allowed = allowed
        kind = "message_allow" if allowed else "message_deny"
        return self.push_event(kind, {"user_id": user_id, "key": ""})
