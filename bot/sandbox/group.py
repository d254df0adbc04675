"""The sandbox's two group chats on Telegram: the partners' group (`/chat group`) and the
managers' chat (`/chat managers`); `/chat private` goes back to your chat with the bot.

The partners' group is the bot's community chat (`TG_COMMUNITY_CHAT_ID`) unless one is set:
contest announcements and standings, the weekly leaderboard and «@бот вопрос» answered there
can be tried offline. You join it the first time you write there (the bot's welcome).

The managers' chat is a forum supergroup, the bot's `TG_MANAGERS_CHAT_ID` unless one is set:
each ticket gets a topic there with its card, and `/reply TEXT` answers in the topic of the
bot's last message in a topic (the latest ticket's card or its partner's follow-up),
`/reply #3 TEXT` in ticket 3's topic; other
lines go to the chat's general topic (/tickets, /stats, /partner …). Anyone can write there
— `/as partner` then `/chat managers` is a person who is no manager in the managers' chat,
to see that it grants nothing.

In either, a number presses a button under the bot's last message there (people's lines
looked past), and `/press DATA` one under its newest message with buttons there."""

from __future__ import annotations

from bot.sandbox.pressable import press_typed, pressable
from bot.telegram.emulator import BotApiEmulator, SentMessage

GROUP_ID = -1001700000001  # a supergroup's id, as Telegram gives them
GROUP_TITLE = "Партнёры (песочница)"
MANAGERS_ID = -1001700000002
MANAGERS_TITLE = "Менеджеры (песочница)"


def add_groups(emulator: BotApiEmulator) -> None:
    """The partners' group and the managers' chat (a forum, the bot an admin who may
    manage topics)."""
    emulator.add_group(GROUP_ID, GROUP_TITLE)
    emulator.add_group(MANAGERS_ID, MANAGERS_TITLE, forum=True)


class GroupChat:
    """What a person types in one of the sandbox's group chats."""

    def __init__(self, emulator: BotApiEmulator, chat_id: int = GROUP_ID) -> None:
        self.emulator = emulator
        self.chat_id = chat_id
        self.joined: set[int] = set()

    def line(self, user_id: int, text: str) -> str | None:
        """Sends `text` to the chat as `user_id` (a number presses a button of the bot's
        last message there); a note to print, or None."""
        messages = self.emulator.messages.get(self.chat_id, [])
        # what a typed number presses, looked up before joining: the join's service
        # message would end the search (a first «1» under a card was sent as text)
        under = self.under_buttons(messages)
        if user_id not in self.joined:
            self.joined.add(user_id)
            self.emulator.join(user_id, self.chat_id)
        if text.startswith("/reply "):
            words = text.removeprefix("/reply ")
            mine = self.emulator.chat_messages(self.chat_id)
            # in a forum: the bot's last message in a topic (a ticket's), the general
            # topic's answers to commands looked past; «/reply #3 TEXT»: ticket 3's topic
            in_topics = [message for message in mine if message.thread_id is not None]
            number, _, rest = words.partition(" ")
            if number.startswith("#") and number[1:].isdigit() and rest.strip():
                in_topics = [m for m in in_topics if self._topic_of(m, number)]
                if not in_topics:
                    return f"   no ticket {number} here (its topic's name starts with {number})"
                mine, words = in_topics, rest
            if not mine:
                return "   nothing to reply to here"
            target = (in_topics or mine)[-1]
            self.emulator.user_message(
                user_id,
                words,
                chat_id=self.chat_id,
                reply_to=target.message_id,
                thread_id=target.thread_id,
            )
            return None
        note = press_typed(self.emulator, user_id, under, text)
        if note is None:
            self.emulator.user_message(user_id, text, chat_id=self.chat_id)
        return note or None

    def under_buttons(self, messages: list[SentMessage]) -> SentMessage | None:
        """What a typed number presses there: the bot's latest message, when it has
        buttons, people's lines looked past."""
        return pressable(messages, lambda m: m.kind != "text", in_group=True)

    def _topic_of(self, message: SentMessage, number: str) -> bool:
        """Whether `message` is in the topic of ticket `number` («#3»: its name starts so)."""
        name = self.topic(message.thread_id) or ""
        return name.startswith(f"{number} ")

    def topic(self, thread_id: int | None) -> str | None:
        """The name of a forum topic of this chat (a ticket's), if it is one."""
        if thread_id is None:
            return None
        return self.emulator.topics.get((self.chat_id, thread_id))
