"""Session 12 (task fixr1): defects found by the independent tester.

2. A postback or CSV amount of minus zero (`-0`, `-0.00`, JSON `"-0"` and `-0.0`) was
   taken as 0: every amount with a leading minus is refused as «a decimal ≥ 0».
3. /announce → the partners' chat with none set names every setting, MAX's too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.assembly import Services, create_services
from bot.cli import main
from bot.clock import FakeClock
from bot.http import create_http_app, start_http
from tests.harness import MANAGER_ID, Harness, make_settings

SECRET = "s3cret-postback"
Endpoint = tuple[str, aiohttp.ClientSession]

# --- 2. minus zero is a negative amount ---


@pytest.fixture
async def endpoint(tmp_path: Path) -> AsyncIterator[tuple[Services, Endpoint]]:
    built = await create_services(make_settings(tmp_path, postback_secret=SECRET), FakeClock())
    runner = await start_http(create_http_app(built.settings, built.sales), "127.0.0.1", 0)
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield built, (f"http://127.0.0.1:{port}", session)
    await runner.cleanup()
    await built.close()


async def test_a_postback_amount_of_minus_zero_is_refused(
    endpoint: tuple[Services, Endpoint],
) -> None:
    services, (base, session) = endpoint
    row = {"partner": "aff-1", "status": "approved", "secret": SECRET}

    async def answer(response: aiohttp.ClientResponse) -> tuple[int, Any]:
        return response.status, await response.json()

    refused = (400, {"ok": False, "error": "amount: a decimal ≥ 0", "field": "amount"})
    for n, amount in enumerate(("-0", "-0.00", "-0,0", " -0 ", "-00")):
        params = row | {"conversion_id": f"q{n}", "amount": amount}
        async with session.get(f"{base}/postback", params=params) as response:
            assert await answer(response) == refused, amount
        async with session.post(f"{base}/postback", data=params) as response:
            assert await answer(response) == refused, amount
    for n, amount in enumerate(('"-0"', "-0.0", "-0", '"-0.00"')):
        async with session.post(
            f"{base}/postback?secret={SECRET}",
            data=f'{{"partner": "aff-1", "conversion_id": "j{n}", "status": "approved",'
            f' "amount": {amount}}}',
            headers={"Content-Type": "application/json"},
        ) as response:
            assert await answer(response) == refused, amount
    # zero itself is still a sale of nothing
    params = row | {"conversion_id": "z", "amount": "0.00"}
    async with session.get(f"{base}/postback", params=params) as response:
        assert await answer(response) == (200, {"ok": True, "result": "inserted"})
    async with services.db.read() as conn:
        count = await conn.exec_driver_sql("SELECT conversion_id FROM conversions")
        assert [conversion_id for (conversion_id,) in count] == ["z"]


def test_a_csv_amount_of_minus_zero_is_that_lines_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "csv.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("CONTENT_DIR", str(Path(__file__).resolve().parent.parent / "content"))
    sheet = tmp_path / "sales.csv"
    sheet.write_text(
        "partner,conversion_id,status,amount\n"
        "aff-1,c1,approved,-0\n"
        "aff-1,c2,approved,-0.00\n"
        "aff-1,c3,approved,0\n",
        encoding="utf-8",
    )
    assert main(["sales", "import", str(sheet)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "inserted 1, updated 0, unchanged 0, rejected 2",
        "sales.csv:2: amount: a decimal ≥ 0",
        "sales.csv:3: amount: a decimal ≥ 0",
    ]
    with sqlite3.connect(database) as conn:
        assert [row[0] for row in conn.execute("SELECT conversion_id FROM conversions")] == ["c3"]


# --- 3. no partners' chat: all three settings named ---


@pytest.mark.parametrize(
    ("language", "button", "answer"),
    [
        (
            "ru",
            "💬 В чат партнёров",
            "Чат партнёров не настроен (TG_COMMUNITY_CHAT_ID, VK_COMMUNITY_PEER_ID,"
            " MAX_COMMUNITY_CHAT_ID) — выберите другую аудиторию.",
        ),
        (
            "en",
            "💬 The partners' chat",
            "The partners' chat is not set (TG_COMMUNITY_CHAT_ID, VK_COMMUNITY_PEER_ID,"
            " MAX_COMMUNITY_CHAT_ID) — pick another audience.",
        ),
    ],
)
async def test_no_partners_chat_names_every_platforms_setting(
    harness: Harness, language: str, button: str, answer: str
) -> None:
    manager = harness.user(MANAGER_ID, "Михаил", language=language)
    await manager.send("/start")
    await manager.send("/announce")
    audience = (await manager.send("Hello"))[-1]
    replies = await manager.press(button, audience)
    assert [m.plain for m in replies][:1] == [answer]
