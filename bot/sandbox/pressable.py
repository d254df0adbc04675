"""Which of the bot's messages a number typed in the sandbox terminal presses.

The bot may follow a message with buttons by a picture (the chart under /stats' gap
buttons): the buttons are still the ones to press, so a picture without buttons that
came after them is looked past. Anything else the bot sent after them, or anything the
person wrote, ends the search: a number then is text (an answer to "how many days?").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar


class Shown(Protocol):
    @property
    def from_bot(self) -> bool: ...

    @property
    def deleted(self) -> bool: ...

    @property
    def buttons(self) -> Sequence[Any]: ...


M = TypeVar("M", bound=Shown)


def pressable(messages: Sequence[M], is_picture: Callable[[M], bool]) -> M | None:
    """The message whose buttons a typed number presses, from a chat's messages (the
    person's and the bot's, oldest first); None: a number is sent as text."""
    for message in reversed(messages):
        if message.deleted:
            continue
        if not message.from_bot:
            return None
        if message.buttons:
            return message
        if not is_picture(message):
            return None
    return None
