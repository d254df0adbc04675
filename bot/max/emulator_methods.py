"""The MAX Bot API methods the emulator implements, as MAX answers them (checks, limits,
the messages they make); `bot.max.emulator` serves them over HTTP."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from aiohttp import BodyPartReader, web

from bot.max.emulator_model import (
    _TAG,
    HTML_TAGS,
    TEXT_LIMIT,
    MaxChat,
    MaxFault,
    MaxMessage,
    MaxState,
    MaxUser,
    _check_keyboard,
    _rebase,
    request_is,
)

UPLOAD_URL = "POST /upload"  # the upload URL MAX gives, as faults name it


class MaxMethods(MaxState):
    """The methods by `METHOD /path`, the uploads, and MAX's shapes of users and chats."""

    def _garbled_answer(self, method: str) -> web.Response | None:
        """A malformed answer injected for `method` (`garble`), if one is due."""
        garbled = self._garbled.get(method)
        if not garbled:
            return None
        return web.Response(text=garbled.popleft(), content_type="application/json")

    def _throttle(self) -> None:
        now = self.monotonic()
        if not self.limit.admit(now, self.rate):
            self.rate_limited += 1
            raise MaxFault(429, "too.many.requests", "Too many requests")

    def _call(self, key: str, path: str, query: dict[str, str], body: Any) -> Any:
        chat_match = re.fullmatch(r"/chats/(-?\d+)(/.*)?", path)
        if key == "GET /me":
            return self._bot_user() | {"description": "sandbox", "commands": []}
        if key == "POST /messages":
            return {"message": self._send(query, body)}
        if key == "PUT /messages":
            return self._edit(query, body)
        if key == "DELETE /messages":
            self._by_mid(query.get("message_id", "")).deleted = True
            return {"success": True}
        if key == "GET /messages":
            return self._list(query)
        if key == "POST /answers":
            return self._answer(query, body)
        if key == "POST /uploads":
            kind = query.get("type")
            if kind not in ("image", "video", "audio", "file"):
                raise MaxFault(400, "proto.payload", "type: expected image, video, audio or file")
            number = next(self._ids)
            return {"url": f"{self.base_url}/upload/{number}?type={kind}"}
        if key == "GET /subscriptions":
            return {"subscriptions": self.subscriptions}
        if key == "POST /subscriptions":
            return self._subscribe(body)
        if key == "DELETE /subscriptions":
            url = query.get("url")
            self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
            return {"success": True}
        if chat_match is not None:
            chat = self.chats.get(int(chat_match.group(1)))
            rest = chat_match.group(2) or ""
            if chat is None or not chat.bot_member:
                raise MaxFault(404, "chat.not.found", "Chat not found")
            if request_is(key, "GET", rest, ""):
                return self._chat_json(chat)
            if request_is(key, "GET", rest, "/members/me"):
                return self._bot_user() | {
                    "last_access_time": 0,
                    "is_owner": False,
                    "is_admin": chat.bot_admin,
                    "join_time": 0,
                    "permissions": chat.permissions if chat.bot_admin else [],
                }
            if request_is(key, "POST", rest, "/actions"):
                return {"success": True}
        raise MaxFault(404, "not.found", f"{key}: no such method")

    def _bot_user(self) -> dict[str, Any]:
        return {
            "user_id": self.BOT_USER_ID,
            "first_name": self.bot_name,
            "name": self.bot_name,
            "username": self.username,
            "is_bot": True,
            "last_activity_time": int(time.time() * 1000),
        }

    def _user_json(self, user: MaxUser) -> dict[str, Any]:
        return {
            "user_id": user.user_id,
            "first_name": user.first_name,
            "last_name": user.last_name or None,
            "name": f"{user.first_name} {user.last_name}".strip(),
            "username": user.username,
            "is_bot": False,
            "last_activity_time": int(time.time() * 1000),
        }

    def _chat_json(self, chat: MaxChat) -> dict[str, Any]:
        return {
            "chat_id": chat.chat_id,
            "type": "chat",
            "status": "active",
            "title": chat.title,
            "icon": None,
            "last_event_time": 0,
            "participants_count": len(chat.members),
            "is_public": False,
            "description": None,
        }

    def _target(self, query: dict[str, str]) -> int:
        """The chat a send goes to: `chat_id`, or a person's dialog by `user_id`."""
        if "chat_id" in query:
            chat_id = int(query["chat_id"])
            user = self._dialog_user(chat_id)
            if user is not None:
                if user.stopped:
                    raise MaxFault(403, "chat.denied", "The user stopped the bot")
                return chat_id
            chat = self.chats.get(chat_id)
            if chat is None:
                raise MaxFault(404, "chat.not.found", f"Chat {chat_id} not found")
            if not chat.bot_member:
                raise MaxFault(403, "chat.denied", "The bot is not a member of the chat")
            return chat_id
        if "user_id" in query:
            user = self.users.get(int(query["user_id"]))
            if user is None:
                raise MaxFault(404, "user.not.found", "User not found")
            if user.stopped:
                raise MaxFault(403, "chat.denied", "The user stopped the bot")
            return user.dialog
        raise MaxFault(400, "proto.payload", "chat_id or user_id is required")

    def _check_text(self, body: dict[str, Any]) -> tuple[str, str | None]:
        text = body.get("text") or ""
        if not isinstance(text, str):
            raise MaxFault(400, "proto.payload", "text: expected a string")
        if len(text) > TEXT_LIMIT:
            raise MaxFault(400, "proto.payload", f"text: longer than {TEXT_LIMIT}")
        markup = body.get("format")
        if markup not in (None, "html", "markdown"):
            raise MaxFault(400, "proto.payload", "format: expected html or markdown")
        if markup == "html":  # MAX strips what it does not know; the bot should not send it
            unknown = {m.group(1).lower() for m in _TAG.finditer(text)} - HTML_TAGS
            if unknown:
                raise MaxFault(400, "proto.payload", f"unsupported tags {sorted(unknown)}")
        return text, markup

    def _check_attachments(
        self, raw: Any
    ) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]] | None]:
        files: list[dict[str, Any]] = []
        keyboard: list[list[dict[str, Any]]] | None = None
        for item in raw or []:
            kind = item.get("type")
            payload = item.get("payload") or {}
            if kind == "inline_keyboard":
                keyboard = _check_keyboard(payload.get("buttons"))
            elif kind in ("image", "file"):
                token = payload.get("token")
                if token is None and kind == "image" and payload.get("url"):
                    files.append({"type": kind, "payload": {"url": payload["url"]}})
                    continue
                if token not in self.uploads and not str(token).startswith("in:"):
                    raise MaxFault(400, "attachment.invalid", f"unknown token {token!r}")
                if self._ready_at.get(str(token), 0.0) > self.monotonic():
                    self.not_ready += 1
                    raise MaxFault(
                        400,
                        "attachment.not.ready",
                        "Key: errors.process.attachment.file.not.processed",
                    )
                files.append({"type": kind, "payload": {"token": token}})
            else:
                raise MaxFault(400, "proto.payload", f"attachment type {kind!r} is not used here")
        return files, keyboard

    def _send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise MaxFault(400, "proto.payload", "a JSON body is required")
        chat_id = self._target(query)
        text, markup = self._check_text(body)
        files, keyboard = self._check_attachments(body.get("attachments"))
        link = body.get("link") or None
        reply_to = forwarded = None
        if link is not None:
            linked = self._by_mid(str(link.get("mid")))
            if link.get("type") == "reply":
                reply_to = linked.mid
            else:
                forwarded = linked.mid
        if not text and not files and forwarded is None:
            raise MaxFault(400, "proto.payload", "text or attachments are required")
        message = MaxMessage(
            chat_id=chat_id,
            mid=f"mid.{secrets.token_hex(12)}",
            seq=next(self._seq),
            sender_id=self.BOT_USER_ID,
            text=text,
            markup=markup,
            files=files,
            keyboard=keyboard,
            reply_to=reply_to,
            forwarded=forwarded,
            timestamp=int(time.time() * 1000),
        )
        self.messages.setdefault(chat_id, []).append(message)
        self.sent_count += 1
        for listener in self.listeners:
            listener(message)
        return self._message_json(message)

    def _edit(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        message = self._by_mid(query.get("message_id", ""))
        if not isinstance(body, dict):
            raise MaxFault(400, "proto.payload", "a JSON body is required")
        text, markup = self._check_text(body)
        if body.get("attachments") is not None:
            files, keyboard = self._check_attachments(body["attachments"])
            message.files, message.keyboard = files, keyboard
        if text:
            message.text, message.markup = text, markup
        message.edits += 1
        for listener in self.listeners:
            listener(message)
        return {"success": True}

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        if "chat_id" not in query:
            raise MaxFault(400, "proto.payload", "chat_id or message_ids is required")
        count = int(query.get("count", "50"))
        if not 1 <= count <= 100:
            raise MaxFault(400, "proto.payload", "count: 1..100")
        items = [m for m in self.messages.get(int(query["chat_id"]), []) if not m.deleted]
        return {"messages": [self._message_json(m) for m in reversed(items[-count:])]}

    def _answer(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        callback_id = query.get("callback_id", "")
        if callback_id not in self._open_callbacks:
            raise MaxFault(404, "not.found", "callback not found")
        if not isinstance(body, dict) or not (body.get("message") or body.get("notification")):
            raise MaxFault(400, "proto.payload", "`message` or `notification` required")
        self.callback_answers.append({"callback_id": callback_id} | body)
        if body.get("notification"):
            for listener in self.answer_listeners:
                listener(callback_id, str(body["notification"]))
        return {"success": True}

    def _subscribe(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not str(body.get("url", "")).startswith("https://"):
            raise MaxFault(400, "proto.payload", "url: an https:// address is required")
        self.subscriptions = [s for s in self.subscriptions if s["url"] != body["url"]]
        self.subscriptions.append(
            {
                "url": body["url"],
                "time": int(time.time() * 1000),
                "update_types": body.get("update_types"),
                "secret": body.get("secret"),
                "deliver_to": _rebase(body["url"], self.webhook_target),
            }
        )
        return {"success": True}

    def _message_json(self, message: MaxMessage) -> dict[str, Any]:
        user = self._dialog_user(message.chat_id)
        sender = (
            self._bot_user()
            if message.from_bot
            else self._user_json(self.users[message.sender_id])
        )
        if user is not None:
            receiver = user.user_id if message.from_bot else self.BOT_USER_ID
            recipient = {"chat_id": message.chat_id, "chat_type": "dialog", "user_id": receiver}
        else:
            recipient = {"chat_id": message.chat_id, "chat_type": "chat", "user_id": None}
        attachments = [self._with_url(f) for f in message.files]
        if message.keyboard:
            attachments.append(
                {"type": "inline_keyboard", "payload": {"buttons": message.keyboard}}
            )
        body: dict[str, Any] = {
            "sender": sender,
            "recipient": recipient,
            "timestamp": message.timestamp,
            "body": {
                "mid": message.mid,
                "seq": message.seq,
                "text": message.text,
                "attachments": attachments,
            },
        }
        linked = message.reply_to or message.forwarded
        if linked is not None:
            original = self._by_mid(linked)
            body["link"] = {
                "type": "reply" if message.reply_to else "forward",
                "sender": self._bot_user()
                if original.from_bot
                else self._user_json(self.users[original.sender_id]),
                "chat_id": original.chat_id,
                "message": {"mid": original.mid, "seq": original.seq, "text": original.text},
            }
        return body

    def _with_url(self, attachment: dict[str, Any]) -> dict[str, Any]:
        """An image or file as MAX shows it: with the URL it can be fetched from."""
        payload = dict(attachment.get("payload") or {})
        token = str(payload.get("token") or "")
        if token in self.uploads:
            name = self.uploads[token][0] or "file"
            payload["url"] = f"{self.base_url}/files/{token}/{name}"
        return {**attachment, "payload": payload}

    async def _download(self, request: web.Request) -> web.Response:
        """A file by the URL MAX gave (public, no token), as MAX's storage serves it."""
        found = self.uploads.get(request.match_info["token"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[1])

    def attach(self, kind: str, filename: str, data: bytes) -> dict[str, Any]:
        """A file a person sends (for `user_message(files=…)`), already processed."""
        token = f"in:{secrets.token_hex(8)}"
        self.uploads[token] = (filename, data)
        return {"type": kind, "payload": {"token": token}}

    async def _upload(self, request: web.Request) -> web.Response:
        kind = request.query.get("type", "file")
        fault = self._faults.get(UPLOAD_URL)
        if fault:  # the upload URL refuses the file
            status, code = fault.popleft()
            return web.json_response({"code": code, "message": code}, status=status)
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.name == "data":
                data = bytes(await part.read())
                token = f"{kind}:{secrets.token_hex(8)}"
                self.uploads[token] = (part.filename or "file", data)
                self._ready_at[token] = self.monotonic() + self.processing
                garbled = self._garbled_answer(UPLOAD_URL)
                if garbled is not None:
                    return garbled
                if kind == "image":
                    return web.json_response({"photos": {str(next(self._ids)): {"token": token}}})
                return web.json_response({"token": token})
        return web.json_response({"error_code": "no.data", "error_data": "no data field"})
