"""Sales in: postback and CSV validation, idempotency, allowed status changes, events."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assembly import Services, create_services
from bot.cli import main
from bot.clock import FakeClock
from bot.db.tables import conversion_events, conversions
from bot.http import create_http_app, start_http
from bot.services.conversions import InvalidConversion, TransitionRefused, parse_conversion
from bot.services.sales_ledger import Approved
from tests.harness import make_settings

SECRET = "s3cret-postback"
KEITARO = {"sale": "approved", "lead": "pending", "rejected": "declined"}


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = await create_services(make_settings(tmp_path, postback_secret=SECRET), FakeClock())
    yield built
    await built.close()


@pytest.fixture
async def endpoint(services: Services) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    runner = await start_http(create_http_app(services.settings, services.sales), "127.0.0.1", 0)
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield f"http://127.0.0.1:{port}", session
    await runner.cleanup()


async def _count(services: Services, table: sa.Table) -> int:
    async with services.db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar())


def _row(**overrides: str) -> dict[str, str]:
    return {"partner": "aff-1", "conversion_id": "c-1", "status": "lead", "amount": "1990.50"} | (
        overrides
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"partner": ""}, "partner"),
        ({"partner": "bad id with spaces"}, "partner"),
        ({"conversion_id": ""}, "conversion_id"),
        ({"status": "maybe"}, "status"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"currency": "rubles"}, "currency"),
        ({"ts": "yesterday"}, "ts"),
    ],
)
def test_each_bad_field_is_named(overrides: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidConversion) as caught:
        parse_conversion(_row(**overrides), KEITARO)
    assert caught.value.field == field


def test_status_map_presets_and_formats() -> None:
    affise = {"1": "approved", "2": "pending", "3": "declined"}
    assert parse_conversion(_row(status="1"), affise).status == "approved"
    assert parse_conversion(_row(status="sale"), KEITARO).status == "approved"
    assert parse_conversion(_row(status="Approved"), {}).status == "approved"  # Everflow
    item = parse_conversion(_row(amount="1990,5", currency="rub", ts="1764230400"), KEITARO)
    assert (item.amount, item.currency) == (Decimal("1990.50"), "RUB")
    assert item.occurred_at is not None
    assert item.occurred_at.year == 2025


async def test_idempotent_and_only_allowed_transitions(services: Services) -> None:
    sales = services.sales
    lead = sales.parse(_row())
    assert await sales.record(lead, "postback") == "inserted"
    assert await sales.record(lead, "postback") == "unchanged"
    assert await sales.record(sales.parse(_row(status="sale")), "postback") == "updated"
    with pytest.raises(TransitionRefused):
        await sales.record(sales.parse(_row(status="lead")), "postback")  # approved → pending
    assert await sales.record(sales.parse(_row(status="rejected")), "postback") == "updated"
    with pytest.raises(TransitionRefused):
        await sales.record(sales.parse(_row(status="sale")), "postback")  # declined → approved
    assert await _count(services, conversions) == 1
    async with services.db.read() as conn:
        events = [
            (row.from_status, row.to_status)
            for row in await conn.execute(sa.select(conversion_events).order_by("id"))
        ]
    assert events == [(None, "pending"), ("pending", "approved"), ("approved", "declined")]


async def test_postback_answers(
    services: Services, endpoint: tuple[str, aiohttp.ClientSession]
) -> None:
    base, session = endpoint
    async with session.get(f"{base}/health") as response:
        assert response.status == 200

    async def call(params: dict[str, str], **kwargs: Any) -> tuple[int, dict[str, Any]]:
        async with session.get(f"{base}/postback", params=params, **kwargs) as response:
            return response.status, await response.json()

    assert await call(_row(secret=SECRET)) == (200, {"ok": True, "result": "inserted"})
    assert await call(_row(secret=SECRET)) == (200, {"ok": True, "result": "unchanged"})
    status, body = await call(_row(status="sale"), headers={"X-Postback-Secret": SECRET})
    assert (status, body["result"]) == (200, "updated")
    status, body = await call(_row(status="lead", secret=SECRET))
    assert (status, body["ok"], body["field"]) == (409, False, "status")
    assert (await call(_row(secret="wrong")))[0] == 401
    assert (await call(_row()))[0] == 401
    status, body = await call(_row(conversion_id="c-2", amount="-1", secret=SECRET))
    assert (status, body["field"]) == (400, "amount")
    assert "amount" in body["error"]
    async with session.post(
        f"{base}/postback", data=_row(conversion_id="c-3", secret=SECRET)
    ) as r:
        assert (r.status, (await r.json())["result"]) == (200, "inserted")
    async with session.post(
        f"{base}/postback", data="{nope", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
    assert await _count(services, conversions) == 2  # c-1 and c-3; c-2 was refused


async def test_no_secret_configured_is_503(tmp_path: Path) -> None:
    built = await create_services(make_settings(tmp_path), FakeClock())
    runner = await start_http(create_http_app(built.settings, built.sales), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/postback"
            async with session.get(url, params=_row(secret="x")) as response:
                assert response.status == 503
    finally:
        await runner.cleanup()
        await built.close()


fields = st.sampled_from(["partner", "conversion_id", "status", "amount", "currency", "ts"])
values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["sale", "lead", "approved", "1", "-3", "1e9", "NaN", "0.01", "RUB"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=st.dictionaries(fields, values, max_size=6))
async def test_random_postbacks_never_500_and_never_store_invalid_rows(
    services: Services, endpoint: tuple[str, aiohttp.ClientSession], params: dict[str, str]
) -> None:
    base, session = endpoint
    query = {key: value.replace("\x00", "") for key, value in params.items()} | {"secret": SECRET}
    async with session.get(f"{base}/postback", params=query) as response:
        assert response.status in (200, 400, 409)
        body = await response.json()
    async with services.db.read() as conn:
        rows = list(await conn.execute(sa.select(conversions)))
    for row in rows:  # whatever got in is valid
        assert row.status in ("pending", "approved", "declined")
        assert row.amount >= 0
    if response.status == 400:
        assert body["field"] in {"partner", "conversion_id", "status", "amount", "currency", "ts"}


def test_csv_import_counts_and_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'csv.db'}")
    monkeypatch.setenv("CONTENT_DIR", str(Path(__file__).resolve().parent.parent / "content"))
    sheet = tmp_path / "sales.csv"
    sheet.write_text(
        "partner,conversion_id,status,amount,currency,ts\n"
        "aff-1,o-1,sale,1000,RUB,2026-11-01T10:00:00+03:00\n"
        "aff-1,o-2,lead,2500.5,RUB,\n"
        "aff-2,o-3,maybe,10,RUB,\n"
        "aff-2,o-4,sale,-3,RUB,\n",
        encoding="utf-8",
    )
    assert main(["sales", "import", str(sheet)]) == 1  # rows were refused (review 25)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "inserted 2, updated 0, unchanged 0, rejected 2"
    assert out[1] == "sales.csv:4: status: unknown status 'maybe'"
    assert out[2].startswith("sales.csv:5: amount:")
    # a replay adds nothing
    assert main(["sales", "import", str(sheet)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "inserted 0, updated 0, unchanged 2, rejected 2"
    )
    clean = tmp_path / "clean.csv"
    clean.write_text("partner,conversion_id,status,amount\naff-1,o-9,sale,10\n", encoding="utf-8")
    assert main(["sales", "import", str(clean)]) == 0
    capsys.readouterr()
    wrong_header = tmp_path / "wrong.csv"
    wrong_header.write_text("who,what\naff-1,o-1\n", encoding="utf-8")
    assert main(["sales", "import", str(wrong_header)]) == 1  # review 25: not 0
    assert "header: missing" in capsys.readouterr().out
    with contextlib.suppress(FileNotFoundError):
        (tmp_path / "missing.csv").unlink()
    assert main(["sales", "import", str(tmp_path / "missing.csv")]) == 1


async def test_csv_updates_and_refusals_follow_the_same_rules(
    services: Services, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text("partner,conversion_id,status,amount\naff-1,o-1,lead,100\n", encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text(
        "partner,conversion_id,status,amount\n"
        "aff-1,o-1,sale,100\n"  # pending → approved
        "aff-1,o-1,lead,90\n"  # approved → pending (a state it never had): refused
        "aff-2,o-2,lead,50\n"  # new
        "aff-2,o-2,rejected,50\n",  # and declined in the same file
        encoding="utf-8",
    )
    assert (await services.sales.import_csv(first)).inserted == 1
    report = await services.sales.import_csv(second)
    assert (report.inserted, report.updated, report.unchanged) == (1, 2, 0)
    assert [line for line, _reason in report.rejected] == [3]
    async with services.db.read() as conn:
        rows = {r.conversion_id: r.status for r in await conn.execute(sa.select(conversions))}
        events = [
            (r.from_status, r.to_status)
            for r in await conn.execute(sa.select(conversion_events).order_by("id"))
        ]
    assert rows == {"o-1": "approved", "o-2": "declined"}
    assert events == [
        (None, "pending"), ("pending", "approved"), (None, "pending"), ("pending", "declined")
    ]  # fmt: skip


async def test_concurrent_postbacks_are_counted_once(services: Services) -> None:
    import asyncio

    sales = services.sales
    same = [sales.submit(sales.parse(_row(conversion_id="dup"))) for _ in range(30)]
    distinct = [sales.submit(sales.parse(_row(conversion_id=f"u-{n}"))) for n in range(30)]
    results = await asyncio.gather(*same, *distinct)
    assert results[:30].count("inserted") == 1
    assert results[:30].count("unchanged") == 29
    assert results[30:] == ["inserted"] * 30
    assert await _count(services, conversions) == 31
    assert await _count(services, conversion_events) == 31
    assert await sales.submit(sales.parse(_row(conversion_id="dup", status="rejected"))) == (
        "updated"
    )
    with pytest.raises(TransitionRefused):  # declined → approved
        await sales.submit(sales.parse(_row(conversion_id="dup", status="sale")))


async def test_approvals_are_told_in_the_order_they_were_written(services: Services) -> None:
    """Each commit's approved sales go to the listeners after the previous commit's were
    handled: a first sale that takes long to tell is still told before the second."""
    import asyncio

    sales = services.sales
    first_told = asyncio.Event()
    told: list[list[str]] = []

    async def listener(approved: list[Approved]) -> None:
        ids = [item.conversion_id for item in approved]
        if ids == ["first"]:
            await asyncio.sleep(0.01)  # a slow notice (standings computed, say)
        told.append(ids)
        if ids == ["first"]:
            first_told.set()

    sales.approved_listeners[:] = [listener]
    await sales.submit(sales.parse(_row(conversion_id="first", status="sale")))
    await sales.submit(sales.parse(_row(conversion_id="second", status="sale")))
    await sales.settle()
    assert first_told.is_set()
    assert told == [["first"], ["second"]]


async def test_ts_with_an_offset_is_stored_as_utc_and_months_are_bounded(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    msk = ZoneInfo("Europe/Moscow")
    clock = FakeClock(datetime(2027, 1, 5, 9, 0, tzinfo=UTC))
    built = await create_services(make_settings(tmp_path, postback_secret=SECRET), clock)
    try:
        sales = built.sales

        async def sale(number: int, ts: str) -> None:
            item = sales.parse(_row(conversion_id=f"d-{number}", status="sale", ts=ts))
            await sales.record(item, "postback")

        await sale(0, "2027-01-05T10:00:00+03:00")  # January: not December's
        clock.advance(-(datetime(2027, 1, 5, 9) - datetime(2026, 12, 1, 7)).total_seconds())
        assert clock.now() == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 10:00 in Moscow
        await sale(1, "2026-12-01T01:30:00+03:00")  # 01:30 Dec 1 in Moscow: December
        await sale(2, "2026-11-30T23:30:00+03:00")  # November
        await sale(3, "2026-11-30T21:30:00Z")  # 00:30 Dec 1 in Moscow: December
        await sale(4, "1764538200")  # unix seconds: 2025-11-30 21:30 UTC, long ago
        async with built.db.read() as conn:
            stored = {
                row.conversion_id: row.occurred_at
                for row in await conn.execute(sa.select(conversions))
            }
        moment = stored["d-1"]
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        assert moment == datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
        month = await sales.month("aff-1", msk)
        assert month.approved == 2  # d-1 and d-3: not November's d-2, not January's d-0
        count, _amount = await sales.between("aff-1", clock.now() - timedelta(days=40))
        assert count == 3  # d-1, d-2, d-3 (d-0 is in the future of this clock, d-4 too old)

        # more than a day ahead is refused, naming ts
        for ts in ("2030-01-01T00:00:00Z", "2026-12-02T08:00:00Z", "4102444800"):
            with pytest.raises(InvalidConversion) as refused:
                sales.parse(_row(conversion_id="d-9", ts=ts))
            assert refused.value.field == "ts"
        sales.parse(_row(conversion_id="d-9", ts="2026-12-02T06:00:00Z"))  # within a day
    finally:
        await built.close()


async def test_a_postback_for_another_partner_is_a_conflict(
    services: Services, endpoint: tuple[str, aiohttp.ClientSession]
) -> None:
    base, session = endpoint

    async def call(params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        async with session.get(f"{base}/postback", params=params) as response:
            return response.status, await response.json()

    assert (await call(_row(secret=SECRET)))[0] == 200
    status, body = await call(_row(partner="aff-thief", status="sale", secret=SECRET))
    assert (status, body["field"]) == (409, "partner")
    assert "aff-1" not in body["error"]  # the other partner's id is not told
    status, body = await call(_row(partner="aff-thief", secret=SECRET))
    assert status == 409  # the same status too: not "unchanged"
    async with services.db.read() as conn:
        row = (await conn.execute(sa.select(conversions))).one()
    assert (row.affiliate_id, row.status) == ("aff-1", "pending")


async def test_a_conversion_another_worker_inserted_meanwhile_is_not_a_500(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers given the same new conversion at once: both read «unknown», the second
    insert meets the unique key. Its chunk is decided again (the row now known), so the
    postbacks in it are answered, not failed with the database's error."""
    import asyncio

    from bot.services import sales as sales_module

    sales = services.sales
    assert await sales.submit(sales.parse(_row(conversion_id="theirs"))) == "inserted"
    real = sales_module.record_chunk
    calls = 0

    async def raced(conn: Any, items: Any, now: Any, source: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:  # this worker's insert, made as if the row were still unknown
            await conn.execute(
                conversions.insert().values(
                    conversion_id="theirs", affiliate_id="aff-1", status="pending",
                    amount=Decimal(1), occurred_at=now, created_at=now, updated_at=now,
                )
            )  # fmt: skip
        return await real(conn, items, now, source)

    monkeypatch.setattr(sales_module, "record_chunk", raced)
    results = await asyncio.gather(
        sales.submit(sales.parse(_row(conversion_id="theirs", status="sale"))),
        sales.submit(sales.parse(_row(conversion_id="mine"))),
    )
    assert results == ["updated", "inserted"]
    assert calls == 2
    assert await _count(services, conversions) == 2
    assert await _count(services, conversion_events) == 3


async def test_a_csv_import_meeting_a_postbacks_insert_goes_on(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`partnerbot sales import` while postbacks arrive (another process): a conversion of
    the file is inserted by a postback between the chunk's read and its insert. The unique
    key refuses the chunk; it is decided and written again, the postback's row now known —
    the import goes on instead of stopping with the database's error halfway."""
    from bot.services import sales as sales_module

    sales = services.sales
    assert await sales.submit(sales.parse(_row(conversion_id="theirs"))) == "inserted"
    real = sales_module.record_chunk
    calls = 0

    async def raced(conn: Any, items: Any, now: Any, source: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:  # the chunk's insert, made as if the row were still unknown
            await conn.execute(
                conversions.insert().values(
                    conversion_id="theirs", affiliate_id="aff-1", status="pending",
                    amount=Decimal(1), occurred_at=now, created_at=now, updated_at=now,
                )
            )  # fmt: skip
        return await real(conn, items, now, source)

    monkeypatch.setattr(sales_module, "record_chunk", raced)
    path = tmp_path / "export.csv"
    path.write_text(
        "partner,conversion_id,status,amount\naff-1,theirs,sale,100\naff-2,mine,lead,50\n",
        encoding="utf-8",
    )
    report = await sales.import_csv(path)
    assert (report.inserted, report.updated, report.rejected) == (1, 1, [])
    assert calls == 2
    async with services.db.read() as conn:
        rows = {r.conversion_id: r.status for r in await conn.execute(sa.select(conversions))}
    assert rows == {"theirs": "approved", "mine": "pending"}
    assert await _count(services, conversion_events) == 3


async def test_health_and_postbacks_say_the_database_is_away(
    services: Services,
    endpoint: tuple[str, aiohttp.ClientSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL stopped for a minute: /health answered 200 {"ok": true} while every
    postback got 500 «internal error» (the tester of session 20). Now /health is 503 and a
    postback 503 with Retry-After: the tracker sends it again; nothing is stored."""
    url, session = endpoint
    async with session.get(f"{url}/health") as response:
        assert (response.status, await response.json()) == (200, {"ok": True})

    def away() -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(services.db, "read", away)
    monkeypatch.setattr(services.db, "write", away)
    async with session.get(f"{url}/health") as response:
        assert response.status == 503
        assert (await response.json())["error"] == "database unreachable"
    async with session.post(f"{url}/postback", data=_row(secret=SECRET)) as response:
        assert response.status == 503, await response.text()
        assert response.headers["Retry-After"] == "30"
        assert "send it again later" in (await response.json())["error"]
