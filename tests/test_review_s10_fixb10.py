"""Session 10 (task fixb10): a milestone and a tier reached by approvals that arrived
together are congratulated (item 3); held sale notices name the place as it is when they
go (item 2); the digest of a partner whose /link waits says so (8a); a shared place is
told as one (8d); a congratulation goes right after the notice of the sale that reached
it (item 4)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.db import tables
from bot.services.sales_ledger import Approved
from tests.harness import Client, Harness
from tests.test_journey_notices import linked, postback
from tests.test_review_s9_lefta import _postback, _to

TEN = "🎉 10 подтверждённых продаж! Так держать."
SILVER = "🏅 Новый уровень: Серебро! 10% с продаж"


def _said(person: Client, since: int) -> list[str]:
    return [m.plain for m in person.messages[since:]]


# --- 3. approvals that arrive together, in several commits ---


async def _held_listeners(harness: Harness) -> asyncio.Event:
    """The approval listeners wait until the returned event is set: every commit made
    meanwhile is in the database before the first commit's listener reads it (postbacks
    arriving together on a busy worker)."""
    gate = asyncio.Event()

    async def wait(_approved: list[Approved]) -> None:
        await gate.wait()

    harness.services.sales.approved_listeners.insert(0, wait)
    return gate


async def test_a_milestone_and_a_tier_jumped_over_together_are_congratulated(
    harness: Harness,
) -> None:
    anna = await linked(harness, 8301, "Анна", "jump-1")
    for n in range(5):
        await postback(harness, "jump-1", f"j{n}")
    await harness.deliver()
    mark = len(anna.messages)
    gate = await _held_listeners(harness)
    for n in range(5, 25):  # twenty more, each in its own commit, told after all are in
        await postback(harness, "jump-1", f"j{n}")
    gate.set()
    await harness.deliver()
    said = _said(anna, mark)
    assert said.count(TEN) == 1, said
    assert said.count(SILVER) == 1, said
    assert sum(text.startswith("✅ Продажа подтверждена.") for text in said) == 20


async def test_a_tier_key_names_the_month_in_the_programs_zone(harness: Harness) -> None:
    """On the 5th of December (Moscow) the tier reached is December's: the key said
    `tier:2026-11:…` (the month's first moment in UTC is still November's)."""
    await _to(harness, datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    await linked(harness, 8302, "Анна", "tierkey-1")
    for n in range(10):
        await _postback(harness, "tierkey-1", f"t{n}", "approved")
    await harness.deliver()
    async with harness.services.db.read() as conn:
        keys = list(
            (
                await conn.execute(
                    sa.select(tables.outbox.c.key).where(tables.outbox.c.key.like("tier:%"))
                )
            ).scalars()
        )
    assert keys
    assert all(key.startswith("tier:2026-12:Серебро:") for key in keys), keys
