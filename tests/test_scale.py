"""Scale-out (issue 7): the outbox claimed by one worker at a time, Telegram by webhook,
Redis going away, one leader at a time, and two worker processes on one PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.assembly import create_dispatcher, create_services
from bot.clock import FakeClock
from bot.http import create_http_app, start_http
from bot.leader import Leadership
from bot.services.outbox_enqueue import OutMessage
from bot.telegram.emulator import BotApiEmulator, RateLimits
from bot.telegram.session import create_bot
from bot.webhook import SECRET_HEADER, WebhookInbox
from tests.databases import PG_URL, database_url
from tests.harness import DEMO_CONTENT, MANAGER_ID, make_settings, running_bot

ROOT = Path(__file__).resolve().parent.parent
SECRET = "webhook-secret-for-tests"
postgres_only = pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_two_workers_claim_disjoint_rows(tmp_path: Path) -> None:
    services = await create_services(make_settings(tmp_path), FakeClock())
    try:
        await services.outbox.enqueue(
            [OutMessage(f"c:{n}", "community", "tg", n, "Новость") for n in range(100)]
        )
        first, second = await asyncio.gather(
            services.outbox.claim(60, "tg"), services.outbox.claim(60, "tg")
        )
        ids_first, ids_second = {r.id for r in first}, {r.id for r in second}
        assert not ids_first & ids_second
        assert len(ids_first | ids_second) == 100
        assert await services.outbox.claim(60, "tg") == []  # all taken
        assert await services.outbox.release_claims() == 100
        assert len(await services.outbox.claim(200, "tg")) == 100
    finally:
        await services.close()


@contextlib.asynccontextmanager
async def webhook_bot(tmp_path: Path) -> AsyncIterator[tuple[BotApiEmulator, WebhookInbox, str]]:
    emulator = BotApiEmulator(limits=RateLimits(chat_burst=1000))
    await emulator.start()
    services = await create_services(make_settings(tmp_path), FakeClock())
    bot = create_bot(emulator.token, emulator.base_url, migrations=services.migrations)
    services.platforms.add(bot)
    dp = create_dispatcher(services)
    inbox = WebhookInbox(services.db, services.clock, dp, bot, SECRET)
    app = create_http_app(services.settings, services.sales)
    inbox.install(app)
    port = _free_port()
    http = await start_http(app, "127.0.0.1", port)
    try:
        yield emulator, inbox, f"http://127.0.0.1:{port}/webhook/telegram"
    finally:
        await inbox.drain()
        await http.cleanup()
        await bot.session.close()
        await services.close()
        await emulator.stop()


async def test_webhook_checks_the_secret_keeps_the_update_and_handles_it_once(
    tmp_path: Path,
) -> None:
    async with webhook_bot(tmp_path) as (emulator, inbox, url), aiohttp.ClientSession() as http:
        emulator.add_user(101, "Анна")
        update = emulator.take_update(emulator.user_message(101, "/start"))
        async with http.post(url, json=update) as response:
            assert response.status == 401  # no secret
        async with http.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as response:
            assert response.status == 401
        assert inbox.received == 0
        for _ in range(2):  # Telegram delivers it twice
            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 200
        async with http.post(url, data=b"{", headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400
        await inbox.drain()
        assert (inbox.received, inbox.duplicates) == (1, 1)
        greetings = [m for m in emulator.chat_messages(101) if "Здравствуйте" in m.plain]
        assert len(greetings) == 1


async def test_an_acknowledged_update_survives_a_crash(tmp_path: Path) -> None:
    """Stored, 200 sent, the process died before handling it: the leader handles it."""
    from datetime import timedelta

    import sqlalchemy as sa

    from bot.db.tables import webhook_updates

    async with webhook_bot(tmp_path) as (emulator, inbox, _url):
        emulator.add_user(102, "Борис")
        update = emulator.take_update(emulator.user_message(102, "/start"))
        clock = inbox._clock
        async with inbox._db.write() as conn:
            await conn.execute(
                webhook_updates.insert().values(
                    platform="tg",
                    update_id=update["update_id"],
                    body=update,
                    received_at=clock.now(),
                    taken_at=clock.now(),
                )
            )
        assert await inbox.recover() == 0  # too fresh: its process may still be on it
        assert isinstance(clock, FakeClock)
        clock.advance(timedelta(minutes=2).total_seconds())
        assert await inbox.recover() == 1
        assert any("Здравствуйте" in m.plain for m in emulator.chat_messages(102))
        async with inbox._db.read() as conn:
            handled = (await conn.execute(sa.select(webhook_updates.c.handled_at))).scalar()
        assert handled is not None


async def test_redis_going_away_does_not_stop_the_bot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.redis_state")
    async with running_bot(tmp_path, redis_url="redis://127.0.0.1:9/0") as harness:
        anna = harness.user(103)
        await anna.onboard()  # a whole dialog, with its state in the process meanwhile
        replies = await anna.send("когда выплаты")
        assert "10 и 25 числа" in replies[-1].plain
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.redis_state"]
    assert len(messages) == 1  # said once per outage
    assert messages[0].startswith("Redis unreachable")


async def until(condition: Callable[[], object], what: str, within: float = 30.0) -> None:
    """Wait for a condition (a busy machine may take a while), not for a fixed time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.02)


