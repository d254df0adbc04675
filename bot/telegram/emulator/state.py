"""What the Telegram emulator holds: its users, chats, messages, forum topics and files,
the updates waiting for the bot, and how each of them looks in the Bot API's JSON."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.screens import ScreenRuns
from bot.telegram.emulator.checks import ApiError
from bot.telegram.emulator.limits import RateGate, RateLimits

DEFAULT_TOKEN = "1000001:sandbox-token-not-a-real-one-000000000"
BOT_USER_ID = 1000001


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


def strip_html(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class EmulatorState:
    """The emulator's world for one bot token; `BotApiEmulator` serves it over HTTP."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "partnerbot_sandbox_bot",
        limits: RateLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        latency: float = 0.0,
        wall: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.token = token
        # seconds of network round trip added to each send (half each way), as from afar
        self.latency = latency
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", maxsplit=1)[0])
        self._gate = RateGate(limits or RateLimits(), monotonic, wall)
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[int, list[SentMessage]] = {}
        self.requests: list[Request] = []
        self.commands: dict[str, Any] = {}
        self.webhook: dict[str, Any] | None = None  # what setWebhook asked for
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.topics: dict[tuple[int, int], str] = {}
        self.topics_by_bot: set[tuple[int, int]] = set()  # the bot created them
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
        # messages delivered twice: the same screen (a text with its buttons) again in a
        # chat more times than its people acted (a retry that raced, a send repeated
        # after a lost answer; pressing twice may show a screen twice). Plain texts may
        # repeat by design (three sales approved one by one: three equal notices).
        self.duplicates: list[tuple[int, str]] = []
        self._screens = ScreenRuns()

    @property
    def limits(self) -> RateLimits:
        """The limits enforced (`enabled` may be switched off and on)."""
        return self._gate.limits

    @property
    def rate_limited(self) -> int:
        """Requests refused with 429."""
        return self._gate.rate_limited

    @rate_limited.setter
    def rate_limited(self, value: int) -> None:
        self._gate.rate_limited = value

    @property
    def window_violations(self) -> int:
        """Requests that came inside a 429 window the bot had been told of."""
        return self._gate.window_violations

    @window_violations.setter
    def window_violations(self, value: int) -> None:
        self._gate.window_violations = value

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
        # as Telegram gives a message back: what it shows, the HTML it was sent with read
        # into plain text (`&amp;` is «&», `<b>` is no text)
        if message.text is not None:
            data["text"] = message.plain
        if message.caption is not None:
            data["caption"] = message.plain
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

    # --- updates for the bot ---------------------------------------------------------

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

    @property
    def open_callbacks(self) -> set[str]:
        """Button presses the bot has not answered (their spinner still turns)."""
        return set(self._open_callbacks)

    @property
    def confirmed(self) -> int:
        """The newest update the bot confirmed (by asking for the ones after it)."""
        return self._confirmed

    async def wait_processed(self, update_id: int, within: float = 10.0) -> None:
        """Wait until the bot confirmed `update_id` (polling sequentially, it was handled)."""
        async with self._confirmed_event:
            await asyncio.wait_for(
                self._confirmed_event.wait_for(lambda: self._confirmed >= update_id), within
            )
