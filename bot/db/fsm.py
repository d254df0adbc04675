"""Dialog (FSM) state in the database, so a dialog survives a restart."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from bot.db.engine import Database
from bot.db.tables import fsm_states


class DatabaseStorage(BaseStorage):
    """State and data per chat in the `fsm_states` table.

    With `cache_size` > 0 (one process, SQLite) what was read or written is also kept in
    memory, so most updates, which carry no dialog, cost no database read.
    """

    def __init__(self, db: Database, cache_size: int = 0) -> None:
        self._db = db
        self._keys = DefaultKeyBuilder(prefix="fsm", with_bot_id=True, with_destiny=True)
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(self._keys.build(key), {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._row(self._keys.build(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(self._keys.build(key), {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._row(self._keys.build(key)))[1])

    async def close(self) -> None:
        return None

    async def everything(self) -> list[tuple[StorageKey, str | None, dict[str, Any]]]:
        """Every chat's state and data held here (with Redis: what was kept while it was
        away), to be handed back to Redis."""
        async with self._db.read() as conn:
            rows = list(await conn.execute(sa.select(fsm_states)))
        held = []
        for row in rows:
            key = _storage_key(row.key)
            if key is not None:
                held.append((key, row.state, dict(row.data or {})))
        return held

    def _remember(self, key: str, row: tuple[str | None, dict[str, Any]]) -> None:
        if self._cache_size:
            self._cache[key] = row
            self._cache.move_to_end(key)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    async def _row(self, key: str) -> tuple[str | None, dict[str, Any]]:
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        async with self._db.read() as conn:
            result = await conn.execute(sa.select(fsm_states).where(fsm_states.c.key == key))
            row = result.first()
        value = (None, {}) if row is None else (row.state, dict(row.data or {}))
        self._remember(key, value)
        return value

    async def _upsert(self, key: str, values: dict[str, Any]) -> None:
        async with self._db.write() as conn:
            updated = await conn.execute(
                fsm_states.update().where(fsm_states.c.key == key).values(**values)
            )
            if updated.rowcount == 0:
                row = {"key": key, "state": None, "data": {}} | values
                await conn.execute(fsm_states.insert().values(**row))
            current = (
                await conn.execute(sa.select(fsm_states).where(fsm_states.c.key == key))
            ).one()
            if current.state is None and not current.data:  # nothing left: keep no trace
                await conn.execute(fsm_states.delete().where(fsm_states.c.key == key))
        self._remember(key, (current.state, dict(current.data or {})))


def _storage_key(built: str) -> StorageKey | None:
    """The key DefaultKeyBuilder(prefix="fsm", with_bot_id=True, with_destiny=True) built:
    fsm:BOT:CHAT[:THREAD]:USER:DESTINY; None for anything else."""
    parts = built.split(":")
    try:
        if len(parts) == 5 and parts[0] == "fsm":
            return StorageKey(int(parts[1]), int(parts[2]), int(parts[3]), destiny=parts[4])
        if len(parts) == 6 and parts[0] == "fsm":
            bot, chat, thread, user = map(int, parts[1:5])
            return StorageKey(bot, chat, user, thread_id=thread, destiny=parts[5])
    except ValueError:
        return None
    return None
