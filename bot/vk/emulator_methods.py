"""The VK API methods the emulator implements, as VK answers them (checks, limits, the
messages they make); `bot.vk.emulator` serves them over HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import BodyPartReader, web

from bot.vk.emulator_model import (
    CHAT_PEER_BASE,
    TEXT_LIMIT,
    VkFault,
    VkMessage,
    VkRequest,
    VkState,
    _check_keyboard,
    _form,
    _parse_execute,
)

UPLOAD_URL = "upload"  # the upload URL VK gives, as `garble` names it


class VkMethods(VkState):
    """The methods (`_m_` + the method's name with `_` for `.`), `execute`, uploads."""

    def _throttle(self) -> None:
        now = self.monotonic()
        if now < self._window_until.get(None, 0.0):
            self.window_violations += 1
        if not self.limit.admit(now, self.rate):
            self.rate_limited += 1
            self._window_until[None] = self.limit.window_end(now)
            raise VkFault(6, "Too many requests per second")

    def _flood_check(self, peer: int) -> None:
        """A message or edit to `peer`: error 9 beyond its burst and rate."""
        if self.peer_rate <= 0:
            return
        now = self.monotonic()
        if now < self._window_until.get(peer, 0.0):
            self.window_violations += 1
        tokens, stamp = self._peer_tokens.get(peer, (self.peer_burst, now))
        tokens = min(self.peer_burst, tokens + (now - stamp) * self.peer_rate)
        if tokens < 1:
            self._peer_tokens[peer] = (tokens, now)
            self._window_until[peer] = now + (1 - tokens) / self.peer_rate
            self.flood_refused += 1
            raise VkFault(9, "Flood control: too many messages to this peer")
        self._peer_tokens[peer] = (tokens - 1, now)

    def _garbled_answer(self, method: str) -> web.Response | None:
        """A malformed answer injected for `method` (`garble`), if one is due."""
        garbled = self._garbled.get(method)
        if not garbled:
            return None
        status, body = garbled.popleft()
        return web.Response(text=body, status=status, content_type="application/json")

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        faults = self._faults.get(method)
        if faults:
            code = faults.popleft()
            raise VkFault(code, f"injected error {code}")
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            raise VkFault(3, f"Unknown method passed: {method}")
        return handler(params)

    def _execute(self, code: str) -> dict[str, Any]:
        """`return [API.a.b({...}), ...];`: each call as on its own (one request in all)."""
        calls = _parse_execute(code)
        if len(calls) > 25:
            raise VkFault(13, "Runtime error occurred during code invocation: too many calls")
        results: list[Any] = []
        errors: list[dict[str, Any]] = []
        for method, params in calls:
            record = VkRequest(method, params)
            self.requests.append(record)
            try:
                results.append(self._call(method, {k: _form(v) for k, v in params.items()}))
            except VkFault as fault:
                record.error = fault.code
                results.append(False)
                errors.append(
                    {"method": method, "error_code": fault.code, "error_msg": fault.message}
                )
        body: dict[str, Any] = {"response": results}
        if errors:
            body["execute_errors"] = errors
        return body

    # --- methods --------------------------------------------------------------------

    def _m_groups_getById(self, params: dict[str, Any]) -> Any:
        group = {"id": self.group_id, "name": self.group_name, "screen_name": "partners"}
        return {"groups": [group], "profiles": []}

    def _m_groups_getLongPollServer(self, params: dict[str, Any]) -> Any:
        if int(params.get("group_id", 0)) != self.group_id:
            raise VkFault(100, "One of the parameters specified was missing or invalid: group_id")
        return {
            "key": self._key,
            "server": f"{self.base_url}/lp",
            "ts": str(self.feed.newest),
        }

    def _m_messages_getConversationsById(self, params: dict[str, Any]) -> Any:
        peers = [int(p) for p in str(params["peer_ids"]).split(",") if p]
        items, profiles = [], []
        for peer in peers:
            kind = "chat" if peer >= CHAT_PEER_BASE else "user"
            item: dict[str, Any] = {"peer": {"id": peer, "type": kind, "local_id": peer}}
            if kind == "chat":
                item["chat_settings"] = {"title": self.chats.get(peer, "chat")}
            items.append(item)
            user = self.users.get(peer)
            if user is not None:
                profiles.append(
                    {"id": user.id, "first_name": user.first_name, "last_name": user.last_name}
                )
        return {"count": len(items), "items": items, "profiles": profiles}

    def _m_messages_send(self, params: dict[str, Any]) -> Any:
        text = str(params.get("message", ""))
        attachments = [a for a in str(params.get("attachment", "")).split(",") if a]
        if not text and not attachments and "forward" not in params:
            raise VkFault(100, "One of the parameters specified was missing: message is empty")
        if len(text) > TEXT_LIMIT:
            raise VkFault(914, "Message is too long")
        if "random_id" not in params:
            raise VkFault(100, "One of the parameters specified was missing: random_id")
        keyboard = _check_keyboard(params.get("keyboard"))
        if "peer_ids" in params:
            peers = [int(p) for p in str(params["peer_ids"]).split(",") if p]
            if len(peers) > 100:
                raise VkFault(100, "peer_ids: too many recipients (100 at most)")
            out: list[dict[str, Any]] = []
            for peer in peers:
                try:
                    sent = self._deliver(peer, text, attachments, keyboard, params)
                    out.append(
                        {
                            "peer_id": peer,
                            "message_id": sent.cmid,
                            "conversation_message_id": sent.cmid,
                        }
                    )
                except VkFault as fault:
                    out.append(
                        {
                            "peer_id": peer,
                            "error": {"code": fault.code, "description": fault.message},
                        }
                    )
            return out
        peer = int(params.get("peer_id") or params.get("user_id") or 0)
        return self._deliver(peer, text, attachments, keyboard, params).cmid

    def _deliver(
        self,
        peer: int,
        text: str,
        attachments: list[str],
        keyboard: dict[str, Any] | None,
        params: dict[str, Any],
    ) -> VkMessage:
        if peer >= CHAT_PEER_BASE:
            if peer not in self.chats:
                raise VkFault(917, "You don't have access to this chat")
        else:
            user = self.users.get(peer)
            if user is None:
                raise VkFault(100, f"peer_id: unknown user {peer}")
            if not user.allowed:
                raise VkFault(901, "Can't send messages for users without permission")
            if peer in self.flooded:
                raise VkFault(9, "Flood control: too many messages to this user")
        random_id = int(params.get("random_id", 0))
        if random_id and (peer, random_id) in self._random_ids:
            self.duplicates_refused += 1
            return self._random_ids[(peer, random_id)]
        self._flood_check(peer)
        reply_to: int | None = None
        forwarded: list[VkMessage] = []
        if "forward" in params:
            spec = json.loads(str(params["forward"]))
            source = int(spec.get("peer_id", peer))
            for cmid in spec.get("conversation_message_ids", []):
                original = self._find(source, int(cmid))
                if spec.get("is_reply") and source == peer:
                    reply_to = original.cmid
                else:
                    forwarded.append(original)
        message = VkMessage(
            peer_id=peer,
            cmid=next(self._cmid_counter(peer)),
            from_id=-self.group_id,
            text=text,
            keyboard=keyboard,
            attachments=attachments,
            reply_to=reply_to,
            forwarded=forwarded,
            random_id=random_id,
            date=int(time.time()),
        )
        self.messages.setdefault(peer, []).append(message)
        signature = (text, json.dumps(keyboard, sort_keys=True), tuple(attachments))
        # the same screen more times in a row than the person acted: delivered twice
        # (plain texts may repeat by design)
        if self._screens.sent(peer, signature, screen=bool(keyboard) and not forwarded):
            self.duplicates.append((peer, text))
        if random_id:
            self._random_ids[(peer, random_id)] = message
        self.sent_count += 1
        for listener in self.listeners:
            listener(message)
        return message

    def _m_messages_edit(self, params: dict[str, Any]) -> Any:
        message = self._find(int(params["peer_id"]), int(params["cmid"]))
        self._flood_check(message.peer_id)
        text = str(params.get("message", ""))
        if len(text) > TEXT_LIMIT:
            raise VkFault(914, "Message is too long")
        if "message" in params:
            message.text = text
        if "attachment" in params:
            message.attachments = [a for a in str(params["attachment"]).split(",") if a]
        message.keyboard = _check_keyboard(params.get("keyboard"))
        message.edits += 1
        for listener in self.listeners:
            listener(message)
        return 1

    def _m_messages_delete(self, params: dict[str, Any]) -> Any:
        peer = int(params["peer_id"])
        result = {}
        for cmid in str(params.get("cmids", "")).split(","):
            if cmid:
                self._find(peer, int(cmid)).deleted = True
                result[cmid] = 1
        return result

    def _m_messages_sendMessageEventAnswer(self, params: dict[str, Any]) -> Any:
        event_id = str(params["event_id"])
        expected = self._open_events.pop(event_id, None)
        if expected is None:
            raise VkFault(100, "event_id: no such event, or answered already")
        if expected != (int(params["user_id"]), int(params["peer_id"])):
            raise VkFault(100, "user_id/peer_id do not match the event")
        data = json.loads(str(params["event_data"])) if params.get("event_data") else None
        self.event_answers.append({"event_id": event_id, "data": data})
        if data and data.get("text"):
            for listener in self.answer_listeners:
                listener(expected[0], str(data["text"]))
        return 1

    def _m_photos_getMessagesUploadServer(self, params: dict[str, Any]) -> Any:
        return {"upload_url": f"{self.base_url}/upload/photo", "album_id": -3, "group_id": 0}

    def _m_docs_getMessagesUploadServer(self, params: dict[str, Any]) -> Any:
        return {"upload_url": f"{self.base_url}/upload/doc"}

    def _m_photos_saveMessagesPhoto(self, params: dict[str, Any]) -> Any:
        token = str(params.get("photo", ""))
        if token not in self.uploads:
            raise VkFault(100, "photo: not an uploaded photo")
        number = token.split(":")[1]
        return [{"id": int(number), "owner_id": -self.group_id, "access_key": "k"}]

    def _m_docs_save(self, params: dict[str, Any]) -> Any:
        token = str(params.get("file", ""))
        if token not in self.uploads:
            raise VkFault(100, "file: not an uploaded file")
        name, data = self.uploads[token]
        number = int(token.split(":")[1])
        doc = {"id": number, "owner_id": -self.group_id, "title": name, "size": len(data)}
        return {"type": "doc", "doc": doc}

    async def _upload(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.filename:
                data = bytes(await part.read())
                token = f"{kind}:{next(self._uploads)}"
                self.uploads[token] = (part.filename, data)
                garbled = self._garbled_answer(UPLOAD_URL)
                if garbled is not None:
                    return garbled
                if kind == "photo":
                    return web.json_response({"server": 1, "photo": token, "hash": "h"})
                return web.json_response({"file": token})
        return web.json_response({"error": "no file"})

    # --- long poll ------------------------------------------------------------------
