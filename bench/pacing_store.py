"""The cost of one booking in the Redis pacing store, beside a baseline in the same run:
the store of an earlier commit (default: before the state moved onto the pacing's clock,
docs/test-time.md), read from git. Sequential bookings over 1,000 chats, best of 3
rounds, alternating the two.

Run: eval "$(.ci/services.sh)"; .venv/bin/python -m bench.pacing_store [--ref 19f7b8e]
     [--bookings 3000]   (uses PARTNERBOT_TEST_REDIS_URL, its own key prefixes)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import bot.pacing_store

ROOT = Path(__file__).resolve().parent.parent


def _baseline(ref: str) -> types.ModuleType:
    """The store as it was at `ref` (in bot/pacing.py then; bot/pacing_store.py since)."""
    path = "bot/pacing_store.py"
    listed = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, path], cwd=ROOT, check=True, capture_output=True
    )
    if not listed.stdout.strip():
        path = "bot/pacing.py"
    source = subprocess.run(
        ["git", "show", f"{ref}:{path}"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    module = types.ModuleType("baseline_pacing")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{ref}:{path}", "exec"), module.__dict__)
    return module


async def _round(module: Any, url: str, prefix: str, bookings: int) -> float:
    store = module.RedisStore(url, prefix=prefix)
    rate = module.Rate.of(30.0, 10, 1.02)
    now = time.time()
    start = time.perf_counter()
    for n in range(bookings):
        await store.book(f"tg:1:chat:{n % 1000}", now + n * 0.001, rate, -1)
    took = time.perf_counter() - start
    await store.close()
    return took


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default="19f7b8e")
    parser.add_argument("--bookings", type=int, default=3000)
    args = parser.parse_args()
    url = os.environ.get("PARTNERBOT_TEST_REDIS_URL")
    if not url:
        raise SystemExit('needs Redis: eval "$(.ci/services.sh)" first')
    stores = {"baseline": _baseline(args.ref), "now": bot.pacing_store}
    best: dict[str, float] = {}
    for n in range(3):
        for name, module in stores.items():
            took = await _round(module, url, f"bench-{name}-{n}", args.bookings)
            best[name] = min(best.get(name, took), took)
    for name, took in best.items():
        print(f"{name}: {took / args.bookings * 1e6:.0f} µs a booking (best of 3)")
    print(f"now ÷ baseline: {best['now'] / best['baseline']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
