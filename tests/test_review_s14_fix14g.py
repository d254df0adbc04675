"""Session 14 (task fix14g): CSV re-import with changed amounts, SQLite paths, small ones.

B. A sales CSV imported again changes nothing: a row whose state (status and amount) the
   conversion has already been in is history, "unchanged" — also when only the amount
   differs (`k1,approved,1200` at line 2, `k1,approved,1300` at line 5).
E. An unusable SQLite path is one line and exit 2 for every command; the read-only ones
   create no file or folder, and no command creates missing folders.
F. A reply to the /link usage that looks like an affiliate id is the /link argument, never
   an FAQ gap; /stats' queue counts only the messages that will go.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.db.tables import conversion_events, conversions
from tests.harness import create_services, make_settings

# --- B. a CSV imported again: an amount going back is history, not an update ---

TESTERS_CSV = """partner,conversion_id,status,amount,currency
A777,k1,approved,1200,RUB
A777,k2,pending,800,
A777,k3,bogus,800,
A777,k1,approved,1300,RUB
"""


async def test_a_csv_imported_again_with_two_amounts_changes_nothing(tmp_path: Path) -> None:
    services = await create_services(make_settings(tmp_path), FakeClock())
    path = tmp_path / "s.csv"
    path.write_text(TESTERS_CSV, encoding="utf-8")
    try:
        first = await services.sales.import_csv(path)
        async with services.db.read() as conn:
            before = await conn.scalar(sa.select(sa.func.count()).select_from(conversion_events))
        again = await services.sales.import_csv(path)
        async with services.db.read() as conn:
            after = await conn.scalar(sa.select(sa.func.count()).select_from(conversion_events))
            amount = await conn.scalar(
                sa.select(conversions.c.amount).where(conversions.c.conversion_id == "k1")
            )
    finally:
        await services.close()
    assert [line for line, _reason in first.rejected] == [4]  # bogus
    assert (first.inserted, first.updated, first.unchanged) == (2, 1, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert again.rejected == first.rejected
    assert after == before == 3  # nothing written again
    assert amount == 1300


async def test_an_amount_the_conversion_had_before_is_history_in_one_file(tmp_path: Path) -> None:
    services = await create_services(make_settings(tmp_path), FakeClock())
    path = tmp_path / "s.csv"
    path.write_text(
        "partner,conversion_id,status,amount\n"
        "A777,k1,approved,1200\n"
        "A777,k1,approved,1300\n"
        "A777,k1,approved,1200\n"  # a state it was in: history, unchanged
        "A777,k1,approved,1400\n",  # new: updated
        encoding="utf-8",
    )
    try:
        report = await services.sales.import_csv(path)
        async with services.db.read() as conn:
            amount = await conn.scalar(
                sa.select(conversions.c.amount).where(conversions.c.conversion_id == "k1")
            )
    finally:
        await services.close()
    assert (report.inserted, report.updated, report.unchanged) == (1, 2, 1)
    assert amount == 1400
