"""`GET /metrics` in Prometheus' text format.

Counted in each process: updates handled (per platform), 429 answers seen by the
delivery worker. Read from the database at each scrape (the same in every process):
outbox rows by status (deliveries by outcome), the outbox lag (how long the oldest due
row has waited), the median time to a manager's first reply over the last 7 days.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from bot.clock import Clock
from bot.db.engine import Database
from bot.platforms import platform_of
from bot.services.stats import operations

REGISTRY = CollectorRegistry()
UPDATES = Counter(
    "partnerbot_updates_handled", "Updates handled by this process", ["platform"],
    registry=REGISTRY,
)  # fmt: skip
RATE_LIMITED = Counter(
    "partnerbot_delivery_429", "429 (Telegram) / error 6 (VK) answers to deliveries",
    ["platform"], registry=REGISTRY,
)  # fmt: skip
DELIVERIES = Gauge(
    "partnerbot_outbox_rows", "Automated messages by outcome", ["status"], registry=REGISTRY
)
OUTBOX_LAG = Gauge(
    "partnerbot_outbox_lag_seconds", "How long the oldest due message has waited",
    registry=REGISTRY,
)  # fmt: skip
FIRST_REPLY = Gauge(
    "partnerbot_ticket_first_reply_seconds",
    "Median time to a manager's first reply, tickets answered in the last 7 days",
    registry=REGISTRY,
)
FIRST_REPLIES = Gauge(
    "partnerbot_ticket_first_replies", "Tickets answered in the last 7 days", registry=REGISTRY
)
STATUSES = ("queued", "sent", "blocked", "failed", "skipped", "capped", "cancelled")


class CountUpdates(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            UPDATES.labels(platform_of(data["bot"])).inc()


async def render(db: Database, clock: Clock) -> bytes:
    figures = await operations(db, clock)
    for status in STATUSES:
        DELIVERIES.labels(status).set(figures.deliveries.get(status, 0))
    OUTBOX_LAG.set(figures.outbox_lag)
    FIRST_REPLY.set(figures.first_reply_median if figures.first_reply_median is not None else 0)
    FIRST_REPLIES.set(figures.first_reply_count)
    return bytes(generate_latest(REGISTRY))
