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
from tests.harness import Client, Harness, sales_told
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
    assert sales_told(said) == 20, said


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


# --- 2. held sale notices name the place as it is when they go ---


async def test_sale_notices_held_for_the_night_all_name_the_place_of_the_morning(
    harness: Harness,
) -> None:
    """Анна's three sales and Борис's five, one at a time at 23:00 (Moscow): the notices
    wait for 09:00 and go as one each (session 19: they were three and five identical
    messages), naming the place as it is in the morning — Борис №1, Анна №2, two behind —
    not as it was after each sale."""
    anna = await linked(harness, 8311, "Анна", "night-1")
    boris = await linked(harness, 8312, "Борис", "night-2")
    marks = len(anna.messages), len(boris.messages)
    await _to(harness, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    for n in range(3):
        await _postback(harness, "night-1", f"na{n}", "approved")
    for n in range(5):
        await _postback(harness, "night-2", f"nb{n}", "approved")
    await harness.deliver()
    assert _said(anna, marks[0]) == _said(boris, marks[1]) == []
    await _to(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 09:00: the morning
    await harness.deliver()
    anna_told = [t for t in _said(anna, marks[0]) if t.startswith("✅")]
    boris_told = [t for t in _said(boris, marks[1]) if t.startswith("✅")]
    assert anna_told == ["✅ Подтверждены 3 продажи.\nВы №2 в зачёте «Рейтинг месяца», до №1 — 2."]
    assert boris_told == ["✅ Подтверждено 5 продаж.\nВы №1 в зачёте «Рейтинг месяца»."]


async def test_notices_written_minutes_before_the_morning_name_its_place_too(
    harness: Harness,
) -> None:
    """The re-check's case: sales at 23:00 and more at 08:52 / 08:56 (Moscow), all held
    for 09:00 and sent at 09:00:30 — the ones written minutes before are held too, so
    they go with the night's as one that names the morning's place (Анна 4 sales №2,
    Борис 8 №1)."""
    anna = await linked(harness, 8315, "Анна", "late-1")
    boris = await linked(harness, 8316, "Борис", "late-2")
    marks = len(anna.messages), len(boris.messages)
    await _to(harness, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    for n in range(3):
        await _postback(harness, "late-1", f"la{n}", "approved")
    for n in range(2):
        await _postback(harness, "late-2", f"lb{n}", "approved")
    await _to(harness, datetime(2026, 11, 3, 5, 52, tzinfo=UTC))  # 08:52
    await _postback(harness, "late-1", "la3", "approved")
    await _to(harness, datetime(2026, 11, 3, 5, 56, tzinfo=UTC))  # 08:56
    for n in range(2, 8):
        await _postback(harness, "late-2", f"lb{n}", "approved")
    await harness.deliver()
    assert _said(anna, marks[0]) == _said(boris, marks[1]) == []
    await _to(harness, datetime(2026, 11, 3, 6, 0, 30, tzinfo=UTC))  # 09:00:30
    await harness.deliver()
    anna_told = [t for t in _said(anna, marks[0]) if t.startswith("✅")]
    boris_told = [t for t in _said(boris, marks[1]) if t.startswith("✅")]
    assert anna_told == ["✅ Подтверждены 4 продажи.\nВы №2 в зачёте «Рейтинг месяца», до №1 — 4."]
    assert boris_told == ["✅ Подтверждено 8 продаж.\nВы №1 в зачёте «Рейтинг месяца»."]


# --- 8a. the digest of a partner whose /link waits ---


async def test_the_digest_of_a_partner_whose_link_waits_says_so(harness: Harness) -> None:
    """Like /me: the id waits for a manager's approval — not «link your id» to someone
    who has asked to link it."""
    anna = harness.user(8321, "Анна")
    await anna.onboard()
    person = await harness.services.partners.by_user("tg", 8321)
    assert person is not None
    await harness.services.partners.request_link(person, "wait-1")  # as /link does
    mark = len(anna.messages)
    await _to(harness, datetime(2026, 12, 4, 9, 5, tzinfo=UTC))  # Friday 12:05 in Moscow
    await harness.services.planner.tick()
    await harness.deliver()
    digest = [t for t in _said(anna, mark) if t.startswith("🗞 Ваша неделя")]
    assert len(digest) == 1
    assert "ID wait-1 ждёт подтверждения менеджера" in digest[0]
    assert "/link ВАШ_ID" not in digest[0]


# --- 8d. level with the one above ---


async def test_a_place_level_with_the_one_above_is_told_as_a_tie(harness: Harness) -> None:
    """Борис has two sales, then Анна her second: she is №2 (he reached two first), with
    as many — not «до №1 — 0»."""
    anna = await linked(harness, 8331, "Анна", "tie-1")
    await linked(harness, 8332, "Борис", "tie-2")
    for n in range(2):
        await _postback(harness, "tie-2", f"tb{n}", "approved")
    await _postback(harness, "tie-1", "ta0", "approved")
    await harness.deliver()
    harness.clock.advance(60)
    await _postback(harness, "tie-1", "ta1", "approved")
    await harness.deliver()
    assert anna.messages[-1].plain == (
        "✅ Продажа подтверждена.\n"
        "Вы №2 в зачёте «Рейтинг месяца»: у №1 столько же, но набрано раньше."
    )


# --- 4. a congratulation goes right after the notice of the sale that reached it ---


async def test_held_congratulations_go_right_after_the_notice_of_their_sale(
    harness: Harness,
) -> None:
    """Twelve sales of Анна one at a time at 23:00 (Moscow), told at 09:00 in one notice
    (session 19), the first-sale congratulation, the 10th and Серебро right after it — never
    before the sales are told. Вера's first sale is refunded at 02:00
    while her second counts: her congratulation comes after the notice that is told."""
    anna = await linked(harness, 8341, "Анна", "order-1")
    vera = await linked(harness, 8342, "Вера", "order-2")
    marks = len(anna.messages), len(vera.messages)
    await _to(harness, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    for n in range(12):
        await _postback(harness, "order-1", f"o{n}", "approved")
    for n in range(2):
        await _postback(harness, "order-2", f"v{n}", "approved")
    await harness.deliver()
    await _to(harness, datetime(2026, 11, 2, 23, 0, tzinfo=UTC))  # 02:00: a refund
    await _postback(harness, "order-2", "v0", "declined")
    await _to(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 09:00: the morning
    await harness.deliver()
    kinds = ["sale" if t.startswith("✅") else t[:1] for t in _said(anna, marks[0])]
    assert kinds == ["sale", "🎉", "🎉", "🏅"], kinds
    assert _said(anna, marks[0])[0].startswith("✅ Подтверждено 12 продаж.")
    said = _said(vera, marks[1])
    assert [t[:1] for t in said] == ["✅", "🎉"], said
