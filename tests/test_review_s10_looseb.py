"""Session 10, loose ends (task looseb): what a partner receives is true when it is sent —
a weekly digest queued before a manager approved the partner's /link, a nudge or a lesson
reminder whose facts changed while it waited, and a sale notice for several sales of which
some were refunded before it went (the CSV import's race with postbacks:
tests/test_sales.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import tables
from bot.services.outbox import Queued
from bot.services.outbox_refresh import FRESH
from bot.services.sales import ConversionIn
from tests.harness import Client, Harness, announce_demo_contest
from tests.test_journey_notices import linked
from tests.test_review_s9_lefta import _csv_elsewhere, _postback, _to, _told

FRIDAY_DIGEST = datetime(2026, 12, 4, 9, 5, tzinfo=UTC)  # 12:05 in Moscow: the digest


def _digest(person: Client) -> list[str]:
    return [m.plain for m in person.messages if m.plain.startswith("🗞 Ваша неделя")]


# --- 1. a digest queued before the /link was approved ---


async def test_a_digest_queued_before_the_link_was_approved_tells_the_sales(
    harness: Harness,
) -> None:
    """The digest is queued at 12:05 while Анна's /link waits for a manager; it goes a
    quarter of an hour after the approval (a long queue): it tells her week's sales, as
    true when it arrives, and does not ask her to link the id she has linked."""
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(9501, "Анна")
    await anna.onboard()
    await anna.send("/link dg-1")
    await _to(harness, datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    for number in range(2):  # the week's sales, from the network's export
        now = harness.clock.now()
        sale = ConversionIn("dg-1", f"dg-{number}", "approved", Decimal(1500), "RUB", now)
        await harness.services.sales.record(sale, "csv")
    await _to(harness, FRIDAY_DIGEST)
    assert await harness.services.planner.tick() >= 1  # queued, not sent yet
    await manager.press("✅ Подтвердить")
    await _to(harness, datetime(2026, 12, 4, 9, 20, tzinfo=UTC))
    await harness.deliver()
    (digest,) = _digest(anna)
    assert "За 7 дней: 2 подтверждённые продажи" in digest
    assert "/link" not in digest
    # what the outbox keeps is what she got
    outbox = harness.services.outbox
    assert await outbox.report("digest") == {"sent": 1}
    async with harness.services.db.read() as conn:
        kept = (await conn.execute(sa.select(tables.outbox.c.text).where(
            tables.outbox.c.subject == "digest"))).scalar_one()  # fmt: skip
    assert "За 7 дней: 2 подтверждённые продажи" in kept
    # sent once, however often the planner ticks that day
    await harness.services.planner.tick()
    await harness.deliver()
    assert len(_digest(anna)) == 1


async def test_a_digest_written_again_when_sent_still_stops_at_stop(harness: Harness) -> None:
    """Written again when sent, the digest keeps the outbox's rules: /stop after it was
    queued stops it."""
    boris = await linked(harness, 9502, "Борис", "dg-2")
    vera = await linked(harness, 9503, "Вера", "dg-3")
    await _to(harness, FRIDAY_DIGEST)
    await harness.services.planner.tick()
    await boris.send("/stop")
    await harness.deliver()
    assert _digest(boris) == []
    (digest,) = _digest(vera)
    assert "За 7 дней: 0 подтверждённых продаж" in digest


# --- 3. a multi-sale notice partly refunded before it went ---


async def _approved_at_once(harness: Harness, affiliate: str, count: int) -> None:
    """`count` postbacks approving sales of `affiliate` in one group commit: one notice."""
    await asyncio.gather(
        *(_postback(harness, affiliate, f"{affiliate}-{n}", "approved") for n in range(count))
    )


async def test_a_notice_of_several_sales_partly_refunded_names_what_still_counts(
    harness: Harness, tmp_path: Path
) -> None:
    """Three sales approved at 23:00 (Moscow) in one commit: the notice waits for 09:00.
    At 02:00 one of Анна's is refunded by a postback and one by a CSV import in another
    process: at 09:00 she hears of the one sale that still counts (and her first sale);
    Борис, whose three were all refunded, hears of none; Вера's three all count."""
    anna = await linked(harness, 9511, "Анна", "pr-1")
    boris = await linked(harness, 9512, "Борис", "pr-2")
    vera = await linked(harness, 9513, "Вера", "pr-3")
    marks = {"anna": len(anna.messages), "boris": len(boris.messages), "vera": len(vera.messages)}
    await _to(harness, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    for affiliate in ("pr-1", "pr-2", "pr-3"):
        await _approved_at_once(harness, affiliate, 3)
    await harness.deliver()
    assert _told(anna, marks["anna"]) == _told(vera, marks["vera"]) == []
    await _to(harness, datetime(2026, 11, 2, 23, 0, tzinfo=UTC))  # 02:00: the refunds
    await _postback(harness, "pr-1", "pr-1-0", "declined")
    for number in range(3):
        await _postback(harness, "pr-2", f"pr-2-{number}", "declined")
    refunds = tmp_path / "refunds.csv"
    ts = harness.clock.now().isoformat()
    refunds.write_text(
        f"partner,conversion_id,status,amount,currency,ts\npr-1,pr-1-2,rejected,1500,RUB,{ts}\n",
        encoding="utf-8",
    )
    await _csv_elsewhere(harness, refunds)
    await _to(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 09:00: the morning
    await harness.deliver()
    said = _told(anna, marks["anna"])
    assert said[0].splitlines()[0] == "✅ Продажа подтверждена."
    assert said[1].startswith("🎉 Ваша первая подтверждённая продажа!")
    assert len(said) == 2
    assert _told(boris, marks["boris"]) == []
    said = _told(vera, marks["vera"])
    assert said[0].splitlines()[0] == "✅ Подтверждены 3 продажи."
    # a retry of the corrected notice does not tell it again, nor after another refund
    await _postback(harness, "pr-1", "pr-1-1", "declined")
    await harness.deliver()
    assert len(_told(anna, marks["anna"])) == 2


async def test_a_digest_whose_rewriting_fails_goes_as_queued(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A refresher that fails (a bug, the database gone for a moment) holds nothing up:
    the digest goes as it was queued, the failure is logged."""
    vera = await linked(harness, 9504, "Вера", "dg-4")
    await _to(harness, FRIDAY_DIGEST)
    await harness.services.planner.tick()

    async def broken(rows: list[Queued]) -> dict[int, str]:
        raise RuntimeError("boom")

    monkeypatch.setitem(harness.services.outbox.refreshers, "digest", broken)
    harness.clock.advance(FRESH.total_seconds() + 60)  # held: written again when sent
    await harness.deliver()
    (digest,) = _digest(vera)
    assert "За 7 дней: 0 подтверждённых продаж" in digest
    assert "writing digest rows again failed" in caplog.text


async def test_a_digest_that_may_have_left_before_a_crash_is_not_rewritten(
    harness: Harness,
) -> None:
    """The worker stopped while the digest's request was leaving: it may have arrived.
    Sent again after the restart as it was (a platform that checks what arrived compares
    it), even though the /link was approved meanwhile."""
    manager = harness.manager()
    await manager.send("/start")
    gleb = harness.user(9505, "Глеб")
    await gleb.onboard()
    await gleb.send("/link dg-5")
    await _to(harness, FRIDAY_DIGEST)
    await harness.services.planner.tick()
    outbox = harness.services.outbox
    (row,) = [r for r in await outbox.claim(platform="tg") if r.subject == "digest"]
    await outbox.mark_sending([row.id])
    await outbox.release_claims("tg")  # the restart
    await manager.press("✅ Подтвердить")
    harness.clock.advance(FRESH.total_seconds() + 60)  # held: others would be written again
    await harness.deliver()
    (digest,) = _digest(gleb)
    assert "ID dg-5 ждёт подтверждения менеджера" in digest  # as queued, the /link waiting


# --- 1b. other personal messages whose facts changed before they went ---


async def test_a_nudge_held_for_the_morning_is_dropped_after_a_sale(harness: Harness) -> None:
    """Nudges decided at 23:00 (Moscow) wait for 09:00; Анна's sale is approved at 02:00:
    in the morning she hears of her sale, not that she has had none for long. Борис, still
    without a sale, is nudged."""
    anna = await linked(harness, 9521, "Анна", "nd-1")
    boris = await linked(harness, 9522, "Борис", "nd-2")
    days = harness.services.content_store.content.program.schedule.inactive_after_days
    harness.clock.advance(days * 24 * 3600)
    await _to(harness, datetime(2027, 1, 4, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    assert (await harness.services.notices.nudges(days, 3)).queued == 2
    await harness.deliver()
    marks = {"anna": len(anna.messages), "boris": len(boris.messages)}
    await _to(harness, datetime(2027, 1, 4, 23, 0, tzinfo=UTC))  # 02:00: a sale
    await _postback(harness, "nd-1", "nd-1-a", "approved")
    await _to(harness, datetime(2027, 1, 5, 6, 0, tzinfo=UTC))  # 09:00
    await harness.deliver()
    said = _told(anna, marks["anna"])
    assert said[0].startswith("✅ Продажа подтверждена.")
    assert not any("давно не было продаж" in text for text in said)
    (nudge,) = _told(boris, marks["boris"])
    assert nudge.startswith("Борис, давно не было продаж")


async def test_the_reminder_of_a_lesson_finished_meanwhile_is_dropped(harness: Harness) -> None:
    """Анна finished the first lesson at 22:30 (Moscow); the reminder of the second falls
    due two days later at 22:30 and waits for 09:00. She finishes the second at 07:00:
    at 09:00 she is not asked to go on with it."""
    await announce_demo_contest(harness)  # or the managers hear it was never announced
    anna = harness.user(9531, "Анна")
    await anna.onboard()
    await _to(harness, datetime(2026, 12, 5, 19, 30, tzinfo=UTC))  # 22:30 in Moscow
    await anna.send("/lessons")
    await anna.press("▫️ С чего начать: кабинет, ссылка, первые шаги")
    await anna.press("✅ Готово, дальше")
    await _to(harness, datetime(2026, 12, 7, 19, 31, tzinfo=UTC))
    assert await harness.services.planner.tick() >= 1  # the reminder, for 09:00
    await harness.deliver()
    assert not any("Пора продолжить обучение" in m.plain for m in anna.messages)
    await _to(harness, datetime(2026, 12, 8, 4, 0, tzinfo=UTC))  # 07:00
    await anna.send("/lessons")
    await anna.press("▫️ Первая продажа за 7 дней")
    await anna.press("✅ Готово, дальше")
    mark = len(anna.messages)
    await _to(harness, datetime(2026, 12, 8, 6, 0, tzinfo=UTC))  # 09:00
    await harness.deliver()
    assert not any("«Первая продажа за 7 дней»" in m.plain for m in anna.messages[mark:])
