"""VK (issue 6), three figures, against the VK emulator holding the community token's real
limit of 20 requests a second (error 6 beyond):

- broadcast: 5,000 VK partners. An announcement (the same text for all: `peer_ids`, 100 a
  request) and a personalised send (a different text each: `execute`, 25 a request), by
  partnerbot's VK worker; recipients a second ÷ the bound (20 × 100 = 2,000/s, and
  20 × 25 = 500/s). Beside them in the same run, the common loop: one `messages.send` per
  recipient at 20 requests a second.
- crash: `partnerbot run` on VK only, 2,000 recipients (half one text, half personal
  texts), killed with SIGKILL at a random moment and started again, several times:
  messages lost and messages a partner got twice (VK drops a repeated random_id).
- longpoll: an hour of events at 50 a second (180,000 messages from 500 people) read by
  the VkSession, with a `failed` code (1, 2, 3 in turn) every minute and a dropped
  connection every 5 minutes: events lost and events handed on twice.

Run: .venv/bin/python -m bench.vk [--part broadcast|crash|longpoll|all] [--recipients 5000]
     [--runs 5] [--minutes 60]
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
from pathlib import Path

from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import GetUpdates

from bench.broadcast import Progress, kill_and_restart, settings_for
from bench.max import DaytimeClock
from bot.assembly import create_services
from bot.clock import SystemClock
from bot.notices.base import private
from bot.services.announcements import Draft
from bot.services.outbox_enqueue import OutMessage
from bot.vk.client import VkClient
from bot.vk.delivery import VkDelivery
from bot.vk.emulator import VkApiEmulator
from bot.vk.session import VkSession, create_vk_bot

ROOT = Path(__file__).resolve().parent.parent
FIRST_USER = 1_000_000


def add_vk_partners(database: Path, count: int) -> None:
    db = sqlite3.connect(database)
    now = "2026-11-01 09:00:00"
    db.executemany(
        "INSERT INTO partners (platform, user_id, chat_id, first_name, language, segment,"
        " answers, onboarded, consent, subscriptions, stopped, partner_code, affiliate_status,"
        " public_name, unreachable, created_at, last_seen_at) VALUES ('vk', ?, ?, ?, 'ru',"
        " 'webmaster', '{}', 1, 1, '{}', 0, ?, 'none', 'name', 0, ?, ?)",
        (
            (user, user, f"P{user}", f"V{user:08d}", now, now)
            for user in range(FIRST_USER, FIRST_USER + count)
        ),
    )
    db.commit()
    db.close()


async def broadcast(recipients: int, baseline: int) -> None:
    vk = VkApiEmulator(rate=20)
    await vk.start()
    users = range(FIRST_USER, FIRST_USER + recipients)
    for user in users:
        vk.add_user(user, f"P{user}")
    folder = Path(tempfile.mkdtemp())
    # the real clock at midday: an evening run is not held back by the quiet hours
    services = await create_services(settings_for(folder / "vk.db"), DaytimeClock())
    add_vk_partners(folder / "vk.db", recipients)
    bot = create_vk_bot(vk.token, vk.group_id, vk.base_url)  # 20 requests a second
    worker = VkDelivery(bot, services.outbox, services.partners, services.clock)

    _item, queued = await services.announcements.create(
        Draft("Большая распродажа: новые креативы в /creatives"), "all", None, "vk:1", 1
    )
    requests_before = len(vk.requests)
    started = time.perf_counter()
    await worker.drain()
    identical = time.perf_counter() - started
    identical_requests = len(vk.requests) - requests_before

    people = await services.partners.audience("news")
    await services.outbox.enqueue(
        [
            private(f"p:{p.key}", "digest", None, p, f"{p.first_name}, ваша неделя: {p.id}")
            for p in people
        ]
    )
    requests_before = len(vk.requests)
    started = time.perf_counter()
    await worker.drain()
    personal = time.perf_counter() - started
    personal_requests = sum(1 for r in vk.requests[requests_before:] if r.method == "execute")

    client = VkClient(vk.token, vk.base_url)
    started = time.perf_counter()
    for n, user in enumerate(users[:baseline]):
        await client("messages.send", peer_id=user, random_id=10**9 + n, message="Новость")
    loop = baseline / (time.perf_counter() - started)
    client.close()

    # each partner: the announcement and the personal message (+ the loop's, first ones)
    expected = [2 + (n < baseline) for n in range(recipients)]
    counts = [len(vk.chat_messages(user)) for user in users]
    twice = sum(max(0, got - want) for got, want in zip(counts, expected, strict=True))
    lost = sum(max(0, want - got) for got, want in zip(counts, expected, strict=True))
    print(f"broadcast: {recipients:,} VK partners, emulator at 20 requests/s (error 6 beyond)")
    rate = queued / identical
    print(
        f"  identical text: {rate:,.0f} recipients/s ({identical:.1f} s, {identical_requests}"
        f" requests), ÷ bound 2,000/s = {rate / 2000:.3f}"
    )
    rate = len(people) / personal
    print(
        f"  personalised:   {rate:,.0f} recipients/s ({personal:.1f} s, {personal_requests}"
        f" execute requests), ÷ bound 500/s = {rate / 500:.3f}"
    )
    print(f"  one messages.send per recipient (same run): {loop:.1f} recipients/s")
    print(f"  error 6 answers: {vk.rate_limited}; messages lost: {lost}, twice: {twice}")
    await bot.session.close()
    await services.close()
    await vk.stop()


async def crash(runs: int, recipients: int) -> None:
    rng = random.Random(6)
    for run in range(runs):
        vk = VkApiEmulator(rate=20)
        await vk.start()
        users = list(range(FIRST_USER, FIRST_USER + recipients))
        for user in users:
            vk.add_user(user, f"P{user}")
        folder = Path(tempfile.mkdtemp())
        database = folder / "crash.db"
        services = await create_services(settings_for(database), SystemClock())
        half = recipients // 2
        await services.outbox.enqueue(
            [OutMessage(f"a:vk:{u}", "community", "vk", u, "Анонс конкурса") for u in users[:half]]
            + [
                OutMessage(f"d:vk:{u}", "community", "vk", u, f"Ваш дайджест, {u}")
                for u in users[half:]
            ]
        )
        await services.close()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TG_", "VK_"))
        }
        env.update(
            VK_GROUP_TOKEN=vk.token,
            VK_GROUP_ID=str(vk.group_id),
            VK_API_URL=vk.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
            CONTENT_DIR=str(ROOT / "content"),
            LOG_LEVEL="ERROR",
            HTTP_PORT=str(18_600 + run),
        )
        progress = Progress(goal=rng.randint(100, recipients - 100))
        vk.listeners.append(progress)
        at_kill = await kill_and_restart(env, progress, recipients)
        counts = [len(vk.chat_messages(u)) for u in users]
        lost = sum(1 for n in counts if n == 0)
        twice = sum(n - 1 for n in counts if n > 1)
        print(
            f"  run {run + 1}: killed after {at_kill} sent; lost {lost}, got twice {twice},"
            f" repeats dropped by random_id {vk.duplicates_refused}"
        )
        await vk.stop()
    print(f"crash: {runs} runs × {recipients} VK recipients, SIGKILL at a random moment")


async def longpoll(minutes: int, per_second: int = 50, people: int = 500) -> None:
    vk = VkApiEmulator(rate=10_000)
    await vk.start()
    for user in range(people):
        vk.add_user(FIRST_USER + user, f"P{user}")
    bot = create_vk_bot(vk.token, vk.group_id, vk.base_url, rate=10_000, long_poll_wait=1)
    offset = 0
    seen: set[str] = set()
    handed_on = 0
    failures = {1: 0, 2: 0, 3: 0, "drop": 0}
    started = time.perf_counter()
    await bot(GetUpdates(timeout=0))  # the session takes its server and ts
    pushed = 0
    for minute in range(minutes):
        for _second in range(60):
            for _n in range(per_second):
                vk.user_message(FIRST_USER + pushed % people, f"m{pushed}")
                pushed += 1
        code = (1, 2, 3)[minute % 3]
        vk.fail_long_poll(code)
        failures[code] += 1
        if minute % 5 == 4:
            vk.drop_long_poll()
            failures["drop"] += 1
        while len(seen) < pushed:
            try:
                updates = await bot(GetUpdates(offset=offset, timeout=1))
            except TelegramNetworkError:
                continue  # the dispatcher backs off and asks again
            for update in updates:
                offset = update.update_id + 1
                assert update.message is not None
                handed_on += 1
                seen.add(update.message.text or "")
    elapsed = time.perf_counter() - started
    lost = pushed - len(seen)
    print(
        f"longpoll: {pushed:,} events ({minutes} simulated minutes at {per_second}/s) in"
        f" {elapsed:.1f} s; failed 1/2/3: {failures[1]}/{failures[2]}/{failures[3]},"
        f" dropped connections: {failures['drop']}"
    )
    assert isinstance(bot.session, VkSession)
    print(
        f"  lost: {lost}, handed on twice: {handed_on - len(seen)}"
        f" (events VK sent again, dropped by event_id: {bot.session.repeated_events})"
    )
    await bot.session.close()
    await vk.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", default="all", choices=("broadcast", "crash", "longpoll", "all"))
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    if args.part in ("broadcast", "all"):
        await broadcast(args.recipients, args.baseline)
    if args.part in ("crash", "all"):
        await crash(args.runs, 2000)
    if args.part in ("longpoll", "all"):
        await longpoll(args.minutes)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
