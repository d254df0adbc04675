"""Session 14 (task fix14c): what partners and managers are told matches what happens.

1. The consent of /start states the program's weekly cap (`max_automated_per_week`).
2. /schedule lists only the sends that will go, at the time they will go: not the
   announcement of a contest too close to announce itself, not a sale notice whose sales
   were all refunded.
3. The /contests_admin card of a running contest says it is running.
4. /stats counts every question the bot answered with "did you mean" options.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.harness import Harness
from tests.test_journey_schedule_held import at

# --- 3. the card of a running contest ---


async def test_the_card_of_a_running_file_contest_says_it_runs(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))  # «Зимний марафон» runs 14–28.12
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    card = manager.last.plain
    assert "🟢 Зимний марафон диванов — идёт" in card, card
    assert "Идёт: 14.12.2026 00:00 — 28.12.2026 23:59" in card, card
    assert "Начнётся" not in card, card


async def test_the_card_of_a_finished_contest_says_it_ran(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 12, 30, 9, 0, tzinfo=UTC))
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    card = manager.last.plain
    assert "Прошёл: 14.12.2026 00:00 — 28.12.2026 23:59" in card, card
    assert "Начнётся" not in card, card
    assert "Идёт:" not in card, card
