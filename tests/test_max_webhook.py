"""MAX start-up and webhooks: started the way production starts (`run_bots` with
WEBHOOK_URL set and MAX enabled: the leader subscribes, MAX posts an event to the HTTP
endpoint, it is stored before the 200 and answered; a post with a wrong secret is refused
and nothing is stored), the webhook inbox piece by piece, a wrong token, missing
rights."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import MAX_SECRET_HEADER, MAX_WEBHOOK_PATH, run_bots
from bot.assembly import create_services
from bot.db.tables import webhook_updates
from bot.max.emulator import MaxApiEmulator
from bot.max.rights import check_max_rights
from bot.max.session import MaxSession, create_max_bot
from bot.startup import TokenRefused, prepare_bot, prepare_max_bot
from tests.harness import make_settings, running_bot

SECRET = "s3cret-value"
MAX_MANAGERS = -7001
MAX_COMMUNITY = -7002


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


async def test_max_by_webhook_from_start_up_to_the_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.http")
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
        # the start-up line names every path served, MAX's webhook too (an operator
        # forwards what it names: the tester of session 26 read «(/health, /postback)»)
        (listening,) = [
            r.getMessage() for r in caplog.records if r.getMessage().startswith("HTTP endpoint")
        ]
        assert listening == (
            f"HTTP endpoint on http://127.0.0.1:{port} "
            f"(/health, /metrics, /postback, {MAX_WEBHOOK_PATH})"
        )

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


async def test_max_by_webhook_persist_first_once_each(tmp_path: Path) -> None:
    from bot.app import max_webhook_url
    from tests.max_inbox import WEBHOOK_URL, max_inbox_over_http

    assert max_webhook_url(WEBHOOK_URL) == "https://bot.example/webhook/max"

    async with max_inbox_over_http(tmp_path, SECRET) as served:
        harness, emulator, inbox = served.harness, served.emulator, served.inbox
        emulator.webhook_target = served.base_url
        session = harness.max_bot.session if harness.max_bot else None
        assert isinstance(session, MaxSession)
        await session.subscribe("https://bot.example/webhook/max", SECRET, ["message_created"])
        maria = harness.max_user(370)
        emulator.user_message(370, "когда выплаты")
        for _ in range(100):
            await inbox.drain()
            if maria.messages:
                break
            await asyncio.sleep(0.02)
        # someone new is asked to /start first (nothing is stored before)
        assert "/start" in maria.last.plain
        assert inbox.received == 1
        # MAX delivering the same event again: stored once, handled once
        event = emulator.feed.events[-1]
        await emulator._deliver_webhook(event)
        await inbox.drain()
        assert inbox.duplicates == 1
        assert len(maria.messages) == 1
        # without the secret: 401, nothing stored
        async with (
            aiohttp.ClientSession() as http,
            http.post(served.url, json=event) as response,
        ):
            assert response.status == 401
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                served.url, json={"not": "an event"}, headers={MAX_SECRET_HEADER: SECRET}
            ) as response,
        ):
            assert response.status == 400
        # back to long polling: the subscription is removed at start-up
        await prepare_max_bot(harness.max_bot, session, harness.services)
        assert emulator.subscriptions == []


async def test_a_wrong_max_token_stops_start_up_naming_it(tmp_path: Path) -> None:
    emulator = MaxApiEmulator()
    await emulator.start()
    services = await create_services(make_settings(tmp_path, max_bot_token="wrong"))
    bot = create_max_bot("wrong", emulator.base_url)
    try:
        with pytest.raises(TokenRefused, match=r"^MAX_BOT_TOKEN: MAX refused the token"):
            await prepare_bot(bot, services)
    finally:
        await bot.session.close()
        await services.close()
        await emulator.stop()


async def test_missing_rights_in_max_chats_are_said_plainly(tmp_path: Path) -> None:
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(MAX_MANAGERS, "Менеджеры")
    emulator.add_chat(MAX_COMMUNITY, "Партнёры", permissions=["write"])
    try:
        async with running_bot(
            tmp_path,
            maxbot=emulator,
            max_managers_chat_id=MAX_MANAGERS,
            max_community_chat_id=MAX_COMMUNITY,
        ) as harness:
            (told,) = emulator.chat_messages(MAX_MANAGERS)
            assert "«Партнёры»" in told.plain
            assert "Читать все сообщения" in told.plain
            assert "Менеджеры" not in told.plain
            emulator.chats[MAX_COMMUNITY].bot_admin = False
            session = harness.max_bot.session if harness.max_bot else None
            assert isinstance(session, MaxSession)
            l10n = harness.services.content_store.live.translator.get(None)
            lines = await check_max_rights(
                harness.max_bot, session, harness.services.settings, l10n
            )  # type: ignore[arg-type]
            assert len(lines) == 1
            assert "бот не администратор" in lines[0]
    finally:
        await emulator.stop()