@postgres_only
async def test_one_leader_at_a_time_and_a_quick_takeover(tmp_path: Path) -> None:
    # a database of its own: advisory locks are per database, and another checkout may
    # run this test on the same server at the same time
    url = database_url(tmp_path)
    led: list[str] = []

    def duties(name: str) -> tuple[object, object]:
        async def elected() -> None:
            led.append(f"{name}+")

        async def deposed() -> None:
            led.append(f"{name}-")

        return elected, deposed

    first_up, first_down = duties("a")
    second_up, second_down = duties("b")
    first = asyncio.create_task(
        Leadership(url, poll=0.2).run(first_up, first_down)  # type: ignore[arg-type]
    )
    await until(lambda: led == ["a+"], "the first leads")
    standby = Leadership(url, poll=0.2)
    second = asyncio.create_task(standby.run(second_up, second_down))  # type: ignore[arg-type]
    await until(lambda: standby.tries >= 2, "the second asked twice")
    assert led == ["a+"]  # the second waits
    first.cancel()  # the leader goes away: its connection closes, the lock is free
    with contextlib.suppress(asyncio.CancelledError):
        await first
    await until(lambda: "b+" in led, "the takeover")
    assert led == ["a+", "a-", "b+"]
    second.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second


async def _spawn(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env
    )


@postgres_only
async def test_two_worker_processes_one_broadcast_and_a_leader_killed(tmp_path: Path) -> None:
    """Two `partnerbot run` processes on one PostgreSQL: the leader delivers; killed
    halfway, the other takes over and finishes; nobody gets it twice beyond the requests
    in flight, nobody is missed."""
    url = database_url(tmp_path)
    emulator = BotApiEmulator(limits=RateLimits.off(), latency=0.02)
    await emulator.start()
    chats = list(range(7000, 7300))
    for chat in chats:
        emulator.add_user(chat, f"P{chat}")
    services = await create_services(make_settings(tmp_path), FakeClock())
    await services.outbox.enqueue(
        [OutMessage(f"w:{chat}", "community", "tg", chat, "Анонс") for chat in chats]
    )
    await services.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TG_", "VK_"))}
    port = _free_port()
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        DATABASE_URL=url,
        CONTENT_DIR=str(DEMO_CONTENT),
        MANAGERS=f"tg:{MANAGER_ID}",
        LOG_LEVEL="WARNING",
        DELIVERY_RATE="60",
        HTTP_PORT=str(port),
    )
    env.pop("REDIS_URL", None)
    sent: list[int] = []
    halfway = asyncio.Event()

    def count(message: object) -> None:
        sent.append(1)
        if len(sent) >= 100:
            halfway.set()

    emulator.listeners.append(count)
    first = await _spawn(env)
    await asyncio.wait_for(halfway.wait(), 60)
    second = await _spawn(env)  # a standby: it shares the port and waits for the lock
    await asyncio.sleep(3)
    first.send_signal(signal.SIGKILL)  # the leader dies mid-broadcast
    await first.wait()
    try:
        await until(lambda: all(emulator.chat_messages(chat) for chat in chats), "everyone", 120)
        await asyncio.sleep(1.0)  # anything late would show now
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
        await emulator.stop()
    counts = [len(emulator.chat_messages(chat)) for chat in chats]
    assert min(counts) == 1  # nobody missed: the standby took over
    assert sum(counts) - len(chats) <= 8  # duplicates: at most the requests in flight


