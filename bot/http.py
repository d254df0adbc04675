"""The HTTP endpoint: `GET /health`, `GET /metrics` (Prometheus; the bot and the sandbox
serve it) and the sales postback `GET|POST /postback`; with WEBHOOK_URL set, `bot.app`
installs the webhooks beside them (`bot.webhook`): Telegram's `POST` at WEBHOOK_URL's path
(`/webhook/telegram` when it has none), MAX's at `POST /webhook/max`. A WEBHOOK_URL whose
path is one of the others is refused at start as a configuration error (`bot.config`).

A postback's fields come from the query string and the body (a form or a JSON object):
one of ours given more than once, anywhere, is a 400 naming it. Its secret is `secret=`
and/or the `X-Postback-Secret` header: every one given must be right (constant time); one
in the header or the query is checked before the body is read. JSON nested too deeply for
Python is a 400 naming `body`, never a 500.
A request line aiohttp cannot parse (raw UTF-8 or control characters in the query) is a
JSON 400 naming `query`, logged as one line (`_Connection`); a query or form body aiohttp
would read leniently (raw bytes ≥ 0x80 or control bytes, a `%` not followed by two hex
digits, escapes that are not UTF-8) is a 400 naming `query` or `body` too (`_escapes`).
A multipart/form-data body is read strictly (`bot.form_data`): a file, a part that is not
UTF-8 text, a malformed part is a 400 naming the part (or `body`).
Every error answer of this server (the postback's, the webhooks', a 404, a 405, a body over
64 KB — 413 —, a request line or header too long, an unexpected error) is JSON
`{"ok": false, "error": …}`, and never repeats what the request carried (`_json_errors`,
`_Connection`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Final
from urllib.parse import unquote_to_bytes

from aiohttp import web
from aiohttp.hdrs import CONTENT_TYPE
from aiohttp.helpers import parse_mimetype
from aiohttp.http_exceptions import (
    BadHttpMethod,
    HttpProcessingError,
    InvalidURLError,
    LineTooLong,
)
from aiohttp.web_protocol import RequestHandler

from bot.config import Settings
from bot.db.engine import OUTAGE
from bot.form_data import form_fields
from bot.services.conversions import FIELDS, InvalidConversion, TransitionRefused
from bot.services.sales import SalesService

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Postback-Secret"  # noqa: S105 (a header name)
Pairs = list[tuple[str, str]]


def create_http_app(
    settings: Settings,
    sales: SalesService,
    metrics: Callable[[], Awaitable[bytes]] | None = None,
) -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        # the database answers, or the bot cannot do its work: a load balancer reading 200
        # while every postback and update failed saw a healthy bot (the tester of session 20)
        if not await sales.database_answers():
            return _error(503, "database unreachable")
        return web.json_response({"ok": True})

    async def prometheus(_request: web.Request) -> web.Response:
        assert metrics is not None
        return web.Response(
            body=await metrics(), headers={"Content-Type": "text/plain; version=0.0.4"}
        )

    async def postback(request: web.Request) -> web.Response:
        configured = settings.postback_secret
        if configured is None:
            return _error(503, "postback is not configured: set POSTBACK_SECRET")
        wrong = _escapes(request.rel_url.raw_query_string.encode())
        if wrong is not None:
            return _error(400, f"query: {wrong}", field="query")
        headers = request.headers.getall(SECRET_HEADER, [])
        query = list(request.query.items())
        # a secret in the header or the query is checked before the body is read
        secret = configured.get_secret_value()
        refused = _refused(query, headers, secret, request.remote, whole=False)
        if refused is not None:
            return refused
        try:
            pairs = [*query, *await _body(request)]
        except ValueError as exc:
            return _error(400, f"body: {exc}", field="body")
        except LookupError:  # «charset=foo»: aiohttp knows no such codec (was a 500)
            return _error(400, "body: an unknown charset in Content-Type", field="body")
        except InvalidConversion as exc:
            return _error(400, str(exc), field=exc.field)
        refused = _refused(pairs, headers, secret, request.remote, whole=True)
        if refused is not None:
            return refused
        params = dict(pairs)
        params.pop("secret", None)
        try:
            item = sales.parse(params)
        except InvalidConversion as exc:
            return _error(400, str(exc), field=exc.field)
        try:
            result = await sales.submit(item)
        except TransitionRefused as exc:
            logger.warning("postback refused: %s", exc)
            return _error(409, str(exc), field=exc.field)
        return web.json_response({"ok": True, "result": result})

    app = web.Application(client_max_size=BODY_LIMIT, middlewares=[_json_errors])
    app[AWAY] = _Away()
    app.router.add_get("/health", health)
    if metrics is not None:
        app.router.add_get("/metrics", prometheus)
    app.router.add_route("GET", "/postback", postback)
    app.router.add_route("POST", "/postback", postback)
    return app


BODY_LIMIT: Final = 64 * 1024
CONTENT_TYPE_LIMIT: Final = 256  # «multipart/form-data; boundary=…» is under 100
RETRY_AFTER: Final = 30  # seconds a tracker waits before sending a postback again (503)


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """aiohttp's own error answers (plain text) as JSON: a body over the limit (413), no such
    path (404) or method (405), an unexpected error (500, logged with its traceback)."""
    if len(request.headers.get(CONTENT_TYPE, "")) > CONTENT_TYPE_LIMIT:
        # aiohttp reads a Content-Type's parameters in steps growing with the square of
        # their number, on the event loop: 8 KB of «; x=y» held every update for seconds,
        # sent by anyone (a postback's secret may be in the body, read after it)
        limit = f"content-type: longer than {CONTENT_TYPE_LIMIT} characters"
        return _error(400, limit, field="content-type")
    try:
        response = await handler(request)
    except OUTAGE as exc:  # nothing stored: a tracker or the platform sends it again
        request.app[AWAY].failed(request, exc)
        response = _error(503, "database unavailable: send it again later")
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    except web.HTTPRequestEntityTooLarge:
        return _error(413, f"body: larger than {BODY_LIMIT} bytes", field="body")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = _error(exc.status, exc.reason.lower())
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        logger.exception("%s %s failed", request.method, request.path)
        return _error(500, "internal error")
    if response.status == 200:
        request.app[AWAY].answered()
    return response


class _Away:
    """The database away, as the HTTP endpoints meet it: said in the log once when the
    first request gets a 503, and once when a request is answered again, with how many
    got a 503 meanwhile (it was a line per postback: 108 in a minute at 2 a second)."""

    def __init__(self) -> None:
        self.refused = 0

    def failed(self, request: web.Request, exc: BaseException) -> None:
        if not self.refused:
            logger.warning(
                "%s %s: the database is away (%s); requests get 503 with Retry-After until it"
                " answers",
                request.method,
                request.path,
                type(exc).__name__,
            )
        self.refused += 1

    def answered(self) -> None:
        if self.refused:
            logger.warning(
                "the database answers again: %d requests got 503 meanwhile", self.refused
            )
            self.refused = 0


AWAY: Final = web.AppKey("away", _Away)  # each app its own


def _refused(
    pairs: Pairs, headers: list[str], configured: str, remote: str | None, *, whole: bool
) -> web.Response | None:
    """A 400 for one of ours given more than once in `pairs` and the headers; a 401 when a
    secret given there is wrong, or (`whole`: the query and the body) none is given."""
    given = Counter(name for name, _value in pairs) + Counter({SECRET_HEADER: len(headers)})
    for name in (*FIELDS, "secret", SECRET_HEADER):
        if given[name] > 1:
            return _error(400, f"{name}: given more than once", field=name)
    secrets = [value for name, value in pairs if name == "secret"] + headers
    if not secrets and not whole:
        return None  # the secret may be in the body
    if not _right(secrets, configured):
        logger.warning("postback with a wrong secret from %s", remote)
        return _error(401, "secret: wrong or missing", field="secret")
    return None


def _right(secrets: list[str], configured: str) -> bool:
    """Every secret given is the configured one (at least one given), each compared in
    constant time, all of them compared."""
    expected = configured.encode()
    checks = [hmac.compare_digest(s.encode("utf-8", "surrogatepass"), expected) for s in secrets]
    return bool(checks) and all(checks)


async def _body(request: web.Request) -> Pairs:
    """The body's fields in order, a repeated one as often as given."""
    if request.method != "POST" or not request.can_read_body:
        return []
    if request.content_type == "application/json":
        try:
            # a number as written (`1e2` stays "1e2", refused as in the query; never a float);
            # NaN and Infinity are not JSON
            data = json.loads(
                await request.text(),
                object_pairs_hook=_JsonObject,
                parse_float=str,
                parse_int=str,
                parse_constant=_not_json,
            )
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, _not_json
            raise ValueError("invalid JSON") from exc
        except RecursionError as exc:  # `[[[…]]]` deeper than Python's stack: never a 500
            raise ValueError("invalid JSON (nested too deeply)") from exc
        if not isinstance(data, _JsonObject):
            raise ValueError("expected a JSON object")
        return [(key, _json_text(key, value)) for key, value in data.pairs]
    if request.content_type == "multipart/form-data":
        # read whole (the app's size limit), then strictly: every part a UTF-8 text value
        boundary = parse_mimetype(request.headers.get(CONTENT_TYPE, "")).parameters
        return form_fields(boundary.get("boundary"), await request.read())
    if request.content_type == "application/x-www-form-urlencoded":
        # a body ending in a line break (`curl --data-binary @file`) is still one form
        wrong = _escapes((await request.read()).rstrip(b"\r\n"))
        if wrong is not None:
            raise ValueError(wrong)
    form = await request.post()
    return [(key, value) for key, value in form.items() if isinstance(value, str)]


