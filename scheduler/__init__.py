"""The schedule: APScheduler in the program's time zone. Jobs decide and enqueue; the
delivery engine sends. The jobs themselves arrive with the schedule issue."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler


def create_scheduler(timezone: ZoneInfo) -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=timezone,
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
    )
