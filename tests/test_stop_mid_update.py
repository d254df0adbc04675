"""A bot stopped while it handles an update stops, in bounded time, and loses nothing: the
update is handled, or handled on the next start.

Session 26: a test that ended during a manager's /stats never finished stopping its bot
on the CI's PostgreSQL run — the run with Redis. redis-py writes each command under
`asyncio.wait_for`, which on Python 3.11 loses a cancel arriving as the write ends: the
cancelled handler went on, and the long poll it ran in never ended (`bot.redis_client`).
And a worker's SIGTERM during an update closed the sessions and the database under it:
the answer was cut off, and the update, confirmed to Telegram by the next poll, was lost
(`bot.updates_in_hand`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import bot.app
from bot.app import run_bots
from bot.config import Settings
from bot.max.emulator import MaxApiEmulator
from bot.redis_client import redis_client
from bot.services.faq_matching import FaqMatcher
from bot.telegram.emulator import BotApiEmulator, RateLimits
from bot.vk.emulator import VkApiEmulator
from tests.harness import (
    MANAGER_ID,
    MAX_MANAGER_ID,
    VK_MANAGER_ID,
    make_settings,
    running_bot,
    virtual_emulator,
)
from tests.processes import free_port, until

STOPPED_WITHIN = 10.0  # seconds: a stop that takes longer hangs
QUESTION = "Когда выплаты?"
SORRY = "Что-то пошло не так"

pytestmark = pytest.mark.timeout(60)  # a hang the bounds above miss fails, never stalls CI


class Hold:
    """The FAQ's matching (in the FAQ's thread), once `armed`, held until `release` (or
    10 s)."""

    def __init__(self) -> None:
        self.armed = False
        self.started = threading.Event()
        self._go = threading.Event()

    def release(self) -> None:
        self._go.set()

    async def reached(self) -> None:
        await until(self.started.is_set, "the update's handler reached the hold", 10)


@pytest.fixture
def hold(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hold]:
    held = Hold()
    real = FaqMatcher.match

    def match(self: FaqMatcher, *args: Any, **kwargs: Any) -> Any:
        if held.armed:
            held.started.set()
            held._go.wait(10)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FaqMatcher, "match", match)
    yield held
    held.release()  # the FAQ's thread free for the next test


async def test_the_harness_stops_a_bot_in_the_middle_of_stats_and_gets_it_again(
    tmp_path: Path, hold: Hold
) -> None:
    """tests/harness.py stops its bot as aiogram does: the update's handler is cancelled,
    and the update, not confirmed, comes again to the next bot on the emulator."""
    emulator = virtual_emulator()
    await emulator.start()
    try:
        stopping = running_bot(tmp_path, emulator=emulator)
        harness = await stopping.__aenter__()
        try:
            anna, manager = harness.user(701), harness.manager()
            await anna.onboard()
            await anna.send("сколько стоит аренда склада в Казани")  # a gap: /stats reads it
            await manager.send("/start")
            before = len(manager.messages)
            hold.armed = True
            stats = emulator.user_message(MANAGER_ID, "/stats")
            await hold.reached()
            hold.release()
            await until(lambda: len(manager.messages) > before, "the figures")
        finally:
            async with asyncio.timeout(STOPPED_WITHIN):  # the chart on its way meanwhile
                await stopping.__aexit__(None, None, None)
        figures = manager.messages[before].text
        async with running_bot(tmp_path, emulator=emulator) as again:
            await emulator.wait_processed(stats)
            assert again.manager().last.kind == "photo"  # handled, to the chart
            # handled from its start again: what went out before the stop, again
            assert [text for _chat, text in emulator.duplicates] in ([], [figures])
            emulator.duplicates.clear()
    finally:
        await emulator.stop()


@contextlib.asynccontextmanager
async def production(settings: Settings) -> AsyncIterator[asyncio.Task[None]]:
    """`run_bots` — what `partnerbot run` runs —, polling its emulator until the test
    ends or sends SIGTERM. Once it returned, what it left running is cancelled, as
    `asyncio.run` does as the process ends."""
    before = asyncio.all_tasks()
    running = asyncio.create_task(run_bots(settings))
    try:
        yield running
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        left = asyncio.all_tasks() - before - {asyncio.current_task()}
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=STOPPED_WITHIN)


def sigterm() -> None:
    """What systemd or `partnerbot run --workers N` sends a worker to stop it."""
    os.kill(os.getpid(), signal.SIGTERM)


async def started(emulator: BotApiEmulator, running: asyncio.Task[None]) -> None:
    polls = lambda: any(r.method == "getUpdates" for r in emulator.requests)  # noqa: E731
    await until(lambda: polls() or running.done(), "the long poll", 20)
    assert not running.done(), running.exception()


@pytest.fixture
async def telegram() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(limits=RateLimits.off())
    await emulator.start()
    emulator.add_user(MANAGER_ID, "Михаил")
    try:
        yield emulator
    finally:
        await emulator.stop()


def worker_settings(tmp_path: Path, emulator: BotApiEmulator, **settings: Any) -> Settings:
    return make_settings(
        tmp_path,
        telegram_bot_token=emulator.token,
        telegram_api_url=emulator.base_url,
        http_port=free_port(),
        **settings,
    )


def answers(emulator: BotApiEmulator) -> list[str]:
    return [m.plain for m in emulator.chat_messages(MANAGER_ID) if "10 и 25" in m.plain]


async def test_sigterm_in_the_middle_of_an_update_lets_it_finish(
    tmp_path: Path,
    hold: Hold,
    telegram: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    async with production(worker_settings(tmp_path, telegram)) as running:
        await started(telegram, running)
        await telegram.wait_processed(telegram.user_message(MANAGER_ID, "/start"))
        hold.armed = True
        telegram.user_message(MANAGER_ID, QUESTION)
        await hold.reached()  # the question read, its answer not yet written
        sigterm()
        await until(lambda: "stopping" in caplog.messages, "the stop begun")
        hold.release()
        await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)
    assert len(answers(telegram)) == 1  # the answer went out before the sessions closed
    assert not [m for m in telegram.chat_messages(MANAGER_ID) if SORRY in m.plain]


async def test_an_update_that_outlasts_the_stop_is_handled_on_the_next_start(
    tmp_path: Path,
    hold: Hold,
    telegram: BotApiEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bot.app, "STOP_GRACE", 0.2, raising=False)
    settings = worker_settings(tmp_path, telegram)
    async with production(settings) as running:
        await started(telegram, running)
        await telegram.wait_processed(telegram.user_message(MANAGER_ID, "/start"))
        hold.armed = True
        asked = telegram.user_message(MANAGER_ID, QUESTION)
        await hold.reached()
        sigterm()
        await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)  # not waiting for it
    assert telegram.confirmed >= asked  # confirmed by the poll after it: never sent again
    assert not answers(telegram)
    hold.release()
    async with production(settings) as running:
        await started(telegram, running)
        await until(lambda: answers(telegram), "the answer, from the next start", 20)
        sigterm()
        await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)
    assert len(answers(telegram)) == 1


async def test_a_redis_command_cancelled_is_never_completed_instead(tmp_path: Path) -> None:
    """A task cancelled at any turn of the event loop during a Redis command ends
    cancelled (redis-py's `wait_for` returned the command's result instead at one turn:
    the write ended, the cancel was dropped)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A Redis that answers PING with PONG and anything else with OK."""
        while header := await reader.readline():  # a command: *N, then N × ($len, arg)
            args = []
            for _ in range(int(header[1:])):
                await reader.readline()
                args.append((await reader.readline()).strip().upper())
            writer.write(b"+PONG\r\n" if args[:1] == [b"PING"] else b"+OK\r\n")

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = redis_client(f"redis://127.0.0.1:{port}/0")
    try:
        assert await client.ping()
        for turns in range(20):
            task = asyncio.ensure_future(client.ping())
            for _ in range(turns):
                await asyncio.sleep(0)
            if not task.cancel():
                continue  # answered already
            await asyncio.gather(task, return_exceptions=True)
            assert task.cancelled(), f"a cancel {turns} turns in was dropped"
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def vk_worker(
    tmp_path: Path, telegram: BotApiEmulator
) -> AsyncIterator[tuple[VkApiEmulator, Settings]]:
    """A VK community's emulator (its manager Вера) and a worker's settings with it."""
    vk = VkApiEmulator()
    await vk.start()
    vk.add_user(VK_MANAGER_ID, "Вера")
    try:
        yield (
            vk,
            worker_settings(
                tmp_path,
                telegram,
                vk_group_token=vk.token,
                vk_group_id=vk.group_id,
                vk_api_url=vk.base_url,
                managers=f"tg:{MANAGER_ID},vk:{VK_MANAGER_ID}",
            ),
        )
    finally:
        await vk.stop()


def vk_answers(vk: VkApiEmulator) -> list[str]:
    return [m.text for m in vk.chat_messages(VK_MANAGER_ID) if "10 и 25" in m.text]


def vk_polls(vk: VkApiEmulator) -> bool:
    return any(r.method == "groups.getLongPollServer" for r in vk.requests)


@contextlib.asynccontextmanager
async def max_worker(
    tmp_path: Path, telegram: BotApiEmulator
) -> AsyncIterator[tuple[MaxApiEmulator, Settings, Any]]:
    """A MAX bot's emulator (its manager Макс, who asks), a worker's settings with it, and
    the answers the manager got to QUESTION."""
    maxbot = MaxApiEmulator(rate=10_000)
    await maxbot.start()
    person = maxbot.add_user(MAX_MANAGER_ID, "Макс")

    def answered() -> list[str]:
        return [m.text for m in maxbot.chat_messages(person.dialog) if "10 и 25" in m.text]

    try:
        yield (
            maxbot,
            worker_settings(
                tmp_path,
                telegram,
                max_bot_token=maxbot.token,
                max_api_url=maxbot.base_url,
                managers=f"tg:{MANAGER_ID},max:{MAX_MANAGER_ID}",
            ),
            answered,
        )
    finally:
        await maxbot.stop()


async def _outlasting_a_stop(
    settings: Settings,
    hold: Hold,
    telegram: BotApiEmulator,
    ask: Any,
    answered: Any,
    caplog: pytest.LogCaptureFixture,
    polling: Any = lambda: True,
) -> None:
    """A question from VK or MAX whose handling outlasts the stop's grace: kept, and
    answered once by the next start (their long polls confirm it like Telegram's)."""
    caplog.set_level(logging.WARNING, logger="bot.app")
    async with production(settings) as running:
        await started(telegram, running)
        await until(polling, "the platform's long poll", 20)  # read from its newest at first
        hold.armed = True
        ask()
        await hold.reached()
        sigterm()
        await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)
    assert not answered()
    assert not [r for r in caplog.records if "is lost" in r.getMessage()]
    hold.release()
    async with production(settings) as running:
        await started(telegram, running)
        await until(answered, "the answer, from the next start", 20)
        sigterm()
        await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)
    assert len(answered()) == 1


async def test_a_vk_update_that_outlasts_the_stop_is_handled_on_the_next_start(
    tmp_path: Path,
    hold: Hold,
    telegram: BotApiEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(bot.app, "STOP_GRACE", 0.2, raising=False)
    async with vk_worker(tmp_path, telegram) as (vk, settings):
        await _outlasting_a_stop(
            settings,
            hold,
            telegram,
            lambda: vk.user_message(VK_MANAGER_ID, QUESTION),
            lambda: vk_answers(vk),
            caplog,
            lambda: vk_polls(vk),
        )


async def test_a_max_update_that_outlasts_the_stop_is_handled_on_the_next_start(
    tmp_path: Path,
    hold: Hold,
    telegram: BotApiEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(bot.app, "STOP_GRACE", 0.2, raising=False)
    async with max_worker(tmp_path, telegram) as (maxbot, settings, answered):
        await _outlasting_a_stop(
            settings,
            hold,
            telegram,
            lambda: maxbot.user_message(MAX_MANAGER_ID, QUESTION),
            answered,
            caplog,
        )
