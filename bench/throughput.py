"""Update handling: free-text questions through the emulator, partnerbot vs a bare echo bot.

Both bots poll the same kind of emulator (rate limits off) from a child process; this
process injects a backlog of questions from many partners (who have /start-ed, been
onboarded and asked once, untimed) and times until every question has its answer.
Reported: updates/s of each, and the ratio — by the wall clock, and per CPU second of
the bot's process.

Since issue 12 partnerbot keeps Telegram's limits for every request (bot/pacing.py: ~30
messages a second for the whole bot, replies included), so by the wall clock it answers a
backlog at that rate, whatever its handlers cost; the echo bot keeps none. What its own
work costs (issue 2's ratio, ≥ 0.5) is therefore read per CPU second: updates handled
÷ CPU seconds the bot's process used while handling them (session 13).

Until session 14 partnerbot's partners had only written once before the timed part, never
/start: since the gate (handlers/partner/gate.py) every timed "question" got "send /start
first", so the figure was the gate's, with no FAQ matching. Now partnerbot's partners
/start and go through the onboarding first (untimed, 25 at a time), so the timed part is
free-text questions answered from the FAQ; `--strangers` measures the old way (the gate's
reply to people the bot keeps nothing about).

`--presses`: the timed part is menu button presses instead (each partner's menu, ❓ and 🎓
in turn, each press editing it): partnerbot only, the echo bot answers no presses.

Run: .venv/bin/python -m bench.throughput [--users 200] [--per-user 5] [--rounds 3]
     [--strangers] [--presses]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import yaml

from bench.common import (
    ROOT,
    bot_replies,
    cpu_seconds,
    onboard,
    spawn_bot,
    start_emulator,
    stop,
    wait_for_replies,
)
from bot.telegram.emulator import BotApiEmulator, SentMessage

ONBOARDING_AT_ONCE = 25
MENU_PRESSES = ("m:faq", "m:lessons")  # the menu's ❓ Вопросы and 🎓 Обучение


def _questions() -> list[str]:
    cases = yaml.safe_load((ROOT / "bench" / "faq_eval.yaml").read_text(encoding="utf-8"))
    return [case["q"] for case in cases["in_scope"] + cases["out_of_scope"]]


async def measure(
    kind: str, users: int, per_user: int, *, strangers: bool = False, presses: bool = False
) -> tuple[float, float]:
    """(updates a second by the wall clock, updates per CPU second of the bot)."""
    emulator = await start_emulator()
    process = await spawn_bot(kind, emulator)
    try:
        # warm up, untimed: partnerbot's partners /start and answer the onboarding (unless
        # `strangers`), then every partner asks once
        questions = _questions()
        for user in range(users):
            emulator.add_user(10_000 + user, f"P{user}")
        if kind == "partnerbot" and not strangers:
            for start in range(0, users, ONBOARDING_AT_ONCE):
                batch = range(start, min(users, start + ONBOARDING_AT_ONCE))
                await asyncio.gather(*(onboard(emulator, 10_000 + user) for user in batch))
        before = bot_replies(emulator)
        for user in range(users):
            emulator.user_message(10_000 + user, "когда выплаты")
        await wait_for_replies(emulator, before + users, within=600)
        base = await _quiet(emulator)
        total = users * per_user
        if presses:
            menus = [_menu(emulator, 10_000 + user) for user in range(users)]
            answered = len(emulator.callback_answers)
        started, cpu = time.perf_counter(), cpu_seconds(process.pid)
        for index in range(total):
            user = index % users
            if presses:  # the menu's ❓ and 🎓 in turn: the message edited each time
                item = MENU_PRESSES[index // users % len(MENU_PRESSES)]
                emulator.press_data(10_000 + user, menus[user], item)
            else:
                emulator.user_message(10_000 + user, questions[index % len(questions)])
        if presses:
            finished = await _answered(emulator, answered + total)
        else:
            finished = await wait_for_replies(emulator, base + total, within=600)
        used = cpu_seconds(process.pid) - cpu
        return total / (finished - started), total / max(used, 1e-9)
    finally:
        await stop(process)
        await emulator.stop()


def _menu(emulator: BotApiEmulator, user: int) -> SentMessage:
    """The menu the onboarding ended with."""
    return next(
        message
        for message in emulator.chat_messages(user)
        if any(
            button.get("callback_data") == MENU_PRESSES[0]
            for row in message.buttons
            for button in row
        )
    )


async def _answered(emulator: BotApiEmulator, count: int, within: float = 600) -> float:
    """Wait until the bot has answered `count` presses; return when that happened."""
    deadline = time.perf_counter() + within
    while len(emulator.callback_answers) < count:
        if time.perf_counter() > deadline:
            raise TimeoutError(
                f"only {len(emulator.callback_answers)} of {count} presses answered"
            )
        await asyncio.sleep(0.002)
    return time.perf_counter()


async def _quiet(emulator: BotApiEmulator, seconds: float = 2.0) -> int:
    """What the bot has sent once it sent nothing for `seconds` (the onboarding's notes)."""
    count = bot_replies(emulator)
    while True:
        await asyncio.sleep(seconds)
        if bot_replies(emulator) == count:
            return count
        count = bot_replies(emulator)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--per-user", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--strangers", action="store_true", help="people who never /start: the gate's reply"
    )
    parser.add_argument(
        "--presses",
        action="store_true",
        help="menu button presses instead of questions (partnerbot only: the echo bot has none)",
    )
    args = parser.parse_args()
    kinds = ("partnerbot",) if args.presses else ("echo", "partnerbot")
    wall: dict[str, list[float]] = {kind: [] for kind in kinds}
    per_cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
        for kind in kinds:
            rate, cpu_rate = await measure(
                kind, args.users, args.per_user, strangers=args.strangers, presses=args.presses
            )
            wall[kind].append(rate)
            per_cpu[kind].append(cpu_rate)
    who = "people who never /start (the gate)" if args.strangers else "onboarded partners"
    what = "menu button presses" if args.presses else "free-text questions"
    print(
        f"updates: {args.users * args.per_user} {what} from {args.users} {who}, "
        f"{args.rounds} rounds (median)"
    )
    names = {"echo": "bare aiogram echo bot", "partnerbot": "partnerbot"}
    for label, results, unit in (
        ("by the wall clock", wall, "updates/s"),
        ("per CPU second of the bot's process", per_cpu, "updates/CPU-s"),
    ):
        print(f"-- {label}")
        for kind in kinds:
            rounds = ", ".join(f"{r:.0f}" for r in results[kind])
            value = statistics.median(results[kind])
            print(f"{names[kind] + ':':<23}{value:8.1f} {unit}  (rounds: {rounds})")
        if not args.presses:
            ratio = statistics.median(results["partnerbot"]) / statistics.median(results["echo"])
            print(f"ratio partnerbot / echo: {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
