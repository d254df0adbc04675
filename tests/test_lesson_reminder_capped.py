"""A lesson reminder the weekly cap held back is not lost: it is not about a moment, so
the drip tries it again a week after it was held back (and each week while the cap is
still full), once — under /stop, the quiet hours and the cap as any other; /schedule
lists it at that try."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.db.tables import outbox
from bot.notices.base import private
from bot.services.partner import Partner
from tests.harness import Client, Harness

DAY = 86400
DRIP = "🎓 Пора продолжить обучение"
# the harness's clock starts on Monday 2.11.2026 12:00 UTC (15:00 in Moscow)
START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _at(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


async def _partner(harness: Harness, user_id: int, name: str) -> tuple[Client, Partner]:
    client = harness.user(user_id, name)
    await client.onboard()
    partner = await harness.services.partners.by_user("tg", user_id)
    assert partner is not None
    return client, partner


async def _fill_the_week(
    harness: Harness, partner: Partner, tag: str, at: datetime | None = None
) -> None:
    """As many automated messages as the weekly cap allows, going at `at` (now)."""
    cap = harness.services.content_store.content.program.schedule.max_automated_per_week
    messages = [
        private(f"test:{tag}:{n}:{partner.key}", "news", None, partner, f"Новость №{n}")
        for n in range(cap)
    ]
    if at is not None:
        messages = [replace(message, not_before=at) for message in messages]
    assert (await harness.services.outbox.enqueue(messages)).queued == len(messages)


async def _drip(harness: Harness) -> tuple[int, int]:
    """The planner's lesson drip now (`lesson_drip_days`: 2): (queued, capped)."""
    days = harness.services.content_store.content.program.schedule.lesson_drip_days
    done = await harness.services.notices.lesson_drip(harness.clock.now() - timedelta(days=days))
    await harness.deliver()
    return done.queued, done.capped


def _drips(client: Client) -> int:
    return sum(1 for message in client.messages if message.plain.startswith(DRIP))


async def _held_back(harness: Harness, *people: tuple[int, str]) -> list[tuple[Client, Partner]]:
    """Partners (user id, name) who finished the first lesson on Monday 15:00 with a full
    week: the reminder of the second one, made on Wednesday 15:05, is held back by the cap."""
    found = []
    for user_id, name in people:
        client, partner = await _partner(harness, user_id, name)
        await _fill_the_week(harness, partner, "monday")
        await harness.services.lessons.complete(partner, "start-here")
        found.append((client, partner))
    await harness.deliver()
    _at(harness, START + timedelta(days=2, minutes=5))
    assert await _drip(harness) == (0, len(people))
    assert not any(_drips(client) for client, _partner in found)
    return found


async def test_a_capped_lesson_reminder_comes_a_week_later_once(harness: Harness) -> None:
    [(anna, _partner)] = await _held_back(harness, (4101, "Анна"))
    # the rest of that week the cap is still full: the drip keeps it back, quietly
    for day in (3, 5, 8):
        _at(harness, START + timedelta(days=day))
        assert await _drip(harness) == (0, 0)
        assert _drips(anna) == 0
    # a week after it was held back the week has room: it comes, once
    _at(harness, START + timedelta(days=9, minutes=5))
    assert await _drip(harness) == (1, 0)
    assert await _drip(harness) == (0, 0)  # a second run (a double fire) adds nothing
    assert _drips(anna) == 1
    assert "«Первая продажа" in next(m.plain for m in anna.messages if m.plain.startswith(DRIP))
    for day in (16, 23):  # and never again
        _at(harness, START + timedelta(days=day, minutes=5))
        assert await _drip(harness) == (0, 0)
    assert _drips(anna) == 1
    async with harness.services.db.read() as conn:
        rows = list(
            await conn.execute(sa.select(outbox.c.status).where(outbox.c.subject == "lesson"))
        )
    assert [row.status for row in rows] == ["sent"]  # one row, its key kept


async def test_a_capped_lesson_reminder_keeps_the_cap_the_quiet_hours_and_stop(
    harness: Harness,
) -> None:
    held = await _held_back(harness, (4111, "Анна"), (4112, "Борис"), (4113, "Вера"))
    (anna, anna_row), (boris, _boris_row), (vera, _vera_row) = held
    # a week later Анна's week is full again: held back again, tried the week after
    _at(harness, START + timedelta(days=9))
    await _fill_the_week(harness, anna_row, "again")
    await boris.send("/stop")
    # Вера's try falls in the quiet hours (the bot was down by day): it waits for 09:00
    _at(harness, START + timedelta(days=9, hours=8))  # 23:00 in Moscow
    assert await _drip(harness) == (1, 1)  # Вера's queued, Анна's capped, Борис stopped
    assert _drips(vera) == 0
    _at(harness, START + timedelta(days=10, hours=-6, minutes=1))  # 09:01 in Moscow
    await harness.deliver()
    assert _drips(vera) == 1
    assert (_drips(anna), _drips(boris)) == (0, 0)
    # Борис turns the messages on again: his reminder was not lost
    await boris.send("/start")
    assert await _drip(harness) == (1, 0)
    assert _drips(boris) == 1
    # Анна's second try was at 23:00 on day 9: a week later her week has room
    _at(harness, START + timedelta(days=16, hours=7))  # 22:00: not yet a week
    assert await _drip(harness) == (0, 0)
    _at(harness, START + timedelta(days=17, hours=-6, minutes=5))  # 09:05 (quiet till 09:00)
    assert await _drip(harness) == (1, 0)
    assert (_drips(anna), _drips(boris), _drips(vera)) == (1, 1, 1)


async def test_schedule_lists_a_capped_lesson_reminder_at_its_next_try(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    [(_anna, partner)] = await _held_back(harness, (4121, "Анна"))
    lines = (await manager.send("/schedule"))[-1].plain.splitlines()
    lesson = [line for line in lines if "следующий урок курса" in line]
    # held back on Wednesday 15:05: tried again a week later
    assert lesson == ["11.11 15:05 — следующий урок курса (напоминание) — 1 получатель"], lines
    # a week full again then (sends planned for Tuesday): the try after is listed
    await _fill_the_week(harness, partner, "tuesday", START + timedelta(days=8))
    lines = (await manager.send("/schedule"))[-1].plain.splitlines()
    lesson = [line for line in lines if "следующий урок курса" in line]
    assert lesson == ["18.11 15:05 — следующий урок курса (напоминание) — 1 получатель"], lines
