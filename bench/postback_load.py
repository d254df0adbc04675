"""Postback ingestion over HTTP: as many requests as the endpoint takes for 60 seconds
(64 concurrent clients), one in ten a repeat of an earlier conversion; beside it, in the
same run, a bare aiohttp handler that only parses and answers 200. Afterwards the
database is counted: every distinct conversion once, no event twice.

The endpoint runs on a fresh SQLite file, or (`--database postgresql`) on a fresh PostgreSQL
database (the server of `eval "$(.ci/services.sh)"`), served by N processes sharing the
port as `partnerbot run --workers N` does (`--workers 1,2`: each count in turn, in the
same run; several need PostgreSQL).

Run: .venv/bin/python -m bench.postback_load [--seconds 60] [--clients 64]
     [--database sqlite|postgresql] [--workers 1[,2…]]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from bench.postback_server import SECRET

ROOT = Path(__file__).resolve().parent.parent


COUNTS = {
    "stored": "SELECT count(*) FROM conversions",
    "events": "SELECT count(*) FROM conversion_events",
    "duplicates": "SELECT count(*) FROM (SELECT conversion_id FROM conversions "
    "GROUP BY conversion_id HAVING count(*) > 1) AS twice",
}


async def fresh_postgresql(name: str) -> str:
    """A new empty database on the test server; its SQLAlchemy URL."""
    base = os.environ.get("PARTNERBOT_TEST_DATABASE_URL")
    if not base:
        sys.exit('start the servers first: eval "$(.ci/services.sh)"')
    connection = await asyncpg.connect(_plain(base))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def counted(database: str) -> dict[str, float]:
    if "://" not in database:
        with sqlite3.connect(database) as conn:
            return {key: conn.execute(sql).fetchone()[0] for key, sql in COUNTS.items()}
    connection = await asyncpg.connect(_plain(database))
    try:
        return {key: await connection.fetchval(sql) for key, sql in COUNTS.items()}
    finally:
        await connection.close()


async def serve(kind: str, port: int, database: str, log: Path) -> asyncio.subprocess.Process:
    """A server process; what it logs goes to `log`."""
    with log.open("ab") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.postback_server", kind, str(port), database,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=errors,
        )  # fmt: skip
    assert process.stdout is not None
    await asyncio.wait_for(process.stdout.readline(), 60)
    return process


async def load(port: int, seconds: float, clients: int) -> tuple[int, int, set[str]]:
    """(requests answered 200, other answers, the distinct conversion ids accepted)."""
    numbers = itertools.count()
    accepted: set[str] = set()
    ok = failed = 0
    deadline = time.perf_counter() + seconds
    url = f"http://127.0.0.1:{port}/postback"

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal ok, failed
        while time.perf_counter() < deadline:
            number = next(numbers)
            # one in ten repeats an earlier conversion (its partner too): it must not
            # count twice
            key = number - 5 if number % 10 == 9 else number
            conversion = f"c-{key}"
            params = {
                "partner": f"aff-{key % 5000}",
                "conversion_id": conversion,
                "status": "sale",
                "amount": "1990.00",
                "secret": SECRET,
            }
            async with session.get(url, params=params) as response:
                await response.read()
                if response.status == 200:
                    ok += 1
                    accepted.add(conversion)
                else:
                    failed += 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return ok, failed, accepted


async def run(
    kind: str, seconds: float, clients: int, database: str = "sqlite", workers: int = 1
) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp())
    if database == "postgresql":
        url = await fresh_postgresql(f"bench_postbacks_{workers}")
    else:
        url = str(folder / "postbacks.db")
    port = 18_000 + (1 if kind == "real" else 2)
    processes: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(workers):  # one after another: the first one migrates the database
            processes.append(await serve(kind, port, url, folder / "server.log"))
        started = time.perf_counter()
        ok, failed, accepted = await load(port, seconds, clients)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
            await process.wait()
    result = {"rps": ok / elapsed, "ok": ok, "failed": failed, "distinct": len(accepted)}
    if failed:
        print(f"({failed} answers not 200: see {folder / 'server.log'})", file=sys.stderr)
    if kind == "real":
        result.update(await counted(url))
    return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", default="1", help="process counts, e.g. 1,2")
    args = parser.parse_args()
    counts = [int(part) for part in args.workers.split(",")]
    if args.database == "sqlite" and counts != [1]:
        sys.exit("--workers: SQLite is one process; use --database postgresql")
    bare = await run("bare", args.seconds, args.clients)
    print(f"{args.seconds:.0f} s, {args.clients} concurrent clients, 1 in 10 a repeat")
    print(f"bare aiohttp handler: {bare['rps']:7.0f} requests/s ({bare['ok']:.0f} answered)")
    first = 0.0
    for workers in counts:
        real = await run("real", args.seconds, args.clients, args.database, workers)
        first = first or real["rps"]
        print(
            f"partnerbot /postback, {args.database}, {workers} worker(s): {real['rps']:7.0f} "
            f"requests/s ({real['ok']:.0f} answered 200, {real['failed']:.0f} other); "
            f"÷ bare {real['rps'] / bare['rps']:.2f}, ÷ {counts[0]} worker(s) "
            f"{real['rps'] / first:.2f}"
        )
        print(
            f"  distinct conversions accepted {real['distinct']:.0f}, stored "
            f"{real['stored']:.0f}, duplicated {real['duplicates']:.0f}, events "
            f"{real['events']:.0f} (one per stored conversion: "
            f"{real['events'] == real['stored']})"
        )


if __name__ == "__main__":
    asyncio.run(main())
