"""Shared bench helpers: the emulator in this process, a bot in a child process."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bot.telegram.emulator import BotApiEmulator, RateLimits, SentMessage

ROOT = Path(__file__).resolve().parent.parent


async def start_emulator() -> BotApiEmulator:
    emulator = BotApiEmulator(limits=RateLimits.off())
    await emulator.start()
    return emulator


async def spawn_bot(
    kind: str, emulator: BotApiEmulator, **settings: str
) -> asyncio.subprocess.Process:
    """Start `partnerbot` (kind="partnerbot", with extra settings) or the bare echo bot."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "TG_"))}
    env.update(settings)
    if kind == "partnerbot":
        database = Path(tempfile.mkdtemp()) / "bench.db"
        env.update(
            TELEGRAM_BOT_TOKEN=emulator.token,
            TELEGRAM_API_URL=emulator.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
            LOG_LEVEL="WARNING",
        )
        args = [sys.executable, "-m", "bot.cli", "run"]
    else:
        args = [
            sys.executable,
            str(ROOT / "bench" / "echo_bot.py"),
            emulator.base_url,
            emulator.token,
        ]
    return await asyncio.create_subprocess_exec(*args, cwd=ROOT, env=env)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bot_replies(emulator: BotApiEmulator) -> int:
    return emulator.sent_count


async def wait_for_replies(emulator: BotApiEmulator, count: int, within: float = 120) -> float:
    """Wait until the bot has sent `count` messages; return when that happened."""
    deadline = time.perf_counter() + within
    while bot_replies(emulator) < count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"only {bot_replies(emulator)} of {count} replies")
        await asyncio.sleep(0.002)
    return time.perf_counter()


async def onboard(emulator: BotApiEmulator, user: int) -> None:
    """/start and the onboarding, as a person would (answers straight away)."""

    async def wait_new(before: int, *, buttons: bool = True) -> SentMessage:
        for _ in range(6000):
            mine = emulator.chat_messages(user)
            if len(mine) > before and (mine[-1].buttons or not buttons):
                return mine[-1]
            await asyncio.sleep(0.01)
        raise TimeoutError(f"no screen for {user}")

    emulator.user_message(user, "/start")
    screen = await wait_new(0)
    for label in (screen.button_labels[0], "Сайт"):
        before = len(emulator.chat_messages(user))
        emulator.press(user, screen, label)
        screen = await wait_new(before)
    before = len(emulator.chat_messages(user))
    emulator.press(user, screen, "До года")
    await wait_new(before, buttons=False)  # the free-text question
    before = len(emulator.chat_messages(user))
    emulator.user_message(user, "Владельцы квартир")
    screen = await wait_new(before)
    before = len(emulator.chat_messages(user))
    emulator.press(user, screen, "✅ Да, присылайте")
    await wait_new(before)
