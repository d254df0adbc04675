"""A postback as multipart/form-data (PHP's curl with an array, `curl -F`) is taken with
the checks a urlencoded form gets: a part that is not UTF-8 text, a file, a repeated field
is a 400 naming it; a malformed body a 400 naming `body`; nothing stored; never a 500."""

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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assembly import Services, create_services
from bot.clock import FakeClock
from bot.db.tables import conversions
from bot.http import create_http_app, start_http
from tests.harness import make_settings

SECRET = "s3cret-multipart"
BOUNDARY = b"----partnerbot7MA4YWxkTrZu0gW"
GOOD = {"partner": "aff-1", "conversion_id": "m-1", "status": "approved", "amount": "10"}


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = await create_services(make_settings(tmp_path, postback_secret=SECRET), FakeClock())
    yield built
    await built.close()


@pytest.fixture
async def base(services: Services) -> AsyncIterator[str]:
    runner = await start_http(create_http_app(services.settings, services.sales), "127.0.0.1", 0)
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def _stored(services: Services) -> int:
    async with services.db.read() as conn:
        query = sa.select(sa.func.count()).select_from(conversions)
        return int((await conn.execute(query)).scalar_one())


async def _post(
    base: str, body: bytes, content_type: bytes = b"multipart/form-data; boundary=" + BOUNDARY
) -> tuple[int, Any]:
    """POST the bytes as they are (no client tidying them up)."""
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
    status = int(head.split()[1])
    return status, json.loads(text) if head.find(b"application/json") >= 0 else text


def _field(name: str, value: bytes, headers: bytes = b"") -> bytes:
    return (
        b"--"
        + BOUNDARY
        + b'\r\nContent-Disposition: form-data; name="'
        + name.encode()
        + b'"\r\n'
        + headers
        + b"\r\n"
        + value
        + b"\r\n"
    )


def _form(*parts: bytes, fields: dict[str, str] | None = None) -> bytes:
    given = fields if fields is not None else GOOD | {"secret": SECRET}
    own = b"".join(_field(k, v.encode()) for k, v in given.items())
    return own + b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


async def test_a_multipart_postback_is_taken(services: Services, base: str) -> None:
    """aiohttp's own multipart form, and curl -F's (no Content-Type per part, a preamble,
    an epilogue, a tracker's own field) are taken like a urlencoded one."""
    form = aiohttp.FormData(GOOD | {"secret": SECRET}, default_to_multipart=True)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/postback", data=form) as response,
    ):
        assert (response.status, await response.json()) == (
            200,
            {"ok": True, "result": "inserted"},
        )
    fields = GOOD | {"conversion_id": "m-2", "secret": SECRET}
    body = b"preamble\r\n" + _form(_field("sub_id", "Ж 1".encode()), fields=fields) + b"bye"
    assert await _post(base, body) == (200, {"ok": True, "result": "inserted"})
    assert await _stored(services) == 2


@pytest.mark.parametrize(
    ("extra", "field", "error"),
    [
        (_field("partner", b"\xd0"), "partner", "partner: not UTF-8"),
        (_field("sub_id", b"\xcf\xf0\xe8"), "sub_id", "sub_id: not UTF-8"),
        (_field("amount", b"10"), "amount", "amount: given more than once"),
        (_field("secret", SECRET.encode()), "secret", "secret: given more than once"),
        (
            b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="currency"; '
            b'filename="c.txt"\r\nContent-Type: text/plain\r\n\r\nRUB\r\n',
            "currency",
            "currency: a file; a postback's fields are text",
        ),
        (
            b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="doc"; '
            b'filename=""\r\n\r\n\r\n',
            "doc",
            "doc: a file; a postback's fields are text",
        ),
        (
            _field(
                "currency", "RUB".encode("cp1251"), b"Content-Type: text/plain; charset=cp1251\r\n"
            ),
            "currency",
            "currency: charset cp1251: UTF-8 only",
        ),
        (
            _field("currency", b"UlVC", b"Content-Transfer-Encoding: base64\r\n"),
            "currency",
            "currency: Content-Transfer-Encoding base64 is not taken: send the text as it is",
        ),
        (
            _field("ts", b"--x--", b"Content-Type: multipart/mixed; boundary=x\r\n"),
            "ts",
            "ts: Content-Type multipart/mixed; boundary=x: text/plain only",
        ),
        (
            b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data\r\n\r\nx\r\n",
            "body",
            "body: a part without a name",
        ),
        (
            b"--" + BOUNDARY + b"\r\nContent-Disposition: attachment; name=x\r\n\r\nx\r\n",
            "body",
            'body: a part without «Content-Disposition: form-data; name="…"»',
        ),
        (
            b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nx\r\n',
            "body",
            "body: a part's headers are not UTF-8",
        ),
    ],
)
async def test_a_part_that_is_not_a_text_value_is_a_400_naming_it(
    services: Services, base: str, extra: bytes, field: str, error: str
) -> None:
    status, answer = await _post(base, _form(extra))
    assert (status, answer) == (400, {"ok": False, "error": error, "field": field})
    assert await _stored(services) == 0


