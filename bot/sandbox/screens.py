"""What the emulators of every platform share: spotting a screen delivered twice."""

from __future__ import annotations

from typing import Any


class ScreenRuns:
    """Per chat: the bot's last message against what the chat's people did — the same
    screen shown again with no action of theirs left to answer was delivered twice."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[Any, ...]] = {}
        self._pending: dict[int, int] = {}  # actions not answered yet

    def acted(self, chat: int) -> None:
        self._pending[chat] = self._pending.get(chat, 0) + 1

    def sent(self, chat: int, signature: tuple[Any, ...], *, screen: bool) -> bool:
        """Record a message; True when it is a screen delivered twice. A message answers
        one waiting action (a reply of several messages answers it with its first)."""
        pending = self._pending.get(chat, 0)
        self._pending[chat] = max(0, pending - 1)
        repeated = self._last.get(chat) == signature
        self._last[chat] = signature
        return screen and repeated and pending == 0