_BAD_ESCAPE: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_RAW_BYTE: Final = re.compile(rb"[\x00-\x1f\x7f-\xff]")


def _escapes(raw: bytes) -> str | None:
    """Why `raw` (a query string, a form body) is not percent-encoded, or None. aiohttp
    would keep `%ZZ` as it is, read `%FF` as U+FFFD and take raw bytes (UTF-8 or cp1251,
    control characters) as they come: a tracker's encoding bug stored."""
    if _RAW_BYTE.search(raw):
        return "not percent-encoded (raw bytes)"
    if _BAD_ESCAPE.search(raw):
        return "not percent-encoded: a % not followed by two hex digits (a % itself is %25)"
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return "not percent-encoded: an escape that is not UTF-8 (such as %FF)"
    return None


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _json_text(name: str, value: object) -> str:
    """A JSON member's value as text: a string or a number as written. One of ours that is
    true, false, null, an object or an array is refused naming it (not Python's 'True');
    a tracker's own member is ignored whatever it is."""
    if isinstance(value, str):
        return value
    if name not in _OURS:
        return ""
    if isinstance(value, bool):
        words = "true" if value else "false"
    elif value is None:
        words = "null"
    else:
        words = "an object" if isinstance(value, dict) else "an array"
    raise InvalidConversion(name, f"a number or a string, not {words}")


