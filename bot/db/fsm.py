"""Dialog (FSM) state in the database, so a dialog survives a restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from bot.db.engine import Database
from bot.db.tables import fsm_states


class DatabaseStorage(BaseStorage):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._keys = DefaultKeyBuilder(prefix="fsm", with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(self._keys.build(key), {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._row(self._keys.build(key))
        return None if row is None else row.state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(self._keys.build(key), {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._row(self._keys.build(key))
        return {} if row is None else dict(row.data or {})

    async def close(self) -> None:
        return None

    async def _row(self, key: str) -> sa.Row[Any] | None:
        async with self._db.read() as conn:
            result = await conn.execute(sa.select(fsm_states).where(fsm_states.c.key == key))
            return result.first()

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
