"""Session 13 (task fixr13c): what the re-check tester found.

1. /announcements counts «в очереди» and «Уже не получат» by one rule at the moment of
   asking: a partner who sent /stop and then /start again is back in the queue only.
2. A /reload that changes the quiet hours counts only the messages that will go by their
   rules (not those to partners who sent /stop), as /schedule does.
3. A manager's unknown command and /cancel with nothing open are answered for a manager.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.harness import Harness
from tests.test_journey_schedule_held import at, schedule
from tests.test_review_s13_fixr13b import _listing, _night_broadcast

# --- 1. /announcements: stop, then start again ---


async def test_a_partner_back_after_stop_is_queued_not_unreached(harness: Harness) -> None:
    anna = harness.user(1393, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
    await _night_broadcast(harness, "Ночная новость")
    await anna.send("/stop")
    (stopped,) = await _listing(harness)
    assert "в очереди 0," in stopped, stopped
    assert "Уже не получат: 1 партнёр" in stopped, stopped
    await anna.send("/start")
    (back,) = await _listing(harness)
    assert "в очереди 1," in back, back
    assert "Уже не получат" not in back, back
    assert "03.11 09:00 — рассылка №1 — 1 получатель" in await schedule(manager)
