"""/top at scale: 100,000 linked partners and 1,000,000 conversions in SQLite, all inside a
running contest's window (the worst case: every conversion is in the aggregate).

Measured, in the same run:
- `/top` for a partner (the running contest's boards: top 10 of each category by public
  name + the partner's own place and gap) as the handler builds it — p50/p95 over random
  partners, after the first call; beside it the same with the standings cache off (every
  call aggregates, the naive way), which is the baseline;
- a contest's full results (every category's winners), from a cold cache — target ≤ 2 s.

Run: .venv/bin/python -m bench.top_load [--partners 100000 --conversions 1000000 --calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.assembly import create_services
from bot.clock import FakeClock
from bot.config import Settings
from bot.i18n import Translator
from bot.texts import leaderboards

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 12, 14, tzinfo=UTC)  # the demo contest: 14–28 December


def fill(path: Path, partners: int, conversions: int) -> None:
    """Write the rows straight through sqlite3 (bound parameters), in big transactions."""
    rng = random.Random(7)
    db = sqlite3.connect(path)
    now = START.isoformat(sep=" ")
    db.executemany(
        "INSERT INTO partners (platform, user_id, chat_id, first_name, language, segment,"
        " answers, onboarded, consent, subscriptions, stopped, partner_code, affiliate_id,"
        " affiliate_status, public_name, unreachable, created_at, last_seen_at)"
        " VALUES ('tg', ?, ?, ?, 'ru', 'webmaster', '{}', 1, 1, '{}', 0, ?, ?, 'linked',"
        " 'name', 0, ?, ?)",
        (
            (n, n, f"Партнёр {n}", f"C{n:07d}", f"aff-{n}", now, now)
            for n in range(1, partners + 1)
        ),
    )
    db.commit()
    statuses = ["approved"] * 16 + ["pending"] * 3 + ["declined"]
    span = 13 * 24 * 3600
    batch = 100_000
    for start in range(0, conversions, batch):
        rows = []
        for number in range(start, min(start + batch, conversions)):
            # a few partners sell a lot, most sell a little (a long tail)
            partner = min(partners, int(rng.paretovariate(1.2)) * rng.randint(1, 50))
            moment = (START + timedelta(seconds=rng.randint(0, span))).isoformat(sep=" ")
            rows.append(
                (
                    f"o-{number}",
                    f"aff-{partner}",
                    rng.choice(statuses),
                    f"{rng.randint(500, 150_000)}.00",
                    moment,
                    moment,
                    moment,
                )
            )
        db.executemany(
            "INSERT INTO conversions (conversion_id, affiliate_id, status, amount, currency,"
            " occurred_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'RUB', ?, ?, ?)",
            rows,
        )
        db.commit()
    db.execute("ANALYZE")
    db.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def main(partners_count: int, conversions_count: int, calls: int) -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "top.db"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        content_dir=ROOT / "content",
        database_url=f"sqlite+aiosqlite:///{path}",
    )
    clock = FakeClock(START + timedelta(days=7))
    services = await create_services(settings, clock)  # creates the schema
    began = time.perf_counter()
    fill(path, partners_count, conversions_count)
    print(
        f"filled {partners_count:,} partners and {conversions_count:,} conversions"
        f" in {time.perf_counter() - began:.0f} s"
    )
    l10n = Translator().get("ru")
    rng = random.Random(11)
    contests = services.contests
    contest = await contests.contest("winter-sofas")
    assert contest is not None

    began = time.perf_counter()
    results = await contests.results(contest)
    full = time.perf_counter() - began
    winners = sum(len(category) for category in results)

    async def top_for(user_id: int) -> float:
        partner = await services.partners.by_user("tg", user_id)
        assert partner is not None
        began = time.perf_counter()
        boards = await leaderboards(partner, services.partners, contests, settings, l10n)
        elapsed = time.perf_counter() - began
        assert len(boards) == len(contest.prizes)
        return elapsed

    contests.clear_cache()
    first = await top_for(1)  # the first /top after a change pays the aggregate
    cached = [await top_for(rng.randint(1, partners_count)) for _ in range(calls)]
    naive = []
    for _ in range(max(5, calls // 20)):
        contests.clear_cache()  # the baseline: aggregate on every call
        naive.append(await top_for(rng.randint(1, partners_count)))
    await services.close()

    def ms(value: float) -> str:
        return f"{value * 1000:.1f} ms"

    print(f"contest results (cold, {len(results)} categories, {winners} winners): {full:.2f} s")
    print(f"/top with a cold cache (the first call after a change): {ms(first)}")
    print(
        f"/top for a partner, {calls} calls: p50 {ms(statistics.median(cached))},"
        f" p95 {ms(percentile(cached, 0.95))}"
    )
    print(
        f"baseline, aggregating every call ({len(naive)} calls): p50"
        f" {ms(statistics.median(naive))}, p95 {ms(percentile(naive, 0.95))}"
    )
    ratio = percentile(naive, 0.95) / percentile(cached, 0.95)
    print(f"ratio p95 baseline / p95 partnerbot: {ratio:.0f}×")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--conversions", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.partners, args.conversions, args.calls))
