"""The audit log: every manager action, and every refused attempt."""

from __future__ import annotations

import logging

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
                    actor=actor,
                    action=action,
                    target=target,
                    details=details,
                    allowed=allowed,
                    created_at=self._clock.now(),
                )
            )
