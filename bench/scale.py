"""Scale-out (issue 7), on PostgreSQL + Redis (started by .ci/services.sh):

- webhook: `partnerbot run --workers N` (N = 1, 2, 4, in the same run) behind its webhook;
  a load generator posts plain questions (FAQ matching: CPU-bound) from 200 partners
  (known after the warm-up), 64 in flight, and times each from the POST to the bot's
  answer reaching the emulator.
  Updates a second and p95 per N; 2 workers ÷ 1 is the figure.
- broadcast: 2,000 recipients (1,500 in BENCHMARKS.md) through the emulator enforcing
  Telegram's limits (30/s overall, 1/s per chat), by 1 worker and by 2 workers
  (`--workers 2`): the rate, and 429s. The limit is per token, so 2 workers must not
  send faster (one leader delivers).

Run: eval "$(.ci/services.sh)"; .venv/bin/python -m bench.scale [--part webhook|broadcast]
     [--seconds 20] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import time
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from bench.broadcast import TELEGRAM
from bot.telegram.emulator import BotApiEmulator, RateLimits, SentMessage
from bot.webhook import SECRET_HEADER

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret"
QUESTIONS = [
    "когда выплаты",
    "где взять реферальную ссылку",
    "какой трафик запрещен",
    "сколько живет кука",
    "как получить баннеры",
    "минималка для вывода какая",
]


def urls() -> tuple[str, str]:
    database = os.environ.get("PARTNERBOT_TEST_DATABASE_URL")
    redis = os.environ.get("PARTNERBOT_TEST_REDIS_URL")
    if not database or not redis:
        sys.exit('start the servers first: eval "$(.ci/services.sh)"')
    return database, redis


async def fresh_database(base: str, name: str) -> str:
    admin = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def environment(emulator: BotApiEmulator, database: str, redis: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TG_", "VK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        DATABASE_URL=database,
        REDIS_URL=redis,
        CONTENT_DIR=str(ROOT / "content"),
        LOG_LEVEL="ERROR",
        HTTP_PORT=str(port),
    )
    return env


async def start(env: dict[str, str], workers: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--workers", str(workers), cwd=ROOT, env=env
    )
    url = f"http://127.0.0.1:{env['HTTP_PORT']}/health"
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status == 200:
                        break
            await asyncio.sleep(0.2)
    await asyncio.sleep(6.0 + 2.0 * workers)  # every worker up (they start one by one)
    return process


async def stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)


async def webhook(counts: list[int], seconds: float, in_flight: int = 64) -> None:
    base, redis = urls()
    emulator = BotApiEmulator(limits=RateLimits.off())
    await emulator.start()
    people = list(range(900_000, 900_200))  # known after the warm-up: steady state
    for user in people:
        emulator.add_user(user, f"P{user}")
    waiting: dict[int, asyncio.Future[float]] = {}

    def answered(message: SentMessage) -> None:
        future = waiting.pop(message.chat_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    emulator.listeners.append(answered)
    results: dict[int, tuple[float, float]] = {}
    for workers in counts:
        database = await fresh_database(base, f"bench_webhook_{workers}")
        port = 18_700 + workers
        env = environment(emulator, database, redis, port)
        env.update(WEBHOOK_URL="https://bench.example/webhook/telegram", WEBHOOK_SECRET=SECRET)
        process = await start(env, workers)
        url = f"http://127.0.0.1:{port}/webhook/telegram"
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        latencies = await load(emulator, waiting, url, people, seconds, in_flight)
        own_cpu = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
        await stop(process)
        measured = seconds - 3.0
        rate = len(latencies) / measured
        p95 = statistics.quantiles(latencies, n=20)[18] * 1000 if len(latencies) > 20 else 0.0
        results[workers] = (rate, p95)
        print(
            f"  {workers} worker(s): {rate:.0f} updates/s, p95 {p95:.0f} ms; this process"
            f" (emulator + load) used {own_cpu:.2f} of the 2 cores",
            flush=True,
        )
    await emulator.stop()
    one = results[counts[0]][0]
    print(f"webhook: plain questions (FAQ matching), {in_flight} in flight, {seconds:.0f} s each")
    for workers, (rate, p95) in results.items():
        print(f"  {workers}: {rate:.0f}/s ({rate / one:.2f}× one worker), p95 {p95:.0f} ms")


async def load(
    emulator: BotApiEmulator,
    waiting: dict[int, asyncio.Future[float]],
    url: str,
    people: list[int],
    seconds: float,
    in_flight: int,
) -> list[float]:
    """`in_flight` partners asking at once for `seconds`: each question's time from the
    POST to the answer (the first 3 s are warm-up, not counted)."""
    latencies: list[float] = []
    free = asyncio.Queue[int]()
    for user in people:
        free.put_nowait(user)
    deadline = time.perf_counter() + seconds
    warmup_until = time.perf_counter() + 3.0
    asked = 0

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal asked
        while time.perf_counter() < deadline:
            user = await free.get()
            text = QUESTIONS[asked % len(QUESTIONS)]
            asked += 1
            update = emulator.take_update(emulator.user_message(user, text))
            future = asyncio.get_running_loop().create_future()
            waiting[user] = future
            sent = time.perf_counter()
            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 200, r.status
            with contextlib.suppress(TimeoutError):
                done = await asyncio.wait_for(future, 30)
                if sent > warmup_until:
                    latencies.append(done - sent)
            waiting.pop(user, None)
            free.put_nowait(user)

    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(client(http) for _ in range(in_flight)))
    return latencies


class Arrivals:
    """The emulator's messages, timed; `done` once `goal` have arrived."""

    def __init__(self, goal: int) -> None:
        self.times: list[float] = []
        self.goal = goal
        self.done = asyncio.Event()

    def __call__(self, _message: SentMessage) -> None:
        self.times.append(time.perf_counter())
        if len(self.times) >= self.goal:
            self.done.set()


