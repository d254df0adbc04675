"""Start-up to the first answer: a question waits in the emulator, the bot process is
started, and the clock stops at its first reply. Beside it, the bare aiogram echo bot.

Run: .venv/bin/python -m bench.startup [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.common import spawn_bot, start_emulator, stop, wait_for_replies


async def measure(kind: str) -> float:
    emulator = await start_emulator()
    emulator.add_user(1, "Анна")
    emulator.user_message(1, "когда выплаты?")
    started = time.perf_counter()
    process = await spawn_bot(kind, emulator)
    try:
        answered = await wait_for_replies(emulator, 1, within=60)
    finally:
        await stop(process)
        await emulator.stop()
    return answered - started


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"echo": [], "partnerbot": []}
    for _ in range(args.rounds):
        for kind, values in results.items():
            values.append(await measure(kind))
    for kind, values in results.items():
        print(
            f"{kind:10} first answer after {statistics.median(values):.2f} s "
            f"(rounds: {', '.join(f'{v:.2f}' for v in values)})"
        )
    ratio = statistics.median(results["partnerbot"]) / statistics.median(results["echo"])
    print(f"partnerbot / echo: {ratio:.1f}×")


if __name__ == "__main__":
    asyncio.run(main())
