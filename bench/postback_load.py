"""Postback ingestion over HTTP: as many requests as the endpoint takes for 60 seconds
(64 concurrent clients), one in ten a repeat of an earlier conversion; beside it, in the
same run, a bare aiohttp handler that only parses and answers 200. Afterwards the
database is counted: every distinct conversion once, no event twice.

Run: .venv/bin/python -m bench.postback_load [--seconds 60] [--clients 64]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.postback_server import SECRET

ROOT = Path(__file__).resolve().parent.parent


async def serve(kind: str, port: int, database: Path) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.postback_server", kind, str(port), str(database),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
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
            # one in ten repeats an earlier conversion: it must not count twice
            conversion = f"c-{number - 5}" if number % 10 == 9 else f"c-{number}"
            params = {
                "partner": f"aff-{number % 5000}",
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


async def run(kind: str, seconds: float, clients: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp())
    database = folder / "postbacks.db"
    port = 18_000 + (1 if kind == "real" else 2)
    process = await serve(kind, port, database)
    try:
        started = time.perf_counter()
        ok, failed, accepted = await load(port, seconds, clients)
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        await process.wait()
    result = {"rps": ok / elapsed, "ok": ok, "failed": failed, "distinct": len(accepted)}
    if kind == "real":
        with sqlite3.connect(database) as conn:
            result["stored"] = conn.execute("SELECT count(*) FROM conversions").fetchone()[0]
            result["events"] = conn.execute("SELECT count(*) FROM conversion_events").fetchone()[0]
            result["duplicates"] = conn.execute(
                "SELECT count(*) FROM (SELECT conversion_id FROM conversions "
                "GROUP BY conversion_id HAVING count(*) > 1)"
            ).fetchone()[0]
    return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    bare = await run("bare", args.seconds, args.clients)
    real = await run("real", args.seconds, args.clients)
    print(f"{args.seconds:.0f} s, {args.clients} concurrent clients, 1 in 10 a repeat")
    print(f"bare aiohttp handler: {bare['rps']:7.0f} requests/s ({bare['ok']:.0f} answered)")
    print(
        f"partnerbot /postback: {real['rps']:7.0f} requests/s ({real['ok']:.0f} answered 200, "
        f"{real['failed']:.0f} other)"
    )
    print(f"ratio: {real['rps'] / bare['rps']:.2f}")
    print(
        f"distinct conversions accepted {real['distinct']:.0f}, stored {real['stored']:.0f}, "
        f"duplicated {real['duplicates']:.0f}, events {real['events']:.0f} "
        f"(one per stored conversion: {real['events'] == real['stored']})"
    )


if __name__ == "__main__":
    asyncio.run(main())
