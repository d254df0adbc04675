"""MAX (issue 15), three figures, against the MAX emulator holding MAX's published limit of
30 requests a second per token (429 beyond):

- broadcast: 3,000 MAX partners, one announcement, by partnerbot's MAX worker (one
  `POST /messages` per recipient): recipients a second ÷ the bound (30/s), 429 answers,
  messages lost and twice. Beside it in the same run, the common loop: one send after
  another with a 1/30 s sleep between.
- crash: `partnerbot run` on MAX only, 1,000 recipients (half one text, half personal
  texts), killed with SIGKILL at a random moment and started again, several times:
  messages lost, messages a partner got twice, and sends the restarted worker found
  already delivered (MAX has no random_id: a row marked `sending` is looked up first).
- longpoll: 30 minutes of events at 20 a second (36,000 messages from 500 people), time
  compressed, read by the MaxSession with `GET /updates` and its marker, with a dropped
  connection every minute, a 502 every 2 minutes and an event delivered twice every 3:
  events lost and events handed on twice.

Run: .venv/bin/python -m bench.max [--part broadcast|crash|longpoll|all] [--recipients 3000]
     [--runs 5] [--minutes 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.methods import GetUpdates

from bench.broadcast import Progress, kill_and_restart, settings_for
from bot.assembly import create_services
from bot.clock import SystemClock
from bot.max.client import MaxClient, max_pacer
from bot.max.delivery import MaxDelivery
from bot.max.emulator import DIALOG_BASE, MaxApiEmulator
from bot.max.session import MaxSession, create_max_bot
from bot.pacing import MAX, Pacer
from bot.services.announcements import Draft
from bot.services.outbox_enqueue import OutMessage

ROOT = Path(__file__).resolve().parent.parent
FIRST_USER = 1_000_000
BOUND = 30.0
UNPACED = Pacer(replace(MAX, per_second=10_000), "bench")  # the loop paces itself


def add_max_partners(database: Path, count: int) -> None:
    db = sqlite3.connect(database)
    now = "2026-11-01 09:00:00"
    db.executemany(
        "INSERT INTO partners (platform, user_id, chat_id, first_name, language, segment,"
        " answers, onboarded, consent, subscriptions, stopped, partner_code, affiliate_status,"
        " public_name, unreachable, created_at, last_seen_at) VALUES ('max', ?, ?, ?, 'ru',"
        " 'webmaster', '{}', 1, 1, '{}', 0, ?, 'none', 'name', 0, ?, ?)",
        (
            (user, DIALOG_BASE + user, f"P{user}", f"M{user:08d}", now, now)
            for user in range(FIRST_USER, FIRST_USER + count)
        ),
    )
    db.commit()
    db.close()


class DaytimeClock(SystemClock):
    """The real clock moved to today's 12:00 UTC (15:00 in Moscow): a broadcast run in the
    evening is not held back to the morning by the demo program's quiet hours."""

    def __init__(self) -> None:
        now = datetime.now(UTC)
        self._offset = now.replace(hour=12, minute=0, second=0, microsecond=0) - now

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


async def broadcast(recipients: int, baseline: int) -> None:
    api = MaxApiEmulator(rate=30)
    await api.start()
    users = range(FIRST_USER, FIRST_USER + recipients + baseline)
    for user in users:
        api.add_user(user, f"P{user}")
    folder = Path(tempfile.mkdtemp())
    services = await create_services(settings_for(folder / "max.db"), DaytimeClock())
    add_max_partners(folder / "max.db", recipients)
    # the shared pacing, as `partnerbot run` has it: MAX's 30 a second, 5% margin
    bot = create_max_bot(api.token, api.base_url, pacer=max_pacer(services.pacers, api.token))
    worker = MaxDelivery(bot, services.outbox, services.partners, services.clock)
    _item, queued = await services.announcements.create(
        Draft("Большая распродажа: новые креативы в /creatives"), "all", None, "max:1", 1
    )
    started = time.perf_counter()
    while (await services.outbox.report()).get("queued"):
        await worker.drain()
    elapsed = time.perf_counter() - started
    limited = api.rate_limited

    # the common loop: one send after another, 1/30 s apart (no margin, no 429 handling)
    client = MaxClient(api.token, api.base_url, pacer=UNPACED)
    loop_limited_before = api.rate_limited
    started_loop = time.perf_counter()
    loop_refused = 0
    for user in users[recipients:]:
        try:
            await client.request(
                "POST",
                "/messages",
                params={"chat_id": DIALOG_BASE + user},
                body={"text": "Новость", "attachments": None, "link": None},
            )
        except Exception:  # noqa: BLE001 - counted, as a plain loop would lose it
            loop_refused += 1
        await asyncio.sleep(1 / BOUND)
    loop_rate = baseline / (time.perf_counter() - started_loop)
    loop_limited = api.rate_limited - loop_limited_before
    await client.close()

    counts = [len(api.dialog_messages(user)) for user in users[:recipients]]
    lost = sum(1 for n in counts if n == 0)
    twice = sum(n - 1 for n in counts if n > 1)
    rate = queued / elapsed
    print(
        f"broadcast: {recipients:,} MAX partners, emulator at {BOUND:.0f} requests/s (429 beyond)"
    )
    print(
        f"  partnerbot's MAX worker: {rate:.2f} recipients/s ({elapsed:.1f} s) ÷ bound"
        f" {BOUND:.0f}/s = {rate / BOUND:.3f}; 429: {limited}; lost {lost}, twice {twice}"
    )
    print(
        f"  the common loop (same run, {baseline} sends 1/30 s apart): {loop_rate:.2f}/s"
        f" ÷ bound = {loop_rate / BOUND:.3f}; 429: {loop_limited}"
    )
    await bot.session.close()
    await services.close()
    await api.stop()


