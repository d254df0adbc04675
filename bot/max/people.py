"""What `MaxSession` knows of MAX's people and chats: names, dialogs (a person's dialog
with the bot has its own chat id), group titles, the messages' string `mid`s, and how an
aiogram chat id becomes a MAX address.

- The chat is always `recipient.chat_id`, never `recipient.user_id` (the receiver: the
  bot, in a person's message). A person's dialog has its own chat id (the aiogram chat
  id); people known only by user id (MANAGERS) are written to with `?user_id=`.
- aiogram's `message_id` is MAX's `seq`; (chat, seq) → the string `mid` MAX edits by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, cast

from aiogram.types import User

from bot.max.client import MaxClient
from bot.platform.memory import Lru

BOT_ID: Final = 1  # the bot's id for aiogram (its MAX user id is `me().id`)
REMEMBERED: Final = 20_000  # messages whose mid/text/keyboard are kept for edits
KNOWN: Final = 100_000  # people, dialogs and chats remembered


@dataclass
class Sent:
    mid: str
    text: str  # MAX HTML
    keyboard: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)


class MaxDirectory:
    """The people, chats and messages a MAX session knows (a mixin: the session holds the
    state, made by `_init_directory`)."""

    def _init_directory(self, client: MaxClient, people: frozenset[int]) -> None:
        self.client = client
        self._me: User | None = None
        self._people = people  # user ids written to by `?user_id=` (MANAGERS on MAX)
        self._sent: Lru = Lru(REMEMBERED)  # (chat, seq) → Sent
        self._dialogs: Lru = Lru(KNOWN)  # dialog chat id → user id
        self._user_dialog: Lru = Lru(KNOWN)  # user id → dialog chat id
        self._names: Lru = Lru(KNOWN)  # user id → (first, last, username)
        self._titles: dict[int, str] = {}  # group chat id → title
        self._newest: Lru = Lru(KNOWN)  # chat id → the newest seq seen there

    async def me(self) -> User:
        """The bot (`GET /me`), asked once."""
        if self._me is None:
            answer = await self.client.request("GET", "/me")
            self._me = User(
                id=int(answer["user_id"]),
                is_bot=True,
                first_name=str(answer.get("first_name") or answer.get("name") or "MAX"),
                username=str(answer.get("username") or "") or None,
            )
        return self._me

    def _is_group(self, chat_id: int) -> bool:
        return chat_id < 0 or (chat_id in self._titles and chat_id not in self._dialogs)

    def forget_person(self, user_id: int) -> None:
        """/forget: the person's name is not kept (learned again from their next message)."""
        self._names.pop(user_id, None)

    def _name(self, user_id: int) -> tuple[str, str, str | None]:
        known = self._names.get(user_id)
        return cast("tuple[str, str, str | None]", known or (str(user_id), "", None))

    def dialog_of(self, user_id: int) -> int | None:
        """The dialog chat id of a person, when known."""
        return cast("int | None", self._user_dialog.get(user_id))

    def _learn_user(self, user: dict[str, Any]) -> int:
        user_id = int(user["user_id"])
        first = str(user.get("first_name") or user.get("name") or user_id)
        self._names.put(
            user_id, (first, str(user.get("last_name") or ""), user.get("username") or None)
        )
        return user_id

    def _learn_dialog(self, chat_id: int, user_id: int) -> None:
        if chat_id < 0:
            return  # a group chat's id: never taken for a person's dialog, whatever a reply says
        self._dialogs.put(chat_id, user_id)
        self._user_dialog.put(user_id, chat_id)

    def _address(self, chat: int | str) -> dict[str, int]:
        """`chat_id=` or `user_id=` for an aiogram chat id (see the module's notes)."""
        chat_id = int(chat)
        if chat_id < 0 or chat_id in self._dialogs:
            return {"chat_id": chat_id}
        dialog = self._user_dialog.get(chat_id)
        if dialog is not None:
            return {"chat_id": int(dialog)}
        if chat_id in self._people:
            return {"user_id": chat_id}
        return {"chat_id": chat_id}

    def _see(self, chat_id: int, seq: int) -> None:
        if seq > int(self._newest.get(chat_id) or 0):
            self._newest.put(chat_id, seq)

    def _chat_of(self, address: dict[str, int]) -> int | None:
        if "chat_id" in address:
            return address["chat_id"]
        dialog = self._user_dialog.get(address.get("user_id", 0))
        return None if dialog is None else int(dialog)

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        """An aiogram chat for a MAX chat id. A dialog is known by its chat id, except a
        manager's (MANAGERS name them by user id, and the bot writes to them so): by the
        manager's user id, so that replies there match what was sent there."""
        if self._is_group(chat_id):
            return {"id": chat_id, "type": "group", "title": self._titles.get(chat_id, "MAX")}
        user_id = self._dialogs.get(chat_id, chat_id)
        first, _last, _username = self._name(user_id)
        shown = user_id if user_id in self._people else chat_id
        return {"id": shown, "type": "private", "first_name": first or str(chat_id)}

    def _person_json(self, user_id: int, locale: Any = None) -> dict[str, Any]:
        first, last, username = self._name(user_id)
        body: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first or "—"}
        if last:
            body["last_name"] = last
        if username:
            body["username"] = username
        if isinstance(locale, str) and locale:
            body["language_code"] = locale.split("-")[0].lower()
        return body

    def _bot_json(self) -> dict[str, Any]:
        me = self._me
        return {
            "id": me.id if me else 0,
            "is_bot": True,
            "first_name": me.first_name if me else "bot",
        }
