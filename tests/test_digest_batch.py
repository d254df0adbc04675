"""The weekly digests of a claimed batch are written from figures read once for the batch
(bench/digest_refresh.py, BENCHMARKS "Digests written again when sent"): each partner still
gets their own figures, and the database is read as often for 8 digests as for 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from bot.services.outbox_refresh import FRESH
from bot.services.sales import ConversionIn
from tests.harness import Client, Harness
from tests.test_journey_notices import linked

FRIDAY = datetime(2026, 12, 4, 9, 5, tzinfo=UTC)  # 12:05 in Moscow


def _digest(person: Client) -> str:
    (digest,) = [m.plain for m in person.messages if m.plain.startswith("🗞 Ваша неделя")]
    return digest


async def _sales(harness: Harness, affiliate: str, count: int, status: str = "approved") -> None:
    for number in range(count):
        moment = harness.clock.now() - timedelta(hours=number + 1)
        sale = ConversionIn(
            affiliate, f"{affiliate}-{status}-{number}", status, Decimal(1000), "RUB", moment
        )
        await harness.services.sales.record(sale, "csv")


@contextmanager
def _statements(harness: Harness) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    seen: list[str] = []
    engine = harness.services.db.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_batch_of_digests_tells_each_partner_their_own_week(harness: Harness) -> None:
    anna = await linked(harness, 9601, "Анна", "bt-1")
    boris = await linked(harness, 9602, "Борис", "bt-2")
    vera = harness.user(9603, "Вера")
    await vera.onboard()
    gleb = await linked(harness, 9604, "Глеб", "bt-4")
    harness.clock.advance((FRIDAY - harness.clock.now()).total_seconds())
    await _sales(harness, "bt-1", 3)
    await _sales(harness, "bt-1", 2, "pending")
    await _sales(harness, "bt-2", 12)
    person = await harness.services.partners.by_user("tg", 9604)
    assert person is not None
    await harness.services.lessons.complete(person, "start-here")
    await harness.services.notices.digests("batch")
    await harness.deliver()

    assert "За 7 дней: 3 подтверждённые продажи на 3 000 ₽" in _digest(anna)
    assert "До уровня «Серебро» — 7 продаж" in _digest(anna)
    assert "За 7 дней: 12 подтверждённых продаж на 12 000 ₽" in _digest(boris)
    assert "До уровня «Золото» — 18 продаж" in _digest(boris)
    assert "/link ВАШ_ID" in _digest(vera)
    assert "За 7 дней: 0 подтверждённых продаж" in _digest(gleb)
    assert "Следующий урок: «С чего начать" in _digest(anna)
    assert "Следующий урок: «Первая продажа за 7 дней»" in _digest(gleb)


async def test_writing_a_batch_of_digests_again_reads_the_database_once_for_the_batch(
    harness: Harness,
) -> None:
    for number in range(8):
        await linked(harness, 9610 + number, f"П{number}", f"bq-{number}")
        await _sales(harness, f"bq-{number}", number % 3)
    await harness.services.notices.digests("queries")
    rows = await harness.services.outbox.claim(100)
    assert len(rows) == 8
    notices = harness.services.notices
    with _statements(harness) as two:
        assert len(await notices.refresh_digests(rows[:2])) == 2
    with _statements(harness) as eight:
        assert len(await notices.refresh_digests(rows)) == 8
    assert len(eight) == len(two)


async def test_nudges_and_lesson_reminders_of_a_batch_read_the_courses_once(
    harness: Harness,
) -> None:
    for number in range(6):
        await linked(harness, 9620 + number, f"Н{number}", f"bn-{number}")
        person = await harness.services.partners.by_user("tg", 9620 + number)
        assert person is not None
        await harness.services.lessons.complete(person, "start-here")
    harness.clock.advance(30 * 86400)
    notices = harness.services.notices
    assert (await notices.nudges(14, 3)).queued == 6
    assert (await notices.lesson_drip(harness.clock.now())).queued == 6
    rows = await harness.services.outbox.claim(100)
    nudges = [row for row in rows if row.subject == "nudge"]
    drips = [row for row in rows if row.subject == "lesson"]
    assert len(nudges) == len(drips) == 6
    for refresh, batch in ((notices.refresh_nudges, nudges), (notices.refresh_drips, drips)):
        with _statements(harness) as two:
            assert len(await refresh(batch[:2])) == 2
        with _statements(harness) as six:
            assert all(await refresh(batch))  # written again, none dropped
        assert len(six) == len(two)


async def test_a_digest_claimed_minutes_after_it_was_written_goes_as_written(
    harness: Harness, monkeypatch: Any
) -> None:
    """A digest broadcast sent at the platform's pace is not written twice: rows claimed
    within FRESH of being written go as they are; held longer (quiet hours, a backlog),
    they are written again."""
    for number in range(3):
        await linked(harness, 9630 + number, f"Ф{number}", f"bf-{number}")
    harness.clock.advance((FRIDAY - harness.clock.now()).total_seconds())
    await harness.services.notices.digests("fresh")
    written: list[int] = []
    inner = harness.services.outbox.refreshers["digest"]

    async def spy(rows: list[Any]) -> Any:
        written.extend(row.id for row in rows)
        return await inner(rows)

    monkeypatch.setitem(harness.services.outbox.refreshers, "digest", spy)
    harness.clock.advance((FRESH - timedelta(seconds=1)).total_seconds())
    fresh = await harness.services.outbox.claim(1)
    assert len(fresh) == 1
    assert written == []
    harness.clock.advance(2)
    held = await harness.services.outbox.claim(10)
    assert len(held) == 2
    assert sorted(written) == sorted(row.id for row in held)