_OURS: Final = frozenset((*FIELDS, "secret"))


class _JsonObject(dict[str, Any]):
    """A JSON object that keeps its keys as given (`{"amount": 1, "amount": 2}`)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


def _error(status: int, message: str, *, field: str | None = None) -> web.Response:
    body: dict[str, object] = {"ok": False, "error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status, dumps=_readable)


def _readable(value: object) -> str:
    """UTF-8 as it is; a lone surrogate (JSON's "\\ud800") escaped, never a 500."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(value)
    return text


class _Connection(RequestHandler):
    """aiohttp's connection, answering a request line its parser refuses (raw UTF-8 or
    control characters in the query or path) the endpoint's way: a JSON 400 naming the
    part, and one warning line instead of an ERROR with a traceback."""

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, InvalidURLError):
            part = "query" if "query" in str(exc) else "path"
            logger.warning("request refused from %s: %s not percent-encoded", request.remote, part)
            response = _error(400, f"{part}: not percent-encoded (UTF-8, RFC 3986)", field=part)
        elif isinstance(exc, HttpProcessingError):
            # the parser's message quotes the request (a query with its secret): not repeated
            said = _UNREADABLE.get(type(exc), "request: not a valid HTTP request")
            logger.warning("request refused from %s: %s", request.remote, said)
            response = _error(status, said, field="request")
        else:  # a timeout or an error of ours: aiohttp logs it (and knows if it is too late)
            super().handle_error(request, status, exc, message)
            said = "timed out" if status == 504 else "internal error"
            response = _error(status, said)
        response.force_close()
        return response


_UNREADABLE: Final[dict[type[Exception], str]] = {
    LineTooLong: "request: the request line or a header is longer than 8190 bytes",
    BadHttpMethod: "request: not an HTTP request",
}


# _Server and _Runner lean on aiohttp internals (3.9-3.14): if a release changes them, the
# endpoint falls back to aiohttp's own connection (its plain 400 and traceback) rather than
# failing to start or to serve.


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        try:
            return _Connection(self, loop=self._loop, **self._kwargs)
        except (AttributeError, TypeError):
            return super().__call__()


class _Runner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        try:
            return _Server(
                made.request_handler,
                request_factory=made.request_factory,
                loop=asyncio.get_running_loop(),
                **made._kwargs,
            )
        except (AttributeError, TypeError):
            logger.warning("aiohttp's server is not the one expected: its own 400s apply")
            return made


async def start_http(
    app: web.Application, host: str, port: int, *, reuse_port: bool = False
) -> web.AppRunner:
    """Serve `app`; `reuse_port`: several worker processes share the port. The line it
    logs names every path served — the webhooks' too, as installed — so an operator knows
    what a proxy in front must forward (it said «(/health, /postback)» whatever was on)."""
    runner = _Runner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
    paths = ", ".join(dict.fromkeys(route.canonical for route in app.router.resources()))
    logger.info("HTTP endpoint on http://%s:%s (%s)", host, port, paths)
    return runner
