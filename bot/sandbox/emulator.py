"""A Telegram Bot API emulator on 127.0.0.1 for the offline sandbox and the tests.

It implements the methods in `methods.METHODS`, checks every request the way the real
server does (known method, required fields, types, text and caption lengths, callback
data size, HTML entities), enforces rate limits with 429 + `retry_after`, and lets a
client inject messages and button presses and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox.methods import (
    ALLOWED_HTML_TAGS,
    CALLBACK_ANSWER_LIMIT,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    EDITING_METHODS,
    MEDIA_GROUP_SIZE,
    METHODS,
    SENDING_METHODS,
    TEXT_LIMIT,
    TOPIC_NAME_LIMIT,
)

DEFAULT_TOKEN = "1000001:sandbox-token-not-a-real-one-000000000"
IN_FLIGHT_GRACE = 0.05  # real seconds after a 429 in which requests may still be on the way
BOT_USER_ID = 1000001


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


@dataclass
class RateLimits:
    """Telegram's limits: ~30 messages/s overall, ~1/s per chat after a burst of 3 (edits
    count), 20/min per group."""

    global_per_second: float = 30.0
    chat_per_second: float = 1.0
    chat_burst: float = 3.0
    group_per_minute: float = 20.0
    enabled: bool = True

    @classmethod
    def off(cls) -> RateLimits:
        return cls(enabled=False)


class _Bucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def take(self, now: float) -> float:
        """Take a token; return 0, or the seconds to wait when there is none."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class SentMessage:
    """A message in a chat, from the bot or from a user."""

    message_id: int
    chat_id: int
    from_bot: bool
    text: str | None = None
    caption: str | None = None
    kind: str = "text"  # text | photo | document | sticker | voice | ...
    file_name: str | None = None
    file_size: int | None = None
    reply_markup: dict[str, Any] | None = None
    thread_id: int | None = None
    parse_mode: str | None = None
    media_group_id: str | None = None
    reply_to: int | None = None
    deleted: bool = False
    edits: int = 0

    @property
    def plain(self) -> str:
        """The text or caption as the user sees it (HTML tags removed)."""
        raw = self.text if self.text is not None else (self.caption or "")
        return strip_html(raw) if self.parse_mode == "HTML" else raw

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [list(row) for row in rows]

    @property
    def button_labels(self) -> list[str]:
        return [str(button["text"]) for row in self.buttons for button in row]


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False
    bot_status: str = "member"  # member | administrator
    can_manage_topics: bool = False


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "ru"
    blocked_bot: bool = False
    deactivated: bool = False

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class Request:
    method: str
    params: dict[str, Any]
    status: int = 200
    description: str = ""  # why it was refused


Listener = Callable[[SentMessage], None]
AnswerListener = Callable[[int, str], None]  # (user id, the text of a callback answer)


_SURROGATE = re.compile("[\ud800-\udfff]")


