"""A server for the postback load bench: the real endpoint (`real`) on a fresh database (a
SQLite file, or a PostgreSQL URL), or a bare aiohttp handler that only parses the query and
answers 200 (`bare`). Several `real` servers may share the port (as `partnerbot run
--workers N` does).

Run: python -m bench.postback_server real|bare PORT DATABASE_FILE|DATABASE_URL
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import web

from bot.assembly import create_services
from bot.config import Settings
from bot.http import create_http_app, start_http

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"


async def main(kind: str, port: int, database: str) -> None:
    if kind == "bare":

        async def handler(request: web.Request) -> web.Response:
            dict(request.query)
            return web.json_response({"ok": True, "result": "inserted"})

        app = web.Application()
        app.router.add_get("/postback", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
    else:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            content_dir=ROOT / "content",
            database_url=database if "://" in database else f"sqlite+aiosqlite:///{database}",
            postback_secret=SECRET,
            log_level="WARNING",
        )
        services = await create_services(settings)
        runner = await start_http(
            create_http_app(settings, services.sales), "127.0.0.1", port, reuse_port=True
        )
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
