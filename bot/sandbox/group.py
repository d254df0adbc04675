"""The partners' group in the offline sandbox (Telegram): `/chat group` in the terminal
writes there as the person you are, `/chat private` back to your chat with the bot. The
group is the bot's community chat (`TG_COMMUNITY_CHAT_ID`) unless one is set: contest
announcements and standings, the weekly leaderboard and «@бот вопрос» answered there can
be tried offline. You join it the first time you write there (the bot's welcome).
A number presses a button under the bot's last message in the group; `/reply TEXT`
answers the bot's last message there."""

from __future__ import annotations

from bot.sandbox.pressable import press_typed, pressable
from bot.telegram.emulator import BotApiEmulator

GROUP_ID = -1001700000001  # a supergroup's id, as Telegram gives them
GROUP_TITLE = "Партнёры (песочница)"


def add_group(emulator: BotApiEmulator) -> None:
    emulator.add_group(GROUP_ID, GROUP_TITLE)


class GroupChat:
    """What a person types in the sandbox's group."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.joined: set[int] = set()

    def line(self, user_id: int, text: str) -> str | None:
        """Sends `text` to the group as `user_id` (a number presses a button of the bot's
        last message there); a note to print, or None."""
        if user_id not in self.joined:
            self.joined.add(user_id)
            self.emulator.join(user_id, GROUP_ID)
        messages = self.emulator.messages.get(GROUP_ID, [])
        if text.startswith("/reply "):
            mine = self.emulator.chat_messages(GROUP_ID)
            if not mine:
                return "   nothing to reply to in the group"
            target = mine[-1].message_id
            self.emulator.user_message(
                user_id, text.removeprefix("/reply "), chat_id=GROUP_ID, reply_to=target
            )
            return None
        note = press_typed(
            self.emulator, user_id, pressable(messages, lambda m: m.kind != "text"), text
        )
        if note is None:
            self.emulator.user_message(user_id, text, chat_id=GROUP_ID)
        return note or None
