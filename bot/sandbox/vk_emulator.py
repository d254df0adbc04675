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
request, or an error code on the next calls of a method.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import BodyPartReader, web

from bot.sandbox.screens import ScreenRuns

CHAT_PEER_BASE = 2_000_000_000
TEXT_LIMIT = 4096
RATE = 20  # requests a second per token
PEER_BURST, PEER_RATE = 5, 1.0  # messages and edits to one peer: a burst, then a second each
INLINE_ROWS, INLINE_BUTTONS, REGULAR_ROWS, REGULAR_BUTTONS, ROW_BUTTONS = 6, 10, 10, 40, 5
LABEL_LIMIT, PAYLOAD_LIMIT = 40, 255
API_VERSION = "5.199"


class VkFault(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class VkMessage:
    peer_id: int
    cmid: int
    from_id: int  # negative: the community
    text: str = ""
    keyboard: dict[str, Any] | None = None
    attachments: list[str] = field(default_factory=list)
    reply_to: int | None = None  # cmid in the same conversation
    forwarded: list[VkMessage] = field(default_factory=list)
    random_id: int = 0
    edits: int = 0
    deleted: bool = False
    date: int = 0
    payload: str | None = None

    @property
    def from_bot(self) -> bool:
        return self.from_id < 0

    @property
    def buttons(self) -> list[dict[str, Any]]:
        if not self.keyboard:
            return []
        return [button for row in self.keyboard.get("buttons", []) for button in row]

    @property
    def button_labels(self) -> list[str]:
        return [str(b["action"].get("label", "")) for b in self.buttons]

    @property
    def plain(self) -> str:
        return self.text


@dataclass
class VkUser:
    id: int
    first_name: str
    last_name: str = ""
    lang_id: int = 0  # 0 ru, 3 en
    allowed: bool = True  # has allowed messages from the community
    callback_buttons: bool = True  # the client supports callback buttons


@dataclass
class VkRequest:
    method: str
    params: dict[str, Any]
    error: int | None = None


class VkApiEmulator:
    def __init__(
        self,
        *,
        group_id: int = 777,
        token: str = "vk-sandbox-token",
        group_name: str = "Партнёры (sandbox)",
        rate: int = RATE,
        monotonic: Callable[[], float] = time.monotonic,
        history: int = 100_000,
        peer_burst: float = PEER_BURST,
        peer_rate: float = PEER_RATE,
    ) -> None:
        self.group_id = group_id
        self.token = token
        self.group_name = group_name
        self.rate = rate
        self.monotonic = monotonic
        self.users: dict[int, VkUser] = {}
        self.chats: dict[int, str] = {}
        self.messages: dict[int, list[VkMessage]] = {}
        self.requests: list[VkRequest] = []
        self.event_answers: list[dict[str, Any]] = []
        self.rate_limited = 0
        self.peer_burst = peer_burst
        self.peer_rate = peer_rate
        self._peer_tokens: dict[int, tuple[float, float]] = {}  # peer → tokens, stamp
        self.flood_refused = 0  # error 9 answers for sending too fast to one peer
        # requests inside a window the bot was told of: after error 6 until the second
        # has passed; to a peer after its error 9 until its next message is allowed
        self.window_violations = 0
        self._window_until: dict[int | None, float] = {}
        self.duplicates: list[tuple[int, str]] = []  # messages delivered twice
        self._screens = ScreenRuns()
        self.sent_count = 0
        self.duplicates_refused = 0  # sends that repeated a random_id
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self._recent: deque[float] = deque()
        self._events: list[dict[str, Any]] = []  # ts = index + 1
        self._history = history
        self._first_ts = 1
        self._key = secrets.token_hex(8)
        self._lp_polled_ts = 0  # the highest ts a long-poll request asked for
        self.polls = 0  # long-poll requests answered or waiting
        self._lp_fail: deque[int] = deque()  # injected `failed` codes
        self._lp_drop = 0  # long-poll requests to drop the connection on
        self._faults: dict[str, deque[int]] = {}
        self.flooded: set[int] = set()  # peers answering error 9 (flood control)
        self.listeners: list[Callable[[VkMessage], None]] = []  # the bot's messages, edits
        self.answer_listeners: list[Callable[[int, str], None]] = []  # snackbars: user, text
        self._triggers: list[tuple[int, Callable[[], None]]] = []
        self._random_ids: dict[tuple[int, int], VkMessage] = {}
        self._open_events: dict[str, tuple[int, int]] = {}
        self._cmids: dict[int, itertools.count[int]] = {}
        self._ids = itertools.count(1)
        self._uploads = itertools.count(1)
        self._new_event = asyncio.Condition()
        self._polled = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.base_url = ""

    # --- server ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_post("/method/{method}", self._handle)
        app.router.add_get("/lp", self._long_poll)
        app.router.add_post("/upload/{kind}", self._upload)
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
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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
        except VkFault as fault:
            record.error = fault.code
            return web.json_response(_error(fault, method, params))
        finally:
            self._fire_triggers()
        return web.json_response({"response": result})

    def _fire_triggers(self) -> None:
        due = [t for t in self._triggers if len(self.requests) >= t[0]]
        self._triggers = [t for t in self._triggers if len(self.requests) < t[0]]
        for _count, action in due:
            action()

    def _throttle(self) -> None:
        now = self.monotonic()
        if now < self._window_until.get(None, 0.0):
            self.window_violations += 1
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate:
            self.rate_limited += 1
            self._window_until[None] = self._recent[0] + 1.0
            raise VkFault(6, "Too many requests per second")
        self._recent.append(now)

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
            "ts": str(self._first_ts + len(self._events)),
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
                if kind == "photo":
                    return web.json_response({"server": 1, "photo": token, "hash": "h"})
                return web.json_response({"file": token})
        return web.json_response({"error": "no file"})

    # --- long poll ------------------------------------------------------------------

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
            return web.json_response({"failed": 1, "ts": self._first_ts + len(self._events)})
        async with self._polled:
            self._lp_polled_ts = max(self._lp_polled_ts, ts)
            self.polls += 1
            self._polled.notify_all()
        if self._lp_fail:
            code = self._lp_fail.popleft()
            if code == 1:  # "history lost": carry on from a ts a little back (repeats)
                return web.json_response({"failed": 1, "ts": max(self._first_ts, ts - 10)})
            self._key = secrets.token_hex(8)  # 2 and 3: the key expired
            return web.json_response({"failed": code})
        newest = self._first_ts + len(self._events)
        if ts < self._first_ts or ts > newest:
            return web.json_response({"failed": 1, "ts": newest})
        wait = min(float(query.get("wait", "25")), 90.0)
        if ts == newest and not self._closing:
            async with self._new_event:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._new_event.wait_for(
                            lambda: self._first_ts + len(self._events) > ts or self._closing
                        ),
                        wait,
                    )
        start = ts - self._first_ts
        updates = self._events[start : start + 1000]
        return web.json_response({"ts": str(ts + len(updates)), "updates": updates})

    def fail_long_poll(self, *codes: int) -> None:
        """The next long-poll requests answer `{"failed": code}` (1, 2 or 3)."""
        self._lp_fail.extend(codes)

    def drop_long_poll(self, times: int = 1) -> None:
        """The next long-poll requests lose their connection."""
        self._lp_drop += times

    def after_requests(self, count: int, action: Callable[[], None]) -> None:
        """Run `action` once `count` more API requests have been answered (a crash)."""
        self._triggers.append((len(self.requests) + count, action))

    def fail_method(self, method: str, *codes: int) -> None:
        """The next calls of `method` fail with these error codes, one each."""
        self._faults.setdefault(method, deque()).extend(codes)

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
        self._events.append(event)
        if len(self._events) > self._history:
            drop = len(self._events) - self._history
            del self._events[:drop]
            self._first_ts += drop
        self._wake()
        return self._first_ts + len(self._events) - 1

    def repeat_event(self, ts: int) -> int:
        """The same event (same event_id) delivered once more, as VK may."""
        event = self._events[ts - self._first_ts]
        self._events.append(dict(event))
        self._wake()
        return self._first_ts + len(self._events) - 1

    def _wake(self) -> None:
        async def notify() -> None:
            async with self._new_event:
                self._new_event.notify_all()

        try:
            task = asyncio.get_running_loop().create_task(notify())
        except RuntimeError:  # no loop running: nobody is waiting
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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

    def press(self, user_id: int, message: VkMessage, label: str) -> int:
        button = next((b for b in message.buttons if b["action"].get("label") == label), None)
        if button is None:
            raise AssertionError(f"no button {label!r}; there are {message.button_labels}")
        action = button["action"]
        if action["type"] == "callback":
            event_id = secrets.token_hex(8)
            self._open_events[event_id] = (user_id, message.peer_id)
            self._screens.acted(message.peer_id)
            obj = {
                "user_id": user_id,
                "peer_id": message.peer_id,
                "event_id": event_id,
                "payload": json.loads(action["payload"]),
                "conversation_message_id": message.cmid,
            }
            return self.push_event("message_event", obj)
        if action["type"] == "text":
            return self.user_message(
                user_id, action["label"], peer_id=message.peer_id, payload=action.get("payload")
            )
        raise AssertionError(f"button {label!r} is a {action['type']} button")

    def allow(self, user_id: int, allowed: bool = True) -> int:
        """The person allows (or denies) messages from the community."""
        self.users[user_id].allowed = allowed
        kind = "message_allow" if allowed else "message_deny"
        return self.push_event(kind, {"user_id": user_id, "key": ""})

    async def wait_processed(self, ts: int, within: float = 10.0) -> None:
        """Wait until the bot asked the long poll for events after `ts`: with updates
        handled one by one, it has handled `ts` by then."""
        async with self._polled:
            await asyncio.wait_for(self._polled.wait_for(lambda: self._lp_polled_ts > ts), within)

    async def wait_polling(self, after: int = 0, within: float = 10.0) -> None:
        """Wait for a long-poll request beyond the `after`-th (the bot is listening)."""
        async with self._polled:
            await asyncio.wait_for(self._polled.wait_for(lambda: self.polls > after), within)

    def chat_messages(self, peer_id: int, *, from_bot: bool = True) -> list[VkMessage]:
        return [
            m for m in self.messages.get(peer_id, []) if m.from_bot == from_bot and not m.deleted
        ]

    def _cmid_counter(self, peer: int) -> itertools.count[int]:
        return self._cmids.setdefault(peer, itertools.count(1))

    def _find(self, peer: int, cmid: int) -> VkMessage:
        for message in self.messages.get(peer, []):
            if message.cmid == cmid:
                return message
        raise VkFault(100, f"conversation_message_id {cmid} not found in {peer}")


