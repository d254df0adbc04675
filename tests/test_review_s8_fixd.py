"""Session 8 review (task fixd): a sale in another currency is refused on both paths, /me
and /top follow a CSV import made by another process at once, the /announce preview
says when a quiet-hours send really goes."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FakeClock
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.services.sales import SalesService
from tests.harness import Harness
from tests.test_journey_partner_screens import linked

USD_REFUSED = (
    "currency: USD: the program counts sales in RUB only (postback.currency in"
    " program.yaml); send the amount converted to RUB"
)


async def _import_elsewhere(harness: Harness, path: Path, inserted: int) -> list[tuple[int, str]]:
    """`partnerbot sales import` as the CLI runs it: its own process (its own engine and
    services, nothing shared with the bot's but the database)."""
    settings = harness.services.settings
    db = Database.from_url(settings.database_url)
    try:
        clock = FakeClock(harness.clock.now())
        report = await SalesService(db, ContentStore(settings.content_dir), clock).import_csv(path)
    finally:
        await db.close()
    assert report.inserted == inserted
    return report.rejected


async def test_a_csv_import_by_the_cli_shows_at_once_and_another_currency_is_refused(
    harness: Harness, tmp_path: Path
) -> None:
    await harness.manager().send("/start")
    anna = await linked(harness, 1801, "Анна", "aff-1")
    assert "Пока никто не в зачёте" in (await anna.send("/top"))[-1].plain  # cached now
    assert "Место в рейтинге месяца: пока нет" in (await anna.send("/me"))[-1].plain

    ts = harness.clock.now().isoformat()
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "partner,conversion_id,status,amount,currency,ts\n"
        f"aff-1,c1,approved,1000,RUB,{ts}\n"
        f"aff-1,c20,approved,500,USD,{ts}\n"
        f"aff-1,c3,approved,499.99,,{ts}\n"
        f"aff-1,c4,approved,700,rub,{ts}\n",
        encoding="utf-8",
    )
    assert await _import_elsewhere(harness, sales, 3) == [(3, USD_REFUSED)]
    # /me at once: its sales and its place agree (never «3 продажи… пока нет»)
    card = (await anna.send("/me"))[-1].plain
    assert "Продажи в этом месяце: 3 продажи на 2 199,99 ₽" in card
    assert "Место в рейтинге месяца: №1 из 1 (/top)" in card
    assert "1. Анна — 3" in (await anna.send("/top"))[-1].plain

    sales.write_text(
        f"partner,conversion_id,status,amount,ts\naff-1,c5,approved,100,{ts}\n", encoding="utf-8"
    )
    assert await _import_elsewhere(harness, sales, 1) == []
    harness.clock.advance(1)  # the next command, a second later: /top alone follows
    assert "1. Анна — 4" in (await anna.send("/top"))[-1].plain