async def test_metrics_in_prometheus_format(tmp_path: Path) -> None:
    from bot import metrics

    async with running_bot(tmp_path) as harness:
        anna = harness.user(104)
        await anna.send("/start")
        await harness.services.outbox.enqueue(
            [OutMessage("m:1", "community", "tg", 104, "Новость")]
        )
        harness.clock.advance(30)
        body = (await metrics.render(harness.services.db, harness.services.clock)).decode()
        assert 'partnerbot_updates_handled_total{platform="tg"}' in body
        assert 'partnerbot_outbox_rows{status="queued"} 1.0' in body
        assert "partnerbot_outbox_lag_seconds 30.0" in body
        await harness.deliver()
        body = (await metrics.render(harness.services.db, harness.services.clock)).decode()
        assert 'partnerbot_outbox_rows{status="sent"} 1.0' in body
        assert "partnerbot_outbox_lag_seconds 0.0" in body
        assert "partnerbot_ticket_first_reply_seconds" in body
        assert "partnerbot_delivery_429_total" in body


@postgres_only
async def test_two_webhook_workers_handle_an_update_delivered_twice_once(tmp_path: Path) -> None:
    """`partnerbot run --workers 2` behind its webhook: the same update posted four times
    (each on a new connection, so both workers get some) is answered once."""
    url = database_url(tmp_path)
    emulator = BotApiEmulator(limits=RateLimits(chat_burst=1000))
    await emulator.start()
    emulator.add_user(105, "Вера")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TG_", "VK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_URL=emulator.base_url,
        DATABASE_URL=url,
        CONTENT_DIR=str(DEMO_CONTENT),
        LOG_LEVEL="WARNING",
        HTTP_PORT=str(port),
        WEBHOOK_URL="https://bot.example/webhook/telegram",
        WEBHOOK_SECRET=SECRET,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--workers", "2", cwd=ROOT, env=env
    )
    try:
        # the leader registers the webhook once it leads (three processes start first:
        # up to a minute on a loaded machine; the bound only catches a hang)
        for _ in range(600):
            if emulator.webhook is not None:
                break
            await asyncio.sleep(0.1)
        assert emulator.webhook is not None
        assert emulator.webhook["url"] == "https://bot.example/webhook/telegram"
        assert emulator.webhook["secret_token"] == SECRET
        await asyncio.sleep(3)  # the second worker listens too
        update = emulator.take_update(emulator.user_message(105, "/start"))
        for _ in range(4):
            async with (
                aiohttp.ClientSession() as http,  # a new connection each time
                http.post(
                    f"http://127.0.0.1:{port}/webhook/telegram",
                    json=update,
                    headers={SECRET_HEADER: SECRET},
                ) as response,
            ):
                assert response.status == 200
        await until(lambda: emulator.chat_messages(105), "the answer", within=60)
        await asyncio.sleep(1.0)  # a second answer would show now
        greetings = [m for m in emulator.chat_messages(105) if "Здравствуйте" in m.plain]
        assert len(greetings) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await emulator.stop()
