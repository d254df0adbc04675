"""The delivery engine (issue 5), three figures:

- throughput: private recipients through the emulator enforcing Telegram's limits (30/s
  overall, 1/s per chat) with an ~80 ms round trip: partnerbot's worker at its configured
  rate (25/s), beside the common "send, sleep 0.05 s" loop in the same run;
- crash: a 1,000-recipient broadcast in a `partnerbot run` process killed with SIGKILL at
  a random moment, then started again, 10 times: lost and duplicated messages counted;
- scale: 100,000 partners, an announcement to all — the outbox rows made, time and RSS.

Run: .venv/bin/python -m bench.broadcast [--part throughput|crash|scale|all]
     [--recipients 3000] [--baseline 600] [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.assembly import create_services
from bot.clock import FakeClock, SystemClock
from bot.config import Settings
from bot.services.announcements import Draft
from bot.services.outbox_enqueue import OutMessage
from bot.telegram.delivery import Delivery
from bot.telegram.emulator import BotApiEmulator, RateLimits
from bot.telegram.session import create_bot

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM = RateLimits(global_per_second=30, chat_per_second=1, chat_burst=1)


def settings_for(database: Path, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        content_dir=ROOT / "content",
        database_url=f"sqlite+aiosqlite:///{database}",
        **extra,
    )


async def throughput(recipients: int, baseline_recipients: int) -> None:
    emulator = BotApiEmulator(limits=TELEGRAM, latency=0.08)
    await emulator.start()
    chats = [700_000 + n for n in range(recipients + baseline_recipients)]
    for chat in chats:
        emulator.add_user(chat, f"P{chat}")
    folder = Path(tempfile.mkdtemp())
    services = await create_services(settings_for(folder / "b.db"), SystemClock())
    await services.outbox.enqueue(
        [
            OutMessage(f"b:{chat}", "community", "tg", chat, "Новость недели")
            for chat in chats[:recipients]
        ]
    )
    sender = create_bot(emulator.token, emulator.base_url)
    worker = Delivery(sender, services.outbox, services.partners, services.clock, rate=25.0)
    started = time.perf_counter()
    sent_at: list[float] = []
    emulator.listeners.append(lambda _message: sent_at.append(time.perf_counter()))
    while (await services.outbox.report()).get("queued"):
        await worker.drain()
    elapsed = time.perf_counter() - started
    limited, violations = emulator.rate_limited, emulator.window_violations
    steady = [t for t in sent_at if started + 5 < t < started + elapsed - 5]
    steady_rate = len(steady) / max(1e-9, (elapsed - 10))
    await sender.session.close()

    # the common loop: send, sleep 0.05 s (aiogram's bot with its 429 retry)
    bot = create_bot(emulator.token, emulator.base_url)
    before_limited = emulator.rate_limited
    started_loop = time.perf_counter()
    for chat in chats[recipients:]:
        await bot.send_message(chat, "Новость недели")
        await asyncio.sleep(0.05)
    loop_elapsed = time.perf_counter() - started_loop
    await bot.session.close()
    await services.close()
    await emulator.stop()
    rate = recipients / elapsed
    print(f"throughput: {recipients} recipients, emulator 30/s overall, 1/s per chat, 80 ms RTT")
    print(
        f"  partnerbot worker: {rate:.2f} msg/s ({elapsed:.1f} s), configured 25/s,"
        f" achieved/configured {rate / 25:.3f}; steady state {steady_rate:.2f}/s"
    )
    print(f"  429s: {limited}, requests inside a retry_after window: {violations}")
    print(
        f"  'send, sleep 0.05 s' loop: {baseline_recipients / loop_elapsed:.2f} msg/s over"
        f" {baseline_recipients} recipients ({loop_elapsed:.1f} s),"
        f" 429s {emulator.rate_limited - before_limited}"
    )
    print(f"  ratio partnerbot / loop: {rate / (baseline_recipients / loop_elapsed):.1f}×")


async def crash(runs: int, recipients: int) -> None:
    rng = random.Random(5)
    lost_runs, duplicates = [], []
    for run in range(runs):
        emulator = BotApiEmulator(limits=RateLimits.off(), latency=0.02)
        await emulator.start()
        chats = [800_000 + n for n in range(recipients)]
        for chat in chats:
            emulator.add_user(chat, f"P{chat}")
        folder = Path(tempfile.mkdtemp())
        database = folder / "crash.db"
        services = await create_services(settings_for(database), SystemClock())
        await services.outbox.enqueue(
            [OutMessage(f"c:{chat}", "community", "tg", chat, "Анонс") for chat in chats]
        )
        await services.close()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TG_", "VK_"))
        }
        env.update(
            TELEGRAM_BOT_TOKEN=emulator.token,
            TELEGRAM_API_URL=emulator.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
            CONTENT_DIR=str(ROOT / "content"),
            LOG_LEVEL="ERROR",
            DELIVERY_RATE="200",
            HTTP_PORT=str(18_500 + run),
        )

        progress = Progress(goal=rng.randint(50, recipients - 50))
        emulator.listeners.append(progress)
        at_kill = await kill_and_restart(env, progress, recipients)
        counts = [len(emulator.chat_messages(c)) for c in chats]
        lost = sum(1 for n in counts if n == 0)
        twice = sum(n - 1 for n in counts if n > 1)
        lost_runs.append(lost)
        duplicates.append(twice)
        print(f"  run {run + 1}: killed after {at_kill} sent; lost {lost}, duplicates {twice}")
        await emulator.stop()
    print(f"crash: {runs} runs × {recipients} recipients, SIGKILL at a random moment")
    print(f"  lost per run: {lost_runs} (max {max(lost_runs)})")
    print(
        f"  duplicates per crash: {duplicates} (max {max(duplicates)}, median"
        f" {statistics.median(duplicates)}; in-flight limit 8)"
    )


async def kill_and_restart(env: dict[str, str], progress: Progress, total: int) -> int:
    """`partnerbot run`, killed (SIGKILL) once `progress` reaches its goal, started again
    and stopped once `total` messages went; how many had gone at the kill."""
    process = await spawn_partnerbot(env)
    await asyncio.wait_for(progress.reached.wait(), 180)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    at_kill = progress.sent
    progress.reached.clear()
    progress.goal = total
    process = await spawn_partnerbot(env)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(progress.reached.wait(), 180)
    await asyncio.sleep(1.0)  # anything late would show now
    process.send_signal(signal.SIGTERM)
    await process.wait()
    return at_kill


class Progress:
    """Counts the bot's messages; `reached` is set at `goal`."""

    def __init__(self, goal: int) -> None:
        self.sent = 0
        self.goal = goal
        self.reached = asyncio.Event()

    def __call__(self, _message: object) -> None:
        self.sent += 1
        if self.sent >= self.goal:
            self.reached.set()


