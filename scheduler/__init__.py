"""The schedule: APScheduler in the program's time zone. The database says what is due;
jobs read it and queue what to send (the delivery worker sends). Two jobs: the planner
(every minute, and at start-up) and the ticket SLA check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

if TYPE_CHECKING:
    from scheduler.planner import Planner

SLA_CHECK_MINUTES = 5
PLANNER_SECONDS = 60


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


def add_planner_job(scheduler: AsyncIOScheduler, planner: Planner) -> None:
    """The planner every minute, the first time right at start-up (what was missed while
    the bot was down and still makes sense goes out then)."""
    scheduler.add_job(
        planner.scheduled_tick,
        "interval",
        seconds=PLANNER_SECONDS,
        next_run_time=datetime.now(UTC),
        id="planner",
        replace_existing=True,
    )
