"""Session 9 review, fixer A: a deeply nested JSON postback body is a 400 naming `body`
(never a 500 with a traceback); a secret in the header or the query is checked before the
body is read; the contest wizard's threshold error quotes what was typed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.assembly import Services, create_services
from bot.clock import FakeClock
from bot.db.tables import conversions
from bot.http import create_http_app, start_http
from tests.harness import Harness, make_settings

SECRET = "s3cret-postback"
Endpoint = tuple[str, aiohttp.ClientSession]
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = await create_services(make_settings(tmp_path, postback_secret=SECRET), FakeClock())
    yield built
    await built.close()


@pytest.fixture
async def endpoint(services: Services) -> AsyncIterator[Endpoint]:
    runner = await start_http(create_http_app(services.settings, services.sales), "127.0.0.1", 0)
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield f"http://127.0.0.1:{port}", session
    await runner.cleanup()


async def _stored(services: Services) -> int:
    async with services.db.read() as conn:
        query = sa.select(sa.func.count()).select_from(conversions)
        return int((await conn.execute(query)).scalar_one())


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_a_deeply_nested_json_body_is_a_400_naming_body(
    services: Services, endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    base, session = endpoint
    caplog.set_level(logging.INFO)
    member = '{"partner": "aff-1", "conversion_id": "n1", "status": "approved", "amount": "1",'
    bodies = (
        _nested(30000),  # the tester's ~60 KB, under the 64 KB limit
        member + f' "secret": "{SECRET}", "extra": {_nested(5000)}}}',
        '{"a":' * 5000 + "1" + "}" * 5000,
    )
    for body in bodies:
        for url in (f"{base}/postback", f"{base}/postback?secret={SECRET}"):
            async with session.post(url, data=body, headers=JSON) as response:
                answer = await response.json()
            assert response.status == 400, (url, answer)
            assert answer == {
                "ok": False,
                "error": "body: invalid JSON (nested too deeply)",
                "field": "body",
            }
    assert not any(record.exc_info for record in caplog.records)
    assert not any(record.levelno >= logging.ERROR for record in caplog.records)
    assert await _stored(services) == 0
    # a tracker's own member nested a little is still taken
    body = member + f' "secret": "{SECRET}", "extra": {_nested(50)}}}'
    async with session.post(f"{base}/postback", data=body, headers=JSON) as response:
        assert response.status == 200
    assert await _stored(services) == 1


async def test_a_secret_in_the_header_or_query_is_checked_before_the_body(
    services: Services, endpoint: Endpoint
) -> None:
    base, session = endpoint
    for body in (_nested(30000), "{not json", '{"partner": "a", "partner": "b"}'):
        for url, headers in (
            (f"{base}/postback?secret=wrong", JSON),
            (f"{base}/postback", {**JSON, "X-Postback-Secret": "wrong"}),
            (f"{base}/postback?secret={SECRET}", {**JSON, "X-Postback-Secret": "wrong"}),
        ):
            async with session.post(url, data=body, headers=headers) as response:
                answer = await response.json()
            assert (response.status, answer["field"]) == (401, "secret"), (url, answer)
    # a right one in the query still lets the body speak; a wrong one in the body is a 401
    async with session.post(
        f"{base}/postback?secret={SECRET}", data="{not json", headers=JSON
    ) as response:
        assert (response.status, (await response.json())["field"]) == (400, "body")
    async with session.post(
        f"{base}/postback",
        data='{"partner": "aff-1", "conversion_id": "s1", "status": "approved", "amount": "1",'
        ' "secret": "wrong"}',
        headers={**JSON, "X-Postback-Secret": SECRET},
    ) as response:
        assert (response.status, (await response.json())["field"]) == (401, "secret")
    # the secret only in the body: the body is read, then checked
    async with session.post(f"{base}/postback", data="{not json", headers=JSON) as response:
        assert (response.status, (await response.json())["field"]) == (400, "body")
    assert await _stored(services) == 0


async def test_a_webhook_body_nested_too_deeply_is_a_400_never_a_500(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A webhook body Python can read but not walk (`whole_characters_in`) or cannot read
    at all is a 400, nothing stored, no traceback (behind the right secret)."""
    from bot.db.tables import webhook_updates
    from tests.max_inbox import max_inbox_over_http

    async with max_inbox_over_http(tmp_path, "goodsecret_1") as served:
        head = '{"update_type":"bot_started","timestamp":1,"chat_id":5,'
        head += '"user":{"user_id":2,"first_name":"X"},"extra":'
        caplog.set_level(logging.INFO)
        async with aiohttp.ClientSession() as http:
            for depth in (30000, 900, 950, 980):
                body = head + _nested(depth) + "}"
                async with http.post(served.url, data=body, headers=served.headers) as response:
                    assert response.status == 400, depth
                    await response.json()
        await served.inbox.drain()
        assert served.inbox.received == 0
        async with served.harness.services.db.read() as conn:
            count = sa.select(sa.func.count()).select_from(webhook_updates)
            assert (await conn.execute(count)).scalar() == 0
        assert not any(record.exc_info for record in caplog.records)


