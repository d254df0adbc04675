"""Telegram's and VK's limits under load (issue 12), three figures, each beside a baseline
in the same run. The real dispatcher polls the emulators (their published limits on,
real time, an 80 ms round trip to Telegram); latencies run from the update's arrival at
the emulator to the reply's.

- broadcast: a 3,000-recipient broadcast at the configured 25/s while 20 partners chat
  (a question, read the answer, 5–15 s, the next): reply p95, the broadcast's rate ÷ the
  configured one, 429s. Baseline: the send path without pacing (the delivery worker
  pacing only itself, replies sent at once, 429s retried after their wait: the code
  before issue 12).
- taps: 30 partners each tapping the menu about once a second (bursts of three) for 60 s:
  refused presses, 429s, messages twice, replies out of order, reply p95. Baseline: no
  pacing and the old flood protection (a burst of 8, then one update every 2 s).
- vk: 20 VK partners send "Начать" at once: when each sees the segment keyboard, error 6
  answers. Baseline: the old reply (a greeting, then the keyboard: two requests a
  partner) through the same session.

Run: .venv/bin/python -m bench.limits [--part broadcast|taps|vk|all] [--recipients 3000]
     [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from aiogram import Bot, Dispatcher

from bench.broadcast import settings_for
from bench.common import onboard
from bot.assembly import Services, create_dispatcher, create_services
from bot.clock import SystemClock
from bot.pacing import TELEGRAM, Pacer
from bot.services.outbox_enqueue import OutMessage
from bot.startup import prepare_bot
from bot.telegram.delivery import Delivery
from bot.telegram.emulator import BotApiEmulator, RateLimits, SentMessage
from bot.telegram.session import create_bot, telegram_pacer
from bot.vk.emulator import VkApiEmulator, VkMessage
from bot.vk.session import VkSession, create_vk_bot, vk_pacer

ROOT = Path(__file__).resolve().parent.parent
# no pacing: limits no sender reaches (what the code before issue 12 did for replies)
UNPACED = replace(
    TELEGRAM,
    per_second=1e6,
    burst=10**6,
    reserve=0,
    chat_per_second=1e6,
    chat_burst=10**6,
    group_per_minute=1e8,
    group_burst=10**6,
)
SLOW_DOWN_PRESS = "Не так быстро — подождите пару секунд и нажмите ещё раз."


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20)[18]


@dataclass
class Running:
    emulator: BotApiEmulator
    services: Services
    bot: Bot
    dp: Dispatcher
    pacer: Pacer
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def telegram_bot(
    *, paced: bool, flood: tuple[float, float] | None = None
) -> AsyncIterator[Running]:
    emulator = BotApiEmulator(limits=RateLimits(), latency=0.08)
    await emulator.start()
    folder = Path(tempfile.mkdtemp())
    services = await create_services(settings_for(folder / "l.db"), SystemClock())
    pacer = telegram_pacer(services.pacers, emulator.token)
    if not paced:
        pacer = Pacer(UNPACED, "unpaced", timer=pacer.timer)
    bot = create_bot(emulator.token, emulator.base_url, services.migrations, pacer=pacer)
    services.platforms.add(bot)
    dp = (
        create_dispatcher(services, flood_burst=flood[0], flood_rate=flood[1])
        if flood
        else create_dispatcher(services)
    )
    await prepare_bot(bot, services)
    running = Running(emulator, services, bot, dp, pacer)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    try:
        yield running
    finally:
        for task in running.tasks:
            task.cancel()
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await bot.session.close()
        await services.close()
        await emulator.stop()


async def onboard_all(emulator: BotApiEmulator, users: list[int]) -> None:
    """Everyone onboarded, five at a time (not what is measured)."""
    for start in range(0, len(users), 5):
        await asyncio.gather(*(onboard(emulator, user) for user in users[start : start + 5]))


async def broadcast_part(recipients: int) -> None:
    print(f"broadcast: {recipients:,} recipients at 25/s while 20 partners chat (80 ms RTT)")
    for paced in (False, True):
        await broadcast_run(recipients, paced=paced)


async def broadcast_run(recipients: int, *, paced: bool) -> None:
    async with telegram_bot(paced=paced) as run:
        emulator = run.emulator
        partners = list(range(500, 520))
        for user in partners:
            emulator.add_user(user, f"P{user}")
        await onboard_all(emulator, partners)
        chats = [700_000 + n for n in range(recipients)]
        for chat in chats:
            emulator.add_user(chat, f"R{chat}")
        await run.services.outbox.enqueue(
            [OutMessage(f"b:{chat}", "community", "tg", chat, "Новость недели") for chat in chats]
        )
        sender = create_bot(emulator.token, emulator.base_url, pacer=run.pacer)
        worker = Delivery(
            sender, run.services.outbox, run.services.partners, run.services.clock, rate=25
        )
        limited_before = emulator.rate_limited
        broadcast_times: list[float] = []
        arrivals: dict[int, list[float]] = {user: [] for user in partners}

        def seen(message: SentMessage) -> None:
            if message.chat_id >= 700_000:
                broadcast_times.append(time.perf_counter())
            elif message.chat_id in arrivals:
                arrivals[message.chat_id].append(time.perf_counter())

        emulator.listeners.append(seen)
        latencies: list[float] = []
        done = asyncio.Event()

        async def chatter(user: int) -> None:
            rng = random.Random(user)
            await asyncio.sleep(rng.uniform(0, 5))
            while not done.is_set():
                count = len(arrivals[user])
                asked = time.perf_counter()
                emulator.user_message(user, "когда выплаты?")
                while len(arrivals[user]) == count and not done.is_set():  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
                if len(arrivals[user]) > count:
                    latencies.append(arrivals[user][count] - asked)
                await asyncio.sleep(rng.uniform(5, 15))

        chatting = [asyncio.create_task(chatter(user)) for user in partners]
        started = time.perf_counter()
        while (await run.services.outbox.report()).get("queued"):
            await worker.drain()
        elapsed = time.perf_counter() - started
        done.set()
        await asyncio.gather(*chatting)
        await sender.session.close()
        rate = len(broadcast_times) / elapsed
        print(
            f"  {'paced (this branch)' if paced else 'baseline, unpaced'}:"
            f" replies {len(latencies)}, p50 {statistics.median(latencies):.2f} s,"
            f" p95 {p95(latencies):.2f} s, max {max(latencies):.2f} s;"
            f" broadcast {len(broadcast_times)} in {elapsed:.1f} s = {rate:.2f}/s,"
            f" ÷ configured 25/s = {rate / 25:.3f};"
            f" 429s {emulator.rate_limited - limited_before},"
            f" inside a window {emulator.window_violations}"
        )


MENU = ["❓ Вопросы", "🎓 Обучение", "🎨 Материалы", "👤 Мои данные", "⚙️ Настройки"]


async def taps_part(seconds: float) -> None:
    print(f"taps: 30 partners, bursts of three taps about once a second, {seconds:.0f} s")
    for paced, flood in ((False, (8.0, 0.5)), (True, None)):
        await taps_run(seconds, paced=paced, flood=flood)


async def screens_by_label(emulator: BotApiEmulator, user: int) -> dict[str, str]:
    """What each menu item shows (its first line, the name made general), learned once."""
    signature: dict[str, str] = {}
    for label in MENU:
        menu = next(m for m in reversed(emulator.chat_messages(user)) if label in m.button_labels)
        before = len(emulator.chat_messages(user))
        await emulator.wait_processed(emulator.press(user, menu, label))
        while len(emulator.chat_messages(user)) == before:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        first = emulator.chat_messages(user)[before].plain.split("\n")[0]
        signature[label] = first.replace(f"T{user}", "{name}")
        await asyncio.sleep(1.2)
    return signature


async def taps_run(seconds: float, *, paced: bool, flood: tuple[float, float] | None) -> None:
    async with telegram_bot(paced=paced, flood=flood) as run:
        emulator = run.emulator
        partners = list(range(600, 630))
        for user in partners:
            emulator.add_user(user, f"T{user}")
        await onboard_all(emulator, partners)
        await asyncio.sleep(4)  # the onboarding's bursts are over
        signature = await screens_by_label(emulator, partners[0])
        limited_before = emulator.rate_limited
        duplicates_before = len(emulator.duplicates)
        answers_before = set(emulator.callback_answers)
        replies: dict[int, list[tuple[float, str]]] = {user: [] for user in partners}

        def seen(message: SentMessage) -> None:
            if message.chat_id in replies and message.edits == 0:
                first = message.plain.split("\n")[0].replace(f"T{message.chat_id}", "{name}")
                replies[message.chat_id].append((time.perf_counter(), first))

        emulator.listeners.append(seen)
        pressed: dict[int, list[tuple[float, str]]] = {user: [] for user in partners}

        async def tap(user: int) -> None:
            rng = random.Random(user)
            menu = next(
                m for m in reversed(emulator.chat_messages(user)) if m.button_labels == MENU
            )
            await asyncio.sleep(rng.uniform(0, 3))
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                for gap in (0.3, 0.3, 2.7):  # three taps, then reading: 0.91 a second
                    label = rng.choice(MENU)
                    pressed[user].append((time.perf_counter(), signature[label]))
                    emulator.press(user, menu, label)
                    await asyncio.sleep(gap)

        await asyncio.gather(*(tap(user) for user in partners))
        await asyncio.sleep(5)  # the last replies
    answers = [a for key, a in emulator.callback_answers.items() if key not in answers_before]
    refused = sum(1 for a in answers if a.get("text") == SLOW_DOWN_PRESS)
    latencies: list[float] = []
    out_of_order = missing = 0
    for user in partners:
        wanted = [shown for _, shown in pressed[user]]
        got = [shown for _, shown in replies[user]]
        missing += max(0, len(wanted) - len(got))
        if len(got) == len(wanted):  # (with presses refused, which reply is whose is unknown)
            out_of_order += got != wanted
            latencies.extend(
                at - asked
                for (asked, _), (at, _) in zip(pressed[user], replies[user], strict=True)
            )
    total = sum(len(p) for p in pressed.values())
    name = "paced, flood 10 + 1.5/s" if paced else "baseline: unpaced, flood 8 + 0.5/s"
    if emulator.duplicates[duplicates_before:]:
        print("  twice:", emulator.duplicates[duplicates_before:][:5])
    print(
        f"  {name}: {total} taps; refused {refused}, unanswered {len(emulator.open_callbacks)},"
        f" replies missing {missing}; 429s {emulator.rate_limited - limited_before},"
        f" twice {len(emulator.duplicates) - duplicates_before},"
        f" partners with replies out of order {out_of_order} (of those with all replies);"
        f" reply p50 {statistics.median(latencies or [0]):.2f} s,"
        f" p95 {p95(latencies):.2f} s ({len(latencies)} replies timed)"
    )


OLD_KEYBOARD = (
    '{"inline":true,"buttons":[[{"action":{"type":"callback","label":"Вебмастер",'
    '"payload":"{}"}}]]}'
)


async def vk_part() -> None:
    print("vk: 20 partners send «Начать» at once (VK limits: 20 requests/s, flood per peer)")
    for old in (True, False):
        await vk_run(old=old)


async def vk_run(*, old: bool) -> None:
    vk = VkApiEmulator()
    await vk.start()
    folder = Path(tempfile.mkdtemp())
    settings = settings_for(
        folder / "vk.db", vk_group_token=vk.token, vk_group_id=vk.group_id, vk_api_url=vk.base_url
    )
    services = await create_services(settings, SystemClock())
    bot = create_vk_bot(
        vk.token,
        vk.group_id,
        vk.base_url,
        long_poll_wait=1,
        pacer=vk_pacer(services.pacers, vk.group_id),
    )
    session = bot.session
    assert isinstance(session, VkSession)
    services.platforms.add(bot)
    dp = create_dispatcher(services)
    await prepare_bot(bot, services)
    users = list(range(3_000_000, 3_000_020))
    for user in users:
        vk.add_user(user, f"V{user}")
    seen_at: dict[int, float] = {}

    def seen(message: VkMessage) -> None:
        if message.keyboard and message.peer_id not in seen_at:
            seen_at[message.peer_id] = time.perf_counter()

    vk.listeners.append(seen)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    await vk.wait_polling(0)
    requests_before, limited_before = len(vk.requests), vk.rate_limited
    started = time.perf_counter()

    async def old_reply(user: int) -> None:
        await session.send(user, "Здравствуйте! Это бот партнёров.")
        await session.send(user, "Кто вы? Выберите, что ближе:", keyboard=OLD_KEYBOARD)

    if old:  # the reply before issue 12: a greeting, then the keyboard, per partner
        await asyncio.gather(*(old_reply(user) for user in users))
    else:
        for user in users:
            vk.user_message(user, "Начать")
        while len(seen_at) < len(users) and time.perf_counter() - started < 30:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    waits = sorted(seen_at[user] - started for user in users if user in seen_at)
    with contextlib.suppress(RuntimeError):
        await dp.stop_polling()
    polling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    name = "baseline: greeting + keyboard, two requests each" if old else "this branch"
    print(
        f"  {name}: {len(waits)}/20 saw the keyboard; slowest {waits[-1]:.2f} s, median"
        f" {statistics.median(waits):.2f} s; requests {len(vk.requests) - requests_before},"
        f" error 6 {vk.rate_limited - limited_before}, error 9 {vk.flood_refused}"
    )
    await bot.session.close()
    await services.close()
    await vk.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", default="all", choices=("broadcast", "taps", "vk", "all"))
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if args.part in ("vk", "all"):
        await vk_part()
    if args.part in ("taps", "all"):
        await taps_part(args.seconds)
    if args.part in ("broadcast", "all"):
        await broadcast_part(args.recipients)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
