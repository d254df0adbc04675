"""Postback edge cases from the independent review: a `ts` out of bounds names the bound, a
field given twice is refused, both secrets are checked when both are given, a query that
is not percent-encoded gets a 400 naming `query` and no traceback in the log."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from bot.assembly import Services, create_services
from bot.clock import FakeClock
from bot.content.models import Postback
from bot.db.tables import conversions
from bot.http import create_http_app, start_http
from bot.services.conversions import InvalidConversion, parse_conversion
from tests.harness import make_settings

SECRET = "s3cret-postback"
Endpoint = tuple[str, aiohttp.ClientSession]
CONVERSION_RULE = (
    "Latin letters, digits and ASCII punctuation only (no spaces), at most 128 characters"
)
PARTNER_RULE = "Latin letters, digits and _ . : @ - only (no spaces), at most 64 characters"


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


def _row(**overrides: str) -> dict[str, str]:
    return {"partner": "aff-1", "conversion_id": "c-1", "status": "approved", "amount": "10"} | (
        overrides
    )


async def _stored(services: Services) -> int:
    async with services.db.read() as conn:
        query = sa.select(sa.func.count()).select_from(conversions)
        return int((await conn.execute(query)).scalar_one())


@pytest.mark.parametrize(
    ("ts", "error"),
    [
        ("0", "ts: not before 2000-01-01"),
        ("-99999999999", "ts: not before 2000-01-01"),
        ("946684799", "ts: not before 2000-01-01"),
        ("1999-12-31T23:59:59Z", "ts: not before 2000-01-01"),
        ("99999999999999999999", "ts: more than a day in the future"),
        ("yesterday", "ts: ISO 8601 or unix seconds"),
        # Python reads «…\x00» as the moment (the tester of session 20: 200 inserted)
        ("2026-11-01T05:00:00\x00", "ts: ISO 8601 or unix seconds"),
        ("2026-11-01T05:00:00\u202e", "ts: ISO 8601 or unix seconds"),
    ],
)
def test_a_ts_out_of_bounds_names_the_bound(ts: str, error: str) -> None:
    with pytest.raises(InvalidConversion) as caught:
        parse_conversion(_row(ts=ts), {}, FakeClock().now())
    assert (caught.value.field, str(caught.value)) == ("ts", error)


def test_unix_seconds_and_iso_dates_within_bounds() -> None:
    now = FakeClock().now()
    first = parse_conversion(_row(ts="946684800"), {}, now).occurred_at
    assert first is not None
    assert first.isoformat() == "2000-01-01T00:00:00+00:00"
    basic = parse_conversion(_row(ts="20261101"), {}, now).occurred_at  # ISO 8601 basic
    assert basic is not None
    assert basic.isoformat() == "2026-11-01T00:00:00+00:00"


async def test_a_field_given_twice_is_refused(services: Services, endpoint: Endpoint) -> None:
    base, session = endpoint
    for field in ("partner", "conversion_id", "status", "amount", "currency", "ts", "secret"):
        query = [(k, v) for k, v in _row(secret=SECRET, currency="RUB", ts="1764230400").items()]
        value = dict(query)[field]
        query.append((field, value if field == "secret" else value + "2"))
        async with session.get(f"{base}/postback", params=query) as response:
            body = await response.json()
        assert (response.status, body["field"]) == (400, field)
        assert body["error"] == f"{field}: given more than once"
    # in the query and in the body, or twice in a form or a JSON object
    async with session.post(
        f"{base}/postback", params={"conversion_id": "o1"}, data=_row(secret=SECRET)
    ) as response:
        assert (response.status, (await response.json())["field"]) == (400, "conversion_id")
    async with session.post(
        f"{base}/postback?secret={SECRET}",
        data='{"partner": "aff-1", "conversion_id": "o1", "status": "approved", "amount": "1",'
        ' "amount": "1000"}',
        headers={"Content-Type": "application/json"},
    ) as response:
        assert (response.status, (await response.json())["field"]) == (400, "amount")
    assert await _stored(services) == 0
    # a tracker's own repeated parameters are none of ours: ignored
    async with session.get(
        f"{base}/postback", params=[*_row(secret=SECRET).items(), ("sub", "a"), ("sub", "b")]
    ) as response:
        assert response.status == 200


async def test_every_secret_given_must_be_right(services: Services, endpoint: Endpoint) -> None:
    base, session = endpoint

    async def call(params: dict[str, str], header: str | None = None) -> tuple[int, Any]:
        headers = {} if header is None else {"X-Postback-Secret": header}
        async with session.get(f"{base}/postback", params=params, headers=headers) as response:
            return response.status, await response.json()

    assert (await call(_row(secret=SECRET), header="wrong"))[0] == 401
    assert (await call(_row(secret="wrong"), header=SECRET))[0] == 401
    assert (await call(_row(secret=""), header=SECRET))[0] == 401  # given empty: wrong
    assert await call(_row()) == (
        401,
        {"ok": False, "error": "secret: wrong or missing", "field": "secret"},
    )
    assert await _stored(services) == 0
    assert (await call(_row(secret=SECRET), header=SECRET))[0] == 200
    assert (await call(_row(conversion_id="c-2"), header=SECRET))[0] == 200
    assert (await call(_row(conversion_id="c-3", secret=SECRET)))[0] == 200
    async with session.get(
        f"{base}/postback",
        params=_row(conversion_id="c-4"),
        headers=[("X-Postback-Secret", SECRET), ("X-Postback-Secret", "wrong")],
    ) as response:
        assert response.status == 400
        assert (await response.json())["field"] == "X-Postback-Secret"


async def _raw(base: str, target: bytes) -> tuple[int, bytes]:
    host, _, port = base.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_a_raw_utf8_query_is_a_400_naming_query_without_a_traceback(
    services: Services, endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    base, _session = endpoint
    caplog.set_level(logging.INFO)
    for target in (
        "/postback?partner=партнёр&conversion_id=o1&status=sale&amount=1".encode(),
        b"/postback?partner=\xff&secret=" + SECRET.encode(),
        b"/postback?partner=a\x01b",
    ):
        status, body = await _raw(base, target)
        assert status == 400
        answer = json.loads(body)
        assert answer["field"] == "query"
        assert answer["error"].startswith("query: ")
    assert not any(record.exc_info for record in caplog.records)
    assert not any(record.levelno >= logging.ERROR for record in caplog.records)
    assert SECRET not in caplog.text
    assert await _stored(services) == 0
    # a percent-encoded one is fine
    async with _session.get(f"{base}/postback", params=_row(partner="a", secret=SECRET)) as r:
        assert r.status == 200


async def test_a_lone_surrogate_in_a_json_body_is_a_400_or_401(endpoint: Endpoint) -> None:
    base, session = endpoint
    for body in (
        '{"secret": "\\ud800"}',
        '{"partner": "aff-1", "conversion_id": "o1", "status": "\\ud800", "amount": "1",'
        f' "secret": "{SECRET}"}}',
    ):
        async with session.post(
            f"{base}/postback", data=body, headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status in (400, 401)
            await response.json()


async def test_a_malformed_percent_escape_is_a_400_naming_query(
    services: Services, endpoint: Endpoint
) -> None:
    """`%ZZ`, a lone `%`, `%2` and escapes that are not UTF-8 (`%FF`, `%C3%28`) are refused,
    in the query (`query`) and in a form body (`body`); nothing stored."""
    base, session = endpoint
    good = f"partner=aff-9&status=approved&amount=1&secret={SECRET}"
    for bad in ("c%ZZ", "d%", "e%2", "%FF", "f%C3%28"):
        status, body = await _raw(base, f"/postback?{good}&conversion_id={bad}".encode())
        answer = json.loads(body)
        assert (status, answer["field"]) == (400, "query"), bad
        assert answer["error"].startswith("query: ")
        async with session.post(
            f"{base}/postback",
            data=f"{good}&conversion_id={bad}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response:
            answer = await response.json()
        assert (response.status, answer["field"]) == (400, "body"), bad
        assert answer["error"].startswith("body: ")
    assert await _stored(services) == 0
    # well-formed escapes, `+` and a `%25` (a percent sign itself) pass the check
    status, body = await _raw(base, f"/postback?{good}&conversion_id=c%2D1%25".encode())
    assert status == 200, body
    async with session.post(
        f"{base}/postback",
        data=f"{good}&conversion_id=c%2D2",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("conversion_id", "фб2", "conversion_id: " + CONVERSION_RULE),
        ("conversion_id", "ф1", "conversion_id: " + CONVERSION_RULE),
        ("conversion_id", "a b", "conversion_id: " + CONVERSION_RULE),
        ("conversion_id", "x" * 129, "conversion_id: " + CONVERSION_RULE),
        ("partner", "партнёр", "partner: " + PARTNER_RULE),
        ("partner", "a/b", "partner: " + PARTNER_RULE),
        ("currency", "руб", "currency: three Latin letters, an ISO code such as RUB"),
        ("amount", "99999999999", "amount: too large (at most 9999999999.99)"),
    ],
)
def test_a_refusal_states_the_rule_the_code_enforces(field: str, value: str, error: str) -> None:
    with pytest.raises(InvalidConversion) as caught:
        parse_conversion(_row(**{field: value}), {})
    assert (caught.value.field, str(caught.value)) == (field, error)


async def test_a_non_latin_conversion_id_is_refused_with_its_rule(endpoint: Endpoint) -> None:
    base, session = endpoint
    status, body = await _raw(
        base,
        f"/postback?partner=aff-9&status=approved&amount=1&secret={SECRET}"
        "&conversion_id=%D1%84%D0%B12".encode(),
    )
    assert (status, json.loads(body)["error"]) == (400, "conversion_id: " + CONVERSION_RULE)
    async with session.post(
        f"{base}/postback", data=_row(conversion_id="ф1", secret=SECRET)
    ) as response:
        assert (response.status, (await response.json())["error"]) == (
            400,
            "conversion_id: " + CONVERSION_RULE,
        )


async def test_a_json_number_with_an_exponent_is_refused(
    services: Services, endpoint: Endpoint
) -> None:
    """`"amount": 1e2` is refused as in the query (not read as 100); a JSON number is taken
    as it is written (`12.50` stays 12.50, `1.999` is refused for its places)."""
    base, session = endpoint

    async def post(amount: str, conversion_id: str = "j1") -> tuple[int, Any]:
        async with session.post(
            f"{base}/postback?secret={SECRET}",
            data=f'{{"partner": "aff-1", "conversion_id": "{conversion_id}",'
            f' "status": "approved", "amount": {amount}}}',
            headers={"Content-Type": "application/json"},
        ) as response:
            return response.status, await response.json()

    for amount in ("1e2", "1E2", "1.5e1", "100e-2"):
        status, body = await post(amount)
        assert (status, body["field"]) == (400, "amount"), amount
        assert body["error"] == f"amount: not a plain decimal number: {amount!r}"
    assert await _stored(services) == 0
    assert (await post("12.50"))[0] == 200
    assert (await post("7", "j2"))[0] == 200
    async with services.db.read() as conn:
        rows = await conn.execute(sa.select(conversions.c.amount).order_by(conversions.c.id))
        assert [str(amount) for (amount,) in rows] == ["12.50", "7.00"]


async def _raw_post(base: str, content_type: bytes, body: bytes) -> tuple[int, Any]:
    host, _, port = base.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /postback HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
        + content_type
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, text = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(text)


FORM = b"application/x-www-form-urlencoded"


async def test_raw_bytes_in_a_form_body_are_a_400_naming_body(
    services: Services, endpoint: Endpoint
) -> None:
    """Raw UTF-8 (`А` as D0 90), cp1251 and control bytes in a form body are refused as in
    the query, with the cause said (raw bytes, not an escape); nothing stored."""
    base, _session = endpoint
    good = b"partner=A&conversion_id=r3&status=approved&amount=1&secret=" + SECRET.encode()
    for bad in (b"\xd0\x90", b"\xc0", b"\xff", b"a\x01b", b"a\x7fb", b"a\nb", b"a\tb"):
        status, answer = await _raw_post(base, FORM, good + b"&x=" + bad)
        assert (status, answer["field"]) == (400, "body"), bad
        assert answer["error"] == "body: not percent-encoded (raw bytes)", bad
    assert await _stored(services) == 0
    # an escape that is not UTF-8 keeps its own message; the same text encoded is fine
    status, answer = await _raw_post(base, FORM, good + b"&x=%FF")
    assert (status, answer["field"]) == (400, "body")
    assert (
        answer["error"] == "body: not percent-encoded: an escape that is not UTF-8 (such as %FF)"
    )
    assert (await _raw_post(base, FORM, good + b"&x=%D0%90+b"))[0] == 200
    # a body that ends in a line break (`curl --data-binary @file`) is still one form
    good2 = good.replace(b"r3", b"r4")
    assert (await _raw_post(base, FORM, good2 + b"\r\n"))[0] == 200


@pytest.mark.parametrize(
    "field", ["partner", "conversion_id", "status", "amount", "currency", "ts", "secret"]
)
async def test_a_json_true_null_object_or_array_is_refused_naming_the_field(
    services: Services, endpoint: Endpoint, field: str
) -> None:
    """`"amount": true` is not Python's `'True'` refused as a number: every field of ours
    that is a JSON true/false/null/object/array is a 400 naming it in JSON's words."""
    base, session = endpoint
    fields = {**_row(currency="RUB", ts="1764230400", secret=SECRET)}
    for value, words in (
        ("true", "true"),
        ("false", "false"),
        ("null", "null"),
        ('{"a": 1}', "an object"),
        ("[1]", "an array"),
        ("[]", "an array"),
    ):
        members = [
            f"{json.dumps(name)}: {value if name == field else json.dumps(text)}"
            for name, text in fields.items()
        ]
        async with session.post(
            f"{base}/postback",
            data="{" + ", ".join(members) + "}",
            headers={"Content-Type": "application/json"},
        ) as response:
            answer = await response.json()
        assert (response.status, answer["field"]) == (400, field), value
        assert answer["error"] == f"{field}: a number or a string, not {words}"
    assert await _stored(services) == 0


