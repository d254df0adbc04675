"""The HTTP endpoint: `GET /health` and the sales postback `GET|POST /postback`."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import Settings
from bot.services.conversions import InvalidConversion, TransitionRefused
from bot.services.sales import SalesService

logger = logging.getLogger(__name__)


def create_http_app(
    settings: Settings,
    sales: SalesService,
    metrics: Callable[[], Awaitable[bytes]] | None = None,
) -> web.Application:
    async def health(_request: web.Request) -> web.Response:
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
        params: dict[str, str] = dict(request.query)
        try:
            params.update(await _body(request))
        except ValueError as exc:
            return _error(400, f"body: {exc}")
        given = params.pop("secret", "") or request.headers.get("X-Postback-Secret", "")
        if not hmac.compare_digest(given.encode(), configured.get_secret_value().encode()):
            logger.warning("postback with a wrong secret from %s", request.remote)
            return _error(401, "secret: wrong or missing")
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

    app = web.Application(client_max_size=64 * 1024)
    app.router.add_get("/health", health)
    if metrics is not None:
        app.router.add_get("/metrics", prometheus)
    app.router.add_route("GET", "/postback", postback)
    app.router.add_route("POST", "/postback", postback)
    return app


async def _body(request: web.Request) -> dict[str, str]:
    if request.method != "POST" or not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        try:
            data = json.loads(await request.text())
        except json.JSONDecodeError as exc:
            raise ValueError("invalid JSON") from exc
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return {str(key): "" if value is None else str(value) for key, value in data.items()}
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _error(status: int, message: str, *, field: str | None = None) -> web.Response:
    body: dict[str, object] = {"ok": False, "error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status, dumps=_readable)


def _readable(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


async def start_http(
    app: web.Application, host: str, port: int, *, reuse_port: bool = False
) -> web.AppRunner:
    """Serve `app`; `reuse_port`: several worker processes share the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
    logger.info("HTTP endpoint on http://%s:%s (/health, /postback)", host, port)
    return runner
