"""Group chat load: 200 messages a second of ordinary chatter in the partners' group for
10 seconds, from 200 people, mostly not questions. Every 20th message mentions the bot
(it always replies to those), and their reply times show whether a backlog builds up.
CPU per message is read from /proc for the bot process, beside a bare aiogram bot that
reads every message and answers none, in the same run.

Run: .venv/bin/python -m bench.group_load [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from bench.common import cpu_seconds, spawn_bot, start_emulator, stop
from bot.telegram.emulator import BotApiEmulator, SentMessage

COMMUNITY = -1009876543210
CHATTER = [
    "всем привет", "сегодня продал два дивана", "у кого какая конверсия на кухнях",
    "жара сегодня", "ахаха", "спасибо за совет", "кто на вебинар завтра", "+1",
    "поделюсь кейсом вечером", "лендинг с диванами зашёл отлично", "ок", "👍",
    "а кто-нибудь пробовал таргет на шкафы", "у меня тоже так было", "завтра выходной",
]  # fmt: skip
QUESTIONS = ["когда выплаты?", "где взять рефку?", "сколько живет кука?"]


class Probes:
    def __init__(self, emulator: BotApiEmulator) -> None:
        self.sent: dict[int, float] = {}
        self.latency: list[tuple[float, float]] = []  # (sent at, latency)
        self.replies = 0
        emulator.listeners.append(self.seen)
        self._emulator = emulator

    def seen(self, message: SentMessage) -> None:
        if message.chat_id != COMMUNITY:
            return
        self.replies += 1
        for probe, sent in list(self.sent.items()):
            if message.text and f"#{probe}" in (self._emulator.replied_text(message) or ""):
                self.latency.append((sent, time.perf_counter() - sent))
                del self.sent[probe]


async def run(kind: str, rate: int, seconds: int) -> dict[str, float]:
    emulator = await start_emulator()
    emulator.add_group(COMMUNITY, "Партнёры")
    people = list(range(20_000, 20_200))
    for person in people:
        emulator.add_user(person, f"P{person}")
    settings = {"TG_COMMUNITY_CHAT_ID": str(COMMUNITY)} if kind == "partnerbot" else {}
    process = await spawn_bot(kind, emulator, **settings)
    probes = Probes(emulator)
    rng = random.Random(1)
    try:
        await asyncio.sleep(6)  # start-up (imports), so the CPU figure is the load only
        assert process.pid is not None
        cpu_before = cpu_seconds(process.pid)
        total = rate * seconds
        started = time.perf_counter()
        for index in range(total):
            due = started + index / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            person = people[index % len(people)]
            if index % 20 == 0:
                probes.sent[index] = time.perf_counter()
                text = f"@partnerbot_sandbox_bot #{index} как дела у всех"
            elif index % 7 == 0:
                text = rng.choice(QUESTIONS)
            else:
                text = rng.choice(CHATTER)
            emulator.user_message(person, text, chat_id=COMMUNITY)
        injected = time.perf_counter() - started
        deadline = time.perf_counter() + 30
        while emulator.confirmed < emulator.last_update_id or (  # noqa: ASYNC110
            kind == "partnerbot" and probes.sent and time.perf_counter() < deadline
        ):
            await asyncio.sleep(0.01)
        drained = time.perf_counter() - started
        await asyncio.sleep(0.5)  # the last handlers finish
        cpu = cpu_seconds(process.pid) - cpu_before
    finally:
        await stop(process)
        await emulator.stop()
    latencies = sorted(latency for _sent, latency in probes.latency)
    half = len(probes.latency) // 2
    early = [lat for _s, lat in sorted(probes.latency)[:half]]
    late = [lat for _s, lat in sorted(probes.latency)[half:]]
    return {
        "messages": total,
        "injected_s": injected,
        "drained_s": drained,
        "cpu_ms_per_message": cpu / total * 1000,
        "probes": len(latencies),
        "probe_p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0,
        "probe_p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0,
        "probe_first_half_mean_ms": sum(early) / len(early) * 1000 if early else 0,
        "probe_second_half_mean_ms": sum(late) / len(late) * 1000 if late else 0,
        "replies": probes.replies,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    quiet = await run("quiet", args.rate, args.seconds)
    ours = await run("partnerbot", args.rate, args.seconds)
    print(f"{args.rate} messages/s for {args.seconds} s into the partners' group")
    print(
        f"bare aiogram bot (reads, answers nothing): CPU {quiet['cpu_ms_per_message']:.2f} "
        f"ms/message; all handled {quiet['drained_s']:.2f} s after the first "
        f"(injection took {quiet['injected_s']:.2f} s)"
    )
    print(
        f"partnerbot: CPU {ours['cpu_ms_per_message']:.2f} ms/message; all handled "
        f"{ours['drained_s']:.2f} s after the first (injection took {ours['injected_s']:.2f} s); "
        f"{ours['replies']:.0f} replies in the group"
    )
    print(
        f"  mention probes answered: {ours['probes']:.0f}, "
        f"reply p50 {ours['probe_p50_ms']:.1f} ms, "
        f"p95 {ours['probe_p95_ms']:.1f} ms; mean in the first half "
        f"{ours['probe_first_half_mean_ms']:.1f} ms, second half "
        f"{ours['probe_second_half_mean_ms']:.1f} ms (no growth = no backlog)"
    )
    ratio = ours["cpu_ms_per_message"] / quiet["cpu_ms_per_message"]
    print(f"CPU per message, partnerbot / bare bot: {ratio:.1f}×")


if __name__ == "__main__":
    asyncio.run(main())
