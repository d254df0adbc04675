"""Session 14 (task fix14b): operators get one clear line, and the HTTP API answers JSON.

1. Every CLI command that opens the database (`db upgrade`, `faq learned`, `faq teach`,
   `sales import`) says in one line that DATABASE_URL cannot be used, its password hidden,
   exit 2 — as `run` does — instead of a 130-line traceback.
2. `run` with a Telegram token that is no token, a token the platform refuses, or an API
   URL that does not answer stops with one line naming the variable, exit 2.
3. Settings are checked: WEBHOOK_SECRET (Telegram's characters), the API URLs (http or
   https with a host); an empty value is the variable not set, for every variable (the
   way .env.example leaves the optional ones).
4. Every error answer of the postback/webhook server is JSON (a body over 64 KB stays a
   413), and none repeats the request (a request line over 8 KB with `secret=…`).
5. A sales CSV imported again reports no new error: a row that is an older state of a
   conversion (applied before, the conversion moved on since — later in the same file or
   another import) is "unchanged", not «approved → pending is not allowed».
6. (noticed) The sandbox ending (end of input) or `run` stopping while a scheduled job runs
   logged «Job … raised an exception» with a CancelledError traceback: not an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.assembly import Services
from bot.cli import main
from bot.clock import FakeClock
from bot.config import ConfigError, Settings, load_settings
from bot.db.tables import conversion_events, conversions
from bot.http import create_http_app, start_http
from bot.logs import setup_logging
from bot.max.session import create_max_bot
from bot.startup import ApiUnreachable, TokenRefused, prepare_bot
from bot.telegram.emulator import BotApiEmulator
from bot.telegram.session import create_bot
from bot.vk.session import create_vk_bot
from tests.harness import DEMO_CONTENT, ROOT, create_services, make_settings
from tests.test_scale import SECRET as WEBHOOK_SECRET
from tests.test_scale import webhook_bot

# nothing listens on port 1: the connection is refused at once
UNREACHABLE = "postgresql+asyncpg://u:SeCrEtPw@127.0.0.1:1/db"


def _cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    folder: Path,
    argv: list[str],
    **env: str,
) -> tuple[int, list[str]]:
    """`partnerbot ARGV` run in `folder` (no .env there) with `env`: its exit code and the
    lines it wrote on stderr."""
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CONTENT_DIR", str(DEMO_CONTENT))
    monkeypatch.setenv("FAQ_VECTORS", "off")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()


# --- 1. the database not usable: one line, no secret, exit 2 ---


def _commands(folder: Path) -> list[list[str]]:
    sales = folder / "s.csv"
    sales.write_text("partner,conversion_id,status,amount\naff-1,c1,approved,10\n")
    teach = folder / "t.jsonl"
    teach.write_text('{"q": "когда выплаты", "id": "payout-dates"}\n')
    return [
        ["db", "upgrade"],
        ["faq", "learned"],
        ["faq", "learned", "--export"],
        ["faq", "teach", str(teach)],
        ["sales", "import", str(sales)],
    ]


@pytest.mark.parametrize("command", range(5))
def test_an_unreachable_database_is_one_line_in_every_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: int,
) -> None:
    argv = _commands(tmp_path)[command]
    code, err = _cli(monkeypatch, capsys, tmp_path, argv, DATABASE_URL=UNREACHABLE)
    assert code == 2, err
    assert err == [
        "partnerbot: DATABASE_URL: cannot use postgresql+asyncpg://u:***@127.0.0.1:1/db: "
        "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 1)"
    ]


@pytest.mark.parametrize("command", range(5))
def test_a_file_that_is_no_database_is_one_line_in_every_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: int,
) -> None:
    (tmp_path / "bot.db").write_text("not a database\n" * 100)
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    argv = _commands(tmp_path)[command]
    code, err = _cli(monkeypatch, capsys, tmp_path, argv, DATABASE_URL=url)
    assert code == 2, err
    assert err == [
        f"partnerbot: DATABASE_URL: cannot use {url}: DatabaseError: file is not a database"
    ]


def test_a_database_folder_that_cannot_be_made_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    url = f"sqlite+aiosqlite:///{tmp_path}/file/data/bot.db"  # a folder under a file
    code, err = _cli(monkeypatch, capsys, tmp_path, ["db", "upgrade"], DATABASE_URL=url)
    assert code == 2
    assert len(err) == 1
    assert err[0].startswith(f"partnerbot: DATABASE_URL: cannot use {url}: ")


# --- 2. a platform's bot that cannot start: one line naming the variable ---


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_with_a_telegram_token_that_is_no_token_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = _cli(monkeypatch, capsys, tmp_path, ["run"], TELEGRAM_BOT_TOKEN="not-a-token")
    assert code == 2
    assert err == [
        "partnerbot: configuration error: TELEGRAM_BOT_TOKEN: expected a token like "
        "123456789:AAE… from @BotFather"
    ]


def test_run_with_an_unreachable_telegram_api_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = _cli(
        monkeypatch,
        capsys,
        tmp_path,
        ["run"],
        TELEGRAM_BOT_TOKEN="123456:SeCrEtToKeN",
        TELEGRAM_API_URL="http://127.0.0.1:1",
        HTTP_PORT=str(_free_port()),
        LOG_LEVEL="WARNING",
    )
    assert code == 2
    assert err == [
        "partnerbot: TELEGRAM_API_URL: cannot reach http://127.0.0.1:1: ClientConnectorError: "
        "Cannot connect to host 127.0.0.1:1 ssl:default [Connect call failed ('127.0.0.1', 1)]"
    ]


async def _refused(settings: Settings, bot: object) -> str:
    services = await create_services(settings)
    try:
        with pytest.raises((TokenRefused, ApiUnreachable)) as caught:
            await prepare_bot(bot, services)  # type: ignore[arg-type]
    finally:
        await bot.session.close()  # type: ignore[attr-defined]
        await services.close()
    return str(caught.value)


async def test_a_telegram_token_refused_names_the_token(tmp_path: Path) -> None:
    emulator = BotApiEmulator()
    await emulator.start()
    try:
        settings = make_settings(tmp_path, telegram_api_url=emulator.base_url)
        said = await _refused(settings, create_bot("42:WrOnG", emulator.base_url))
    finally:
        await emulator.stop()
    assert said == "TELEGRAM_BOT_TOKEN: Telegram refused the token (Unauthorized)"


async def test_a_server_that_is_no_bot_api_names_the_url(tmp_path: Path) -> None:
    emulator = BotApiEmulator()  # its /file/… only: every method a 404 elsewhere
    await emulator.start()
    url = emulator.base_url + "/elsewhere"
    try:
        settings = make_settings(tmp_path, telegram_api_url=url)
        said = await _refused(settings, create_bot(emulator.token, url))
    finally:
        await emulator.stop()
    assert (
        said
        == f"TELEGRAM_API_URL: {url} is not answering as the Telegram API: its answer is not JSON"
    )
    assert emulator.token not in said


async def test_an_unreachable_vk_api_names_vk_api_url(tmp_path: Path) -> None:
    url = "http://127.0.0.1:1"
    settings = make_settings(tmp_path, vk_group_token="abc", vk_group_id=5, vk_api_url=url)
    said = await _refused(settings, create_vk_bot("abc", 5, url))
    assert said.startswith("VK_API_URL: cannot reach http://127.0.0.1:1: "), said


async def test_an_unreachable_max_api_names_max_api_url(tmp_path: Path) -> None:
    url = "http://127.0.0.1:1"
    settings = make_settings(tmp_path, max_bot_token="abc", max_api_url=url)
    said = await _refused(settings, create_max_bot("abc", url))
    assert said == "MAX_API_URL: cannot reach http://127.0.0.1:1: GET /me: ClientConnectorError"


# --- 3. settings checked; an empty value is the variable not set ---


def _load(monkeypatch: pytest.MonkeyPatch, folder: Path, **env: str) -> Settings:
    monkeypatch.chdir(folder)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        (
            "WEBHOOK_SECRET",
            "bad secret!!€",
            "WEBHOOK_SECRET: expected 1 to 256 letters A-Z, a-z, digits, _ and - "
            "(Telegram's rule)",
        ),
        ("WEBHOOK_SECRET", "x" * 257, "WEBHOOK_SECRET: expected 1 to 256 letters"),
        ("TELEGRAM_API_URL", "not a url", "TELEGRAM_API_URL: expected an http:// or https://"),
        ("VK_API_URL", "ftp://x", "VK_API_URL: expected an http:// or https:// address"),
        ("MAX_API_URL", "http://", "MAX_API_URL: expected an http:// or https:// address"),
        ("MAX_API_URL", "https://h:port", "MAX_API_URL: expected an http:// or https://"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN: expected a token like"),
        ("TELEGRAM_BOT_TOKEN", "123: abc", "TELEGRAM_BOT_TOKEN: expected a token like"),
        ("MAX_BOT_TOKEN", "abc def", "MAX_BOT_TOKEN: expected the token alone"),
        ("VK_GROUP_TOKEN", "abc\tdef", "VK_GROUP_TOKEN: expected the token alone"),
    ],
)
def test_bad_settings_are_refused_naming_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, said: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(monkeypatch, tmp_path, VK_GROUP_ID="5", **{name: value})
    assert str(caught.value).startswith(said), str(caught.value)
    if "TOKEN" in name or "SECRET" in name:
        assert value not in str(caught.value)


def test_good_settings_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = _load(
        monkeypatch,
        tmp_path,
        WEBHOOK_URL="https://bot.example/webhook/telegram",
        WEBHOOK_SECRET="Ab-9_" * 51,
        TELEGRAM_BOT_TOKEN="123456789:AAE-x_y",
        TELEGRAM_API_URL="http://127.0.0.1:8081",
        VK_API_URL="https://api.vk.ru/",
        MAX_API_URL="https://platform-api2.max.ru",
    )
    assert settings.telegram_api_url == "http://127.0.0.1:8081"


VARIABLES = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "VK_GROUP_TOKEN",
    "VK_GROUP_ID",
    "VK_API_URL",
    "MAX_BOT_TOKEN",
    "MAX_API_URL",
    "MAX_MANAGERS_CHAT_ID",
    "MAX_COMMUNITY_CHAT_ID",
    "DATABASE_URL",
    "REDIS_URL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "CONTENT_DIR",
    "MANAGERS",
    "TG_MANAGERS_CHAT_ID",
    "VK_MANAGERS_PEER_ID",
    "TG_COMMUNITY_CHAT_ID",
    "VK_COMMUNITY_PEER_ID",
    "TIMEZONE",
    "HTTP_HOST",
    "HTTP_PORT",
    "POSTBACK_SECRET",
    "DELIVERY_RATE",
    "LOG_LEVEL",
    "FAQ_VECTORS",
    "FAQ_VECTORS_CACHE",
]


@pytest.mark.parametrize("name", VARIABLES)
def test_an_empty_value_is_the_variable_not_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    assert name.lower() in Settings.model_fields
    unset = _load(monkeypatch, tmp_path)
    assert _load(monkeypatch, tmp_path, **{name: ""}) == unset
    assert unset.offline


def test_env_example_as_it_is_loads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """.env.example copied to .env unchanged: its empty lines are settings not set."""
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    settings = _load(monkeypatch, tmp_path)
    assert settings.offline
    assert settings.tg_managers_chat_id is None
    assert settings.webhook_secret is None
    assert settings.telegram_api_url is None
    assert settings.timezone == "Europe/Moscow"


# --- 4. the HTTP server's errors: JSON, never the request repeated ---

POSTBACK_SECRET = "s3cret-postback"


async def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """`request` sent as it is: the status, the headers and the body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _error_json(headers: dict[str, str], body: bytes) -> dict[str, object]:
    assert headers["content-type"].startswith("application/json"), (headers, body)
    answer = json.loads(body)
    assert answer["ok"] is False
    return dict(answer)


