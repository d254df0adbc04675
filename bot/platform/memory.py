"""Bounded memories a platform session keeps: the newest N entries of a map, the events
already handed on (a platform that sends one again is not heard twice), and the updates
of one long-poll round kept until aiogram confirms them by its offset."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only (content loading imports this module without aiogram)
    from aiogram.types import Update


class Lru(OrderedDict[Any, Any]):
    """A map of the newest `size` entries (the oldest written is forgotten first)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self._size:
            self.popitem(last=False)


class SeenOnce:
    """The identities of the newest `size` events: `first_time` is true once for each."""

    def __init__(self, size: int) -> None:
        self._seen = Lru(size)
        self.repeated = 0  # events heard again, dropped

    def first_time(self, key: str) -> bool:
        if key in self._seen:
            self.repeated += 1
            return False
        self._seen.put(key, True)
        return True


class UpdateBuffer:
    """One poll's updates, handed out again until aiogram's offset passes them (aiogram
    asks with `offset` = the last update it handled + 1): a round is never lost between
    the platform's answer and the handlers."""

    def __init__(self) -> None:
        self._updates: list[Update] = []

    def pending(self, offset: int | None) -> list[Update]:
        """The updates not yet confirmed by `offset` (empty: time to poll again)."""
        self._updates = [u for u in self._updates if u.update_id >= (offset or 0)]
        return list(self._updates)

    def keep(self, updates: list[Update]) -> list[Update]:
        self._updates = list(updates)
        return list(updates)
