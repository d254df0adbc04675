"""A handled MAX webhook update's id is kept while MAX may send it again, then dropped, as
Telegram's (docs/privacy.md: two days). The delete named Telegram's rows only, so MAX's
ids stayed for ever (found reading fix26b's stop, session 26)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.db.tables import webhook_updates
from bot.max.session import MaxSession
from tests.max_inbox import max_inbox_over_http

SECRET = "goodsecret_1"
MAX_URL = "https://bot.example/webhook/max"


async def test_a_handled_max_update_is_dropped_after_two_days(tmp_path: Path) -> None:
    async with max_inbox_over_http(tmp_path, SECRET) as served:
        harness, emulator, inbox = served.harness, served.emulator, served.inbox
        emulator.webhook_target = served.base_url
        session = harness.max_bot.session if harness.max_bot else None
        assert isinstance(session, MaxSession)
        await session.subscribe(MAX_URL, SECRET, ["message_created"])
        maria = harness.max_user(371)
        emulator.user_message(371, "когда выплаты")
        for _ in range(100):
            await inbox.drain()
            if maria.messages:
                break
            await asyncio.sleep(0.02)
        assert maria.messages, "the event was not handled"
        db = harness.services.db
        async with db.read() as conn:
            rows = list(await conn.execute(sa.select(webhook_updates)))
        assert [(row.platform, row.body) for row in rows] == [("max", {})]
        assert rows[0].handled_at is not None

        clock = harness.clock
        assert isinstance(clock, FakeClock)
        clock.advance(3 * 24 * 3600)
        await inbox.recover()
        async with db.read() as conn:
            assert list(await conn.execute(sa.select(webhook_updates))) == []
