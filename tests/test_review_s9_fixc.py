"""Session 9, the independent look (task fixc): a first-sale (or tier) congratulation whose
sale is refunded in the quiet hours while a later sale still counts is told in the morning
(item 4); a backdated sale's notice names no place in a rating it does not count in
(item 8)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp

from bot.http import create_http_app, start_http
from bot.services.outbox_sales import _reached, reached_subject
from bot.services.sales import ConversionIn
from tests.harness import Client, Harness, announce_demo_contest, running_bot
from tests.test_journey_notices import linked
from tests.test_review_s9_lefta import _csv_elsewhere, _postback, _to, _told

NIGHT = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)  # 23:00 in Moscow: the quiet hours
REFUNDS = datetime(2026, 11, 2, 23, 0, tzinfo=UTC)  # 02:00
MORNING = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)  # 09:00: they end
FIRST = "🎉 Ваша первая подтверждённая продажа! Отличное начало — дальше будет проще."
SILVER = "🏅 Новый уровень: Серебро! 10% с продаж"
SECRET = "s3cret-postback"


async def _night_sales(harness: Harness, affiliate: str, numbers: list[str]) -> None:
    """Approvals one after another at night (each its own notice, held for the morning)."""
    await _to(harness, NIGHT)
    for number in numbers:
        await _postback(harness, affiliate, number, "approved")
        await harness.deliver()


async def _refund_by_csv(harness: Harness, tmp_path: Path, affiliate: str, number: str) -> None:
    refunds = tmp_path / f"refund-{number}.csv"
    ts = harness.clock.now().isoformat()
    refunds.write_text(
        f"partner,conversion_id,status,amount,currency,ts\n{affiliate},{number},rejected,1500,"
        f"RUB,{ts}\n",
        encoding="utf-8",
    )
    await _csv_elsewhere(harness, refunds)


# --- item 4: a congratulation is decided when it falls due ---


async def test_the_first_sale_is_congratulated_when_a_later_sale_still_counts(
    harness: Harness, tmp_path: Path
) -> None:
    """The tester's case: two sales at night, then three more; the first two refunded
    before the morning (a postback, a CSV import elsewhere). The partner still has
    approved sales: the first-sale congratulation goes, once, after the notice of the three
    (one notice since session 19)."""
    anna = await linked(harness, 9501, "Анна", "fc-1")
    mark = len(anna.messages)
    await _night_sales(harness, "fc-1", ["a1", "a2", "h4", "h16", "h18"])
    assert _told(anna, mark) == []
    await _to(harness, REFUNDS)
    await _postback(harness, "fc-1", "a1", "declined")
    await _refund_by_csv(harness, tmp_path, "fc-1", "a2")
    await _to(harness, MORNING)
    await harness.deliver()
    said = _told(anna, mark)
    assert said.count(FIRST) == 1
    assert sum(text.startswith("✅") for text in said) == 1
    # right after the notice told (its own was dropped): never before a sale is told
    assert said[0].startswith("✅ Подтверждены 3 продажи.")
    assert said[1] == FIRST
    # told once: a later sale congratulates nothing again
    await _postback(harness, "fc-1", "a6", "approved")
    await harness.deliver()
    assert _told(anna, mark).count(FIRST) == 1


async def test_a_first_sale_refunded_with_nothing_left_is_still_never_told(
    harness: Harness,
) -> None:
    """The other side: no approved sale is left in the morning — no congratulation, and
    the first sale that counts later is congratulated then."""
    boris = await linked(harness, 9502, "Борис", "fc-2")
    mark = len(boris.messages)
    await _night_sales(harness, "fc-2", ["b1", "b2"])
    await _to(harness, REFUNDS)
    await _postback(harness, "fc-2", "b1", "declined")
    await _postback(harness, "fc-2", "b2", "declined")
    await _to(harness, MORNING)
    await harness.deliver()
    assert _told(boris, mark) == []
    await _postback(harness, "fc-2", "b3", "approved")
    await harness.deliver()
    said = _told(boris, mark)
    assert said[0].startswith("✅ Продажа подтверждена.")
    assert said[1] == FIRST


async def test_a_new_tier_is_told_when_the_month_still_has_the_sales(
    harness: Harness, tmp_path: Path
) -> None:
    """Silver takes 10 sales in the month (demo program.yaml). The 10th reaches it at
    night, an 11th follows, the 10th is refunded: still 10 — Silver is told. Another
    partner's 10th refunded with no 11th: not told until a sale reaches it again."""
    vera = await linked(harness, 9503, "Вера", "fc-3")
    gleb = await linked(harness, 9504, "Глеб", "fc-4")
    marks = len(vera.messages), len(gleb.messages)
    await _night_sales(harness, "fc-3", [f"v{n}" for n in range(1, 12)])
    await _night_sales(harness, "fc-4", [f"g{n}" for n in range(1, 11)])
    await _to(harness, REFUNDS)
    await _refund_by_csv(harness, tmp_path, "fc-3", "v10")
    await _postback(harness, "fc-4", "g10", "declined")
    await _to(harness, MORNING)
    await harness.deliver()
    assert _told(vera, marks[0]).count(SILVER) == 1
    assert "🎉 10 подтверждённых продаж! Так держать." in _told(vera, marks[0])
    assert SILVER not in _told(gleb, marks[1])
    assert "🎉 10 подтверждённых продаж! Так держать." not in _told(gleb, marks[1])
    await _postback(harness, "fc-4", "g11", "approved")
    await harness.deliver()
    assert _told(gleb, marks[1]).count(SILVER) == 1