async def test_http_errors_are_json_and_never_repeat_the_request(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, postback_secret=POSTBACK_SECRET)
    services = await create_services(settings, FakeClock())

    async def broken() -> bytes:
        raise RuntimeError("a bug")

    runner = await start_http(create_http_app(settings, services.sales, broken), "127.0.0.1", 0)
    port = runner.addresses[0][1]
    try:
        long_query = f"secret=TopSecret1&partner={'a' * 9000}"
        status, headers, body = await _raw(
            port, f"GET /postback?{long_query} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )
        assert status == 400
        assert _error_json(headers, body) == {
            "ok": False,
            "error": "request: the request line or a header is longer than 8190 bytes",
            "field": "request",
        }
        assert b"TopSecret1" not in body
        assert b"aaaa" not in body

        header = f"X-Postback-Secret: TopSecret1{'b' * 9000}"
        status, headers, body = await _raw(
            port, f"GET /postback HTTP/1.1\r\nHost: x\r\n{header}\r\n\r\n".encode()
        )
        assert status == 400
        assert _error_json(headers, body)["field"] == "request"
        assert b"TopSecret1" not in body
        assert b"bbbb" not in body

        status, headers, body = await _raw(port, b"\x16\x03\x01 hello\r\n\r\n")  # TLS
        assert status == 400
        assert _error_json(headers, body)["field"] == "request"

        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}"
            big = {"partner": "aff-1", "conversion_id": "c1", "status": "approved",
                   "amount": "1", "secret": POSTBACK_SECRET, "x": "y" * 70_000}  # fmt: skip
            async with session.post(f"{url}/postback", data=big) as response:
                assert response.status == 413
                assert await response.json() == {
                    "ok": False,
                    "error": "body: larger than 65536 bytes",
                    "field": "body",
                }
            async with session.get(f"{url}/nowhere") as response:
                assert response.status == 404
                assert await response.json() == {"ok": False, "error": "not found"}
            async with session.put(f"{url}/postback") as response:
                assert response.status == 405
                assert await response.json() == {"ok": False, "error": "method not allowed"}
                assert "GET" in response.headers["Allow"]
            async with session.get(f"{url}/metrics") as response:
                assert response.status == 500
                assert await response.json() == {"ok": False, "error": "internal error"}
            async with session.get(f"{url}/health") as response:  # still serving
                assert await response.json() == {"ok": True}
    finally:
        await runner.cleanup()
        await services.close()


