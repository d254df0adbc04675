"""Journey-test harness: the real bot polling the emulator over HTTP, a user who types
and presses buttons by label, and an injected clock."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import json
import re
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher, Router
from aiogram.utils.backoff import BackoffConfig

import bot.assembly
from bot.assembly import FLOOD_BURST, FLOOD_RATE, Services, create_dispatcher, create_services
from bot.clock import FakeClock
from bot.config import Settings
from bot.max.client import MaxClient as MaxApiClient
from bot.max.client import max_pacer
from bot.max.delivery import MaxDelivery
from bot.max.emulator import MaxApiEmulator, MaxMessage
from bot.max.files import max_file_fetcher
from bot.max.session import create_max_bot
from bot.pacing_store import Rate, RedisStore, Store
from bot.platform.files import FileFetchers
from bot.startup import VK_COMMAND_WORDS, VK_MANAGER_WORDS, prepare_bot
from bot.telegram.delivery import Delivery
from bot.telegram.emulator import BotApiEmulator, RateLimits, Request, SentMessage
from bot.telegram.session import create_bot, telegram_file_fetcher, telegram_pacer
from bot.vk.delivery import VkDelivery
from bot.vk.emulator import VkApiEmulator, VkMessage, VkRequest
from bot.vk.session import create_vk_bot, vk_pacer
from handlers import setup_routers
from tests.databases import REDIS_URL, database_url
from tests.max_spec import max_spec_problems

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
DEMO_CONTENT = ROOT / "content"
SPEC_FILE = ROOT.parent / "shared" / "specs" / "telegram" / "bot-api.json"
VK_SPECS = ROOT.parent / "shared" / "specs" / "vk"
MANAGER_ID = 900001
VK_MANAGER_ID = 800001
MAX_MANAGER_ID = 700001
# a failed poll is tried again after 50 ms, not aiogram's second: the emulators fail on
# purpose, and a second of real time each is only waiting
POLLING_BACKOFF = BackoffConfig(min_delay=0.05, max_delay=0.5, factor=1.3, jitter=0.1)


# handlers.setup_routers() sets no dispatcher uses: a dispatcher takes one, and its set
# comes back once it stopped polling (building ~60 routers took ~40 ms of every start)
_SPARE_ROUTERS: list[list[Router]] = []


def _routers() -> tuple[list[Router], bool]:
    """A set of routers, and whether it is handlers.setup_routers' own (to keep)."""
    build = bot.assembly.setup_routers
    if build is not setup_routers:  # a test's own routers (monkeypatched): never kept
        return build(), False
    return (_SPARE_ROUTERS.pop() if _SPARE_ROUTERS else setup_routers()), True


