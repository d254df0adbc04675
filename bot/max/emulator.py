"""An in-process MAX Bot API server for one bot: the methods partnerbot uses, long polling
with `marker`, webhook subscriptions, uploads, chats and members, and MAX's limits.

What it holds the bot to, as MAX does: the token in `Authorization` (401 otherwise),
30 requests a second (429 beyond), text ≤ 4000 characters, keyboards within MAX's
limits (30 rows, 7 a row, 3 links a row, 210 buttons, label ≤ 128, payload ≤ 1024), an
uploaded file usable only once processed (`attachment.not.ready` before), no empty
callback answer, no sends to people who stopped the bot or chats it left (403). Tests
and the sandbox play the people: they start the bot (with a deep-link payload), type,
reply, press buttons, stop the bot, join chats. Faults can be injected per method (an
HTTP status and MAX error code), dropped connections and 5xx on the next requests, and
a hook after N requests (a crash in a benchmark).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import BodyPartReader, web

RATE = 30  # requests a second per token
TEXT_LIMIT = 4000
ROWS, ROW_BUTTONS, ROW_LINKS, BUTTONS, LABEL, PAYLOAD = 30, 7, 3, 210, 128, 1024
SEQ_BASE = 116_993_690_454_357_000  # MAX's seq values are large int64s
DIALOG_BASE = 40_000_000  # a person's dialog chat id is not their user id
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "s", "del", "u", "ins", "a", "pre", "code", "mark", "h1"}
)
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")


class MaxFault(Exception):
    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message or code


@dataclass
class MaxMessage:
    chat_id: int
    mid: str
    seq: int
    sender_id: int
    text: str = ""
    markup: str | None = None  # "html" when the text was sent as HTML
    files: list[dict[str, Any]] = field(default_factory=list)
    keyboard: list[list[dict[str, Any]]] | None = None
    reply_to: str | None = None  # mid
    forwarded: str | None = None  # mid
    edits: int = 0
    deleted: bool = False
    timestamp: int = 0  # ms

    @property
    def from_bot(self) -> bool:
        return self.sender_id == MaxApiEmulator.BOT_USER_ID

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [button for row in self.keyboard or [] for button in row]

    @property
    def button_labels(self) -> list[str]:
        return [str(b.get("text", "")) for b in self.buttons]

    @property
    def plain(self) -> str:
        """The text as a person reads it (MAX renders the HTML)."""
        import html

        return html.unescape(_TAG.sub("", self.text)) if self.markup == "html" else self.text


@dataclass
class MaxUser:
    user_id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    locale: str = "ru"
    dialog: int = 0
    stopped: bool = False


@dataclass
class MaxChat:
    chat_id: int
    title: str
    members: set[int] = field(default_factory=set)
    bot_admin: bool = True
    permissions: list[str] = field(
        default_factory=lambda: ["read_all_messages", "write", "pin_message"]
    )
    bot_member: bool = True


@dataclass
class MaxRequest:
    http_method: str
    path: str  # as requested
    params: dict[str, str]
    body: Any
    status: int = 200
    code: str | None = None

    @property
    def method(self) -> str:
        return f"{self.http_method} {self.path}"


class MaxApiEmulator:
    BOT_USER_ID = 990_000_001

    def __init__(
        self,
        *,
        token: str = "max-sandbox-token",
        bot_name: str = "Партнёры (sandbox)",
        username: str = "partners_sandbox_bot",
        rate: int = RATE,
        processing: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
        history: int = 100_000,
    ) -> None:
        self.token = token
        self.bot_name = bot_name
        self.username = username
        self.rate = rate
        self.processing = processing  # seconds an upload takes to be processed
        self.monotonic = monotonic
        self.users: dict[int, MaxUser] = {}
        self.chats: dict[int, MaxChat] = {}
        self.messages: dict[int, list[MaxMessage]] = {}
        self.requests: list[MaxRequest] = []
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.rate_limited = 0
        self.not_ready = 0
        self.sent_count = 0
        self._ready_at: dict[str, float] = {}
        self._recent: deque[float] = deque()
        self._events: list[dict[str, Any]] = []  # marker of an event = first_marker + index
        self._first_marker = 1
        self._history = history
        self._acked = 1  # the marker the bot last passed (MAX: "read up to")
        self._polled_marker = 0  # the highest marker a poll asked from
        self.polls = 0
        self._faults: dict[str, deque[tuple[int, str]]] = {}
        self._drops: dict[str, int] = {}
        self._lost: dict[str, int] = {}  # done, then the answer lost
        self.webhook_target: str | None = None  # where subscribed URLs are really posted
        self._triggers: list[tuple[int, Callable[[], None]]] = []
        self._open_callbacks: dict[str, str] = {}  # callback id → mid
        self._seq = itertools.count(SEQ_BASE)
        self._ids = itertools.count(1)
        self._new_event = asyncio.Condition()
        self._polled = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closing = False
        self.webhook_deliveries = 0
        self.listeners: list[Callable[[MaxMessage], None]] = []  # the bot's messages, edits
        self.answer_listeners: list[Callable[[str, str], None]] = []  # callback id, words
        self.base_url = ""

    # --- server ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/upload/{number}", self._upload)
        app.router.add_get("/files/{token}/{name}", self._download)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        real_port = self._runner.addresses[0][1] if self._runner.addresses else port
        self.base_url = f"http://{host}:{real_port}"
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        async with self._new_event:
            self._new_event.notify_all()
        for task in list(self._tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = "<not json>"
        record = MaxRequest(request.method, path, dict(request.query), body)
        self.requests.append(record)
        key = f"{request.method} {_template(path)}"
        try:
            if self._drops.get(key, 0) > 0:
                self._drops[key] -= 1
                assert request.transport is not None
                request.transport.close()  # the connection drops: no answer at all
                raise web.HTTPInternalServerError
            if request.headers.get("Authorization") != self.token:
                raise MaxFault(401, "verify.token", "Invalid access_token")
            self._throttle()
            fault = self._faults.get(key)
            if fault:
                status, code = fault.popleft()
                raise MaxFault(status, code)
            if key == "GET /updates":
                return await self._updates(request.query)
            result = self._call(key, path, dict(request.query), body)
            if self._lost.get(key, 0) > 0:
                self._lost[key] -= 1
                assert request.transport is not None
                request.transport.close()  # done, but the answer never reaches the bot
                raise web.HTTPInternalServerError
        except MaxFault as fault:
            record.status, record.code = fault.status, fault.code
            return web.json_response(
                {"code": fault.code, "message": fault.message}, status=fault.status
            )
        finally:
            self._fire_triggers()
        return web.json_response(result)

    def _fire_triggers(self) -> None:
        due = [t for t in self._triggers if len(self.requests) >= t[0]]
        self._triggers = [t for t in self._triggers if len(self.requests) < t[0]]
        for _count, action in due:
            action()

    def _throttle(self) -> None:
        now = self.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate:
            self.rate_limited += 1
            raise MaxFault(429, "too.many.requests", "Too many requests")
        self._recent.append(now)

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

    # --- methods --------------------------------------------------------------------

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

    def _dialog_user(self, chat_id: int) -> MaxUser | None:
        return next((u for u in self.users.values() if u.dialog == chat_id), None)

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

    def _by_mid(self, mid: str) -> MaxMessage:
        for messages in self.messages.values():
            for message in messages:
                if message.mid == mid:
                    return message
        raise MaxFault(404, "message.not.found", f"message {mid} not found")

    async def _upload(self, request: web.Request) -> web.Response:
        kind = request.query.get("type", "file")
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.name == "data":
                data = bytes(await part.read())
                token = f"{kind}:{secrets.token_hex(8)}"
                self.uploads[token] = (part.filename or "file", data)
                self._ready_at[token] = self.monotonic() + self.processing
                if kind == "image":
                    return web.json_response({"photos": {str(next(self._ids)): {"token": token}}})
                return web.json_response({"token": token})
        return web.json_response({"error_code": "no.data", "error_data": "no data field"})

    # --- long polling ---------------------------------------------------------------

    async def _updates(self, query: Any) -> web.Response:
        if self.subscriptions:
            return web.json_response({"updates": [], "marker": self._acked})
        limit = int(query.get("limit", "100"))
        timeout = min(float(query.get("timeout", "30")), 90.0)
        marker = int(query["marker"]) if query.get("marker") not in (None, "") else self._acked
        marker = max(marker, self._first_marker)
        self._acked = max(self._acked, marker)
        async with self._polled:
            self._polled_marker = max(self._polled_marker, marker)
            self.polls += 1
            self._polled.notify_all()
        newest = self._first_marker + len(self._events)
        if marker >= newest and not self._closing:
            async with self._new_event:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._new_event.wait_for(
                            lambda: (
                                self._first_marker + len(self._events) > marker or self._closing
                            )
                        ),
                        timeout,
                    )
        start = marker - self._first_marker
        updates = self._events[start : start + limit]
        return web.json_response({"updates": updates, "marker": marker + len(updates)})

    def push_event(self, kind: str, **fields: Any) -> int:
        """Queue an event (long polling, or a webhook when subscribed); its marker."""
        event = {"update_type": kind, "timestamp": int(time.time() * 1000) + len(self._events)}
        event.update(fields)
        self._events.append(event)
        if len(self._events) > self._history:
            drop = len(self._events) - self._history
            del self._events[:drop]
            self._first_marker += drop
        marker = self._first_marker + len(self._events) - 1
        if self.subscriptions:
            self._spawn(self._deliver_webhook(event))
        else:
            self._wake()
        return marker

    def repeat_event(self, marker: int) -> int:
        """The same event once more (MAX may deliver an event again)."""
        event = dict(self._events[marker - self._first_marker])
        self._events.append(event)
        self._wake()
        return self._first_marker + len(self._events) - 1

    async def _deliver_webhook(self, event: dict[str, Any]) -> None:
        """POST the event to each subscription until it answers 200 (as MAX retries)."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        for subscription in list(self.subscriptions):
            headers = {}
            if subscription.get("secret"):
                headers["X-Max-Bot-Api-Secret"] = str(subscription["secret"])
            for attempt in range(20):
                try:
                    async with self._http.post(
                        subscription["deliver_to"], json=event, headers=headers
                    ) as response:
                        if response.status == 200:
                            self.webhook_deliveries += 1
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05 * (attempt + 1))

    def _spawn(self, coroutine: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:
            coroutine.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _wake(self) -> None:
        async def notify() -> None:
            async with self._new_event:
                self._new_event.notify_all()

        self._spawn(notify())

    async def wait_processed(self, marker: int, within: float = 10.0) -> None:
        """Wait until the bot polled past `marker`: with updates handled one by one, it
        has handled that event by then."""
        async with self._polled:
            await asyncio.wait_for(
                self._polled.wait_for(lambda: self._polled_marker > marker), within
            )

    async def wait_polling(self, after: int = 0, within: float = 10.0) -> None:
        async with self._polled:
            await asyncio.wait_for(self._polled.wait_for(lambda: self.polls > after), within)

    # --- faults ---------------------------------------------------------------------

    def fail(self, method: str, status: int, code: str, times: int = 1) -> None:
        """The next `times` calls of `method` ("POST /messages") answer this error."""
        self._faults.setdefault(method, deque()).extend([(status, code)] * times)

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` lose their connection (no answer)."""
        self._drops[method] = self._drops.get(method, 0) + times

    def lose_answer(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out, and their answers lost."""
        self._lost[method] = self._lost.get(method, 0) + times

    def after_requests(self, count: int, action: Callable[[], None]) -> None:
        """Run `action` once `count` more requests have been answered (a crash)."""
        self._triggers.append((len(self.requests) + count, action))

    # --- the people -----------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str = "",
        *,
        username: str | None = None,
        locale: str = "ru",
    ) -> MaxUser:
        user = self.users.get(user_id)
        if user is None:
            user = MaxUser(user_id, first_name, last_name, username, locale, DIALOG_BASE + user_id)
            self.users[user_id] = user
        return user

    def add_chat(
        self,
        chat_id: int,
        title: str,
        *,
        admin: bool = True,
        permissions: list[str] | None = None,
    ) -> MaxChat:
        assert chat_id < 0, "MAX group chats have negative ids"
        chat = MaxChat(chat_id, title, bot_admin=admin)
        if permissions is not None:
            chat.permissions = permissions
        self.chats[chat_id] = chat
        return chat

    def open_bot(self, user_id: int, payload: str | None = None) -> int:
        """The person opens the bot (by a deep link with `payload`, or the start button)."""
        user = self.users[user_id]
        user.stopped = False
        fields: dict[str, Any] = {
            "chat_id": user.dialog,
            "user": self._user_json(user),
            "user_locale": user.locale,
        }
        if payload is not None:
            fields["payload"] = payload
        return self.push_event("bot_started", **fields)

    def stop_bot(self, user_id: int) -> int:
        user = self.users[user_id]
        user.stopped = True
        return self.push_event(
            "bot_stopped", chat_id=user.dialog, user=self._user_json(user), user_locale=user.locale
        )

    def user_message(
        self,
        user_id: int,
        text: str = "",
        *,
        chat_id: int | None = None,
        reply_to: MaxMessage | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> int:
        user = self.users[user_id]
        chat = chat_id if chat_id is not None else user.dialog
        message = MaxMessage(
            chat_id=chat,
            mid=f"mid.{secrets.token_hex(12)}",
            seq=next(self._seq),
            sender_id=user_id,
            text=text,
            files=list(files or []),
            reply_to=reply_to.mid if reply_to else None,
            timestamp=int(time.time() * 1000),
        )
        self.messages.setdefault(chat, []).append(message)
        return self.push_event(
            "message_created", message=self._message_json(message), user_locale=user.locale
        )

    def press(self, user_id: int, message: MaxMessage, label: str) -> int:
        button = next((b for b in message.buttons if b.get("text") == label), None)
        if button is None:
            raise AssertionError(f"no button {label!r}; there are {message.button_labels}")
        if button["type"] != "callback":
            raise AssertionError(f"button {label!r} is a {button['type']} button")
        return self.press_payload(user_id, message, str(button["payload"]))

    def press_payload(self, user_id: int, message: MaxMessage, payload: str) -> int:
        user = self.users[user_id]
        callback_id = secrets.token_hex(10)
        self._open_callbacks[callback_id] = message.mid
        return self.push_event(
            "message_callback",
            callback={
                "timestamp": int(time.time() * 1000),
                "callback_id": callback_id,
                "payload": payload,
                "user": self._user_json(user),
            },
            message=self._message_json(message),
            user_locale=user.locale,
        )

    def join(self, user_id: int, chat_id: int) -> int:
        user = self.users[user_id]
        self.chats[chat_id].members.add(user_id)
        return self.push_event(
            "user_added",
            chat_id=chat_id,
            user=self._user_json(user),
            inviter_id=None,
            is_channel=False,
        )

    def remove_bot(self, chat_id: int, by: int) -> int:
        chat = self.chats[chat_id]
        chat.bot_member = False
        return self.push_event(
            "bot_removed", chat_id=chat_id, user=self._user_json(self.users[by]), is_channel=False
        )

    def chat_messages(self, chat_id: int, *, from_bot: bool = True) -> list[MaxMessage]:
        return [
            m for m in self.messages.get(chat_id, []) if m.from_bot == from_bot and not m.deleted
        ]

    def dialog_messages(self, user_id: int) -> list[MaxMessage]:
        return self.chat_messages(self.users[user_id].dialog)


def _rebase(url: str, target: str | None) -> str:
    """`url` with its scheme and host replaced by `target` (tests post to 127.0.0.1)."""
    if target is None:
        return url
    path = url.split("://", 1)[-1].partition("/")[2]
    return f"{target.rstrip('/')}/{path}"


def request_is(key: str, http_method: str, rest: str, want: str) -> bool:
    return key.startswith(http_method + " ") and rest == want


def _template(path: str) -> str:
    """A path with its ids as the schema names them (for faults per method)."""
    return re.sub(r"^/chats/-?\d+", "/chats/{chatId}", path)


def _check_keyboard(raw: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(raw, list) or not raw:
        raise MaxFault(400, "proto.payload", "buttons: a non-empty list of rows is required")
    if len(raw) > ROWS:
        raise MaxFault(400, "proto.payload", f"keyboard: more than {ROWS} rows")
    total = 0
    for row in raw:
        if not isinstance(row, list) or not row or len(row) > ROW_BUTTONS:
            raise MaxFault(400, "proto.payload", f"keyboard: a row of 1..{ROW_BUTTONS} buttons")
        if sum(1 for b in row if b.get("type") == "link") > ROW_LINKS:
            raise MaxFault(400, "proto.payload", f"keyboard: more than {ROW_LINKS} links a row")
        for button in row:
            total += 1
            text = button.get("text")
            if not isinstance(text, str) or not 1 <= len(text) <= LABEL:
                raise MaxFault(400, "proto.payload", f"button text: 1..{LABEL} characters")
            if button.get("type") == "callback":
                payload = button.get("payload")
                if not isinstance(payload, str) or len(payload) > PAYLOAD:
                    raise MaxFault(400, "proto.payload", f"payload: ≤ {PAYLOAD} characters")
            elif button.get("type") == "link":
                if not str(button.get("url", "")).startswith(("https://", "http://")):
                    raise MaxFault(400, "proto.payload", "link: a URL is required")
            else:
                raise MaxFault(400, "proto.payload", f"button type {button.get('type')!r}")
    if total > BUTTONS:
        raise MaxFault(400, "proto.payload", f"keyboard: more than {BUTTONS} buttons")
    return raw
