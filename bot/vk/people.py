"""What `VkSession` knows of VK's people and chats (names, chat titles, whether a
person's client shows callback buttons, the bot's sent messages for edits and copies),
and how they look in aiogram's shapes.

A person's name is asked again once `NAMES_FOR` has passed (a name changed in VK is used
from then on), and /forget drops what is kept of the person (`forget_person`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, cast

from aiogram.types import ChatFullInfo, User

from bot.clock import Clock, SystemClock
from bot.platform.memory import Lru
from bot.vk import convert
from bot.vk.client import VkClient

REMEMBERED: Final = 20_000  # messages whose text/keyboard/attachments are kept for edits
KNOWN: Final = 100_000  # people whose names are remembered
NAMES_FOR: Final = timedelta(minutes=10)  # a name is asked again after this


@dataclass
class Sent:
    text: str
    keyboard: str | None = None
    attachments: list[str] = field(default_factory=list)
    reply_to: int | None = None  # the message the bot's one replies to (its cmid)
    by_bot: bool = True  # False: a person's message


class VkDirectory:
    """The people, chats and messages a VK session knows (a mixin: the session holds the
    state, made by `_init_directory`)."""

    def _init_directory(self, client: VkClient, group_id: int, clock: Clock | None) -> None:
        self.client = client
        self.group_id = group_id
        self._names_clock = clock or SystemClock()
        self._people: Lru = Lru(KNOWN)  # person → (first, last name, when asked: monotonic)
        self._chat_titles: dict[int, str] = {}
        self._callbacks: dict[int, bool] = {}  # person → client supports callback buttons
        self._sent: Lru = Lru(REMEMBERED)  # (peer, cmid) → Sent
        self._last_keyboard: dict[int, int] = {}  # peer → cmid of the newest keyboard
        self._events: Lru = Lru(10_000)  # button press (event id) → (user id, peer id)
        self._me: User | None = None

    async def _get_me(self) -> User:
        if self._me is None:
            answer = await self.client("groups.getById", group_id=self.group_id)
            groups = answer["groups"] if isinstance(answer, dict) else answer
            group = groups[0]
            self._me = User(
                id=self.group_id,
                is_bot=True,
                first_name=str(group.get("name", "VK")),
                username=str(group.get("screen_name") or f"club{self.group_id}"),
            )
        return self._me

    async def _get_chat(self, peer: int) -> ChatFullInfo:
        """What the bot needs of a chat (VK has no forums). Built without validation:
        Telegram's required fields (colours, gift settings) mean nothing on VK."""
        await self._learn([peer])
        if convert.is_chat(peer):
            return ChatFullInfo.model_construct(  # type: ignore[call-arg]
                id=peer, type="group", title=self._chat_titles.get(peer, "VK"), is_forum=False
            )
        first, last = self._name(peer, "")
        return ChatFullInfo.model_construct(  # type: ignore[call-arg]
            id=peer, type="private", first_name=first or str(peer), last_name=last or None
        )

    async def _learn(self, peers: list[int]) -> None:
        """Names of people not asked for `NAMES_FOR` (or never) and titles of chats not
        seen before, in one request."""
        now = self._names_clock.monotonic()
        unknown = sorted(
            {p for p in peers if not self._name_fresh(p, now) and p not in self._chat_titles}
        )
        for start in range(0, len(unknown), 100):  # VK takes 100 peers a call
            answer = await self.client(
                "messages.getConversationsById", peer_ids=unknown[start : start + 100], extended=1
            )
            for profile in answer.get("profiles", []):
                self._people.put(
                    int(profile["id"]),
                    (str(profile.get("first_name", "")), str(profile.get("last_name", "")), now),
                )
            for item in answer.get("items", []):
                peer = int(item["peer"]["id"])
                if convert.is_chat(peer):
                    title = item.get("chat_settings", {}).get("title", "VK")
                    self._chat_titles[peer] = str(title)
        for peer in unknown:
            if not convert.is_chat(peer) and not self._name_fresh(peer, now):
                first, last = self._name(peer, str(peer))  # not told: as before, for a while
                self._people.put(peer, (first, last, now))

    def _name_fresh(self, peer: int, now: float) -> bool:
        known = self._people.get(peer)
        return known is not None and now - known[2] < NAMES_FOR.total_seconds()

    def _name(self, peer: int, unknown: str) -> tuple[str, str]:
        """A person's (first, last) name as last asked (`unknown` and "" if never)."""
        known = self._people.get(peer)
        return (unknown, "") if known is None else cast("tuple[str, str]", known[:2])

    def forget_person(self, user_id: int) -> None:
        """/forget: nothing of the person stays in the session (their name, their
        client's buttons, the messages of their conversation kept for edits)."""
        self._people.pop(user_id, None)
        self._callbacks.pop(user_id, None)
        self._last_keyboard.pop(user_id, None)
        for key in [key for key in self._sent if key[0] == user_id]:
            del self._sent[key]

    def _bot_message_json(self, peer: int, cmid: int) -> dict[str, Any]:
        """The bot's message a button was pressed on (VK sends only its number), with the
        bot's message it replies to when the session remembers both (a /faq_link picker:
        the partner's words it is about)."""
        sent = self._sent.get((peer, cmid))
        body = {
            "message_id": cmid,
            "date": int(time.time()),
            "chat": self._chat_json(peer),
            "from": self._bot_json(),
            "text": sent.text if sent else "",
        }
        replied = None if sent is None or sent.reply_to is None else sent.reply_to
        remembered = None if replied is None else self._sent.get((peer, replied))
        if remembered is not None and remembered.by_bot:
            body["reply_to_message"] = {**body, "message_id": replied, "text": remembered.text}
        return body

    def _chat_json(self, peer: int) -> dict[str, Any]:
        if convert.is_chat(peer):
            return {"id": peer, "type": "group", "title": self._chat_titles.get(peer, "VK")}
        first, _last = self._name(peer, str(peer))
        return {"id": peer, "type": "private", "first_name": first or str(peer)}

    def _person_json(self, user_id: int, lang_id: Any = None) -> dict[str, Any]:
        first, last = self._name(user_id, str(user_id))
        body: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first or "—"}
        if last:
            body["last_name"] = last
        if lang_id is not None:
            body["language_code"] = "en" if lang_id == 3 else "ru"
        return body

    def _bot_json(self) -> dict[str, Any]:
        return {"id": self.group_id, "is_bot": True, "first_name": "bot"}

    def _member_json(self, status: str) -> dict[str, Any]:
        body: dict[str, Any] = {"status": status, "user": self._bot_json()}
        if status == "kicked":
            body["until_date"] = 0
        return body