def strip_html(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


# Telegram's HTML parse mode, as the Bot API server parses it: only the entities below
# (a bare "&" is refused here, stricter than the server, which keeps it: escaping every
# "&" is what the bot must do anyway), a "<" must open a known tag, tags must nest.
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[A-Za-z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTRIBUTE = re.compile(r"([A-Za-z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_REQUIRED_ATTRIBUTE = {"a": "href", "tg-emoji": "emoji-id"}


def _entities_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def parse_html(text: str) -> str:
    """The text a reader sees, or ApiError as Telegram answers a malformed one."""
    out: list[str] = []
    stack: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "&":
            entity = _ENTITY.match(text, index)
            if entity is None:
                raise _entities_error(f"unescaped ampersand at offset {index}")
            out.append(html.unescape(entity.group()))
            index = entity.end()
            continue
        if char != "<":
            out.append(char)
            index += 1
            continue
        tag = _TAG.match(text, index)
        if tag is None:
            raise _entities_error(f"unsupported start tag at offset {index}")
        closing, name, attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
        if closing:
            if attributes.strip():
                raise _entities_error(f'unexpected attributes in end tag "{name}"')
            if not stack or stack[-1] != name:
                expected = f'"</{stack[-1]}>"' if stack else "nothing"
                raise _entities_error(f'unmatched end tag "</{name}>", expected {expected}')
            stack.pop()
        else:
            if name not in ALLOWED_HTML_TAGS:
                raise _entities_error(f'unsupported start tag "{name}" at offset {index}')
            values = {
                found.group(1).lower(): found.group(2) or found.group(3) or found.group(4) or ""
                for found in _ATTRIBUTE.finditer(attributes)
            }
            required = _REQUIRED_ATTRIBUTE.get(name)
            if required is not None and not values.get(required):
                raise _entities_error(f'tag "{name}" must have attribute "{required}"')
            if name == "span" and values.get("class") != "tg-spoiler":
                raise _entities_error('tag "span" must have class "tg-spoiler"')
            stack.append(name)
        index = tag.end()
    if stack:
        raise _entities_error(f'can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def utf16_length(text: str) -> int:
    """How Telegram counts a text's length: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class ScreenRuns:
    """Per chat: the bot's last message against what the chat's people did — the same
    screen shown again with no action of theirs left to answer was delivered twice."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[Any, ...]] = {}
        self._pending: dict[int, int] = {}  # actions not answered yet

    def acted(self, chat: int) -> None:
        self._pending[chat] = self._pending.get(chat, 0) + 1

    def sent(self, chat: int, signature: tuple[Any, ...], *, screen: bool) -> bool:
        """Record a message; True when it is a screen delivered twice. A message answers
        one waiting action (a reply of several messages answers it with its first)."""
        pending = self._pending.get(chat, 0)
        self._pending[chat] = max(0, pending - 1)
        repeated = self._last.get(chat) == signature
        self._last[chat] = signature
        return screen and repeated and pending == 0


class BotApiEmulator:
    """An in-process Bot API server; one bot token, many users and chats."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "partnerbot_sandbox_bot",
        limits: RateLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        latency: float = 0.0,
    ) -> None:
        self.token = token
        # seconds of network round trip added to each send (half each way), as from afar
        self.latency = latency
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", maxsplit=1)[0])
        self.limits = limits or RateLimits()
        self._monotonic = monotonic
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[int, list[SentMessage]] = {}
        self.requests: list[Request] = []
        self.commands: dict[str, Any] = {}
        self.webhook: dict[str, Any] | None = None  # what setWebhook asked for
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.topics: dict[tuple[int, int], str] = {}
        self.listeners: list[Listener] = []
        self.answer_listeners: list[AnswerListener] = []
        self._callback_users: dict[str, int] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self._senders: dict[tuple[int, int], int] = {}
        self.migrated: dict[int, int] = {}  # a group upgraded to a supergroup: old -> new id
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._confirmed = 0
        self._closing = False
        self.last_update_id = 0
        self.sent_count = 0  # messages the bot sent, all chats
        self._new_update = asyncio.Condition()
        self._confirmed_event = asyncio.Condition()
        self._global = _Bucket(self.limits.global_per_second, self.limits.global_per_second, 0)
        self._chat_buckets: dict[int, _Bucket] = {}
        self._blocked_until: dict[str, float] = {}
        self._announced: dict[str, tuple[float, str]] = {}  # scope → (real time, request)
        self.rate_limited = 0
        self.window_violations = 0  # requests that came inside an announced 429 window
        # messages delivered twice: the same screen (a text with its buttons) again in a
        # chat more times than its people acted (a retry that raced, a send repeated
        # after a lost answer; pressing twice may show a screen twice). Plain texts may
        # repeat by design (three sales approved one by one: three equal notices).
        self.duplicates: list[tuple[int, str]] = []
        self._screens = ScreenRuns()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- server ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        real_port = self._runner.addresses[0][1] if self._runner.addresses else port
        self.base_url = f"http://{host}:{real_port}"
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        async with self._new_update:
            self._new_update.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            params = await self._read_params(request)
            record = Request(method, params)
            self.requests.append(record)
            slow = self.latency > 0 and method != "getUpdates"
            if slow:
                await asyncio.sleep(self.latency / 2)
            try:
                result = await self._dispatch(method, params)
            except ApiError as exc:
                record.status = exc.code
                record.description = exc.description
                raise
            finally:
                if slow:
                    await asyncio.sleep(self.latency / 2)
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            if exc.migrate_to_chat_id is not None:
                body["parameters"] = {"migrate_to_chat_id": exc.migrate_to_chat_id}
            return web.json_response(body, status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename:  # an upload, referred to as attach://<name> or by field
                    data = await part.read()
                    self.files[f"attach://{part.name}"] = (part.filename, bytes(data))
                    if part.name in METHODS.get(request.match_info["method"], {}):
                        params[part.name] = f"attach://{part.name}"
                else:
                    params[part.name] = await part.text()
        elif request.content_type == "application/json":
            body = await request.read()
            if body:
                params.update(json.loads(body))
        elif request.can_read_body:
            params.update(dict(await request.post()))
        return params

    # --- checks ---------------------------------------------------------------------

    def _coerce(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method not in METHODS:
            raise ApiError(404, "Not Found: method not found")
        table = METHODS[method]
        values: dict[str, Any] = {}
        for name, raw in params.items():
            if name not in table:
                raise ApiError(400, f"Bad Request: unknown parameter {name}")
            kind, _required = table[name]
            values[name] = _coerce_value(name, kind, raw)
        for name, (_kind, required) in table.items():
            if required and values.get(name) in (None, ""):
                raise ApiError(
                    400,
                    f"Bad Request: {name} is empty"
                    if name in values
                    else f"Bad Request: parameter {name} is required",
                )
        return values

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                actions = [
                    key for key in ("callback_data", "url", "switch_inline_query") if key in button
                ]
                if len(actions) != 1:
                    raise ApiError(400, "Bad Request: inline keyboard button must have one action")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"^(https?|tg)://\S+$", str(url)):
                    raise ApiError(400, "Bad Request: inline keyboard button URL is invalid")
        return markup

    def _check_text(self, text: str, parse_mode: str | None, limit: int, what: str) -> None:
        if parse_mode not in (None, "HTML"):
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
        if _SURROGATE.search(text):  # half of a UTF-16 pair: not text at all
            raise ApiError(400, f"Bad Request: {what} must be encoded in UTF-8")
        visible = parse_html(text) if parse_mode == "HTML" else text
        if what == "text" and not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(visible) > limit:  # counted after entity parsing, in UTF-16 units
            raise ApiError(400, f"Bad Request: {what} is too long")

    def _chat(self, chat_id: Any) -> Chat:
        if str(chat_id).lstrip("-").isdigit() and int(chat_id) in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[int(chat_id)],
            )
        chat = self.chats.get(int(chat_id)) if str(chat_id).lstrip("-").isdigit() else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        user = self.users.get(chat.id)
        if chat.type == "private" and user is not None and user.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat.type == "private" and user is not None and user.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _throttle(self, chat: Chat, request: str) -> None:
        if not self.limits.enabled:
            return
        now = self._monotonic()
        for scope in ("global", f"chat:{chat.id}"):
            until = self._blocked_until.get(scope, 0.0)
            if now < until:  # sent inside a retry_after window the bot was told about
                if not self._in_flight(scope, request):
                    self.window_violations += 1
                self._refuse(int(until - now) + 1)
        wait = self._global.take(now)
        if wait:
            retry_after = max(1, math.ceil(wait))
            self._announce("global", now + retry_after, request)
            self._refuse(retry_after)
        bucket = self._chat_buckets.get(chat.id)
        if bucket is None:
            if chat.type == "private":
                bucket = _Bucket(self.limits.chat_per_second, self.limits.chat_burst, now)
            else:
                per_second = self.limits.group_per_minute / 60
                bucket = _Bucket(per_second, self.limits.group_per_minute, now)
            self._chat_buckets[chat.id] = bucket
        wait = bucket.take(now)
        if wait:
            retry_after = max(1, math.ceil(wait))
            self._announce(f"chat:{chat.id}", now + retry_after, request)
            self._refuse(retry_after)

    def _announce(self, scope: str, until: float, request: str) -> None:
        self._blocked_until[scope] = until
        self._announced[scope] = (time.perf_counter(), request)

    def _in_flight(self, scope: str, request: str) -> bool:
        """A request that was on its way before the bot could have read the 429 (it
        came within a round trip and a little of it, and is not the refused one again)
        is not one "made inside" the window."""
        at, refused = self._announced.get(scope, (0.0, ""))
        grace = IN_FLIGHT_GRACE + self.latency
        return request != refused and time.perf_counter() - at < grace

    def _refuse(self, retry_after: int) -> None:
        self.rate_limited += 1
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    # --- methods --------------------------------------------------------------------

    async def _dispatch(self, method: str, raw: dict[str, Any]) -> Any:
        params = self._coerce(method, raw)
        if method in SENDING_METHODS or (
            method in EDITING_METHODS and params.get("chat_id") is not None
        ):
            chat = self._chat(params["chat_id"])
            self._throttle(chat, f"{method} {json.dumps(raw, sort_keys=True, default=str)}")
        handler = getattr(self, f"_m_{method}")
        return await handler(params)

    async def _m_getMe(self, _params: dict[str, Any]) -> Any:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "partnerbot",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_logOut(self, _params: dict[str, Any]) -> Any:
        return True

    async def _m_close(self, _params: dict[str, Any]) -> Any:
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        if not str(params["url"]).startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        self.webhook = dict(params)
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = params.get("offset") or 0
        limit = min(max(params.get("limit") or 100, 1), 100)
        timeout = min(params.get("timeout") or 0, 50)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            async with self._confirmed_event:
                self._confirmed = max(self._confirmed, offset - 1)
                self._confirmed_event.notify_all()
        if not self._updates and timeout:
            async with self._new_update:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._new_update.wait_for(lambda: bool(self._updates) or self._closing),
                        timeout,
                    )
        return self._updates[:limit]

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        self._check_text(params["text"], params.get("parse_mode"), TEXT_LIMIT, "text")
        markup = self._check_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}
        message = self._store(
            params,
            text=params["text"],
            reply_markup=markup,
            parse_mode=params.get("parse_mode"),
            reply_to=reply.get("message_id") if isinstance(reply, dict) else None,
        )
        return self._message_json(message)

    async def _send_file(self, params: dict[str, Any], kind: str) -> Any:
        caption = params.get("caption")
        if caption is not None:
            self._check_text(caption, params.get("parse_mode"), CAPTION_LIMIT, "caption")
        markup = self._check_markup(params.get("reply_markup"))
        source = params[kind]
        name, size = self._file_info(source)
        message = self._store(
            params,
            caption=caption,
            kind=kind,
            file_name=name,
            file_size=size,
            reply_markup=markup,
            parse_mode=params.get("parse_mode"),
        )
        return self._message_json(message)

    def _file_info(self, source: Any) -> tuple[str, int]:
        if isinstance(source, str) and source.startswith("attach://"):
            if source not in self.files:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            name, data = self.files[source]
            return name, len(data)
        if isinstance(source, str) and (source.startswith("http") or source):
            return source.rsplit("/", 1)[-1], 0
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "photo")

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "document")

    async def _m_sendMediaGroup(self, params: dict[str, Any]) -> Any:
        media = params["media"]
        low, high = MEDIA_GROUP_SIZE
        if not isinstance(media, list) or not low <= len(media) <= high:
            raise ApiError(400, "Bad Request: wrong number of media in the album")
        group_id = str(next(self._file_ids))
        sent = []
        for item in media:
            kind = item.get("type")
            if kind not in ("photo", "document", "video", "audio"):
                raise ApiError(400, "Bad Request: unsupported media type")
            caption = item.get("caption")
            if caption is not None:
                self._check_text(caption, item.get("parse_mode"), CAPTION_LIMIT, "caption")
            name, size = self._file_info(item.get("media"))
            message = self._store(
                params,
                caption=caption,
                kind=kind,
                file_name=name,
                file_size=size,
                media_group_id=group_id,
                parse_mode=item.get("parse_mode"),
            )
            sent.append(self._message_json(message))
        return sent

    async def _m_copyMessage(self, params: dict[str, Any]) -> Any:
        source = self._find(params["from_chat_id"], params["message_id"])
        caption = params.get("caption", source.caption)
        # as Telegram: the copy keeps the source's formatting (its entities); parse_mode
        # applies only to a new caption given with the copy (review 6)
        parse_mode = source.parse_mode
        if "caption" in params and source.kind != "text":
            parse_mode = params.get("parse_mode")
        if caption is not None and source.kind != "text":
            self._check_text(caption, parse_mode, CAPTION_LIMIT, "caption")
        message = self._store(
            params,
            text=source.text,
            caption=caption if source.kind != "text" else None,
            kind=source.kind,
            file_name=source.file_name,
            file_size=source.file_size,
            reply_markup=self._check_markup(params.get("reply_markup")),
            parse_mode=parse_mode,
        )
        return {"message_id": message.message_id}

    async def _m_copyMessages(self, params: dict[str, Any]) -> Any:
        ids = params["message_ids"]
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100 or ids != sorted(set(ids)):
            raise ApiError(400, "Bad Request: message identifiers must be in increasing order")
        sources = [self._find(params["from_chat_id"], message_id) for message_id in ids]
        group_id = str(next(self._file_ids)) if len(sources) > 1 else None
        result = []
        for source in sources:
            keep_caption = not params.get("remove_caption")
            message = self._store(
                params,
                text=source.text,
                caption=source.caption if keep_caption and source.kind != "text" else None,
                kind=source.kind,
                file_name=source.file_name,
                file_size=source.file_size,
                media_group_id=group_id if source.media_group_id else None,
                parse_mode=source.parse_mode,  # the source's formatting, as Telegram keeps it
            )
            result.append({"message_id": message.message_id})
        return result

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._find(params.get("chat_id"), params.get("message_id"))
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        self._check_text(params["text"], params.get("parse_mode"), TEXT_LIMIT, "text")
        markup = self._check_markup(params.get("reply_markup"))
        if message.text == params["text"] and message.reply_markup == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.text = params["text"]
        message.parse_mode = params.get("parse_mode")
        message.reply_markup = markup
        message.edits += 1
        self._notify(message)
        return self._message_json(message)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params.get("chat_id"), params.get("message_id"))
        markup = self._check_markup(params.get("reply_markup"))
        if message.reply_markup == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.reply_markup = markup
        message.edits += 1
        self._notify(message)
        return self._message_json(message)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = params["callback_query_id"]
        if query_id not in self._open_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired "
                "or query ID is invalid",
            )
        text = params.get("text") or ""
        if len(text) > CALLBACK_ANSWER_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self.callback_answers[query_id] = params
        if text:
            for listener in list(self.answer_listeners):
                listener(self._callback_users.get(query_id, 0), text)
        return True

    async def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        message = self._find(params["chat_id"], params["message_id"])
        message.deleted = True
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params["commands"]
        for command in commands:
            if not re.match(r"^[a-z0-9_]{1,32}$", str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self.commands[params.get("language_code") or ""] = commands
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = params["file_id"]
        data = self._file_bytes(file_id)
        if data is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(data),
            "file_path": f"documents/{file_id}.bin",
        }

    def _file_bytes(self, file_id: str) -> bytes | None:
        """What a user's file holds: users' files in the emulator are a tiny stand-in."""
        if not file_id.startswith("file"):
            return None
        return b"partnerbot sandbox file " + file_id.encode()

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1].removesuffix(".bin")
        data = self._file_bytes(file_id)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data)

    async def _m_getChat(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        data = self._chat_json(chat)
        data["accent_color_id"] = 0
        data["max_reaction_count"] = 11
        data["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return data

    async def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        user_id = params["user_id"]
        if user_id == self.bot_id:
            user: dict[str, Any] = {"id": self.bot_id, "is_bot": True, "first_name": "partnerbot"}
            if chat.bot_status == "administrator":
                return {
                    "status": "administrator",
                    "user": user,
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": False,
                    "can_restrict_members": False,
                    "can_promote_members": False,
                    "can_change_info": False,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_manage_topics": chat.can_manage_topics,
                    "can_send_welcome_messages": False,  # aiogram 3.31 requires it
                }
            return {"status": "member", "user": user}
        member = self.users.get(user_id)
        if member is None:
            raise ApiError(400, "Bad Request: user not found")
        return {"status": "member", "user": member.as_json()}

    async def _m_createForumTopic(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        if not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        if not chat.can_manage_topics:
            raise ApiError(400, "Bad Request: not enough rights to create a topic")
        name = params["name"]
        if not 1 <= len(name) <= TOPIC_NAME_LIMIT:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY")
        thread_id = next(self._ids(chat.id))
        self.topics[(chat.id, thread_id)] = name
        return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}

    async def _topic(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        if (chat.id, params["message_thread_id"]) not in self.topics:
            raise ApiError(400, "Bad Request: message thread not found")
        return True

    async def _m_editForumTopic(self, params: dict[str, Any]) -> Any:
        await self._topic(params)
        if params.get("name"):
            self.topics[(int(params["chat_id"]), params["message_thread_id"])] = params["name"]
        return True

    async def _m_closeForumTopic(self, params: dict[str, Any]) -> Any:
        return await self._topic(params)

    async def _m_reopenForumTopic(self, params: dict[str, Any]) -> Any:
        return await self._topic(params)

    async def _m_deleteForumTopic(self, params: dict[str, Any]) -> Any:
        await self._topic(params)
        del self.topics[(int(params["chat_id"]), params["message_thread_id"])]
        return True

    # --- storage --------------------------------------------------------------------

    def _ids(self, chat_id: int) -> itertools.count[int]:
        return self._message_ids.setdefault(chat_id, itertools.count(1))

    def _find(self, chat_id: Any, message_id: Any) -> SentMessage:
        if chat_id is None or message_id is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        for message in self.messages.get(int(chat_id), []):
            if message.message_id == int(message_id) and not message.deleted:
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _store(self, params: dict[str, Any], **fields: Any) -> SentMessage:
        chat = self._chat(params["chat_id"])
        thread_id = params.get("message_thread_id")
        if thread_id is not None and (chat.id, thread_id) not in self.topics:
            raise ApiError(400, "Bad Request: message thread not found")
        message = SentMessage(
            message_id=next(self._ids(chat.id)),
            chat_id=chat.id,
            from_bot=True,
            thread_id=thread_id,
            **fields,
        )
        self.messages.setdefault(chat.id, []).append(message)
        self.sent_count += 1
        signature = (
            thread_id,
            fields.get("kind", "text"),
            fields.get("text"),
            fields.get("caption"),
            fields.get("file_name"),
            json.dumps(fields.get("reply_markup"), sort_keys=True),
        )
        if self._screens.sent(chat.id, signature, screen=bool(fields.get("reply_markup"))):
            self.duplicates.append((chat.id, str(fields.get("text") or fields.get("caption"))))
        self._notify(message)
        return message

    def _notify(self, message: SentMessage) -> None:
        for listener in list(self.listeners):
            listener(message)

    def _chat_json(self, chat: Chat) -> dict[str, Any]:
        data: dict[str, Any] = {"id": chat.id, "type": chat.type}
        if chat.title:
            data["title"] = chat.title
        if chat.first_name:
            data["first_name"] = chat.first_name
        if chat.username:
            data["username"] = chat.username
        if chat.is_forum:
            data["is_forum"] = True
        return data

    def _message_json(self, message: SentMessage) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self._chat_json(chat),
        }
        if message.from_bot:
            data["from"] = {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "partnerbot",
                "username": self.bot_username,
            }
        else:
            sender = self.users.get(self._senders.get((message.chat_id, message.message_id), 0))
            if sender is not None:
                data["from"] = sender.as_json()
        if message.thread_id is not None:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        if message.text is not None:
            data["text"] = message.text
        if message.caption is not None:
            data["caption"] = message.caption
        if message.media_group_id:
            data["media_group_id"] = message.media_group_id
        file_id = f"file{message.chat_id}_{message.message_id}"
        if message.kind == "document":
            data["document"] = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": message.file_name or "file",
                "file_size": message.file_size or 0,
            }
        elif message.kind == "photo":
            data["photo"] = [
                {
                    "file_id": file_id,
                    "file_unique_id": file_id,
                    "width": 728,
                    "height": 90,
                    "file_size": message.file_size or 0,
                }
            ]
        elif message.kind == "sticker":
            data["sticker"] = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        elif message.kind == "voice":
            data["voice"] = {"file_id": file_id, "file_unique_id": file_id, "duration": 3}
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    # --- the client side: what users do --------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "Анна",
        *,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = User(user_id, first_name, username, language_code)
            self.users[user_id] = user
            self.chats[user_id] = Chat(
                user_id, "private", first_name=first_name, username=username
            )
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        forum: bool = False,
        admin: bool = True,
        can_manage_topics: bool = True,
    ) -> Chat:
        chat = Chat(
            chat_id,
            "supergroup" if forum or chat_id < -1000000000000 else "group",
            title=title,
            is_forum=forum,
            bot_status="administrator" if admin else "member",
            can_manage_topics=can_manage_topics and admin,
        )
        self.chats[chat_id] = chat
        return chat

    def upgrade_group(self, chat_id: int, new_id: int) -> Chat:
        """The group becomes a supergroup with a new id; the old id answers with
        migrate_to_chat_id from now on."""
        old = self.chats.pop(chat_id)
        chat = self.add_group(new_id, old.title or "", admin=old.bot_status == "administrator")
        self.migrated[chat_id] = new_id
        return chat

    def block_bot(self, user_id: int, blocked: bool = True, *, notify: bool = True) -> int | None:
        """The user blocks (or unblocks) the bot; Telegram then sends a `my_chat_member`
        update, unless `notify` is False (an update the bot missed)."""
        user = self.users[user_id]
        user.blocked_bot = blocked
        if not notify:
            return None
        bot = {"id": self.bot_id, "is_bot": True, "first_name": "partnerbot"}
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        return self._push(
            {
                "my_chat_member": {
                    "chat": self._chat_json(self.chats[user_id]),
                    "from": user.as_json(),
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, "user": bot}
                    | ({"until_date": 0} if old == "kicked" else {}),
                    "new_chat_member": {"status": new, "user": bot}
                    | ({"until_date": 0} if new == "kicked" else {}),
                }
            }
        )

    def deactivate(self, user_id: int) -> None:
        """The user deleted their account: sends to them fail with 403 "deactivated"."""
        self.users[user_id].deactivated = True

    def _push(self, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.last_update_id = update_id
        self._updates.append({"update_id": update_id, **payload})
        asyncio.get_running_loop().create_task(self._wake())
        return update_id

    def take_update(self, update_id: int) -> dict[str, Any]:
        """An update as Telegram would POST it to a webhook (no longer offered to getUpdates)."""
        for index, update in enumerate(self._updates):
            if update["update_id"] == update_id:
                return self._updates.pop(index)
        raise KeyError(update_id)

    async def _wake(self) -> None:
        async with self._new_update:
            self._new_update.notify_all()

    def user_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        kind: str = "text",
        thread_id: int | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> int:
        """A user writes `text` (or sends a sticker, voice, ...); returns the update id."""
        user = self.users.get(user_id) or self.add_user(user_id)
        target = self.chats[chat_id if chat_id is not None else user_id]
        message = SentMessage(
            message_id=next(self._ids(target.id)),
            chat_id=target.id,
            from_bot=False,
            text=text if kind == "text" else None,
            caption=text if kind != "text" else None,
            kind=kind,
            thread_id=thread_id,
            media_group_id=media_group_id,
        )
        self.messages.setdefault(target.id, []).append(message)
        self._senders[(target.id, message.message_id)] = user.id
        self._screens.acted(target.id)
        data = self._message_json(message)
        if text and kind == "text" and text.startswith("/"):
            command = text.split()[0]
            data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            replied = self._find(target.id, reply_to)
            data["reply_to_message"] = self._message_json(replied)
        return self._push({"message": data})

    def join(self, user_id: int, chat_id: int) -> int:
        """`user_id` joins the group `chat_id` (a service message with new_chat_members)."""
        user = self.users.get(user_id) or self.add_user(user_id)
        chat = self.chats[chat_id]
        message = SentMessage(
            message_id=next(self._ids(chat.id)), chat_id=chat.id, from_bot=False, kind="service"
        )
        self.messages.setdefault(chat.id, []).append(message)
        self._senders[(chat.id, message.message_id)] = user.id
        self._screens.acted(chat.id)
        data = self._message_json(message)
        data["new_chat_members"] = [user.as_json()]
        return self._push({"message": data})

    def press(self, user_id: int, message: SentMessage, label: str) -> int:
        """The user presses the inline button `label` under `message`."""
        for row in message.buttons:
            for button in row:
                if button["text"] == label:
                    if "callback_data" not in button:
                        raise ValueError(f"button {label!r} is a link, not a callback")
                    return self.press_data(user_id, message, str(button["callback_data"]))
        raise ValueError(f"no button {label!r}; buttons: {message.button_labels}")

    def press_data(self, user_id: int, message: SentMessage, data: str) -> int:
        user = self.users.get(user_id) or self.add_user(user_id)
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        self._callback_users[query_id] = user.id
        self._screens.acted(message.chat_id)
        return self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.as_json(),
                    "message": self._message_json(message),
                    "chat_instance": str(message.chat_id),
                    "data": data,
                }
            }
        )

    @property
    def open_callbacks(self) -> set[str]:
        """Button presses the bot has not answered (their spinner still turns)."""
        return set(self._open_callbacks)

    @property
    def confirmed(self) -> int:
        """The newest update the bot confirmed (by asking for the ones after it)."""
        return self._confirmed

    def replied_text(self, message: SentMessage) -> str | None:
        """The text of the message `message` answers, if it is a reply."""
        if message.reply_to is None:
            return None
        for candidate in self.messages.get(message.chat_id, []):
            if candidate.message_id == message.reply_to:
                return candidate.text
        return None

    async def wait_processed(self, update_id: int, within: float = 10.0) -> None:
        """Wait until the bot confirmed `update_id` (polling sequentially, it was handled)."""
        async with self._confirmed_event:
            await asyncio.wait_for(
                self._confirmed_event.wait_for(lambda: self._confirmed >= update_id), within
            )

    def chat_messages(self, chat_id: int, *, from_bot: bool = True) -> list[SentMessage]:
        return [
            message
            for message in self.messages.get(chat_id, [])
            if message.from_bot == from_bot and not message.deleted
        ]


def _coerce_value(name: str, kind: str, raw: Any) -> Any:
    try:
        if kind == "int":
            return raw if isinstance(raw, int) else int(str(raw))
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in ("true", "1"):
                return True
            if str(raw).lower() in ("false", "0"):
                return False
            raise ValueError(raw)
        if kind == "json":
            return json.loads(raw) if isinstance(raw, str) else raw
        if kind == "id":
            text = str(raw)
            if text.lstrip("-").isdigit():
                return int(text)
            if text.startswith("@"):
                return text
            raise ValueError(raw)
        if kind == "file":
            return raw
        return str(raw)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ApiError(400, f"Bad Request: invalid {name}") from None