def test_faq_teach_refuses_a_line_nested_too_deeply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI reads JSON lines the same way: a line nested deeper than Python reads is
    refused naming its line, never a traceback."""
    from bot.cli import main
    from tests.harness import DEMO_CONTENT

    taught = tmp_path / "taught.jsonl"
    good = '{"q": "скока холд", "id": "hold-period"}'
    taught.write_text(f"{good}\n{_nested(30000)}\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        code = main(["faq", "teach", str(taught), "--content", str(DEMO_CONTENT)])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{taught}:2: not JSON: nested too deeply" in out
    assert "learned 1, already known 0, refused 1" in out


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    from bot.telegram.emulator import RateLimits
    from tests.harness import MANAGER_ID, chats_emulator, running_bot

    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator) as running:
            yield running


async def test_the_wizard_threshold_error_quotes_what_was_typed(harness: Harness) -> None:
    """Review s9 #9: «| от -3» was refused «(не «1e9»)», the text for an actual 1e9."""
    manager = harness.manager()
    await manager.send("/start")

    async def answer(text: str) -> str:
        return (await manager.send(text))[-1].plain

    await answer("/contest_new")
    await answer("Весенний спринт")
    await answer("Продавайте больше всех.")
    await answer("20.11.2026 10:00")
    await answer("30.11.2026")
    assert "Шаг 6 из 8. Призы" in await answer("все")
    for typed, quoted in (
        ("от -3", "от -3"),
        ("от 1e9", "от 1e9"),
        ("  from   +5 ", "from   +5"),
        ("от <b>три</b>", "от <b>три</b>"),  # shown as typed, never read as markup
    ):
        text = await answer(f"больше продаж: Бонус | {typed}")
        assert "порог после «|» должен быть числом цифрами" in text, typed
        assert f"(не «{quoted}»)" in text, (typed, text)
        assert "Шаг 6 из 8" in text
    long = "от " + "9" * 30 + "x" * 100
    text = await answer(f"больше продаж: Бонус | {long}")
    assert f"(не «{long[:40]}…»)" in text


def test_the_documented_teach_file_is_taught_as_documented(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review s9 #10: docs/faq.md shows the `faq teach` file format; that very example is
    taught, twice is `already known`, and a bad line is refused `FILE:LINE: reason`."""
    import re

    from bot.cli import main
    from tests.harness import DEMO_CONTENT

    docs = (Path(__file__).parent.parent / "docs" / "faq.md").read_text(encoding="utf-8")
    example = re.search(r"```\n(\{\"q\".*?)```", docs, flags=re.DOTALL)
    assert example is not None
    taught = tmp_path / "taught.jsonl"
    taught.write_text(example.group(1) + "\n" + '{"q": "когда?", "id": "x"}\n', "utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        args = ["faq", "teach", str(taught), "--content", str(DEMO_CONTENT)]
        assert main(args) == 1
        out = capsys.readouterr().out
        assert out.endswith("learned 2, already known 0, refused 1\n")
        assert f"{taught}:4: " in out
        assert main(args) == 1
        assert capsys.readouterr().out.endswith("learned 0, already known 2, refused 1\n")
        patch.setenv("CONTENT_DIR", str(DEMO_CONTENT))
        assert main(["faq", "learned", "--export"]) == 0
        assert "- id: hold-period\n  alt:\n  - скока холд\n" in capsys.readouterr().out
