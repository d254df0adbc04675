"""`partnerbot run` as real processes, for the tests of what several processes do
(tests/test_scale.py, tests/test_webhook_workers.py): their environment, a start whose
log lines are kept as they come (LOG_LEVEL=INFO on stderr), and waits on conditions —
a line logged, a message sent — instead of fixed times (docs/test-time.md)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.telegram.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parent.parent
# what `bot.http.start_http` logs once the process listens (webhooks reach it from then)
LISTENING = "HTTP endpoint on"
LEADS = "this process leads"  # bot.leader


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_env(emulator: BotApiEmulator, database: str, port: int, **settings: str) -> dict[str, str]:
    """The environment of a `partnerbot run` on the emulator: this one's settings only
    (none of the platform credentials or Redis of the environment the tests run in)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "TG_", "VK_", "MAX_")) and key != "REDIS_URL"
    }
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        DATABASE_URL=database,
        HTTP_PORT=str(port),
        LOG_LEVEL="INFO",
    )
    env.update(settings)
    return env


async def until(
    condition: Callable[[], object | Awaitable[object]], what: str, within: float = 30.0
) -> None:
    """Wait for a condition (a busy machine may take a while), not for a fixed time; the
    condition may be a coroutine function (a database query)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        assert loop.time() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.02)


class Running:
    """A `partnerbot run` process (with `--workers N`: its workers' lines too, they share
    its stderr), its log lines read as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reading = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], *args: str) -> Running:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", *args,
            cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.lines.append(line.decode(errors="replace"))

    def said(self, text: str) -> int:
        """How many of its log lines so far contain `text`."""
        return sum(text in line for line in self.lines)

    async def saying(self, text: str, times: int = 1, within: float = 60.0) -> None:
        """Wait until `text` was logged `times` times (a start is slow on a loaded machine;
        the bound only catches a hang)."""
        try:
            await until(lambda: self.said(text) >= times, f"{text!r} ×{times}", within)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its log:\n{self.log()[-4000:]}") from None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> int:
        """SIGTERM, and its exit code once it (and its log) ended."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 30)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reading, 5)
        return code

    def log(self) -> str:
        return "".join(self.lines)