async def test_a_webhook_body_over_64_kb_is_a_json_413(tmp_path: Path) -> None:
    async with webhook_bot(tmp_path) as (_emulator, inbox, url), aiohttp.ClientSession() as s:
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        update = {"update_id": 1, "message": {"text": "x" * 70_000}}
        async with s.post(url, json=update, headers=headers) as response:
            assert response.status == 413
            assert (await response.json())["error"] == "body: larger than 65536 bytes"
        assert inbox.received == 0


# --- 5. a CSV imported again: no new error ---

TESTERS_CSV = """partner,conversion_id,status,amount,currency,ts
aff-anna,c1,paid,1000,RUB,2026-11-01T10:00:00+03:00
aff-anna,c2,trial,500,,
aff-anna,c3,wow,1,,
aff-anna,c4,paid,-3,,
,c5,paid,1,,
aff-anna,c1,paid,1000,RUB,2026-11-01T10:00:00+03:00
aff-anna,c2,paid,500,,
aff-anna,p4,trial,2500.50,,
aff-anna,p4,paid,2500.50,,
aff-anna,p4,refund,2500.50,,
"""
KEITARO_LIKE = "{paid: approved, trial: pending, refund: declined}"


async def _csv_services(tmp_path: Path) -> Services:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    program = content / "program.yaml"
    text = program.read_text(encoding="utf-8")
    assert "status_map:" in text
    lines = [
        f"  status_map: {KEITARO_LIKE}" if line.strip().startswith("status_map:") else line
        for line in text.splitlines()
    ]
    program.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return await create_services(make_settings(tmp_path, content_dir=content), FakeClock())


