"""CSV import: 100,000 conversions imported, then the same file again. The replay must add
nothing and take at most 1.5× the first import.

Run: .venv/bin/python -m bench.csv_import [--rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bot.clock import SystemClock
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.tables import conversion_events, conversions
from bot.services.sales import SalesService

ROOT = Path(__file__).resolve().parent.parent


def write_sheet(path: Path, rows: int) -> None:
    rng = random.Random(3)
    statuses = ["sale"] * 6 + ["lead"] * 3 + ["rejected"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write("partner,conversion_id,status,amount,currency,ts\n")
        for number in range(rows):
            amount = f"{rng.randint(500, 150_000)}.{rng.randint(0, 99):02d}"
            handle.write(
                f"aff-{rng.randint(1, 20_000)},order-{number},{rng.choice(statuses)},"
                f"{amount},RUB,{1_760_000_000 + number * 7}\n"
            )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    sheet = folder / "sales.csv"
    write_sheet(sheet, args.rows)
    db = Database.from_url(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    await upgrade(db)
    sales = SalesService(db, ContentStore(ROOT / "content"), SystemClock())
    try:
        started = time.perf_counter()
        first = await sales.import_csv(sheet)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        replay = await sales.import_csv(sheet)
        replay_s = time.perf_counter() - started
        async with db.read() as conn:
            stored = (
                await conn.execute(sa.select(sa.func.count()).select_from(conversions))
            ).scalar()
            events = (
                await conn.execute(sa.select(sa.func.count()).select_from(conversion_events))
            ).scalar()
    finally:
        await db.close()
    print(f"{args.rows} rows")
    print(
        f"first import: {first_s:6.1f} s ({args.rows / first_s:,.0f} rows/s) — inserted "
        f"{first.inserted}, updated {first.updated}, unchanged {first.unchanged}, "
        f"rejected {len(first.rejected)}"
    )
    print(
        f"replay:       {replay_s:6.1f} s ({args.rows / replay_s:,.0f} rows/s) — inserted "
        f"{replay.inserted}, updated {replay.updated}, unchanged {replay.unchanged}, "
        f"rejected {len(replay.rejected)}"
    )
    print(
        f"stored conversions {stored}, events {events}; replay / first = {replay_s / first_s:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
