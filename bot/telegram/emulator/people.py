"""The people's side of the Telegram emulator: users and groups added, messages typed,
buttons pressed, the bot blocked; and what a test reads back from the chats."""

from __future__ import annotations

import time
from typing import Any

from bot.telegram.emulator.state import Chat, EmulatorState, SentMessage, User


class PeopleSide(EmulatorState):
    """What users do (each action an update for the bot), and what they see."""

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
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """A user writes `text` (or sends a sticker, voice, ...); returns the update id.
        `entities`: its formatting, as Telegram sends it (bold, links…: offsets in UTF-16)."""
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
        if entities:
            data["entities" if kind == "text" else "caption_entities"] = entities
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

    def press(
        self, user_id: int, message: SentMessage, label: str, *, expired: bool = False
    ) -> int:
        """The user presses the inline button `label` under `message`."""
        for row in message.buttons:
            for button in row:
                if button["text"] == label:
                    if "callback_data" not in button:
                        raise ValueError(f"button {label!r} is a link, not a callback")
                    data = str(button["callback_data"])
                    return self.press_data(user_id, message, data, expired=expired)
        raise ValueError(f"no button {label!r}; buttons: {message.button_labels}")

    def press_data(
        self, user_id: int, message: SentMessage, data: str, *, expired: bool = False
    ) -> int:
        """A press with this callback data (a forged one too). `expired`: it reaches the
        bot after Telegram stopped taking an answer to it (the bot was down, a backlog),
        so its answer is refused as too old."""
        user = self.users.get(user_id) or self.add_user(user_id)
        query_id = str(next(self._callback_ids))
        if not expired:
            self._open_callbacks.add(query_id)
        self._callback_users[query_id] = user.id
        self._screens.acted(message.chat_id)
        shown = self._message_json(message)
        if message.reply_to is not None:  # as Telegram: the message it replies to, one level
            replied = next(
                (
                    m
                    for m in self.messages.get(message.chat_id, [])
                    if m.message_id == message.reply_to and not m.deleted
                ),
                None,
            )
            if replied is not None:
                shown["reply_to_message"] = self._message_json(replied)
        return self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.as_json(),
                    "message": shown,
                    "chat_instance": str(message.chat_id),
                    "data": data,
                }
            }
        )

    def replied_text(self, message: SentMessage) -> str | None:
        """The text of the message `message` answers, if it is a reply."""
        if message.reply_to is None:
            return None
        for candidate in self.messages.get(message.chat_id, []):
            if candidate.message_id == message.reply_to:
                return candidate.text
        return None

    def chat_messages(self, chat_id: int, *, from_bot: bool = True) -> list[SentMessage]:
        return [
            message
            for message in self.messages.get(chat_id, [])
            if message.from_bot == from_bot and not message.deleted
        ]
