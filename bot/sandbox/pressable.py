"""Which of the bot's messages a number typed in the sandbox terminal presses.

The bot may follow a message with buttons by a picture (the chart under /stats' gap
buttons): the buttons are still the ones to press, so a picture without buttons that
came after them is looked past. Anything else the bot sent after them, or anything the
person wrote, ends the search: a number then is text (an answer to "how many days?").
Under buttons, a number none of them has is said (`no_button`), not sent.

A forged press (`/press DATA`) is no answer to anything: it goes under the bot's newest
message with buttons in the chat, whatever came after it (`newest_with_buttons`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from bot.telegram.emulator import BotApiEmulator, SentMessage


class Shown(Protocol):
    @property
    def from_bot(self) -> bool: ...

    @property
    def deleted(self) -> bool: ...

    @property
    def buttons(self) -> Sequence[Any]: ...


M = TypeVar("M", bound=Shown)


def pressable(
    messages: Sequence[M], is_picture: Callable[[M], bool], *, in_group: bool = False
) -> M | None:
    """The message whose buttons a typed number presses, from a chat's messages (the
    person's and the bot's, oldest first); None: a number is sent as text. `in_group`:
    what people wrote there is looked past (a colleague's «коллеги, посмотрите» under a
    link card made a manager's «1» text — a tester of session 22); the bot's own
    messages still end the search."""
    for message in reversed(messages):
        if message.deleted:
            continue
        if not message.from_bot:
            if in_group:
                continue
            return None
        if message.buttons:
            return message
        if not is_picture(message):
            return None
    return None


def newest_with_buttons(messages: Sequence[M]) -> M | None:
    """The bot's newest message with buttons in a chat (oldest first), whatever came
    after it: what a forged press (`/press DATA`) goes under. A client can press any
    message's buttons still on the screen; only a typed number, which may be an answer,
    needs the buttons to be the last thing the bot said (`pressable`)."""
    return next(
        (m for m in reversed(messages) if m.from_bot and not m.deleted and m.buttons), None
    )


def button_of(text: str, count: int) -> int | None:
    """The button (from 1) a typed line presses under a message with `count` buttons; 0
    for a number none of them has (said, nothing sent); None when the line is text: not a
    number (ASCII digits), or no buttons to press (a number is then an answer)."""
    if count == 0 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text) if len(text) <= 9 else 0  # int() of thousands of digits raises
    return number if number <= count else 0


def no_button(text: str, count: int) -> str:
    """The note for a number no button under the message has."""
    there = "there is only 1" if count == 1 else f"the buttons are 1–{count}"
    return f"   (no button {text} here: {there}; to send {text} as text, put it between ``` lines)"


def press_typed(
    emulator: BotApiEmulator, user_id: int, message: SentMessage | None, text: str
) -> str | None:
    """A typed line under `message` (Telegram, the bot's last message with buttons, or
    None): a number presses its button — "" when pressed, a note when it cannot be (no such
    button; a link button) —, None when the line is text to send."""
    labels = message.button_labels if message else []
    button = button_of(text, len(labels))
    if button == 0:
        return no_button(text, len(labels))
    if button is None or message is None:
        return None
    buttons = [each for row in message.buttons for each in row]
    if "callback_data" not in buttons[button - 1]:
        return f"   (a link: {buttons[button - 1].get('url')})"
    emulator.press(user_id, message, labels[button - 1])
    return ""
