"""The schedule: APScheduler in the program's time zone. The database says what is due;
jobs read it. Broadcast jobs arrive with the schedule issue; the ticket SLA job is here."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

SLA_CHECK_MINUTES = 5


def create_scheduler(timezone: ZoneInfo) -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=timezone,
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
    )


def add_support_jobs(scheduler: AsyncIOScheduler, **kwargs: Any) -> None:
    """The ticket SLA check every few minutes (kwargs: bot, support, relay, partners)."""
    from scheduler.support import raise_overdue_tickets

    scheduler.add_job(
        raise_overdue_tickets,
        "interval",
        minutes=SLA_CHECK_MINUTES,
        kwargs=kwargs,
        id="ticket-sla",
        replace_existing=True,
    )
