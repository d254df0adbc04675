"""The MAX emulator's model: what it holds (people, chats, messages, uploads, requests,
limits) and MAX's shapes and checks (`bot.max.emulator` serves it)."""

from __future__ import annotations

import itertools
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.platform.emulation import EmulatedServer, EventFeed, SlidingSecond

RATE = 30  # requests a second per token
BOT_USER_ID = 990_000_001
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
        return self.sender_id == BOT_USER_ID

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


class MaxState(EmulatedServer):
    """What the emulator holds; `MaxApiEmulator` serves it."""

    BOT_USER_ID = BOT_USER_ID

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
        self.limit = SlidingSecond()
        self.feed = EventFeed(history)  # an event's marker is its position
        self._acked = 1  # the marker the bot last passed (MAX: "read up to")
        self._faults: dict[str, deque[tuple[int, str]]] = {}
        self._drops: dict[str, int] = {}
        self._lost: dict[str, int] = {}  # done, then the answer lost
        self._garbled: dict[str, deque[str]] = {}  # done, then a malformed answer (raw text)
        self.webhook_target: str | None = None  # where subscribed URLs are really posted
        self._open_callbacks: dict[str, str] = {}  # callback id → mid
        self._seq = itertools.count(SEQ_BASE)
        self._ids = itertools.count(1)
        self._http: aiohttp.ClientSession | None = None
        self.webhook_deliveries = 0
        self.listeners: list[Callable[[MaxMessage], None]] = []  # the bot's messages, edits
        self.answer_listeners: list[Callable[[str, str], None]] = []  # callback id, words
        self._init_server()

    def _dialog_user(self, chat_id: int) -> MaxUser | None:
        return next((u for u in self.users.values() if u.dialog == chat_id), None)

    def _by_mid(self, mid: str) -> MaxMessage:
        for messages in self.messages.values():
            for message in messages:
                if message.mid == mid:
                    return message
        raise MaxFault(404, "message.not.found", f"message {mid} not found")

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
