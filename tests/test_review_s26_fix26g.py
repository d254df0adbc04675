"""Session 26, task fix26g: a WEBHOOK_URL whose path another route of the HTTP endpoint
serves. With Telegram and MAX on and `WEBHOOK_URL=https://bot.example/webhook/max` (where
MAX posts), `partnerbot run` stopped with aiohttp's «RuntimeError: Added route will never be
executed, method POST is already registered» and its traceback; `/postback` did the same,
and `/health` or `/metrics` put Telegram's updates on the health check's or the metrics'
path (a proxy forwarding `/metrics` to Telegram showed it to everyone). Now such a
configuration is refused at start like any bad setting: one line naming WEBHOOK_URL, the
path and what serves it, exit 2."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.app import MAX_WEBHOOK_PATH, max_webhook_inbox, run_bots
from bot.config import ConfigError, Settings, load_settings
from bot.http import create_http_app
from bot.max.emulator import MaxApiEmulator
from bot.telegram.emulator import BotApiEmulator
from bot.webhook import SECRET_HEADER
from tests.databases import database_url
from tests.harness import make_settings, running_bot
from tests.processes import ROOT, bot_env, free_port, until

SECRET = "fix26g-secret"
TELEGRAM_TOKEN = "123456789:AAE-fix26g"
ELSE = "; Telegram's webhook needs a path of its own, such as /webhook/telegram"
TAKEN = {
    "/webhook/max": "MAX's webhook (MAX_BOT_TOKEN is set)",
    "/postback": "the sales postback",
    "/health": "the health check",
    "/metrics": "the metrics",
}


def _load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> Settings:
    monkeypatch.chdir(tmp_path)  # no .env file here
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def _both_by_webhook(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, webhook_url: str, **env: str
) -> Settings:
    """Telegram and MAX on, by webhook at `webhook_url`."""
    return _load(
        monkeypatch,
        tmp_path,
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        MAX_BOT_TOKEN="max-token",
        WEBHOOK_URL=webhook_url,
        WEBHOOK_SECRET=SECRET,
        **env,
    )


async def test_partnerbot_run_refuses_telegrams_webhook_on_maxs_path(tmp_path: Path) -> None:
    """The case found: `partnerbot run` with Telegram and MAX on and WEBHOOK_URL at MAX's
    path says so in one line and exits 2, no traceback, before asking either platform
    anything."""
    telegram, maxbot = BotApiEmulator(), MaxApiEmulator(rate=10_000)
    await telegram.start()
    await maxbot.start()
    try:
        env = bot_env(
            telegram,
            database_url(tmp_path),
            free_port(),
            MAX_BOT_TOKEN=maxbot.token,
            MAX_API_URL=maxbot.base_url,
            WEBHOOK_URL="https://bot.example/webhook/max",
            WEBHOOK_SECRET=SECRET,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 120)
        said = err.decode(errors="replace")
        assert process.returncode == 2, said
        assert said.splitlines() == [
            "partnerbot: configuration error: WEBHOOK_URL: the path /webhook/max is taken by"
            f" {TAKEN['/webhook/max']}{ELSE}"
        ], said
        assert not out
        assert not telegram.requests
        assert not maxbot.requests
    finally:
        await telegram.stop()
        await maxbot.stop()


@pytest.mark.parametrize(
    "webhook_url",
    [
        *(f"https://bot.example{path}" for path in TAKEN),
        "https://bot.example:8443/postback?from=telegram",  # a port and a query: its path
        "https://bot.example/postback;v=1",  # `;v=1`: parameters, not the path (urlparse)
    ],
)
def test_a_webhook_path_another_route_serves_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, webhook_url: str
) -> None:
    path = next(path for path in TAKEN if path in webhook_url)
    with pytest.raises(ConfigError) as caught:
        _both_by_webhook(monkeypatch, tmp_path, webhook_url)
    assert str(caught.value) == f"WEBHOOK_URL: the path {path} is taken by {TAKEN[path]}{ELSE}"


async def test_every_path_the_endpoint_serves_is_refused_as_telegrams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoint built as `run_bots` builds it (its routes, the metrics, MAX's webhook
    inbox): a WEBHOOK_URL at any path it serves is refused, so a route added to it later
    is refused too, or this test says which is not."""
    async with running_bot(
        tmp_path,
        maxbot=True,
        webhook_url="https://bot.example/webhook/telegram",
        webhook_secret=SECRET,
    ) as harness:
        services = harness.services

        async def metrics() -> bytes:
            return b""

        app = create_http_app(services.settings, services.sales, metrics)
        inbox = max_webhook_inbox(services.settings, services, harness.dp)
        assert inbox is not None
        inbox.install(app)
    served = {resource.canonical for resource in app.router.resources()}
    assert served == set(TAKEN), "a path served: say what it is in bot.config and in TAKEN"
    for path in sorted(served):
        with pytest.raises(ConfigError, match=f"^WEBHOOK_URL: the path {path} is taken by"):
            _both_by_webhook(monkeypatch, tmp_path, f"https://bot.example{path}")


@pytest.mark.parametrize(
    "webhook_url",
    [
        "https://bot.example/webhook/telegram",
        "https://bot.example/postback/",  # another path for aiohttp
        "https://bot.example/Health",
        "https://bot.example/webhook/max/telegram",
        "https://bot.example/hooks?path=/postback",
    ],
)
def test_a_path_of_its_own_is_accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, webhook_url: str
) -> None:
    assert _both_by_webhook(monkeypatch, tmp_path, webhook_url).webhook_url == webhook_url


def test_the_path_counts_only_where_telegrams_webhook_is_served(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """MAX alone takes only WEBHOOK_URL's host (its path is not served); without MAX,
    /webhook/max is free for Telegram."""
    maxonly = _load(
        monkeypatch,
        tmp_path,
        MAX_BOT_TOKEN="max-token",
        WEBHOOK_URL="https://bot.example/postback",
        WEBHOOK_SECRET=SECRET,
    )
    assert not maxonly.offline
    monkeypatch.delenv("MAX_BOT_TOKEN")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example/webhook/max")
    assert load_settings().webhook_url == "https://bot.example/webhook/max"


async def test_telegram_alone_by_webhook_at_webhook_max_answers(tmp_path: Path) -> None:
    """Without MAX, Telegram's webhook at /webhook/max starts (as before) and a /start
    posted there is answered: the refusal is only where the paths meet."""
    emulator = BotApiEmulator()
    await emulator.start()
    port = free_port()
    settings = make_settings(
        tmp_path,
        telegram_bot_token=emulator.token,
        telegram_api_url=emulator.base_url,
        webhook_url="https://bot.example/webhook/max",
        webhook_secret=SECRET,
        http_host="127.0.0.1",
        http_port=port,
    )
    running = asyncio.create_task(run_bots(settings))
    try:
        await until(lambda: emulator.webhook is not None or running.done(), "the webhook set")
        assert not running.done(), running.exception()
        assert emulator.webhook is not None
        assert emulator.webhook["url"] == "https://bot.example/webhook/max"
        emulator.add_user(2671, "Анна")
        update = emulator.take_update(emulator.user_message(2671, "/start"))
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}{MAX_WEBHOOK_PATH}",
                json=update,
                headers={SECRET_HEADER: SECRET},
            ) as response,
        ):
            assert response.status == 200
        await until(lambda: emulator.chat_messages(2671), "the greeting")
        assert "Анна" in emulator.chat_messages(2671)[0].plain
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await emulator.stop()
