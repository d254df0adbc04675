"""The VK emulator's model: what it holds (people, chats, messages, requests, limits)
and how VK shapes errors, keyboards and `execute` (`bot.vk.emulator` serves it)."""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from bot.platform.emulation import EmulatedServer, EventFeed, SlidingSecond
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


class VkState(EmulatedServer):
    """What the emulator holds; `VkApiEmulator` serves it."""

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
        self.limit = SlidingSecond()
        self.feed = EventFeed(history)  # ts = position
        self._key = secrets.token_hex(8)
        self._lp_fail: deque[int] = deque()  # injected `failed` codes
        self._lp_drop = 0  # long-poll requests to drop the connection on
        self._faults: dict[str, deque[int]] = {}
        # malformed answers: the call is carried out, then answered (HTTP status, raw body)
        self._garbled: dict[str, deque[tuple[int, str]]] = {}
        self.flooded: set[int] = set()  # peers answering error 9 (flood control)
        self.listeners: list[Callable[[VkMessage], None]] = []  # the bot's messages, edits
        self.answer_listeners: list[Callable[[int, str], None]] = []  # snackbars: user, text
        self._random_ids: dict[tuple[int, int], VkMessage] = {}
        self._open_events: dict[str, tuple[int, int]] = {}
        self._cmids: dict[int, itertools.count[int]] = {}
        self._ids = itertools.count(1)
        self._uploads = itertools.count(1)
        self._init_server()

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
