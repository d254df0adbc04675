"""What writing the weekly digests again at send time costs (bot/services/outbox_refresh.py).

N linked partners (2,000 and 10,000 by default), each with a few approved sales this week
and earlier this month; the weekly digest queued for all of them by the real
`Notices.digests` (through the outbox). Then the delivery worker's step is timed without
sending: `Outbox.claim(batch, "tg")` until nothing is due, with a Telegram batch (200,
`bot.delivery.BATCH`) and a VK one (5,000, `bot.vk.delivery.BATCH`), each

- baseline: the refreshers not registered (the claim only, as before session 10);
- refresh, texts unchanged: the data did not change since the digests were queued, so
  every text is written again and found equal (nothing written back);
- refresh, all changed: every row's text differs from the one written now (as if each
  partner sold meanwhile), so every row is also written back to the outbox.

Between passes the claims are released, so each pass claims the same N rows. Reported per
batch size: the ratio of the claim→refresh step's rate to the baseline's first, the rates
beside (rows/s of the refresh alone: the time inside the registered refreshers; of the
whole step: `claim` returning), the median of `--repeat` passes, and the send rates they
meet: Telegram's worker sends 25 a second (30/s limit), VK personalised texts at most 500
a second (20 `execute` requests of 25 a second, BENCHMARKS "VK broadcasts"). The worker
claims the next batch only after sending the last one (`OutboxWorker.drain`), so the
step's time adds to the sending time: the effective rate is 1 / (1/send + 1/step).

`--part send` checks that model end to end on VK: the N partners on VK, their digests sent
by partnerbot's VK worker to the VK emulator holding VK's limit (20 requests a second),
with the refreshers and without, in turn (`--pairs` times): digests a second.

Run: .venv/bin/python -m bench.digest_refresh [--part claim|send|all] [--repeat 3]
     [--partners 2000,10000] [--pairs 2] [--database sqlite|postgresql] [--profile]
     (PostgreSQL: eval "$(.ci/services.sh)" first; the database is bench_digest_refresh)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import statistics
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.broadcast import ROOT, settings_for
from bench.max import DaytimeClock
from bench.scale import fresh_database, urls
from bench.vk import FIRST_USER
from bot.assembly import Services, create_services
from bot.clock import FakeClock
from bot.config import Settings
from bot.db.tables import conversions, outbox, partners
from bot.delivery import BATCH as TELEGRAM_BATCH
from bot.services.outbox_refresh import FRESH, Queued, Refresher
from bot.vk.delivery import BATCH as VK_BATCH
from bot.vk.delivery import VkDelivery
from bot.vk.emulator import VkApiEmulator
from bot.vk.session import create_vk_bot

NOW = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Moscow: not quiet hours
SENDS = {TELEGRAM_BATCH: ("Telegram", 25.0), VK_BATCH: ("VK", 500.0)}
STALE = "a digest queued earlier"


@dataclass
class Pass:
    rows: int = 0
    claims: int = 0
    step: float = 0.0  # claim → refreshed rows returned, all batches
    render: float = 0.0  # inside the registered refreshers
    worst_batch: float = 0.0


@dataclass
class Timed:
    """The registered refreshers, each timed."""

    inner: Mapping[str, Refresher]
    spent: list[float] = field(default_factory=lambda: [0.0])

    def wrap(self, refresher: Refresher) -> Refresher:
        async def timed(rows: list[Queued]) -> Mapping[int, str | None]:
            started = time.perf_counter()
            try:
                return await refresher(rows)
            finally:
                self.spent[0] += time.perf_counter() - started

        return timed

    def registered(self) -> dict[str, Refresher]:
        return {name: self.wrap(refresher) for name, refresher in self.inner.items()}


async def fill(
    services: Services, count: int, platform: str = "tg", first: int = 5_000_000
) -> int:
    """`count` linked partners (user ids from `first`), with 1–6 approved sales this week
    and 0–4 earlier this month each (and a pending one now and then); the number of
    conversions."""
    rng = random.Random(10)
    now = services.clock.now()
    people = [
        {
            "platform": platform,
            "user_id": first + n,
            "chat_id": first + n,
            "first_name": f"Партнёр {n}",
            "language": "ru" if n % 5 else "en",
            "segment": "webmaster",
            "answers": {},
            "onboarded": True,
            "consent": True,
            "subscriptions": {},
            "stopped": False,
            "partner_code": f"D{n:07d}",
            "affiliate_id": f"aff-{n}",
            "affiliate_status": "linked",
            "public_name": "name",
            "unreachable": False,
            "created_at": now - timedelta(days=30),
            "last_seen_at": now - timedelta(days=1),
        }
        for n in range(count)
    ]
    sales = []
    for n in range(count):
        week, earlier = rng.randint(1, 6), rng.randint(0, 4)
        for k in range(week + earlier):
            days = rng.uniform(0, 6.9) if k < week else rng.uniform(7.1, 8.3)
            moment = now - timedelta(days=days)
            sales.append(
                {
                    "conversion_id": f"o-{n}-{k}",
                    "affiliate_id": f"aff-{n}",
                    "status": "approved" if rng.random() < 0.9 else "pending",
                    "amount": Decimal(rng.randint(500, 150_000)),
                    "currency": "RUB",
                    "occurred_at": moment,
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
    async with services.db.write() as conn:
        for start in range(0, len(people), 5000):
            await conn.execute(partners.insert(), people[start : start + 5000])
        for start in range(0, len(sales), 5000):
            await conn.execute(conversions.insert(), sales[start : start + 5000])
        # the statistics a live database has: without them PostgreSQL reads the week's
        # sales of everyone by (status, occurred_at) for each batch (0.3 s a query)
        await conn.execute(sa.text("ANALYZE"))
    return len(sales)


async def reset(services: Services, text: str | None) -> None:
    """Every digest row due again, unclaimed (its text `text`, when given)."""
    values: dict[str, Any] = {"claimed_until": None}
    if text is not None:
        values["text"] = text
    async with services.db.write() as conn:
        await conn.execute(
            outbox.update()
            .where(outbox.c.subject == "digest", outbox.c.status == "queued")
            .values(**values)
        )


async def one_pass(
    services: Services,
    batch: int,
    timed: Timed | None,
    changed: bool,
) -> Pass:
    """Claim every due row, `batch` at a time; the refreshers registered when `timed`."""
    await reset(services, STALE if changed else None)  # else as written last (unchanged)
    services.outbox.refreshers.clear()
    if timed is not None:
        timed.spent[0] = 0.0
        services.outbox.refreshers.update(timed.registered())
    result = Pass()
    while True:
        started = time.perf_counter()
        rows = await services.outbox.claim(batch, "tg")
        took = time.perf_counter() - started
        if not rows:
            break
        result.rows += len(rows)
        result.claims += 1
        result.step += took
        result.worst_batch = max(result.worst_batch, took)
    result.render = timed.spent[0] if timed is not None else 0.0
    return result


def median_pass(passes: list[Pass]) -> Pass:
    ordered = sorted(passes, key=lambda one: one.step)
    return ordered[len(ordered) // 2]


def line(label: str, one: Pass, baseline: Pass, send: float) -> str:
    step_rate = one.rows / one.step
    ratio = step_rate / (baseline.rows / baseline.step)
    render = f"{one.rows / one.render:8,.0f}" if one.render else "       –"
    effective = 1 / (1 / send + 1 / step_rate)
    return (
        f"  {label:<24} {ratio:6.2f}× {step_rate:10,.0f} {render} {one.step:7.2f} s"
        f" {one.worst_batch * 1000:8.0f} ms {effective:8.1f} ({effective / send:.3f})"
    )


async def measure(settings: Settings, count: int, repeat: int, profile: bool) -> None:
    services = await create_services(settings, FakeClock(NOW))
    try:
        began = time.perf_counter()
        sales = await fill(services, count)
        filled = time.perf_counter() - began
        began = time.perf_counter()
        enqueued = await services.notices.digests("bench")
        queued_in = time.perf_counter() - began
        assert enqueued.queued == count, enqueued
        # claimed later than `FRESH` after they were written (held by the quiet hours or a
        # backlog): the rows the refreshers write again (fresh ones go as they are)
        assert isinstance(services.clock, FakeClock)
        services.clock.advance(FRESH.total_seconds() + 60)
        timed = Timed(dict(services.outbox.refreshers))
        print(
            f"{count:,} partners, {sales:,} conversions (filled in {filled:.1f} s);"
            f" {enqueued.queued:,} digests queued by Notices.digests in {queued_in:.2f} s"
            f" ({count / queued_in:,.0f}/s)",
            flush=True,
        )
        if profile:
            await profiled(services, timed)
        for batch, (platform, send) in SENDS.items():
            runs: dict[str, list[Pass]] = {"baseline": [], "unchanged": [], "changed": []}
            for _ in range(repeat):  # interleaved: the machine's noise hits all alike
                runs["baseline"].append(await one_pass(services, batch, None, False))
                runs["unchanged"].append(await one_pass(services, batch, timed, False))
                runs["changed"].append(await one_pass(services, batch, timed, True))
            baseline = median_pass(runs["baseline"])
            assert all(one.rows == count for passes in runs.values() for one in passes)
            print(
                f" {platform} batch {batch:,} ({baseline.claims} claims), send bound"
                f" {send:.0f}/s; median of {repeat}:\n"
                f"  {'':<24} {'÷ base':>7} {'step/s':>10} {'render/s':>8} {'step':>9}"
                f" {'worst batch':>11} {'effective send/s (÷ bound)'}"
            )
            print(line("baseline (no refreshers)", baseline, baseline, send))
            print(line("refresh, texts unchanged", median_pass(runs["unchanged"]), baseline, send))
            print(line("refresh, all changed", median_pass(runs["changed"]), baseline, send))
            print(flush=True)
        services.outbox.refreshers.update(timed.inner)
    finally:
        await services.close()


async def profiled(services: Services, timed: Timed) -> None:
    """cProfile of one VK-size pass with the refreshers, texts unchanged."""
    profiler = cProfile.Profile()
    profiler.enable()
    await one_pass(services, VK_BATCH, timed, False)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(
        r"bot/|sqlalchemy/engine/base|aiosqlite|asyncpg", 30
    )
    stats.sort_stats("tottime").print_stats(15)


async def vk_send(settings: Settings, count: int, pairs: int) -> None:
    """End to end on VK: `count` VK partners' digests sent by partnerbot's VK worker to
    the VK emulator at its real limit (20 requests a second), with the refreshers and
    without them, `pairs` times in turn (each time the digest queued anew: another tag)."""
    vk = VkApiEmulator(rate=20)
    await vk.start()
    for user in range(FIRST_USER, FIRST_USER + count):
        vk.add_user(user, f"P{user}")
    # the real clock at midday: not held back by the quiet hours
    services = await create_services(settings, DaytimeClock())
    bot = create_vk_bot(vk.token, vk.group_id, vk.base_url)
    try:
        await fill(services, count, "vk", FIRST_USER)
        worker = VkDelivery(bot, services.outbox, services.partners, services.clock)
        registered = dict(services.outbox.refreshers)
        rates: dict[str, list[float]] = {"baseline": [], "refresh": []}
        for number in range(pairs):
            for label in ("refresh", "baseline"):
                services.outbox.refreshers.clear()
                if label == "refresh":
                    services.outbox.refreshers.update(registered)
                queued = (await services.notices.digests(f"send-{number}-{label}")).queued
                started = time.perf_counter()
                sent = await worker.drain()
                rates[label].append(queued / (time.perf_counter() - started))
                assert sent == queued == count, (sent, queued)
        counts = [len(vk.chat_messages(user)) for user in range(FIRST_USER, FIRST_USER + count)]
        assert set(counts) == {2 * pairs}, set(counts)
        print(
            f" VK end to end: {count:,} digests by the VK worker, emulator at 20 requests/s"
            f" (bound 500/s), {pairs} pairs; error 6 answers: {vk.rate_limited}"
        )
        base = statistics.median(rates["baseline"])
        for label, values in rates.items():
            rate = statistics.median(values)
            runs = ", ".join(f"{value:.0f}" for value in values)
            print(
                f"  {label:<8} {rate / base:5.2f}× baseline  {rate:6.0f} digests/s"
                f" (÷ bound {rate / 500:.3f}; runs {runs})"
            )
        print(flush=True)
    finally:
        services.outbox.refreshers.update(registered)
        await bot.session.close()
        await services.close()
        await vk.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", default="2000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", action="store_true", help="cProfile a VK-size pass")
    parser.add_argument("--part", choices=("claim", "send", "all"), default="all")
    parser.add_argument("--pairs", type=int, default=2, help="VK end to end: runs of each")
    args = parser.parse_args()
    for count in (int(n) for n in args.partners.split(",")):
        if args.part in ("claim", "all"):
            await measure(await settings_of(args.database), count, args.repeat, args.profile)
        if args.part in ("send", "all"):
            await vk_send(await settings_of(args.database), count, args.pairs)


async def settings_of(database: str) -> Settings:
    if database == "sqlite":
        return settings_for(Path(tempfile.mkdtemp()) / "digests.db")
    url = await fresh_database(urls()[0], "bench_digest_refresh")
    return Settings(  # type: ignore[call-arg]
        _env_file=None, content_dir=ROOT / "content", database_url=url
    )


if __name__ == "__main__":
    asyncio.run(main())
