"""MAX's webhook inbox served over HTTP for a test: the bot running on a MAX emulator with
WEBHOOK_URL and WEBHOOK_SECRET set, and the inbox (`bot.app.max_webhook_inbox`) installed
in an aiohttp app listening on a free local port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.app import MAX_SECRET_HEADER, MAX_WEBHOOK_PATH, max_webhook_inbox
from bot.max.emulator import MaxApiEmulator
from bot.webhook import WebhookInbox
from tests.harness import Harness, running_bot

WEBHOOK_URL = "https://bot.example/webhook/telegram"  # MAX's is /webhook/max beside it


@dataclass(frozen=True)
class ServedInbox:
    harness: Harness
    emulator: MaxApiEmulator
    inbox: WebhookInbox
    secret: str
    base_url: str  # http://127.0.0.1:PORT

    @property
    def url(self) -> str:
        """Where MAX posts its events."""
        return self.base_url + MAX_WEBHOOK_PATH

    @property
    def headers(self) -> dict[str, str]:
        """A JSON post with the right secret."""
        return {MAX_SECRET_HEADER: self.secret, "Content-Type": "application/json"}


@contextlib.asynccontextmanager
async def max_inbox_over_http(tmp_path: Path, secret: str) -> AsyncIterator[ServedInbox]:
    """The bot on a fresh MAX emulator with the inbox served; all stopped afterwards
    (the server first, then the bot, then the emulator)."""
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    try:
        async with running_bot(
            tmp_path, maxbot=emulator, webhook_url=WEBHOOK_URL, webhook_secret=secret
        ) as harness:
            inbox = max_webhook_inbox(harness.services.settings, harness.services, harness.dp)
            assert inbox is not None
            app = web.Application()
            inbox.install(app)
            runner = web.AppRunner(app)
            await runner.setup()
            try:
                await web.TCPSite(runner, "127.0.0.1", 0).start()
                base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
                yield ServedInbox(harness, emulator, inbox, secret, base_url)
            finally:
                await runner.cleanup()
    finally:
        await emulator.stop()
