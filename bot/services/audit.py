"""The audit log: every manager action, and every refused attempt."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.tables import audit_log

logger = logging.getLogger(__name__)


class AuditLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def record(
        self,
        actor: str,
        action: str,
        *,
        target: str | None = None,
        details: str | None = None,
        allowed: bool = True,
    ) -> None:
        if not allowed:
            logger.warning("refused manager command %s from %s", action, actor)
        async with self._db.write() as conn:
            await conn.execute(
                audit_log.insert().values(
                    actor=_fit(actor, "actor"),
                    action=_fit(action, "action"),
                    target=_fit(target, "target"),
                    details=details,
                    allowed=allowed,
                    created_at=self._clock.now(),
                )
            )

    async def latest(
        self, action: str, since: datetime, target: str | None = None, after: int = 0
    ) -> int | None:
        """The id of the newest `action` recorded (allowed) since `since` — on `target`,
        when given, and after the record `after` —, or None."""
        query = sa.select(sa.func.max(audit_log.c.id)).where(
            audit_log.c.action == action,
            audit_log.c.allowed.is_(True),
            audit_log.c.created_at >= since,
            audit_log.c.id > after,
        )
        if target is not None:
            query = query.where(audit_log.c.target == target)
        async with self._db.read() as conn:
            found = await conn.scalar(query)
        return None if found is None else int(found)


def _fit(value: str | None, column: str) -> str | None:
    """A typed argument (`/partner <5000 characters>`) cut to its column's length: on
    PostgreSQL a longer value fails the whole command (SQLite stores any length)."""
    length = getattr(audit_log.c[column].type, "length", None)
    if value is None or length is None or len(value) <= length:
        return value
    return value[: length - 1] + "…"
