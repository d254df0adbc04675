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

    async def recorded_since(self, action: str, target: str, since: datetime) -> bool:
        """Whether `action` on `target` was recorded (allowed) since `since`."""
        async with self._db.read() as conn:
            found = await conn.scalar(
                sa.select(audit_log.c.id)
                .where(
                    audit_log.c.action == action,
                    audit_log.c.target == target,
                    audit_log.c.allowed.is_(True),
                    audit_log.c.created_at >= since,
                )
                .limit(1)
            )
        return found is not None


def _fit(value: str | None, column: str) -> str | None:
    """A typed argument (`/partner <5000 characters>`) cut to its column's length: on
    PostgreSQL a longer value fails the whole command (SQLite stores any length)."""
    length = getattr(audit_log.c[column].type, "length", None)
    if value is None or length is None or len(value) <= length:
        return value
    return value[: length - 1] + "…"
