"""The one send path (`bot.pacing`): per-chat pacing, the bot-wide budget with people
first, 429 holds for every sender, order and no double sends — on a virtual clock, in the
process and on Redis."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, EditMessageText, GetUpdates, SendMessage

from bot.pacing import TELEGRAM, Pacer, PacingMiddleware, Target, bulk
from bot.pacing_store import MemoryStore, Rate, RedisStore, Store
from bot.telegram.session import telegram_target
from tests.databases import REDIS_URL
from tests.harness import HeldStore, VirtualTime

STORES = ["memory"] + (["redis"] if REDIS_URL else [])


def make_store(kind: str) -> Store:
    if kind == "redis":
        assert REDIS_URL is not None
        return RedisStore(REDIS_URL, prefix="pacing-test")
    return MemoryStore()


def another(store: Store, kind: str) -> Store:
    """What a second sender uses: in one process the same store; on Redis, as a second
    worker would, a connection of its own."""
    return make_store(kind) if kind == "redis" else store


class Recorder:
    """Sends recorded with their (virtual) moment."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.sent: list[tuple[float, Any]] = []

    async def send(self, pacer: Pacer, target: Target, what: Any) -> None:
        async with pacer.slot(target):
            self.sent.append((self.time.now(), what))


@pytest.mark.parametrize("kind", STORES)
async def test_a_private_chat_bursts_three_then_about_one_a_second(kind: str) -> None:
    time = VirtualTime()
    pacer = Pacer(TELEGRAM, f"b-{kind}", store=make_store(kind), timer=time)
    recorder = Recorder(time)
    for n in range(6):
        await recorder.send(pacer, Target(1), n)
    moments = [moment for moment, _ in recorder.sent]
    assert moments[:3] == [0.0, 0.0, 0.0]
    gaps = [b - a for a, b in itertools.pairwise(moments[2:])]
    assert all(1.0 <= gap <= 1.1 for gap in gaps), gaps


async def test_a_group_gets_twenty_a_minute() -> None:
    time = VirtualTime()
    pacer = Pacer(TELEGRAM, "g", timer=time)
    recorder = Recorder(time)
    for n in range(30):
        await recorder.send(pacer, Target(-100, group=True), n)
    in_a_minute = [m for m, _ in recorder.sent if m < 60]
    assert len(in_a_minute) <= 20 + TELEGRAM.group_burst
    assert recorder.sent[-1][0] >= 60 * (30 - TELEGRAM.group_burst) / 20


async def test_one_chats_sends_keep_their_order_even_side_by_side() -> None:
    time = VirtualTime()
    pacer = Pacer(TELEGRAM, "o", timer=time)
    recorder = Recorder(time)
    await asyncio.gather(*(recorder.send(pacer, Target(7), n) for n in range(8)))
    assert [what for _, what in recorder.sent] == list(range(8))


async def test_people_are_served_before_a_broadcast() -> None:
    """A broadcast that drained the bot-wide budget leaves slots for people; a person's
    reply never waits behind the broadcast's queue."""
    time = VirtualTime()
    pacer = Pacer(TELEGRAM, "p", timer=time)
    recorder = Recorder(time)

    async def broadcast() -> None:
        with bulk():
            for chat in range(1000, 1040):
                await recorder.send(pacer, Target(chat), "bulk")

    async def person() -> None:
        await asyncio.sleep(0)
        await recorder.send(pacer, Target(5), "reply")

    await asyncio.gather(broadcast(), person())
    order = [what for _, what in recorder.sent]
    assert order.index("reply") < 10  # not behind the 40 broadcast sends
    # and the broadcast alone never takes the people's reserve: 40 sends at ≤ the rate
    moments = [m for m, what in recorder.sent if what == "bulk"]
    span = moments[-1] - moments[0]
    assert span >= (40 - (TELEGRAM.burst - TELEGRAM.reserve)) * 1 / TELEGRAM.per_second


@pytest.mark.parametrize("kind", STORES)
async def test_the_bot_wide_budget_is_shared_by_every_sender(kind: str) -> None:
    time = VirtualTime()
    store = make_store(kind)
    # two senders of one token (a reply bot and the delivery worker's own bot); on Redis
    # as two workers would be: each its own connection
    first = Pacer(TELEGRAM, f"same-{kind}", store=store, timer=time)
    second = Pacer(TELEGRAM, f"same-{kind}", store=another(store, kind), timer=time)
    recorder = Recorder(time)
    await asyncio.gather(
        *(recorder.send(first, Target(chat), 1) for chat in range(100, 130)),
        *(recorder.send(second, Target(chat), 2) for chat in range(200, 230)),
    )
    moments = sorted(m for m, _ in recorder.sent)
    # 60 sends at ≤ 30/s after the burst: at least (60 - burst) / 30 seconds
    assert moments[-1] >= (60 - TELEGRAM.burst) / TELEGRAM.per_second


