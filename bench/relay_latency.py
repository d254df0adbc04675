"""Relay latency: a partner's message → the ticket's forum topic, and a manager's reply
→ the partner, through the emulator, one at a time. Beside it, in the same run, the bare
aiogram echo bot's update → reply latency on the same emulator: the emulator's own round
trip (long-poll wake-up, one send). The difference is partnerbot's processing.

Run: .venv/bin/python -m bench.relay_latency [--messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.common import spawn_bot, start_emulator, stop, wait_for_replies
from bot.telegram.emulator import BotApiEmulator, SentMessage

FORUM = -1001234567890
PARTNER = 5001
MANAGER = 9001


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


class Arrivals:
    """When the bot's messages appear, by chat."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.event = asyncio.Event()
        self.last: dict[int, float] = {}
        emulator.listeners.append(self.seen)

    def seen(self, message: SentMessage) -> None:
        self.last[message.chat_id] = time.perf_counter()
        self.event.set()

    async def wait(self, chat_id: int, since: float) -> float:
        while self.last.get(chat_id, 0.0) < since:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), 10)
        return self.last[chat_id] - since


async def echo_latency(count: int) -> list[float]:
    emulator = await start_emulator()
    arrivals = Arrivals(emulator)
    emulator.add_user(PARTNER, "Анна")
    process = await spawn_bot("echo", emulator)
    try:
        emulator.user_message(PARTNER, "warm-up")
        await wait_for_replies(emulator, 1)
        samples = []
        for index in range(count):
            started = time.perf_counter()
            emulator.user_message(PARTNER, f"сообщение {index}")
            samples.append(await arrivals.wait(PARTNER, started))
        return samples
    finally:
        await stop(process)
        await emulator.stop()


async def relay_latency(count: int) -> tuple[list[float], list[float]]:
    """Five messages per partner and per manager, so flood protection (a burst of 8 per
    person) never steps in: a person does not type 100 messages a second."""
    emulator = await start_emulator()
    arrivals = Arrivals(emulator)
    emulator.add_group(FORUM, "Менеджеры", forum=True)
    people = max(1, count // 5)
    partners = [PARTNER + 10 * n for n in range(people)]
    managers = [MANAGER + 10 * n for n in range(people)]
    for partner in partners:
        emulator.add_user(partner, "Партнёр")
    for manager in managers:
        emulator.add_user(manager, "Менеджер")
    process = await spawn_bot(
        "partnerbot",
        emulator,
        TG_MANAGERS_CHAT_ID=str(FORUM),
        MANAGERS=",".join(f"tg:{manager}" for manager in managers),
    )
    try:
        for number, partner in enumerate(partners, start=1):  # a ticket (and topic) each
            emulator.user_message(partner, "/support Вопрос для замера")
            await wait_for_replies(emulator, 2 * number)  # the card, the confirmation
        threads = [thread for (_chat, thread) in sorted(emulator.topics)]
        inbound, outbound = [], []
        for index in range(count):
            partner, thread = partners[index % people], threads[index % people]
            started = time.perf_counter()
            emulator.user_message(partner, f"сообщение партнёра {index}")
            inbound.append(await arrivals.wait(FORUM, started))
            started = time.perf_counter()
            emulator.user_message(
                managers[index % people], f"ответ {index}", chat_id=FORUM, thread_id=thread
            )
            outbound.append(await arrivals.wait(partner, started))
        return inbound, outbound
    finally:
        await stop(process)
        await emulator.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    echo = await echo_latency(args.messages)
    inbound, outbound = await relay_latency(args.messages)
    print(f"{args.messages} messages each way, one at a time; milliseconds")
    rows = [
        ("emulator round trip (bare echo bot)", echo),
        ("partner → managers' topic", inbound),
        ("manager → partner", outbound),
    ]
    for label, samples in rows:
        print(
            f"{label:38} p50 {p(samples, 0.5):6.1f}  p95 {p(samples, 0.95):6.1f}  "
            f"mean {statistics.mean(samples) * 1000:6.1f}"
        )
    base = p(echo, 0.95)
    print(
        f"partnerbot's processing on top of the round trip, p95: "
        f"in {p(inbound, 0.95) - base:.1f} ms, out {p(outbound, 0.95) - base:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
