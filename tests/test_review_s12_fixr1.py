"""Session 12 (task fixr1): defects found by the independent tester.

2. A postback or CSV amount of minus zero (`-0`, `-0.00`, JSON `"-0"` and `-0.0`) was
   taken as 0: every amount with a leading minus is refused as «a decimal ≥ 0».
3. /announce → the partners' chat with none set names every setting, MAX's too.
4. The CLI's commands that read the content (the import: its currency and status map),
   run outside the project folder, say where they looked and how to point at it.
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

UNLINKED = "no partner is linked to 1 affiliate id yet (their sales count once one is): "
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
        UNLINKED + "aff-1 (1 row)",  # nobody is linked to it (session 27)
    ]
    assert _conversions(database) == ["c3"]


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


# --- 4. the CLI outside the project folder ---

CONTENT = Path(__file__).resolve().parent.parent / "content"


def test_commands_reading_the_content_say_how_to_point_at_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.delenv("CONTENT_DIR", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    sheet = elsewhere / "sales.csv"
    sheet.write_text("partner,conversion_id,status,amount\naff-1,c1,approved,5\n", "utf-8")
    missing = (
        f"partnerbot: content folder not found: {elsewhere / 'content'} (CONTENT_DIR=content)"
    )
    for argv, how in (
        (["sales", "import", str(sheet)], "--content DIR"),
        (["faq", "match", "когда выплаты"], "--content DIR"),
        (["faq", "learned"], "--content DIR"),
        (["content", "check"], "partnerbot content check DIR"),
    ):
        assert main(argv) == 1, argv
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.splitlines() == [
            f"{missing}; run from the project folder, or point at it: {how} or"
            " CONTENT_DIR=/path/to/content"
        ], argv
    assert not database.exists() or _conversions(database) == []

    # a folder given that is not there is named as given
    assert main(["sales", "import", str(sheet), "--content", "nowhere"]) == 1
    assert capsys.readouterr().err == "partnerbot: content folder not found: nowhere\n"

    # pointed at, the import works from anywhere
    assert main(["sales", "import", str(sheet), "--content", str(CONTENT)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == ["inserted 1, updated 0, unchanged 0, rejected 0", UNLINKED + "aff-1 (1 row)"]
    monkeypatch.setenv("CONTENT_DIR", str(CONTENT))
    assert main(["sales", "import", str(sheet)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == ["inserted 0, updated 0, unchanged 1, rejected 0", UNLINKED + "aff-1 (1 row)"]
    assert _conversions(database) == ["c1"]


def _conversions(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        return [row[0] for row in conn.execute("SELECT conversion_id FROM conversions")]