async def test_a_field_in_the_query_and_a_part_is_given_twice(
    services: Services, base: str
) -> None:
    assert (await _post(base, _form()))[0] == 200
    async with aiohttp.ClientSession() as session:
        form = aiohttp.FormData(GOOD | {"secret": SECRET}, default_to_multipart=True)
        async with session.post(f"{base}/postback?status=declined", data=form) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False,
                "error": "status: given more than once",
                "field": "status",
            }
    assert await _stored(services) == 1


@pytest.mark.parametrize(
    ("content_type", "body", "error"),
    [
        (b"multipart/form-data", _form(), "multipart/form-data needs a boundary"),
        (b"multipart/form-data; boundary=", _form(), "multipart/form-data needs a boundary"),
        (b"multipart/form-data; boundary=" + b"x" * 71, _form(), "needs a boundary"),
        (None, b"garbage", "no multipart boundary (--BOUNDARY) in the body"),
        (None, _form()[: -len(b"--\r\n")], "no closing multipart boundary (--BOUNDARY--)"),
        (None, _form().replace(b"\r\n", b"\n"), "a multipart body's lines end in CRLF (\\r\\n)"),
        (
            None,
            b"--" + BOUNDARY + b"junk\r\n" + _form(),
            "a multipart boundary line with more on it than the boundary",
        ),
        (
            None,
            b"--"
            + BOUNDARY
            + b"\r\nContent-Disposition: form-data; name=a\r\n x\r\n\r\n1\r\n"
            + _form(),
            "a part's header is not «Name: value» on one line",
        ),
        (None, b"--" + BOUNDARY + b"\r\n\r\n1\r\n" + _form(), "a part without its headers"),
        (None, b"--" + BOUNDARY + b"\r\n1\r\n" + _form(), "a part without its headers"),
    ],
)
async def test_a_malformed_multipart_body_is_a_400_naming_body(
    services: Services, base: str, content_type: bytes | None, body: bytes, error: str
) -> None:
    if content_type is None:
        status, answer = await _post(base, body)
    else:
        status, answer = await _post(base, body, content_type)
    assert (status, answer["field"]) == (400, "body")
    assert answer["error"].startswith("body: ")
    assert error in answer["error"]
    assert await _stored(services) == 0


NAMES = st.sampled_from(["partner", "conversion_id", "status", "amount", "currency", "ts"])
VALUES = st.one_of(
    st.sampled_from(["aff-1", "c-9", "approved", "pending", "10", "0,5", "RUB", "1764230400"]),
    st.text(max_size=12),
)
HEADERS = st.sampled_from(
    [
        b"",
        b"Content-Type: text/plain\r\n",
        b"Content-Type: text/plain; charset=UTF-8\r\n",
        b"Content-Type: text/plain; charset=bogus\r\n",
        b"Content-Type: text/plain; charset*=utf-8''x\r\n",
        b"Content-Type: application/octet-stream\r\n",
        b"Content-Type: multipart/mixed; boundary=" + BOUNDARY + b"\r\n",
        b"Content-Type: \r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Encoding: gzip\r\n",
        b"Content-Type: text/plain\r\nContent-Type: text/html\r\n",
    ]
)
DISPOSITIONS = st.sampled_from(
    [
        b'form-data; name="%s"',
        b"form-data; name=%s",
        b'form-data; name="%s"; filename="f.txt"',
        b"form-data; name*=UTF-8''%s",
        b"FORM-DATA;name=\"%s\";filename*=UTF-8''f",
        b'form-data; name="%s"; name="x"',
        b'attachment; name="%s"',
        b"form-data",
        b'form-data; name="%s',
    ]
)