def _error(fault: VkFault, method: str, params: dict[str, Any]) -> dict[str, Any]:
    request_params = [{"key": "method", "value": method}] + [
        {"key": k, "value": str(v)} for k, v in params.items() if k in ("v", "peer_id")
    ]
    return {
        "error": {
            "error_code": fault.code,
            "error_msg": fault.message,
            "request_params": request_params,
        }
    }


def _form(value: Any) -> Any:
    """A value inside `execute` as it would arrive in a form (lists joined, JSON as text)."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _parse_execute(code: str) -> list[tuple[str, dict[str, Any]]]:
    """The one shape partnerbot sends: `return [API.m.n({json}), ...];`."""
    text = code.strip()
    if not (text.startswith("return [") and text.endswith("];")):
        raise VkFault(12, "Unable to compile code")
    body = text[len("return [") : -2].strip()
    decoder = json.JSONDecoder()
    calls: list[tuple[str, dict[str, Any]]] = []
    pos = 0
    while pos < len(body):
        if not body.startswith("API.", pos):
            raise VkFault(12, "Unable to compile code")
        paren = body.index("(", pos)
        method = body[pos + 4 : paren]
        params, end = decoder.raw_decode(body, paren + 1)
        if not body.startswith(")", end):
            raise VkFault(12, "Unable to compile code")
        calls.append((method, params))
        pos = end + 1
        while pos < len(body) and body[pos] in ", \n":
            pos += 1
    return calls


def _check_keyboard(raw: Any) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    try:
        keyboard = json.loads(str(raw))
    except json.JSONDecodeError:
        raise VkFault(911, "Keyboard format is invalid: not JSON") from None
    rows = keyboard.get("buttons")
    if not isinstance(rows, list):
        raise VkFault(911, "Keyboard format is invalid: buttons")
    inline = bool(keyboard.get("inline"))
    total = sum(len(row) for row in rows)
    if rows and len(rows) > (INLINE_ROWS if inline else REGULAR_ROWS):
        raise VkFault(911, f"Keyboard format is invalid: {len(rows)} rows")
    if total > (INLINE_BUTTONS if inline else REGULAR_BUTTONS):
        raise VkFault(911, f"Keyboard format is invalid: {total} buttons")
    for row in rows:
        if len(row) > ROW_BUTTONS:
            raise VkFault(911, f"Keyboard format is invalid: {len(row)} buttons in a row")
        for button in row:
            action = button.get("action", {})
            label = action.get("label", "")
            if action.get("type") in ("text", "callback", "open_link") and not (
                0 < len(label) <= LABEL_LIMIT
            ):
                raise VkFault(911, f"Keyboard format is invalid: label {label!r}")
            payload = action.get("payload")
            if payload is not None and len(str(payload).encode()) > PAYLOAD_LIMIT:
                raise VkFault(911, "Keyboard format is invalid: payload over 255 bytes")
    return cast("dict[str, Any]", keyboard)