def _routers_back(dp: Dispatcher, routers: list[Router]) -> None:
    """A stopped dispatcher's routers, detached from it for the next one (a router can
    be included in one parent only; the handlers and filters in them hold no state)."""
    assert dp.sub_routers == routers
    dp.sub_routers.clear()
    for router in routers:
        router._parent_router = None  # aiogram has no detach
    _SPARE_ROUTERS.append(routers)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "content_dir": DEMO_CONTENT,
        "database_url": database_url(tmp_path),
        "redis_url": REDIS_URL,
        "managers": f"tg:{MANAGER_ID}",
        "content_kept_dir": tmp_path / "kept",  # not the user's cache folder
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class VirtualTime:
    """Time for pacing that passes only when waited for: paced sends, instantly. Sleepers
    wake in the order of their ends, each at its end; time moves on to the next end only
    once the event loop has nothing else to run and no pacing decision is out (`working`:
    a round trip to Redis). Work takes no virtual time, so what the senders do does not
    depend on how fast the machine or the servers answered."""

    # turns of the event loop with other work ready after which time moves on anyway
    # (something that polls without end must not stop the clock)
    PATIENCE = 200

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.waits: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None
        self._working = 0
        self._idle: asyncio.Event | None = None

    def now(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._sleepers, (self.elapsed + seconds, next(self._order), woken))
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._drive(), name="virtual-time")
        await woken

    async def _drive(self) -> None:
        """Wake the sleepers one by one, each once everything else has settled."""
        loop = asyncio.get_running_loop()
        quiet = turns = 0
        while self._sleepers:
            if self._working and self._idle is not None:
                await self._idle.wait()
                quiet = 0
                continue
            await asyncio.sleep(0)
            turns += 1
            # other callbacks ready (loop._ready: asyncio keeps no public count of it)
            busy = bool(loop._ready) or self._working  # type: ignore[attr-defined]
            quiet = 0 if busy else quiet + 1
            if quiet < 2 and turns < self.PATIENCE:
                continue
            end, _, woken = heapq.heappop(self._sleepers)
            if woken.done():  # the sleeper was cancelled
                continue
            self.elapsed = max(self.elapsed, end)
            woken.set_result(None)
            quiet = turns = 0

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Time stands still inside (sleepers wait for the end to move it on)."""
        if self._idle is None:
            self._idle = asyncio.Event()
        self._working += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._working -= 1
            if not self._working:
                self._idle.set()


class HeldStore:
    """A pacing store whose every call happens at one virtual moment (`working`)."""

    def __init__(self, store: Store, time: VirtualTime) -> None:
        self.inner = store
        self._time = time

    async def book(self, key: str, now: float, rate: Rate, reserve: int) -> float:
        with self._time.working():
            return await self.inner.book(key, now, rate, reserve)

    async def hold(self, key: str, until: float, now: float) -> None:
        with self._time.working():
            await self.inner.hold(key, until, now)

    async def held_until(self, keys: list[str]) -> float:
        with self._time.working():
            return await self.inner.held_until(keys)


class HeldThreads:
    """`asyncio` as `bot.vk.client` sees it, except that a VK request (vk-api is blocking:
    it runs in a thread) holds its pacer's virtual time while it is out, as `HeldStore`
    does for a store's round trip: the loop looks idle meanwhile, and other senders must
    not move the clock past the answer (an error 6 the sender has not read yet)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def to_thread(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        pacer = getattr(getattr(func, "__self__", None), "pacer", None)
        timer = getattr(pacer, "timer", None)
        if not isinstance(timer, VirtualTime):
            return await asyncio.to_thread(func, *args, **kwargs)
        with timer.working():
            return await asyncio.to_thread(func, *args, **kwargs)


# the pacing time of each emulator: a bot restarted on an emulator goes on in its time
_EMULATOR_TIME: weakref.WeakKeyDictionary[BotApiEmulator, VirtualTime] = (
    weakref.WeakKeyDictionary()
)


def virtual_emulator(limits: RateLimits | None = None) -> BotApiEmulator:
    """A Bot API emulator with Telegram's limits, on a virtual clock of its own."""
    time = VirtualTime()
    emulator = BotApiEmulator(limits=limits or RateLimits(), monotonic=time.now)
    _EMULATOR_TIME[emulator] = time
    return emulator


@dataclass
class Harness:
    emulator: BotApiEmulator
    services: Services
    bot: Bot
    dp: Dispatcher
    clock: FakeClock
    delivery: Delivery
    pacing: VirtualTime
    allowed_errors: set[str] = field(default_factory=set)
    vk: VkApiEmulator | None = None
    vk_bot: Bot | None = None
    vk_delivery: VkDelivery | None = None
    max: MaxApiEmulator | None = None
    max_bot: Bot | None = None
    max_delivery: MaxDelivery | None = None

    async def deliver(self) -> int:
        """Let the approval listeners finish, then send everything due in the outbox."""
        await self.services.sales.settle()
        handled = await self.delivery.drain()
        if self.vk_delivery is not None:
            handled += await self.vk_delivery.drain()
        if self.max_delivery is not None:
            handled += await self.max_delivery.drain()
        return handled

    def max_user(
        self, user_id: int = 300, name: str = "Мария", *, locale: str = "ru"
    ) -> MaxPerson:
        assert self.max is not None, "start the harness with maxbot=True"
        self.max.add_user(user_id, name, "Иванова", username=f"max{user_id}", locale=locale)
        return MaxPerson(self, user_id)

    def max_manager(self) -> MaxPerson:
        return self.max_user(MAX_MANAGER_ID, "Макс")

    def user(self, user_id: int = 100, name: str = "Анна", language: str = "ru") -> Client:
        self.emulator.add_user(user_id, name, username=f"user{user_id}", language_code=language)
        return Client(self, user_id)

    def manager(self) -> Client:
        return self.user(MANAGER_ID, "Михаил")

    def vk_user(
        self,
        user_id: int = 200,
        name: str = "Вера",
        *,
        language: str = "ru",
        callbacks: bool = True,
    ) -> VkClient:
        assert self.vk is not None, "start the harness with vk=True"
        self.vk.add_user(user_id, name, "Смирнова", language=language, callback_buttons=callbacks)
        return VkClient(self, user_id)

    def vk_manager(self) -> VkClient:
        return self.vk_user(VK_MANAGER_ID, "Марина")


class VkClient:
    """One person in a private VK conversation with the community."""

    def __init__(self, harness: Harness, user_id: int, peer_id: int | None = None) -> None:
        self.harness = harness
        self.user_id = user_id
        self.peer_id = peer_id or user_id

    @property
    def vk(self) -> VkApiEmulator:
        assert self.harness.vk is not None
        return self.harness.vk

    @property
    def messages(self) -> list[VkMessage]:
        return self.vk.chat_messages(self.peer_id)

    @property
    def last(self) -> VkMessage:
        return self.messages[-1]

    async def _act(self, ts: int, before: int) -> list[VkMessage]:
        await self.vk.wait_processed(ts)
        return self.vk.chat_messages(self.peer_id)[before:]

    async def send(self, text: str, reply_to: VkMessage | None = None) -> list[VkMessage]:
        self.harness.clock.advance(1)
        before = len(self.messages)
        ts = self.vk.user_message(self.user_id, text, peer_id=self.peer_id, reply_to=reply_to)
        return await self._act(ts, before)

    async def press(
        self, label: str, message: VkMessage | None = None, *, expired: bool = False
    ) -> list[VkMessage]:
        self.harness.clock.advance(1)
        target = message or next(
            (m for m in reversed(self.messages) if label in m.button_labels), None
        )
        if target is None:
            raise AssertionError(f"no message has a button {label!r}; last: {self.last.text!r}")
        before = len(self.messages)
        return await self._act(self.vk.press(self.user_id, target, label, expired=expired), before)

    async def onboard(self, segment: str = "Вебмастер") -> None:
        await self.send("Начать")
        await self.press(next(b for b in self.last.button_labels if b.startswith(segment)))
        await self.press("Сайт")
        await self.press("До года")
        await self.send("Владельцы квартир в новостройках")
        await self.press("✅ Да, присылайте")


class MaxPerson:
    """One person on MAX: their dialog with the bot, and group chats."""

    def __init__(self, harness: Harness, user_id: int) -> None:
        self.harness = harness
        self.user_id = user_id

    @property
    def max(self) -> MaxApiEmulator:
        assert self.harness.max is not None
        return self.harness.max

    @property
    def dialog(self) -> int:
        return self.max.users[self.user_id].dialog

    @property
    def messages(self) -> list[MaxMessage]:
        return self.max.chat_messages(self.dialog)

    @property
    def last(self) -> MaxMessage:
        return self.messages[-1]

    async def _act(self, marker: int, before: int) -> list[MaxMessage]:
        await self.max.wait_processed(marker)
        return self.max.chat_messages(self.dialog)[before:]

    async def open(self, payload: str | None = None) -> list[MaxMessage]:
        """Open the bot (the start button, or a deep link with `payload`)."""
        self.harness.clock.advance(1)
        before = len(self.messages)
        return await self._act(self.max.open_bot(self.user_id, payload), before)

    async def send(
        self, text: str, reply_to: MaxMessage | None = None, *, chat: int | None = None
    ) -> list[MaxMessage]:
        self.harness.clock.advance(1)
        where = chat if chat is not None else self.dialog
        before = len(self.max.chat_messages(where))
        marker = self.max.user_message(self.user_id, text, chat_id=chat, reply_to=reply_to)
        await self.max.wait_processed(marker)
        return self.max.chat_messages(where)[before:]

    async def press(
        self, label: str, message: MaxMessage | None = None, *, expired: bool = False
    ) -> list[MaxMessage]:
        self.harness.clock.advance(1)
        target = message or next(
            (m for m in reversed(self.messages) if label in m.button_labels), None
        )
        if target is None:
            raise AssertionError(f"no message has a button {label!r}; last: {self.last.plain!r}")
        before = len(self.messages)
        return await self._act(
            self.max.press(self.user_id, target, label, expired=expired), before
        )

    async def onboard(self, segment: str = "Вебмастер") -> None:
        await self.open()
        await self.press(next(b for b in self.last.button_labels if b.startswith(segment)))
        await self.press("Сайт")
        await self.press("До года")
        await self.send("Владельцы квартир в новостройках")
        await self.press("✅ Да, присылайте")


async def announce_demo_contest(harness: Harness) -> None:
    """Mark the demo file contest announced, as the schedule does at start-up (partners
    see an upcoming contest only once it was announced)."""
    contest = await harness.services.contests.contest("winter-sofas")
    assert contest is not None
    await harness.services.contests.mark_announced(contest)


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

    async def send(
        self, text: str | None = None, kind: str = "text", entities: list[Any] | None = None
    ) -> list[SentMessage]:
        """Type a message (with its formatting: `entities`); returns what the bot sent back
        (new messages)."""
        self.harness.clock.advance(1)
        before = len(self.messages)
        update = self.emulator.user_message(self.user_id, text, kind=kind, entities=entities)
        return await self._act(update, before)

    async def press(
        self, label: str, message: SentMessage | None = None, *, expired: bool = False
    ) -> list[SentMessage]:
        """Press the button `label` under `message` (default: the newest message having it);
        `expired`: the press reaches the bot too late for Telegram to take its answer."""
        self.harness.clock.advance(1)
        target = message or next(
            (m for m in reversed(self.messages) if label in m.button_labels), None
        )
        if target is None:
            raise AssertionError(f"no message has a button {label!r}; last: {self.last.plain!r}")
        before = len(self.messages)
        return await self._act(
            self.emulator.press(self.user_id, target, label, expired=expired), before
        )

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

    async def onboard_in_english(self) -> None:
        """/start by a client in English: the first segment, newsletters on."""
        await self.send("/start")
        await self.press(self.last.button_labels[0])
        await self.press("Сайт")
        await self.press("До года")
        await self.send("Owners of new flats")
        await self.press("✅ Yes, send them")


@functools.cache
def _bot_api_methods() -> dict[str, Any] | None:
    """The official Bot API description (read once), or None when it is absent."""
    if not SPEC_FILE.exists():
        return None
    methods: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["methods"]
    return methods


@functools.cache
def _vk_methods() -> dict[str, dict[str, Any]] | None:
    """The official VK API description of the sections checked (read once)."""
    if not VK_SPECS.exists():
        return None
    methods: dict[str, dict[str, Any]] = {}
    for section in ("messages", "groups"):
        described = json.loads((VK_SPECS / section / "methods.json").read_text(encoding="utf-8"))
        methods.update({m["name"]: m for m in described["methods"]})
    return methods


def spec_problems(requests: list[Request]) -> list[str]:
    """Every request checked against the official Bot API description, when it is present."""
    methods = _bot_api_methods()
    if methods is None:
        return []
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


def vk_spec_problems(requests: list[VkRequest]) -> list[str]:
    """Every VK call of a described section (messages., groups.) checked against the
    official VK API description, when it is present: the method exists, no unknown
    parameter, none of the required ones missing."""
    methods = _vk_methods()
    if methods is None:
        return []
    problems: list[str] = []
    for request in requests:
        section = request.method.split(".", 1)[0]
        if section not in ("messages", "groups"):
            continue
        spec = methods.get(request.method)
        if spec is None:
            problems.append(f"{request.method}: not a VK API method")
            continue
        fields = {p["name"]: p for p in spec.get("parameters", [])}
        for name in request.params:
            if name not in fields and name != "v":
                problems.append(f"{request.method}: unknown parameter {name}")
        for name, parameter in fields.items():
            if parameter.get("required") and name not in request.params:
                problems.append(f"{request.method}: required parameter {name} missing")
    return sorted(set(problems))


@contextlib.asynccontextmanager
async def chats_emulator(limits: RateLimits | None = None) -> AsyncIterator[BotApiEmulator]:
    """An emulator to add groups to before the bot starts (it checks its rights there)."""
    emulator = virtual_emulator(limits)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@contextlib.asynccontextmanager
async def max_managers_bot(
    tmp_path: Path, managers_chat: int
) -> AsyncIterator[tuple[Harness, MaxApiEmulator]]:
    """The bot beside a MAX emulator of its own whose group `managers_chat` is the managers'
    chat (MAX_MANAGERS_CHAT_ID); the emulator stopped at the end."""
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(managers_chat, "Менеджеры")
    try:
        async with running_bot(
            tmp_path, maxbot=emulator, max_managers_chat_id=managers_chat
        ) as harness:
            yield harness, emulator
    finally:
        await emulator.stop()


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    limits: RateLimits | None = None,
    flood_burst: float = FLOOD_BURST,
    flood_rate: float = FLOOD_RATE,
    emulator: BotApiEmulator | None = None,
    vk: bool | VkApiEmulator = False,
    maxbot: bool | MaxApiEmulator = False,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """The bot polling an emulator; pass `emulator` to restart a bot on the same one.
    `vk=True` (or a VK emulator) runs the VK community bot beside it."""
    owned = emulator is None
    if emulator is None:
        emulator = virtual_emulator(limits)
        base_url = await emulator.start()
    else:
        base_url = emulator.base_url
        emulator.requests.clear()
    pacing = _EMULATOR_TIME.get(emulator)
    assert pacing is not None, "make the emulator with virtual_emulator() or chats_emulator()"
    if not owned:
        pacing.advance(10)  # a restart takes a while: the chats' bursts are back
    vk_emulator: VkApiEmulator | None = None
    if vk:
        vk_emulator = vk if isinstance(vk, VkApiEmulator) else VkApiEmulator()
        vk_emulator.monotonic = pacing.now
        if not vk_emulator.base_url:
            await vk_emulator.start()
        vk_emulator.requests.clear()
        settings = {
            "vk_group_token": vk_emulator.token,
            "vk_group_id": vk_emulator.group_id,
            "vk_api_url": vk_emulator.base_url,
            "managers": f"tg:{MANAGER_ID},vk:{VK_MANAGER_ID}",
            **settings,
        }
    max_emulator: MaxApiEmulator | None = None
    if maxbot:
        max_emulator = (
            maxbot if isinstance(maxbot, MaxApiEmulator) else MaxApiEmulator(rate=10_000)
        )
        # uploads' processing on the pacing's clock. MAX's sliding second is not checked
        # here: side-by-side sleepers on the virtual clock wake at one moment (never too
        # early, but together); tests/test_max_pacing.py and bench/max check it
        max_emulator.monotonic = pacing.now
        if not max_emulator.base_url:
            await max_emulator.start()
        max_emulator.requests.clear()
        managers = settings.get("managers", f"tg:{MANAGER_ID},vk:{VK_MANAGER_ID}")
        if "max:" not in managers:  # MAX's manager, unless the test names its own
            managers = f"{managers},max:{MAX_MANAGER_ID}"
        settings = {
            "max_bot_token": max_emulator.token,
            "max_api_url": max_emulator.base_url,
            **settings,
            "managers": managers,
        }
    clock = FakeClock()
    services = await create_services(make_settings(tmp_path, **settings), clock, pacing)
    store = services.pacers.store
    services.pacers.store = HeldStore(store, pacing)
    pacer = telegram_pacer(services.pacers, emulator.token)
    bot = create_bot(emulator.token, base_url, migrations=services.migrations, pacer=pacer)
    services.platforms.add(bot)
    routers, keep_routers = _routers()
    dp = create_dispatcher(
        services, flood_burst=flood_burst, flood_rate=flood_rate, routers=routers
    )
    sender = create_bot(emulator.token, base_url, migrations=services.migrations, pacer=pacer)
    # each platform's files fetched for the others' workers (filled as the bots start)
    fetchers = FileFetchers({"tg": telegram_file_fetcher(bot)})
    delivery = Delivery(
        sender,
        services.outbox,
        services.partners,
        clock,
        sleep=pacing.sleep,
        monotonic=pacing.now,
        fetch_file=fetchers,
    )
    harness = Harness(emulator, services, bot, dp, clock, delivery, pacing)
    bots = [bot]
    if vk_emulator is not None:
        harness.vk = vk_emulator
        harness.vk_bot = create_vk_bot(
            vk_emulator.token,
            vk_emulator.group_id,
            vk_emulator.base_url,
            commands=VK_COMMAND_WORDS,
            pacer=vk_pacer(services.pacers, vk_emulator.group_id),
            manager_commands=VK_MANAGER_WORDS,
            managers=services.settings.manager_ids("vk"),
            clock=clock,
        )
        services.platforms.add(harness.vk_bot)
        bots.append(harness.vk_bot)
        harness.vk_delivery = VkDelivery(
            harness.vk_bot,
            services.outbox,
            services.partners,
            clock,
            fetch_file=fetchers,
        )
    if max_emulator is not None:
        url = max_emulator.base_url
        harness.max = max_emulator
        harness.max_bot = create_max_bot(
            max_emulator.token,
            url,
            people=services.settings.manager_ids("max"),
            client=MaxApiClient(
                max_emulator.token,
                url,
                pacer=max_pacer(services.pacers, max_emulator.token),
                sleep=pacing.sleep,
            ),
            long_poll_timeout=2,
        )
        services.platforms.add(harness.max_bot)
        bots.append(harness.max_bot)
        fetchers.add("max", max_file_fetcher(harness.max_bot))
        harness.max_delivery = MaxDelivery(
            harness.max_bot,
            services.outbox,
            services.partners,
            clock,
            fetch_file=fetchers,
        )
        await prepare_bot(harness.max_bot, services)
    await prepare_bot(bot, services)
    polls = vk_emulator.polls if vk_emulator is not None else 0
    max_polls = max_emulator.polls if max_emulator is not None else 0
    # the outbox is delivered when a test says so (harness.deliver), never in between
    polling = asyncio.create_task(
        dp.start_polling(
            *bots,
            handle_signals=False,
            close_bot_session=False,
            handle_as_tasks=False,
            polling_timeout=2,
            backoff_config=POLLING_BACKOFF,
        )
    )
    if vk_emulator is not None:
        await vk_emulator.wait_polling(polls)  # events from now on reach the bot
    if max_emulator is not None:
        await max_emulator.wait_polling(max_polls)
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
        if keep_routers:
            _routers_back(dp, routers)
        await bot.session.close()
        if harness.vk_bot is not None:
            await harness.vk_bot.session.close()
        if harness.max_bot is not None:
            await harness.max_bot.session.close()
        if max_emulator is not None and not isinstance(maxbot, MaxApiEmulator):
            await max_emulator.stop()
        if vk_emulator is not None and not isinstance(vk, VkApiEmulator):
            await vk_emulator.stop()
        await delivery.close()
        await services.close()
        if isinstance(store, RedisStore):
            await store.close()
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
    # Telegram's limits held: nothing sent inside a 429's window, nothing delivered twice
    assert emulator.window_violations == 0, f"{emulator.window_violations} inside a window"
    assert not emulator.duplicates, f"delivered twice: {emulator.duplicates}"
    if vk_emulator is not None:
        assert vk_emulator.window_violations == 0, "VK calls inside a flood/rate window"
        assert not vk_emulator.duplicates, f"delivered twice on VK: {vk_emulator.duplicates}"
        vk_problems = vk_spec_problems(vk_emulator.requests)
        assert not vk_problems, vk_problems
        vk_failed = [
            f"{r.method} {r.error}"
            for r in vk_emulator.requests
            if r.error is not None and r.method not in harness.allowed_errors
        ]
        assert not vk_failed, f"the bot made failing VK calls: {vk_failed}"
    if max_emulator is not None:
        max_problems = max_spec_problems(max_emulator.requests)
        assert not max_problems, max_problems
        max_failed = [
            f"{r.method} {r.status} {r.code}"
            for r in max_emulator.requests
            if r.status >= 400
            and r.method not in harness.allowed_errors
            and r.code != "attachment.not.ready"  # MAX's way: waited out, then sent
        ]
        assert not max_failed, f"the bot made failing MAX requests: {max_failed}"


def sales_told(texts: list[str]) -> int:
    """How many sales the sale notices among `texts` tell of: «Продажа подтверждена» is
    one, «Подтверждены 3 продажи» three (notices claimed together go as one since session
    20)."""
    told = 0
    for text in texts:
        if text.startswith("✅ Продажа подтверждена."):
            told += 1
        elif found := re.match(r"✅ Подтвержден[оы] (\d+) продаж", text):
            told += int(found.group(1))
    return told
