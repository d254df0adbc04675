"""Where a platform's long poll stopped reading, kept in the database (`counters`), so the
next leader — after a deploy, a crash, another worker taking over — reads on from there
instead of from the newest event (VK's `ts`: what partners wrote while the bot was down
would be skipped). A position holds no personal data."""

from __future__ import annotations

import sqlalchemy as sa

from bot.db.engine import Database, insert
from bot.db.tables import counters


class PollPosition:
    """One long poll's position (`name`: at most 32 characters, e.g. `vk-ts:GROUP`)."""

    def __init__(self, db: Database, name: str) -> None:
        self._db = db
        self.name = name

    async def read(self) -> int | None:
        async with self._db.read() as conn:
            value = await conn.scalar(
                sa.select(counters.c.value).where(counters.c.name == self.name)
            )
        return None if value is None else int(value)

    async def write(self, value: int) -> None:
        async with self._db.write() as conn:
            statement = insert(conn.dialect.name, counters).values(name=self.name, value=value)
            await conn.execute(
                statement.on_conflict_do_update(index_elements=["name"], set_={"value": value})
            )
