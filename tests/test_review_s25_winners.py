"""What an independent tester of session 25 found about a contest's winner who used /stop
or /forget: /schedule counted a winner who sent /stop as a recipient of the results
(«1 получатель + чат»), though nothing goes to them; after a winner's /forget the
finished contest's card in /contests_admin said «никто не выполнил условия» in every
category, though the managers' chat and the group had been told who won."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from bot.db.tables import contests
from bot.services.conversions import ConversionIn
from tests.harness import Client, Harness, announce_demo_contest
from tests.test_journey_contest_admin import community, harness
from tests.test_journey_security import _found_anywhere

__all__ = ["harness"]  # the fixture (a partners' group), used by name

RUNNING = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)  # the demo contest runs 14–28.12
RESULTS = datetime(2027, 1, 12, 7, 0, tzinfo=UTC)  # after the 14 days' hold, 10:00 MSK
TITLE = "Зимний марафон диванов"


async def linked(harness: Harness, user_id: int, name: str, affiliate: str) -> Client:
    """A partner who linked `affiliate` and was approved."""
    client = harness.user(user_id, name)
    await client.onboard()
    person = await harness.services.partners.by_user("tg", user_id)
    assert person is not None
    await harness.services.partners.approve_link(
        await harness.services.partners.request_link(person, affiliate)
    )
    return client


async def sales(harness: Harness, affiliate: str, amounts: list[int]) -> None:
    """Approved sales in the contest, as the postback endpoint hands them over."""
    for n, amount in enumerate(amounts):
        sale = ConversionIn(
            affiliate, f"{affiliate}-{n}", "approved", Decimal(amount), "RUB", RUNNING
        )
        await harness.services.sales.submit(sale)


def advance_to(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


async def open_card(manager: Client) -> str:
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if TITLE in b), listing)
    return manager.messages[-1].plain


async def test_schedule_does_not_count_a_winner_who_sent_stop(harness: Harness) -> None:
    """The winner sent /stop: the results go to the group only (their congratulation is
    skipped when due), and /schedule says so — no «1 получатель»."""
    await announce_demo_contest(harness)
    anna = await linked(harness, 2501, "Анна", "an-25")
    await anna.send("/stop")
    advance_to(harness, RUNNING)
    await sales(harness, "an-25", [30000, 30000, 30000])  # leads every category
    await harness.deliver()
    advance_to(harness, datetime(2027, 1, 5, 9, 0, tzinfo=UTC))
    manager = harness.manager()
    await manager.send("/start")
    lines = (await manager.send("/schedule"))[-1].plain.splitlines()
    results = [line for line in lines if "итоги конкурса" in line]
    assert results, lines
    assert all(line.endswith("— чат партнёров") for line in results), results

    # and so it goes: the group and the managers get the results, Anna nothing
    advance_to(harness, RESULTS)
    before = len(anna.messages)
    await harness.services.planner.tick()
    await harness.deliver()
    assert any(text.startswith(f"🏁 Итоги конкурса «{TITLE}»") for text in community(harness))
    assert any("Победители конкурса" in m.plain for m in manager.messages)
    assert len(anna.messages) == before


async def test_a_finished_contests_card_keeps_the_places_of_a_winner_who_used_forget(
    harness: Harness,
) -> None:
    """The results went (the group, the managers), then the winner used /forget: the card
    keeps every place as decided, says that place's winner deleted their data, and names
    nothing of them; the others keep their places."""
    await announce_demo_contest(harness)
    anna = await linked(harness, 2502, "Анна", "an-26")
    await linked(harness, 2503, "Борис", "bo-26")
    advance_to(harness, RUNNING)
    await sales(harness, "an-26", [30000, 30000, 30000])
    advance_to(harness, datetime(2026, 12, 16, 9, 0, tzinfo=UTC))
    await sales(harness, "bo-26", [3000])  # second to a first sale, nothing else
    await harness.deliver()
    advance_to(harness, RESULTS)
    await harness.services.planner.tick()
    await harness.deliver()
    manager = harness.manager()
    posted = next(t for t in community(harness) if t.startswith(f"🏁 Итоги конкурса «{TITLE}»"))
    assert "1. Анна — 3 — Ставка 15% на январь" in posted, posted
    before = await open_card(manager)
    assert "1. Анна (@user2502, tg:2502), ID an-26 — 90 000 — Ноутбук для работы" in before

    await anna.send("/forget")
    await anna.press("Да, удалить")
    assert "данные удалены" in anna.last.plain
    harness.clock.advance(3600)  # the manager opens the card later (standings not cached)

    card = await open_card(manager)
    assert f"🏁 Победители конкурса «{TITLE}»" in card, card
    forgotten = "1. победитель удалил свои данные (/forget)"
    assert f"{forgotten} — 1 — Бонус 2 000 ₽" in card, card
    assert "2. Борис (@user2503, tg:2503), ID bo-26 — 1 — Бонус 1 500 ₽" in card, card
    assert f"{forgotten} — 3 — Ставка 15% на январь" in card, card
    assert f"{forgotten} — 90 000 — Ноутбук для работы" in card, card
    assert "никто не выполнил условия" not in card, card
    for trace in ("Анна", "2502", "an-26"):
        assert trace not in card, (trace, card)
    assert await _found_anywhere(harness, ("Анна", "user2502", "tg:2502")) == []
    async with harness.services.db.read() as conn:  # the places kept name nothing of her
        kept = await conn.scalar(sa.select(contests.c.results))
    assert kept is not None
    assert "an-26" not in str(kept)
    # the kept places are the program's record: Boris using /forget too keeps his
    boris = harness.user(2503, "Борис")
    await boris.send("/forget")
    await boris.press("Да, удалить")
    harness.clock.advance(3600)
    card = await open_card(manager)
    assert "2. победитель удалил свои данные (/forget) — 1 — Бонус 1 500 ₽" in card, card
    assert "Борис" not in card, card
    assert "bo-26" not in card, card
