"""What following a /reload made in another worker costs (docs/reload.md): the check
before each update when nothing is due (beside an empty awaited call, the baseline), the
check that reads the database (once a second), the folder's fingerprint, and a follow
(the demo folder loaded, validated and built in a second worker). SQLite, one process.

Run: .venv/bin/python -m bench.content_sync [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bot.clock import FakeClock
from bot.content.store import ContentStore, folder_fingerprint
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.services.content_sync import ContentSync

ROOT = Path(__file__).resolve().parent.parent
CALLS = 20_000


async def _nothing() -> bool:
    return False


async def measure(folder: Path, db: Database) -> dict[str, float]:
    clock = FakeClock()
    one_store = ContentStore(folder)
    one = ContentSync(db, one_store, clock)
    await one.publish()
    two = ContentSync(db, ContentStore(folder), clock)
    await two.refresh()
    started = time.perf_counter()
    for _ in range(CALLS):
        await _nothing()
    baseline = (time.perf_counter() - started) / CALLS
    started = time.perf_counter()
    for _ in range(CALLS):
        await two.refresh()
    gated = (time.perf_counter() - started) / CALLS
    started = time.perf_counter()
    for _ in range(200):
        clock.advance(ContentSync.CHECK_SECONDS)
        await two.refresh()
    reading = (time.perf_counter() - started) / 200
    started = time.perf_counter()
    for _ in range(50):
        folder_fingerprint(folder)
    fingerprint = (time.perf_counter() - started) / 50
    faq = folder / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    edited = text.replace("два раза", "дважды", 1) if "два раза" in text else text + "\n"
    faq.write_text(edited, encoding="utf-8")
    assert await one.reload() == []
    clock.advance(ContentSync.CHECK_SECONDS)
    started = time.perf_counter()
    assert await two.refresh()
    follow = time.perf_counter() - started
    return {
        "empty awaited call (baseline), µs": baseline * 1e6,
        "check before an update, nothing due, µs": gated * 1e6,
        "check reading the database, ms": reading * 1e3,
        "fingerprint of the demo folder, ms": fingerprint * 1e3,
        "follow a reload (load + build), ms": follow * 1e3,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "content"
        shutil.copytree(ROOT / "content", folder)
        db = Database.from_url(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await upgrade(db)
        try:
            for _ in range(args.rounds):
                for name, value in (await measure(folder, db)).items():
                    results.setdefault(name, []).append(value)
        finally:
            await db.close()
    for name, values in results.items():
        print(f"{name}: median {statistics.median(values):.2f} (min {min(values):.2f})")


if __name__ == "__main__":
    asyncio.run(main())