async def broadcast(recipients: int) -> None:
    base, redis = urls()
    for workers in (1, 2):
        emulator = BotApiEmulator(limits=TELEGRAM, latency=0.08)
        await emulator.start()
        chats = [950_000 + n for n in range(recipients)]
        for chat in chats:
            emulator.add_user(chat, f"P{chat}")
        database = await fresh_database(base, f"bench_broadcast_{workers}")
        env = environment(emulator, database, redis, 18_800 + workers)
        arrivals = Arrivals(recipients)
        emulator.listeners.append(arrivals)
        process = await start(env, workers)  # migrates the database
        await enqueue(database, chats)
        started = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrivals.done.wait(), 600)
        sent_at = arrivals.times
        elapsed = (sent_at[-1] if sent_at else time.perf_counter()) - started
        await stop(process)
        counts = [len(emulator.chat_messages(chat)) for chat in chats]
        print(
            f"  {workers} worker(s): {len(sent_at)} sent in {elapsed:.1f} s ="
            f" {len(sent_at) / elapsed:.2f} msg/s; 429s {emulator.rate_limited};"
            f" lost {sum(1 for c in counts if c == 0)}, twice {sum(c - 1 for c in counts if c)}",
            flush=True,
        )
        await emulator.stop()


async def enqueue(database: str, chats: list[int]) -> None:
    """The broadcast, queued straight into the outbox the running workers read."""
    from bot.assembly import create_services
    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.services.outbox_enqueue import OutMessage

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, content_dir=ROOT / "content", database_url=database
    )
    services = await create_services(settings, SystemClock())
    try:
        await services.outbox.enqueue(
            [OutMessage(f"s:{chat}", "community", "tg", chat, "Новость") for chat in chats]
        )
    finally:
        await services.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", default="all", choices=("webhook", "broadcast", "all"))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=64)
    args = parser.parse_args()
    if args.part in ("webhook", "all"):
        await webhook([int(n) for n in args.workers.split(",")], args.seconds, args.in_flight)
    if args.part in ("broadcast", "all"):
        print(f"broadcast: {args.recipients} recipients, emulator 30/s overall, 1/s per chat")
        await broadcast(args.recipients)


if __name__ == "__main__":
    asyncio.run(main())