# --- item 8: a backdated sale names no place in a rating it does not count in ---


@asynccontextmanager
async def _endpoint(harness: Harness) -> AsyncIterator[str]:
    services = harness.services
    runner = await start_http(create_http_app(services.settings, services.sales), "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/postback"
    finally:
        await runner.cleanup()


async def _http_postback(url: str, affiliate: str, number: str, ts: str | None) -> None:
    query = {"partner": affiliate, "conversion_id": number, "status": "approved"}
    query |= {"amount": "1500", "secret": SECRET} | ({"ts": ts} if ts else {})
    async with aiohttp.ClientSession() as session, session.get(url, params=query) as response:
        assert response.status == 200, await response.text()


async def _last_notice(harness: Harness, person: Client, mark: int) -> list[str]:
    await harness.deliver()
    return _told(person, mark)


async def test_a_backdated_sale_names_no_place_in_the_month(tmp_path: Path) -> None:
    """The tester's case: ts=1763200000 (15.11.2025) approved on 02.11.2026 for a partner
    with a sale this month — the old sale is not in this month's rating: «Продажа
    подтверждена» without «Вы №1 …». A sale of this month names the place."""
    async with running_bot(tmp_path, postback_secret=SECRET) as harness:
        await _to(harness, datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        anna = await linked(harness, 9511, "Анна", "bd-1")
        mark = len(anna.messages)
        async with _endpoint(harness) as url:
            await _http_postback(url, "bd-1", "new-1", None)
            said = await _last_notice(harness, anna, mark)
            assert said[0] == "✅ Продажа подтверждена.\nВы №1 в зачёте «Рейтинг месяца»."
            mark = len(anna.messages)
            await _http_postback(url, "bd-1", "old-1", "1763200000")
            said = await _last_notice(harness, anna, mark)
        assert said == ["✅ Продажа подтверждена."]


async def test_a_sale_made_before_the_contest_names_no_place_in_it(harness: Harness) -> None:
    """While the demo contest runs (14–28.12), a sale made on 10.12 and approved now does
    not count in it: no place; one made during the contest names the place."""
    await announce_demo_contest(harness)
    anna = await linked(harness, 9512, "Анна", "bd-2")
    await _to(harness, datetime(2026, 12, 16, 9, 0, tzinfo=UTC))
    for number in range(3):  # above the contest's threshold of 3 sales
        await _postback(harness, "bd-2", f"in-{number}", "approved")
    await harness.deliver()
    mark = len(anna.messages)
    before = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    backdated = ConversionIn("bd-2", "before-1", "approved", Decimal(1500), "RUB", before)
    await harness.services.sales.submit(backdated)
    said = await _last_notice(harness, anna, mark)
    assert said == ["✅ Продажа подтверждена."]
    mark = len(anna.messages)
    await _postback(harness, "bd-2", "in-3", "approved")
    said = await _last_notice(harness, anna, mark)
    assert said[0].startswith("✅ Продажа подтверждена.\nВы №1 в зачёте")


def test_a_congratulation_subject_keeps_any_affiliate_id() -> None:
    """Affiliate ids may hold «:» (the postback allows it); a subject not written here is
    nobody's congratulation."""
    window = (datetime(2026, 11, 30, 21, 0, tzinfo=UTC), datetime(2026, 12, 31, 21, 0, tzinfo=UTC))
    assert _reached(reached_subject("a:b:c", 10)) == (10, "a:b:c", None)
    assert _reached(reached_subject("a:b", 5, window)) == (5, "a:b", window)
    for hostile in ("reached:", "reached:x:ever:a", "reached:1:ever:", "reached:1:9-x:a", None):
        assert _reached(hostile) is None