async def test_a_json_number_string_or_a_trackers_own_true_is_taken(
    services: Services, endpoint: Endpoint
) -> None:
    base, session = endpoint
    async with session.post(
        f"{base}/postback",
        data=f'{{"partner": "aff-1", "conversion_id": 7, "status": "approved", "amount": 1.5,'
        f' "secret": "{SECRET}", "test": true, "sub": null, "extra": {{"a": [1]}}}}',
        headers={"Content-Type": "application/json"},
    ) as response:
        assert (response.status, await response.json()) == (
            200,
            {"ok": True, "result": "inserted"},
        )
    async with session.post(
        f"{base}/postback",
        data=f'{{"partner": "aff-1", "conversion_id": "n", "status": "approved", "amount": NaN,'
        f' "secret": "{SECRET}"}}',
        headers={"Content-Type": "application/json"},
    ) as response:
        assert (response.status, await response.json()) == (
            400,
            {"ok": False, "error": "body: invalid JSON", "field": "body"},
        )
    assert await _stored(services) == 1


async def test_a_sale_in_another_currency_is_refused_and_nothing_stored(
    services: Services, endpoint: Endpoint
) -> None:
    """Session 8: 500 USD was added to roubles. The program counts in one currency
    (program.yaml `postback.currency`, RUB by default); a sale in another is a 400 naming
    `currency`, as the CSV import refuses its row."""
    base, session = endpoint
    async with session.get(
        f"{base}/postback", params=_row(currency="USD", secret=SECRET)
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert body["field"] == "currency"
    assert body["error"].startswith("currency: USD: the program counts sales in RUB only")
    assert await _stored(services) == 0
    for code in ("RUB", "rub", ""):
        query = _row(conversion_id=f"c-{code}", currency=code, secret=SECRET)
        async with session.get(f"{base}/postback", params=query) as response:
            assert response.status == 200
    assert await _stored(services) == 3


def test_the_programs_currency_is_a_setting() -> None:
    assert Postback.model_validate({"currency": "usd"}).currency == "USD"
    with pytest.raises(ValidationError, match="an ISO code such as RUB"):
        Postback.model_validate({"currency": "руб"})
    assert parse_conversion(_row(currency="usd"), {}, currency="USD").currency == "USD"
    with pytest.raises(InvalidConversion, match="counts sales in USD only"):
        parse_conversion(_row(currency="RUB"), {}, currency="USD")