@pytest.mark.parametrize("kind", STORES)
async def test_a_429_holds_every_sender_for_its_window(kind: str) -> None:
    time = VirtualTime()
    store = make_store(kind)
    pacer = Pacer(TELEGRAM, f"h-{kind}", store=store, timer=time)
    # another sender (on Redis: another worker, its own connection)
    other = Pacer(TELEGRAM, f"h-{kind}", store=another(store, kind), timer=time)
    await pacer.hold(5, 3.0, bot_wide=False)
    recorder = Recorder(time)
    await recorder.send(other, Target(6), "other chat")
    await recorder.send(other, Target(5), "held chat")
    assert recorder.sent == [(0.0, "other chat"), (pytest.approx(3.0), "held chat")]
    await pacer.hold(None, 2.0, bot_wide=True)
    start = time.now()
    await recorder.send(other, Target(9), "after the bot-wide window")
    assert recorder.sent[-1][0] == pytest.approx(start + 2.0)


class FakeApi:
    """make_request: 429 on the first try of the first message, then answers."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.calls: list[tuple[float, str]] = []
        self.refused = False

    async def __call__(self, bot: Any, method: Any) -> Any:
        text = getattr(method, "text", None) or type(method).__name__
        if not self.refused:
            self.refused = True
            self.calls.append((self.time.now(), f"429 {text}"))
            raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=5)
        self.calls.append((self.time.now(), text))
        return True


async def test_a_retried_send_keeps_its_place_and_goes_once() -> None:
    """The first message gets a 429: it is held 5 s and sent again; the second message to
    the same chat, asked for meanwhile, waits behind it (no race, no double send)."""
    time = VirtualTime()
    pacer = Pacer(TELEGRAM, "r", timer=time)
    middleware = PacingMiddleware(pacer, telegram_target)
    api = FakeApi(time)
    bot = Bot("1:x")
    try:
        await asyncio.gather(
            middleware(api, bot, SendMessage(chat_id=3, text="first")),  # type: ignore[arg-type]
            middleware(api, bot, SendMessage(chat_id=3, text="second")),  # type: ignore[arg-type]
        )
    finally:
        await bot.session.close()
    assert [text for _, text in api.calls] == ["429 first", "first", "second"]
    assert api.calls[1][0] >= 5.0  # nothing inside the window


async def test_a_refusal_beyond_the_attempts_is_raised() -> None:
    time = VirtualTime()
    pacer = Pacer(TELEGRAM, "x", timer=time)

    async def always(bot: Any, method: Any) -> Any:
        raise TelegramRetryAfter(method=method, message="Too Many Requests", retry_after=1)

    bot = Bot("1:x")
    try:
        with pytest.raises(TelegramRetryAfter):
            await PacingMiddleware(pacer, telegram_target)(
                always,  # type: ignore[arg-type]
                bot,
                SendMessage(chat_id=1, text="hi"),
            )
    finally:
        await bot.session.close()
    assert pacer.holds == TELEGRAM.attempts


def test_what_telegram_counts() -> None:
    assert telegram_target(GetUpdates()) is None
    send = telegram_target(SendMessage(chat_id=5, text="x"))
    assert send == Target(5, group=False, counted=True)
    edit = telegram_target(EditMessageText(chat_id=-100, message_id=1, text="x"))
    assert edit == Target(-100, group=True, counted=True)  # edits count
    answer = telegram_target(AnswerCallbackQuery(callback_query_id="1"))
    assert answer == Target(None, counted=False)  # waits out holds, uses no message slot


class RoundTrips:
    """A store whose every answer comes `trip` seconds of the shared clock after it was
    asked (meanwhile other senders' sleeps moved the clock on); records the start of
    every slot a person's send booked."""

    def __init__(self, time: VirtualTime, trip: float) -> None:
        self._store = MemoryStore()
        self._time = time
        self._trip = trip
        self.slots: list[float] = []

    async def book(self, key: str, now: float, rate: Rate, reserve: int) -> float:
        wait = await self._store.book(key, now, rate, reserve)
        if reserve == -1:
            self.slots.append(now + wait)
        self._time.advance(self._trip)
        return wait

    async def hold(self, key: str, until: float, now: float) -> None:
        await self._store.hold(key, until, now)
        self._time.advance(self._trip)

    async def held_until(self, keys: list[str]) -> float:
        until = await self._store.held_until(keys)
        self._time.advance(self._trip)
        return until


async def test_a_booked_slot_is_waited_for_until_it_starts_not_a_round_trip_longer() -> None:
    """The wait a store answers is counted from the moment the booking was asked: the
    round trip is not waited a second time (on a virtual clock others moved it on; on a
    real one, the slot passed by that much more)."""
    time = VirtualTime()
    store = RoundTrips(time, trip=0.001)
    pacer = Pacer(TELEGRAM, "rt", store=store, timer=time)
    recorder = Recorder(time)
    for n in range(16):
        await recorder.send(pacer, Target(None), n)
    waited = range(TELEGRAM.burst + 1, 16)  # beyond the burst: each waits for its slot
    # after its slot, one round trip: the check for a 429 hold that came meanwhile
    assert [recorder.sent[n][0] for n in waited] == pytest.approx(
        [store.slots[n] + 0.001 for n in waited], abs=1e-9
    )


class Yielding:
    """A store that answers a few turns of the event loop later, as Redis does."""

    def __init__(self) -> None:
        self._store = MemoryStore()

    async def book(self, key: str, now: float, rate: Rate, reserve: int) -> float:
        for _ in range(3):
            await asyncio.sleep(0)
        return await self._store.book(key, now, rate, reserve)

    async def hold(self, key: str, until: float, now: float) -> None:
        await self._store.hold(key, until, now)

    async def held_until(self, keys: list[str]) -> float:
        for _ in range(3):
            await asyncio.sleep(0)
        return await self._store.held_until(keys)


async def _broadcast_moments(kind: str) -> list[float]:
    """A broadcast worker's way: 8 sends in flight, each with a turn of its own every
    40 ms, through the bot-wide budget (people's reserve left)."""
    time = VirtualTime()
    store: Store = MemoryStore() if kind == "memory" else HeldStore(Yielding(), time)
    pacer = Pacer(TELEGRAM, "bc", store=store, timer=time)
    recorder = Recorder(time)
    slots = asyncio.Semaphore(8)
    turns = itertools.count()

    async def one(chat: int) -> None:
        async with slots:
            await time.sleep(next(turns) * 0.04 - time.now())
            with bulk():
                await recorder.send(pacer, Target(chat), chat)

    await asyncio.gather(*(one(chat) for chat in range(1000, 1026)))
    return [moment for moment, _ in recorder.sent]


async def test_a_store_that_answers_later_decides_the_same_on_the_virtual_clock() -> None:
    """A round trip to the store is work, not waiting: while one is out, other senders'
    sleeps do not move the clock, so a Redis answering late (a busy machine) changes no
    moment of a paced send — the same sends as with the process's own store."""
    assert await _broadcast_moments("yielding") == await _broadcast_moments("memory")


@pytest.mark.skipif(REDIS_URL is None, reason="needs Redis")
async def test_the_redis_state_lives_on_the_pacing_time_not_the_servers() -> None:
    """No key expires by the server's clock (a loaded machine, or a virtual clock, would
    lose a bucket that still matters); what is past on the pacing's own time goes."""
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    store = RedisStore(REDIS_URL, prefix="pacing-life")
    redis = Redis.from_url(REDIS_URL)
    time = VirtualTime()
    pacer = Pacer(TELEGRAM, "life", store=store, timer=time)
    try:
        for chat in range(1, 6):
            async with pacer.slot(Target(chat)):
                pass
        await pacer.hold(9, 30.0, bot_wide=False)
        keys = await redis.keys("*pacing-life*")
        assert keys
        assert [await redis.pttl(key) for key in keys] == [-1] * len(keys)  # no expiry
        (state,) = [key for key in keys if key.endswith(b":state")]
        assert await redis.hlen(state) == 7  # 5 chats, the bot, the hold
        time.advance(10)  # the chats' and the bot's slots are long past; the hold is not
        async with pacer.slot(Target(6)):
            pass
        assert sorted(await redis.hkeys(state)) == [
            b"hold:tg:life:chat:9",
            b"tg:life:all",
            b"tg:life:chat:6",
        ]
        assert await pacer.store.held_until(["tg:life:chat:9"]) == pytest.approx(30.0)
    finally:
        await redis.aclose()
        await store.close()
