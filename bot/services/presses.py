"""Buttons that act once: the message under which a button was pressed is kept (its
platform, chat and id), so a second press — a double tap, another manager, a retry — finds
it and does nothing again. One insert decides, so two presses at once (two workers too)
have one winner. Used by the /faq_link picker (the answer is sent and learned once).

A picker's buttons carry the day they were drawn and act for `PRESSABLE_DAYS` after it,
so a press kept longer than that (`KEEP`) can no longer be repeated and is deleted
(`prune`, by the ticket SLA job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.engine import Database, insert
from bot.db.tables import pressed_once

PRESSABLE_DAYS: Final = 7  # a picker's buttons act this many days after the day drawn
# a press older than this is under buttons drawn before it, which act no more (a day more
# than PRESSABLE_DAYS: a button drawn late on a day acts until that day ends)
KEEP: Final = timedelta(days=PRESSABLE_DAYS + 1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


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

    def day(self) -> int:
        """Today's number (days since 1970-01-01, UTC): what buttons drawn now carry."""
        return (self._clock.now() - _EPOCH).days

    def pressable(self, day: int) -> bool:
        """Whether buttons drawn on `day` still act: at most `PRESSABLE_DAYS` ago (none
        carried — a keyboard from before buttons carried it — or a day ahead: no)."""
        return 0 <= self.day() - day <= PRESSABLE_DAYS

    async def prune(self) -> int:
        """Delete the presses no button can repeat any more (kept `KEEP`); how many."""
        async with self._db.write() as conn:
            result = await conn.execute(
                pressed_once.delete().where(pressed_once.c.pressed_at < self._clock.now() - KEEP)
            )
        return int(result.rowcount or 0)

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
