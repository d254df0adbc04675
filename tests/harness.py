"""Journey-test harness: the real bot polling the emulator over HTTP, a user who types
and presses buttons by label, and an injected clock."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher

from bot.app import Services, create_dispatcher, create_services, prepare_bot
from bot.clock import FakeClock
from bot.config import Settings
from bot.delivery import Delivery
from bot.sandbox.emulator import BotApiEmulator, RateLimits, Request, SentMessage
from bot.telegram import create_bot

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONTENT = ROOT / "content"
SPEC_FILE = ROOT.parent / "shared" / "specs" / "telegram" / "bot-api.json"
MANAGER_ID = 900001


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "content_dir": DEMO_CONTENT,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        "managers": f"tg:{MANAGER_ID}",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class VirtualTime:
    """Time for pacing that passes only when waited for: paced sends, instantly."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.waits: list[float] = []

    def now(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.elapsed += seconds


@dataclass
class Harness:
    emulator: BotApiEmulator
    services: Services
    bot: Bot
    dp: Dispatcher
    clock: FakeClock
    delivery: Delivery
    allowed_errors: set[str] = field(default_factory=set)

    async def deliver(self) -> int:
        """Let the approval listeners finish, then send everything due in the outbox."""
        await self.services.sales.settle()
        return await self.delivery.drain()

    def user(self, user_id: int = 100, name: str = "Анна", language: str = "ru") -> Client:
        self.emulator.add_user(user_id, name, username=f"user{user_id}", language_code=language)
        return Client(self, user_id)

    def manager(self) -> Client:
        return self.user(MANAGER_ID, "Михаил")


class Client:
    """One person in a private chat with the bot."""

    def __init__(self, harness: Harness, user_id: int) -> None:
        self.harness = harness
        self.user_id = user_id

    @property
    def emulator(self) -> BotApiEmulator:
        return self.harness.emulator

    @property
    def messages(self) -> list[SentMessage]:
        return self.emulator.chat_messages(self.user_id)

    @property
    def last(self) -> SentMessage:
        return self.messages[-1]

    async def _act(self, update_id: int, before: int) -> list[SentMessage]:
        await self.emulator.wait_processed(update_id)
        return self.emulator.chat_messages(self.user_id)[before:]

    async def send(self, text: str | None = None, kind: str = "text") -> list[SentMessage]:
        """Type a message; returns what the bot sent back (new messages)."""
        self.harness.clock.advance(1)
        before = len(self.messages)
        return await self._act(self.emulator.user_message(self.user_id, text, kind=kind), before)

    async def press(self, label: str, message: SentMessage | None = None) -> list[SentMessage]:
        """Press the button `label` under `message` (default: the newest message having it)."""
        self.harness.clock.advance(1)
        target = message or next(
            (m for m in reversed(self.messages) if label in m.button_labels), None
        )
        if target is None:
            raise AssertionError(f"no message has a button {label!r}; last: {self.last.plain!r}")
        before = len(self.messages)
        return await self._act(self.emulator.press(self.user_id, target, label), before)

    async def press_data(self, message: SentMessage, data: str) -> list[SentMessage]:
        self.harness.clock.advance(1)
        before = len(self.messages)
        return await self._act(self.emulator.press_data(self.user_id, message, data), before)

    def callback_answers(self) -> list[dict[str, Any]]:
        return list(self.emulator.callback_answers.values())

    async def onboard(self, segment: str = "Вебмастер") -> None:
        """/start and every onboarding step with the first options."""
        await self.send("/start")
        await self.press(next(b for b in self.last.button_labels if b.startswith(segment)))
        await self.press("Сайт")
        await self.press("До года")
        await self.send("Владельцы квартир в новостройках")
        await self.press("✅ Да, присылайте")


def spec_problems(requests: list[Request]) -> list[str]:
    """Every request checked against the official Bot API description, when it is present."""
    if not SPEC_FILE.exists():
        return []
    methods = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["methods"]
    problems: list[str] = []
    for request in requests:
        spec = methods.get(request.method)
        if spec is None:
            problems.append(f"{request.method}: not a Bot API method")
            continue
        fields = {f["name"]: f for f in spec.get("fields", [])}
        for name in request.params:
            if name not in fields:
                problems.append(f"{request.method}: unknown field {name}")
        for name, spec_field in fields.items():
            if spec_field["required"] and name not in request.params:
                problems.append(f"{request.method}: required field {name} missing")
    return sorted(set(problems))


@contextlib.asynccontextmanager
async def chats_emulator(limits: RateLimits | None = None) -> AsyncIterator[BotApiEmulator]:
    """An emulator to add groups to before the bot starts (it checks its rights there)."""
    emulator = BotApiEmulator(limits=limits or RateLimits(chat_burst=1000))
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    limits: RateLimits | None = None,
    flood_burst: float = 20.0,
    flood_rate: float = 1.0,
    emulator: BotApiEmulator | None = None,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """The bot polling an emulator; pass `emulator` to restart a bot on the same one."""
    owned = emulator is None
    if emulator is None:
        emulator = BotApiEmulator(limits=limits or RateLimits(chat_burst=1000))
        base_url = await emulator.start()
    else:
        base_url = emulator.base_url
        emulator.requests.clear()
    clock = FakeClock()
    services = await create_services(make_settings(tmp_path, **settings), clock)
    bot = create_bot(emulator.token, base_url, migrations=services.migrations)
    # journeys press a button a second for minutes; flood protection has its own tests
    dp = create_dispatcher(services, flood_burst=flood_burst, flood_rate=flood_rate)
    pacing = VirtualTime()
    sender = create_bot(emulator.token, base_url, migrations=services.migrations, retry_429=False)
    delivery = Delivery(
        sender, services.outbox, services.partners, clock, sleep=pacing.sleep, monotonic=pacing.now
    )
    harness = Harness(emulator, services, bot, dp, clock, delivery)
    await prepare_bot(bot, services)
    # the outbox is delivered when a test says so (harness.deliver), never in between
    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            handle_as_tasks=False,
            polling_timeout=2,
        )
    )
    try:
        yield harness
    finally:
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        if owned:
            await emulator.stop()
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await bot.session.close()
        await delivery.close()
        await services.close()
    problems = spec_problems(emulator.requests)
    assert not problems, problems
    failed = [
        f"{r.method} {r.status}"
        for r in emulator.requests
        if r.status >= 400 and r.method not in harness.allowed_errors
    ]
    detail = [
        (r.method, r.params.get("chat_id"), str(r.params.get("text"))[:40])
        for r in emulator.requests
        if r.status >= 400 and r.method not in harness.allowed_errors
    ]
    assert not failed, f"the bot made failing requests: {detail}"