async def spawn_partnerbot(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env
    )


async def scale(partners: int) -> None:
    folder = Path(tempfile.mkdtemp())
    database = folder / "scale.db"
    services = await create_services(
        settings_for(database), FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    )
    db = sqlite3.connect(database)
    now = "2026-11-01 09:00:00"
    db.executemany(
        "INSERT INTO partners (platform, user_id, chat_id, first_name, language, segment,"
        " answers, onboarded, consent, subscriptions, stopped, partner_code, affiliate_status,"
        " public_name, unreachable, created_at, last_seen_at) VALUES ('tg', ?, ?, ?, 'ru',"
        " 'webmaster', '{}', 1, 1, '{}', 0, ?, 'none', 'name', 0, ?, ?)",
        ((n, n, f"P{n}", f"S{n:07d}", now, now) for n in range(1, partners + 1)),
    )
    db.commit()
    db.close()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    item, queued = await services.announcements.create(
        Draft("Большая распродажа: новые креативы в /creatives"), "all", None, "tg:1", 1
    )
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()  # the weekly cap now counts the first one for everyone
    _second, again = await services.announcements.create(
        Draft("Вебинар в четверг"), "all", None, "tg:1", 1
    )
    elapsed_again = time.perf_counter() - started
    await services.close()
    print(f"scale: an announcement to all of {partners:,} partners")
    print(f"  outbox rows queued: {queued:,} (announcement #{item.id}) in {elapsed:.2f} s")
    print(
        f"  a second one, the first counted by the weekly cap: {again:,} in {elapsed_again:.2f} s"
    )
    print(f"  peak RSS of the process: {rss_after:.0f} MB (before: {rss_before:.0f} MB)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", default="all", choices=("throughput", "crash", "scale", "all"))
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--baseline", type=int, default=600)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--partners", type=int, default=100_000)
    args = parser.parse_args()
    if args.part in ("throughput", "all"):
        await throughput(args.recipients, args.baseline)
    if args.part in ("crash", "all"):
        await crash(args.runs, 1000)
    if args.part in ("scale", "all"):
        await scale(args.partners)


if __name__ == "__main__":
    asyncio.run(main())