async def test_a_csv_imported_again_reports_no_new_error(tmp_path: Path) -> None:
    services = await _csv_services(tmp_path)
    path = tmp_path / "s.csv"
    path.write_text(TESTERS_CSV, encoding="utf-8")
    try:
        first = await services.sales.import_csv(path)
        again = await services.sales.import_csv(path)
        async with services.db.read() as conn:
            events = await conn.scalar(sa.select(sa.func.count()).select_from(conversion_events))
            query = sa.select(conversions.c.conversion_id, conversions.c.status)
            statuses = {row.conversion_id: row.status for row in await conn.execute(query)}
    finally:
        await services.close()
    refused = [line for line, _reason in first.rejected]
    assert refused == [4, 5, 6]  # wow, -3, no partner: refused each time alike
    assert (first.inserted, first.updated, first.unchanged) == (3, 3, 1)
    assert again.rejected == first.rejected  # nothing new
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 7)
    assert statuses == {"c1": "approved", "c2": "approved", "p4": "declined"}
    assert events == 6  # nothing written twice


async def test_a_status_going_back_that_never_was_is_still_refused(tmp_path: Path) -> None:
    services = await _csv_services(tmp_path)
    path = tmp_path / "s.csv"
    path.write_text(
        "partner,conversion_id,status,amount\n"
        "aff-anna,c1,paid,100\n"
        "aff-anna,c1,trial,100\n"  # never pending: going back
        "aff-anna,c2,trial,100\n"
        "aff-anna,c2,paid,100\n"
        "aff-anna,c2,trial,90\n"  # pending, but not as it was: going back
        "aff-anna,c2,trial,100\n"  # as it was (line 4), moved on since (line 5): unchanged
        "aff-anna,c2,refund,100\n"
        "aff-anna,c2,paid,100\n",  # as it was (line 5): unchanged
        encoding="utf-8",
    )
    try:
        report = await services.sales.import_csv(path)
    finally:
        await services.close()
    assert report.rejected == [
        (3, "conversion c1: approved → pending is not allowed"),
        (6, "conversion c2: approved → pending is not allowed"),
    ]
    assert (report.inserted, report.updated, report.unchanged) == (2, 2, 2)