async def crash(runs: int, recipients: int) -> None:
    rng = random.Random(15)
    for run in range(runs):
        api = MaxApiEmulator(rate=30)
        await api.start()
        users = list(range(FIRST_USER, FIRST_USER + recipients))
        for user in users:
            api.add_user(user, f"P{user}")
        folder = Path(tempfile.mkdtemp())
        database = folder / "crash.db"
        services = await create_services(settings_for(database), SystemClock())
        half = recipients // 2
        chat = {u: api.users[u].dialog for u in users}
        await services.outbox.enqueue(
            [
                OutMessage(f"a:max:{u}", "community", "max", chat[u], "Анонс конкурса")
                for u in users[:half]
            ]
            + [
                OutMessage(f"d:max:{u}", "community", "max", chat[u], f"Ваш дайджест, {u}")
                for u in users[half:]
            ]
        )
        await services.close()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "TG_", "VK_", "MAX_"))
        }
        env.update(
            MAX_BOT_TOKEN=api.token,
            MAX_API_URL=api.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
            CONTENT_DIR=str(ROOT / "content"),
            LOG_LEVEL="ERROR",
            HTTP_PORT=str(18_700 + run),
        )
        progress = Progress(goal=rng.randint(100, recipients - 100))
        api.listeners.append(progress)
        at_kill = await kill_and_restart(env, progress, recipients)
        counts = [len(api.dialog_messages(u)) for u in users]
        lost = sum(1 for n in counts if n == 0)
        twice = sum(n - 1 for n in counts if n > 1)
        looked_up = sum(1 for r in api.requests if r.method.startswith("GET /messages"))
        print(
            f"  run {run + 1}: killed after {at_kill} sent; lost {lost}, got twice {twice},"
            f" sends looked up after the restart {looked_up}; 429: {api.rate_limited}"
        )
        await api.stop()
    print(f"crash: {runs} runs × {recipients} MAX recipients, SIGKILL at a random moment")


async def longpoll(minutes: int, per_second: int = 20, people: int = 500) -> None:
    api = MaxApiEmulator(rate=10_000)
    await api.start()
    for user in range(people):
        api.add_user(FIRST_USER + user, f"P{user}")
    bot = create_max_bot(
        api.token,
        api.base_url,
        client=MaxClient(api.token, api.base_url, pacer=UNPACED),
        long_poll_timeout=1,
    )
    assert isinstance(bot.session, MaxSession)
    offset = 0
    seen: set[str] = set()
    handed_on = 0
    faults = {"drop": 0, "502": 0, "again": 0}
    started = time.perf_counter()
    pushed = 0
    for minute in range(minutes):
        for _second in range(60):
            for _n in range(per_second):
                marker = api.user_message(FIRST_USER + pushed % people, f"m{pushed}")
                pushed += 1
        api.drop("GET /updates")
        faults["drop"] += 1
        if minute % 2 == 1:
            api.fail("GET /updates", 502, "internal.error")
            faults["502"] += 1
        if minute % 3 == 2:
            api.repeat_event(marker)
            faults["again"] += 1
        while len(seen) < pushed:
            try:
                updates = await bot(GetUpdates(offset=offset, timeout=1))
            except (TelegramNetworkError, TelegramServerError):
                continue  # the dispatcher backs off and asks again, with the same marker
            for update in updates:
                offset = update.update_id + 1
                assert update.message is not None
                handed_on += 1
                seen.add(update.message.text or "")
        # the last poll of the minute: nothing new, and the repeat (if any) read
        await bot(GetUpdates(offset=offset, timeout=0))
    elapsed = time.perf_counter() - started
    lost = pushed - len(seen)
    print(
        f"longpoll: {pushed:,} events ({minutes} emulated minutes at {per_second}/s) in"
        f" {elapsed:.1f} s; dropped connections {faults['drop']}, 502s {faults['502']},"
        f" events delivered twice by the server {faults['again']}"
    )
    print(
        f"  lost: {lost}, handled twice: {handed_on - len(seen)}"
        f" (repeats dropped by identity: {bot.session.repeated_events})"
    )
    await bot.session.close()
    await api.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", default="all", choices=("broadcast", "crash", "longpoll", "all"))
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--baseline", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--crash-recipients", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=30)
    args = parser.parse_args()
    if args.part in ("broadcast", "all"):
        await broadcast(args.recipients, args.baseline)
    if args.part in ("crash", "all"):
        await crash(args.runs, args.crash_recipients)
    if args.part in ("longpoll", "all"):
        await longpoll(args.minutes)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
