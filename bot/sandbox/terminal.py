"""The offline sandbox's chat in the terminal (`launch` starts the emulators and the bot;
`transcript` words the bot's messages, `stdin` reads the typed lines).

Type a message to send it; a number presses that button under the last message (one
no button there has is said, not sent; with no buttons there it is text);
`/as partner` or `/as manager` switches who you are; `/platform tg`, `/platform vk` or
`/platform max` switches the messenger (the same people have a Telegram chat with the
bot, a VK conversation with the community and a MAX dialog with the MAX bot);
`/reply TEXT` answers the bot's last message (a manager answers a ticket so); `/lang en`
(or `ru`) sets the client language and `/name TEXT` the display name of who you are now
(on Telegram, VK and MAX); `/chat group`, `/chat managers` and `/chat private` choose
where you write on Telegram (bot/sandbox/group.py); `/sticker` sends a sticker;
`/photo [CAPTION]` and `/document [CAPTION]` send a picture or a file (Telegram only);
`/press DATA` presses a button of the bot's newest message with buttons in the chat
(whatever came after it) as a client could forge it, with DATA as its callback data (to try
what the bot does with data it never sent); `/quit` (or Ctrl-D) leaves.

A message of several lines (the contest wizard asks for one prize category a line): end
a line with a backslash and go on on the next one, or put three backticks on a line of
their own, paste or type the lines, and close with three backticks again. The lines go
as one message; one that begins with `/reply`, `/photo` or `/document` is that command with
all the lines as its text (a manager's answer to a ticket in several lines), and a block of
one line is that line typed (`/as manager` works there too).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.max.emulator import MaxApiEmulator, MaxMessage
from bot.sandbox.forge import press_forged
from bot.sandbox.group import GROUP_ID, MANAGERS_ID, GroupChat
from bot.sandbox.pressable import (
    button_of,
    newest_with_buttons,
    no_button,
    press_typed,
    pressable,
)
from bot.sandbox.transcript import max_lines, telegram_lines, vk_lines
from bot.telegram.emulator import BotApiEmulator, SentMessage
from bot.vk.emulator import VkApiEmulator, VkMessage

BLOCK = "```"  # a line of its own before and after a message of several lines
TEXT_COMMANDS = ("/reply", "/photo", "/document")  # the sandbox's own that take a text
LINE_COMMANDS = (
    "/as", "/platform", "/chat", "/lang", "/name", "/sticker", "/press", "/quit", "/exit",
)  # fmt: skip
PARTNER_ID = 700001
MANAGER_ID = 700002
PERSONAS = {"partner": (PARTNER_ID, "Анна"), "manager": (MANAGER_ID, "Михаил")}
NAME_LIMIT = 64  # Telegram's first_name limit
PLATFORMS = {"tg": "Telegram", "vk": "VK", "max": "MAX"}
# the sandbox's group chats are on Telegram; its managers' chat wins over VK's and MAX's,
# so every ticket arrives there (docs/max.md), whoever's it is
TICKETS = (
    "the sandbox's tickets arrive in the managers' chat on Telegram, from {platform} partners too"
)
ON_TELEGRAM = {
    "group": "   (the partners' group is on Telegram: /platform tg, then /chat group)",
    "managers": f"   ({TICKETS}: /platform tg, then /chat managers)",
}
NO_TICKET_HERE = (
    f"   (no ticket reaches the manager in {{platform}} here: {TICKETS}, and are answered there —"
    " /platform tg, /chat managers, then /reply TEXT; nothing was sent)"
)


class TerminalChat:
    """Prints what the bot sends to the sandbox people; turns typed lines into updates."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        write: Callable[[str], None],
        vk: VkApiEmulator | None = None,
        max_api: MaxApiEmulator | None = None,
    ) -> None:
        self.emulator = emulator
        self.vk = vk
        self.max = max_api
        self.write = write
        self.persona = "partner"
        self.platform = "tg"
        self.continued: list[str] = []  # lines that ended with "\\", waiting for the last
        self.block: list[str] | None = None  # lines between two lines of BLOCK
        self.incoming: dict[int, int] = {}  # per person: the last message that came unasked
        self.vk_incoming: dict[int, int] = {}
        # `/chat group` or `/chat managers`: typed lines go to that chat (Telegram)
        self.groups = {"group": GroupChat(emulator), "managers": GroupChat(emulator, MANAGERS_ID)}
        self.where = "private"
        self.emulator.listeners.append(self.show)
        self.emulator.answer_listeners.append(self.show_toast)
        if vk is not None:
            vk.listeners.append(self.show_vk)
            vk.answer_listeners.append(self.show_vk_toast)
        self.max_incoming: dict[int, str] = {}  # per dialog: the last message that came unasked
        if max_api is not None:
            max_api.listeners.append(self.show_max)
            max_api.answer_listeners.append(self.show_max_toast)

    @property
    def user_id(self) -> int:
        return PERSONAS[self.persona][0]

    def _prefix(self, who: str | None, to: int | str, edited: bool) -> str:
        """Whom a message went to when not to the person typing, and "(edited) "."""
        return ("" if who == self.persona else f"(to {who or to}) ") + (
            "(edited) " if edited else ""
        )

    def show(self, message: SentMessage) -> None:
        who = next((name for name, (uid, _n) in PERSONAS.items() if uid == message.chat_id), None)
        if who != self.persona and not message.edits:
            self.incoming[message.chat_id] = message.message_id
        prefix = self._prefix(who, message.chat_id, bool(message.edits))
        if message.chat_id == GROUP_ID:
            prefix = "(group) " + prefix.removeprefix(f"(to {GROUP_ID}) ")
        elif message.chat_id == MANAGERS_ID:
            topic = self.groups["managers"].topic(message.thread_id)
            chat = f"(managers › {topic}) " if topic else "(managers) "
            prefix = chat + prefix.removeprefix(f"(to {MANAGERS_ID}) ")
        for line in telegram_lines(message, prefix):
            self.write(line)

    def show_toast(self, user_id: int, text: str) -> None:
        if user_id == self.user_id:
            self.write(f"   💬 {text}")

    def show_vk(self, message: VkMessage) -> None:
        who = next((n for n, (uid, _n) in PERSONAS.items() if uid == message.peer_id), None)
        if who != self.persona and not message.edits:
            self.vk_incoming[message.peer_id] = message.cmid
        prefix = self._prefix(who, message.peer_id, bool(message.edits))
        for line in vk_lines(message, prefix):
            self.write(line)

    def show_vk_toast(self, user_id: int, text: str) -> None:
        if user_id == self.user_id and self.platform == "vk":
            self.write(f"   💬 {text}")

    def _max_person(self, chat_id: int) -> str | None:
        assert self.max is not None
        for name, (uid, _n) in PERSONAS.items():
            user = self.max.users.get(uid)
            if user is not None and user.dialog == chat_id:
                return name
        return None

    def show_max(self, message: MaxMessage) -> None:
        who = self._max_person(message.chat_id)
        if who != self.persona and not message.edits:
            self.max_incoming[message.chat_id] = message.mid
        prefix = self._prefix(who, message.chat_id, bool(message.edits))
        for line in max_lines(message, prefix):
            self.write(line)

    def show_max_toast(self, _callback_id: str, text: str) -> None:
        if self.platform == "max":
            self.write(f"   💬 {text}")

    def last_with_buttons(self) -> SentMessage | None:
        """The bot's latest message, when it has buttons: a number typed then presses one
        (with none, a number is text, e.g. an answer to "how many days?")."""
        messages = self.emulator.messages.get(self.user_id, [])
        return pressable(messages, lambda m: m.kind != "text")

    def handle(self, line: str) -> bool:
        """Act on one typed line; False means quit. Lines ending with a backslash, and
        lines between two lines of three backticks, gather into one message."""
        raw = line.rstrip("\r\n")
        if _cut(raw):  # the terminal keeps 4,095 bytes of a line: the rest is gone
            self.write(
                "   (that line was cut by the terminal at 4,095 bytes, maybe inside a letter:"
                f" nothing was sent; paste a long text between {BLOCK} lines, in lines of fewer"
                " than 4,000 bytes)"
            )
            self.block, self.continued = None, []
            return True
        if self.block is not None:
            if raw.strip() != BLOCK:
                self.block.append(raw)
                return True
            text, self.block = "\n".join(self.block).strip("\n"), None
            return self._send_lines(text)
        if raw.strip() == BLOCK:
            self.block = []
            self.write(
                f"   (several lines: type or paste them, then {BLOCK} on a line of its own;"
                " begin with /reply, /photo or /document to send them so)"
            )
            return True
        if raw.endswith("\\"):
            self.continued.append(raw[:-1])
            return True
        if self.continued:
            text, self.continued = "\n".join([*self.continued, raw]), []
            return self._send_lines(text)
        return self._handle_line(line)

    def _send_lines(self, text: str) -> bool:
        """A message of several lines, sent as typed (no button number); the sandbox's own
        commands work: /reply, /photo and /document take all the lines as their text, the
        others (/as, /platform, …) a line of their own."""
        if not text.strip():
            return True
        first = text.strip().split(maxsplit=1)[0]
        if first in TEXT_COMMANDS:
            return self._handle_line(f"{first} {text.strip().removeprefix(first).strip()}")
        if first in LINE_COMMANDS:
            if "\n" not in text.strip():
                return self._handle_line(text)
            self.write(f"   ({first} takes one line: type it outside {BLOCK}; nothing was sent)")
            return True
        if self._in_the_group(text):  # after `/chat group`: there (it went to the private chat)
            return True
        if self.platform == "vk" and self.vk is not None:
            self.vk.user_message(self.user_id, text)
        elif self.platform == "max" and self.max is not None:
            self.max.user_message(self.user_id, text)
        else:
            self.emulator.user_message(self.user_id, text)
        return True

    def _handle_line(self, line: str) -> bool:
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/exit"):
            return False
        if text.startswith("/platform"):
            self._switch_platform(text.removeprefix("/platform").strip())
            return True
        if self._in_the_group(text):
            return True
        if text == "/reply":
            self.write("   usage: /reply TEXT (several lines: ``` then /reply and the lines)")
            return True
        if text.startswith("/reply ") and self.persona == "manager" and self.platform != "tg":
            # not to the bot as a question (FAQ options came back, the tester of session 26)
            self.write(NO_TICKET_HERE.format(platform=PLATFORMS[self.platform]))
            return True
        if text == "/lang" or text.startswith("/lang "):
            self._set_language(text.removeprefix("/lang").strip())
            return True
        if text == "/name" or text.startswith("/name "):
            self._set_name(text.removeprefix("/name").strip())
            return True
        if text == "/press" or text.startswith("/press "):
            self._press(text.removeprefix("/press").strip())
            return True
        switching = text == "/as" or text.startswith("/as ")
        if self.platform == "vk" and self.vk is not None and not switching:
            return self._handle_vk(self.vk, text)
        if self.platform == "max" and self.max is not None and not switching:
            return self._handle_max(self.max, text)
        if switching:
            persona = text.removeprefix("/as").strip()
            where = f"{self.platform}:{self.user_id}"
            if persona not in PERSONAS:  # «/as» alone: who you are, and how to switch
                self.write(f"   you are the {self.persona} ({self._name()}, {where})")
                self.write("   usage: /as partner | /as manager")
            else:
                self.persona = persona
                where = f"{self.platform}:{self.user_id}"
                self.write(f"   you are now the {persona} ({self._name()}, {where})")
                self._say_where()
            return True
        if text == "/sticker":
            self.emulator.user_message(self.user_id, kind="sticker")
            return True
        if text.split(maxsplit=1)[0] in ("/photo", "/document"):
            kind, _, caption = text.removeprefix("/").partition(" ")
            self.emulator.user_message(self.user_id, caption.strip() or None, kind=kind)
            return True
        if text.startswith("/reply "):
            # to what reached this person while they were the other one (a ticket), or else
            # to the bot's last message
            bot_messages = self.emulator.chat_messages(self.user_id)
            target = self.incoming.get(self.user_id) or (
                bot_messages[-1].message_id if bot_messages else None
            )
            if target is None:
                self.write("   nothing to reply to")
                return True
            self.emulator.user_message(self.user_id, text.removeprefix("/reply "), reply_to=target)
            return True
        note = press_typed(self.emulator, self.user_id, self.last_with_buttons(), text)
        if note is None:
            self.emulator.user_message(self.user_id, text)
        elif note:
            self.write(note)
        return True

    def _switch_platform(self, platform: str) -> None:
        running = {"tg": True, "vk": self.vk is not None, "max": self.max is not None}
        if not running.get(platform):
            self.write("   usage: /platform tg | /platform vk | /platform max")
        else:
            self.platform = platform
            self.write(f"   you now write in {PLATFORMS[platform]} ({platform}:{self.user_id})")
            self._say_where()

    def _say_where(self) -> None:
        """After `/as` or `/platform tg`: which of the Telegram group chats you still write
        in (`/chat` is kept when you switch person or messenger)."""
        if self.where != "private" and self.platform == "tg":
            chat = "the partners' group" if self.where == "group" else "the managers' chat"
            self.write(f"   (still in {chat}: /chat private for your chat with the bot)")

    def _in_the_group(self, text: str) -> bool:
        """`/chat …`, or a line typed in a group chat: handled here."""
        if text == "/chat" or text.startswith("/chat "):
            self._switch_chat(text.removeprefix("/chat").strip())
            return True
        group = self.groups.get(self.where)
        if group is None or self.platform != "tg" or text.startswith(("/as", "/press")):
            return False
        note = group.line(self.user_id, text)
        if note:
            self.write(note)
        return True

    def _switch_chat(self, where: str) -> None:
        """`/chat group`: write in the partners' group, `/chat managers` in the managers'
        chat (Telegram; on VK or MAX, how to get there); `/chat private`: back."""
        if where not in ("group", "managers", "private"):
            self.write(
                "   usage: /chat group | /chat managers | /chat private (the groups are on "
                "Telegram)"
            )
            return
        if where in ON_TELEGRAM and self.platform != "tg":
            self.write(ON_TELEGRAM[where].format(platform=PLATFORMS[self.platform]))
            return
        self.where = where
        chat = {
            "group": "the partners' group",
            "managers": "the managers' chat (/reply TEXT answers the ticket the bot wrote in "
            "last, /reply #N TEXT ticket N)",
            "private": "your private chat",
        }[where]
        self.write(f"   you now write in {chat}")

    def _press(self, data: str) -> None:
        """A forged button press (bot/sandbox/forge.py), under the bot's newest message
        with buttons in the chat you write in."""
        group = self.groups.get(self.where)
        chat_id = group.chat_id if group is not None else self.user_id
        last = None
        if self.platform == "tg":
            last = newest_with_buttons(self.emulator.messages.get(chat_id, []))
        note = press_forged(
            data, self.platform, self.user_id, last, self.emulator, self.vk, self.max
        )
        if note:
            self.write(note)

    def _no_button(self, text: str, count: int) -> bool:
        self.write(no_button(text, count))
        return True

    def _set_language(self, language: str) -> None:
        """The client's language (Telegram language_code, VK lang, MAX user_locale) of the
        current person, in the three messengers: what a first /start picks the language
        from."""
        if language not in ("ru", "en"):
            self.write("   usage: /lang ru | /lang en")
            return
        user = self.emulator.users.get(self.user_id)
        if user is not None:
            user.language_code = language
        if self.vk is not None and self.user_id in self.vk.users:
            self.vk.users[self.user_id].lang_id = 3 if language == "en" else 0
        if self.max is not None and self.user_id in self.max.users:
            self.max.users[self.user_id].locale = language
        self.write(f"   the {self.persona}'s client language is now {language}")

    def _name(self) -> str:
        """The current person's display name: the one `/name` set (the same in the three
        messengers), else the persona's."""
        user = self.emulator.users.get(self.user_id)
        return user.first_name if user is not None else PERSONAS[self.persona][1]

    def _set_name(self, name: str) -> None:
        """The current person's display name in the three messengers, as typed (any
        characters: to try names such as `Tom & Jerry <b>`)."""
        if not name or len(name) > NAME_LIMIT:
            self.write(f"   usage: /name NEW NAME (1 to {NAME_LIMIT} characters)")
            return
        user = self.emulator.users.get(self.user_id)
        if user is not None:
            user.first_name = name
        chat = self.emulator.chats.get(self.user_id)
        if chat is not None:
            chat.first_name = name
        if self.vk is not None and self.user_id in self.vk.users:
            self.vk.users[self.user_id].first_name = name
        if self.max is not None and self.user_id in self.max.users:
            self.max.users[self.user_id].first_name = name
        self.write(f"   the {self.persona} is now called {name} (on Telegram, VK and MAX)")

    def _handle_vk(self, vk: VkApiEmulator, text: str) -> bool:
        """A typed line in the VK conversation."""
        peer = self.user_id
        if text == "/sticker":
            vk.user_message(peer, "", attachments=[{"type": "sticker", "sticker": {}}])
            return True
        if text.startswith("/reply "):
            mine = vk.chat_messages(peer)
            cmid = self.vk_incoming.get(peer) or (mine[-1].cmid if mine else None)
            target = next((m for m in vk.messages.get(peer, []) if m.cmid == cmid), None)
            vk.user_message(peer, text.removeprefix("/reply "), reply_to=target)
            return True
        last = pressable(vk.messages.get(peer, []), lambda m: bool(m.attachments))
        labels = last.button_labels if last else []
        number = button_of(text, len(labels))
        if number == 0:
            return self._no_button(text, len(labels))
        if number is not None and last is not None:
            button = last.buttons[number - 1]["action"]
            if button["type"] == "open_link":
                self.write(f"   (a link: {button.get('link')})")
                return True
            vk.press(peer, last, labels[number - 1])
            return True
        vk.user_message(peer, text)
        return True

    def _handle_max(self, api: MaxApiEmulator, text: str) -> bool:
        """A typed line in the MAX dialog (`/start` opens the bot, as MAX's start button)."""
        user = api.users[self.user_id]
        if text == "/start" or text.startswith("/start "):
            payload = text.removeprefix("/start").strip() or None
            api.open_bot(self.user_id, payload)
            return True
        if text == "/sticker":
            sticker = {"type": "sticker", "payload": {"code": "sandbox", "url": ""}}
            api.user_message(self.user_id, "", files=[sticker])
            return True
        mine = api.chat_messages(user.dialog)
        if text.startswith("/reply "):
            mid = self.max_incoming.get(user.dialog) or (mine[-1].mid if mine else None)
            target = next((m for m in mine if m.mid == mid), None)
            api.user_message(self.user_id, text.removeprefix("/reply "), reply_to=target)
            return True
        last = pressable(api.messages.get(user.dialog, []), lambda m: bool(m.files))
        labels = last.button_labels if last else []
        number = button_of(text, len(labels))
        if number == 0:
            return self._no_button(text, len(labels))
        if number is not None and last is not None:
            button = last.buttons[number - 1]
            if button["type"] == "link":
                self.write(f"   (a link: {button.get('url')})")
                return True
            api.press(self.user_id, last, labels[number - 1])
            return True
        api.user_message(self.user_id, text)
        return True


TERMINAL_LINE = 4095  # bytes a terminal keeps of a typed line (Linux: N_TTY_BUF_SIZE - 1)


def _cut(line: str) -> bool:
    """A line the terminal cut: as long as it keeps, or ending in a half letter (U+FFFD:
    the rest of a letter cut off, sent to partners as «�» — the tester of session 20)."""
    return len(line.encode()) >= TERMINAL_LINE - 1 or "\ufffd" in line