# --- 6. a job cancelled because the process stops is no error ---


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_job_cancelled_at_stop_is_not_logged_as_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    monkeypatch.chdir(tmp_path)
    setup_logging(load_settings(log_level="INFO"))
    seen = _Records()
    jobs = logging.getLogger("apscheduler.executors.default")
    jobs.addHandler(seen)
    running: dict[str, asyncio.Task[object]] = {}
    both = asyncio.Event()

    def note(name: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        running[name] = task
        if len(running) == 2:
            both.set()

    async def tick() -> None:
        note("tick")
        await asyncio.Event().wait()  # still running when the process stops

    async def broken() -> None:
        note("broken")
        raise RuntimeError("a real failure")

    scheduler = AsyncIOScheduler()
    scheduler.add_job(tick, "date")
    scheduler.add_job(broken, "date")
    try:
        scheduler.start()
        await asyncio.wait_for(both.wait(), 10)
        await asyncio.wait([running["broken"]])  # it failed, and apscheduler logged it
        scheduler.shutdown(wait=False)  # the tick is cancelled
        await asyncio.wait([running["tick"]])  # apscheduler's callback ran first
    finally:
        jobs.removeHandler(seen)
    errors = [r for r in seen.records if r.levelno >= logging.ERROR]
    assert [str(r.exc_info[1]) for r in errors if r.exc_info] == ["a real failure"]
