"""Buttons that act once: the message under which a button was pressed is kept (its
platform, chat and id), so a second press — a double tap, another manager, a retry — finds
it and does nothing again. One insert decides, so two presses at once (two workers too)
have one winner. Used by the /faq_link picker (the answer is sent and learned once)."""

from __future__ import annotations

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.engine import Database, insert
from bot.db.tables import pressed_once


class PressedOnce:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _is(self, platform: str, chat_id: int, message_id: int) -> sa.ColumnElement[bool]:
        return sa.and_(
            pressed_once.c.platform == platform,
            pressed_once.c.chat_id == chat_id,
            pressed_once.c.message_id == message_id,
        )

    async def claim(self, platform: str, chat_id: int, message_id: int) -> bool:
        """True for the first press under the message; False when it acted already."""
        async with self._db.write() as conn:
            statement = (
                insert(conn.dialect.name, pressed_once)
                .values(
                    platform=platform,
                    chat_id=chat_id,
                    message_id=message_id,
                    pressed_at=self._clock.now(),
                )
                .on_conflict_do_nothing(index_elements=["platform", "chat_id", "message_id"])
            )
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def done(self, platform: str, chat_id: int, message_id: int) -> bool:
        """Whether a press under the message acted already."""
        query = sa.select(pressed_once.c.message_id).where(self._is(platform, chat_id, message_id))
        async with self._db.read() as conn:
            return (await conn.execute(query.limit(1))).first() is not None

    async def fresh(self, platform: str, chat_id: int, message_id: int) -> None:
        """A new message with buttons was sent with this id: a press remembered under an
        older message with the same id (VK numbers a conversation's messages anew in
        another community; the sandbox's emulator at every start) is not this one's."""
        async with self._db.write() as conn:
            await conn.execute(
                pressed_once.delete().where(self._is(platform, chat_id, message_id))
            )