@st.composite
def hostile_part(draw: st.DrawFn) -> bytes:
    name = draw(st.one_of(NAMES, st.just("secret"), st.text(max_size=8)))
    disposition = draw(DISPOSITIONS)
    if b"%s" in disposition:
        disposition = disposition.replace(b"%s", name.encode("utf-8", "surrogatepass"))
    value = draw(
        st.one_of(
            VALUES.map(lambda v: v.encode("utf-8", "surrogatepass")),
            VALUES.map(lambda v: v.encode("cp1251", "replace")),
            st.binary(max_size=16),
        )
    )
    return (
        b"--"
        + BOUNDARY
        + draw(st.sampled_from([b"", b"  ", b"--", b"x"]))
        + b"\r\nContent-Disposition: "
        + disposition
        + b"\r\n"
        + draw(HEADERS)
        + b"\r\n"
        + value
        + b"\r\n"
    )


@st.composite
def hostile_body(draw: st.DrawFn) -> bytes:
    body = b"".join(draw(st.lists(hostile_part(), max_size=6)))
    if draw(st.booleans()):
        body = _form(fields=GOOD | {"conversion_id": draw(VALUES), "secret": SECRET}) + body
    if draw(st.booleans()):
        body += b"--" + BOUNDARY + b"--\r\n"
    cut = draw(st.integers(0, len(body)))
    if draw(st.booleans()):  # broken somewhere: cut short, or bytes slipped in
        body = body[:cut] + draw(st.binary(max_size=8)) + body[cut:]
    if draw(st.booleans()):
        body = body.replace(b"\r\n", b"\n")
    return body


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=hostile_body())
async def test_hostile_multipart_bodies_never_500_and_store_nothing_on_a_4xx(
    services: Services, base: str, body: bytes
) -> None:
    before = await _stored(services)
    status, answer = await _post(base, body)
    assert status in (200, 400, 401, 409), (status, answer)
    assert isinstance(answer, dict)
    assert answer["ok"] is (status == 200)
    if status != 200:
        assert await _stored(services) == before
        assert isinstance(answer["field"], str)


async def test_a_header_of_spaces_before_the_secret_is_read_at_once(
    services: Services, base: str
) -> None:
    """A part's header of 60,000 spaces then a letter, sent by anyone (the secret is in the
    body, so the body is read first): read in one pass, the postback taken. Its pattern
    «Name:[ \\t]*(.*?)[ \\t]*» read it in steps growing with the square of its length (this
    request was answered after 34 s, every other update of the worker waiting); now within
    the 10 s the journeys wait for an answer."""
    spaced = _field("sub_id", b"1", headers=b"X-Note: a" + b" " * 60_000 + b"b\r\n")
    fields = GOOD | {"conversion_id": "m-spaces", "secret": SECRET}
    answered = await asyncio.wait_for(_post(base, _form(spaced, fields=fields)), 10)
    assert answered == (200, {"ok": True, "result": "inserted"})
    assert await _stored(services) == 1


async def test_a_content_type_of_many_parameters_is_refused_at_once(
    services: Services, base: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An 8 KB Content-Type of «; x=y» with no secret (tester R, session 26): aiohttp reads
    its parameters in steps growing with the square of their number, on the event loop —
    0.5–3 s each, every partner waiting. Refused before it is read, naming the header."""
    crowded = b"application/x-www-form-urlencoded; u=1" + b"; x=y" * 1550
    answered = await asyncio.wait_for(_post(base, b"a=1", content_type=crowded), 10)
    assert answered == (
        400,
        {
            "ok": False,
            "error": "content-type: longer than 256 characters",
            "field": "content-type",
        },
    )
    assert await _stored(services) == 0


@pytest.mark.parametrize("media", [b"application/x-www-form-urlencoded", b"application/json"])
async def test_an_unknown_charset_is_a_400_naming_the_body(
    services: Services, base: str, caplog: pytest.LogCaptureFixture, media: bytes
) -> None:
    """«charset=foo» (tester R): aiohttp knows no such codec; it was a 500 and a traceback
    in the log for anyone who sent it."""
    body = b"secret=nope" if media.endswith(b"urlencoded") else b'{"secret": "nope"}'
    status, answer = await _post(base, body, content_type=media + b"; charset=foo")
    assert (status, answer["field"]) == (400, "body")
    assert "charset" in answer["error"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await _stored(services) == 0
