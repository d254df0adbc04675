"""MAX by webhook, started the way production starts (`run_bots` with WEBHOOK_URL set and
MAX enabled): the leader subscribes, MAX posts an event to the HTTP endpoint, it is
stored before the 200 and answered; a post with a wrong secret is refused and nothing is
stored."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import MAX_SECRET_HEADER, MAX_WEBHOOK_PATH, run_bots
from bot.db.tables import webhook_updates
from bot.max.emulator import MaxApiEmulator
from tests.harness import make_settings

SECRET = "s3cret-value"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def stored(database_url: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(webhook_updates)))
    finally:
        await engine.dispose()


async def until(condition: object, what: str, within: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.02)


async def test_max_by_webhook_from_start_up_to_the_answer(tmp_path: Path) -> None:
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    port = free_port()
    settings = make_settings(
        tmp_path,
        max_bot_token=emulator.token,
        max_api_url=emulator.base_url,
        managers="max:700001",
        webhook_url="https://bot.example/webhook/telegram",
        webhook_secret=SECRET,
        http_host="127.0.0.1",
        http_port=port,
    )
    # MAX posts to the public address; here the proxy in front is the emulator's rebase
    emulator.webhook_target = f"http://127.0.0.1:{port}"
    endpoint = f"http://127.0.0.1:{port}{MAX_WEBHOOK_PATH}"
    running = asyncio.create_task(run_bots(settings))
    try:
        await until(lambda: emulator.subscriptions or running.done(), "the subscription")
        assert not running.done(), running.exception()
        (subscription,) = emulator.subscriptions
        assert subscription["url"] == f"https://bot.example{MAX_WEBHOOK_PATH}"
        assert subscription["secret"] == SECRET
        assert "message_callback" in subscription["update_types"]
        assert not [r for r in emulator.requests if r.method == "GET /updates"]  # no polling

        maria = emulator.add_user(501, "Мария")
        emulator.open_bot(501, "ref_demo")  # MAX posts `bot_started` to the endpoint
        await until(lambda: emulator.dialog_messages(501), "the greeting")
        assert "Мария" in emulator.dialog_messages(501)[0].plain
        assert emulator.webhook_deliveries == 1
        assert await stored(settings.database_url) == 1  # stored before it was handled

        # a post without the right secret: refused, nothing stored, nothing answered
        event = emulator.feed.events[-1]
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {MAX_SECRET_HEADER: "wrong"}):
                async with http.post(endpoint, json=event, headers=headers) as response:
                    assert response.status == 401
        assert await stored(settings.database_url) == 1
        answered = len(emulator.dialog_messages(maria.user_id))
        await asyncio.sleep(0.2)
        assert len(emulator.dialog_messages(maria.user_id)) == answered
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await emulator.stop()
