"""/schedule lists a contest's posts in the partners' group that are queued already and
held for the end of the quiet hours at the time they go, on the line of the private
messages of the same moment («+ чат») if there are any (a tester of session 23: the held
standings were not listed at all once queued, the held results without «+ чат»)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.services.conversions import ConversionIn
from tests.harness import Client, Harness
from tests.test_journey_schedule import (
    at,
    harness,  # noqa: F401  (the fixture)
    partner_with_sales,
    posts,
    tick,
)

TITLE = "«Зимний марафон диванов»"


async def schedule(manager: Client) -> list[str]:
    return (await manager.send("/schedule"))[-1].plain.splitlines()


async def test_held_group_posts_are_listed_when_they_go(harness: Harness) -> None:  # noqa: F811
    anna = await partner_with_sales(harness, 931, "hc-1")
    manager = harness.manager()
    await manager.send("/start")
    await tick(harness)  # announced
    at(harness, datetime(2026, 12, 14, 7, 0, tzinfo=UTC))  # 10:00 Moscow: started
    await tick(harness)
    await harness.services.sales.record(
        ConversionIn("hc-1", "hc-s1", "approved", Decimal(20000), "RUB",
                     datetime(2026, 12, 15, 9, 0, tzinfo=UTC)),
        "csv",
    )  # fmt: skip

    # the first week's standings: 21.12 00:00 Moscow, posted when the quiet hours end
    at(harness, datetime(2026, 12, 20, 20, 30, tzinfo=UTC))  # 23:30 Moscow
    standings = [line for line in await schedule(manager) if line.startswith("21.12 09:00")]
    assert standings == [f"21.12 09:00 — рейтинг конкурса (чат) {TITLE} — чат партнёров"]
    at(harness, datetime(2026, 12, 20, 21, 1, tzinfo=UTC))  # 00:01 Moscow: queued, held
    chat = len(posts(harness, 0))
    await tick(harness)
    assert len(posts(harness, chat)) == 0  # held
    lines = await schedule(manager)
    assert [line for line in lines if line.startswith("21.12 09:00")] == [
        f"21.12 09:00 — сообщение о конкурсе {TITLE} — чат партнёров"
    ], lines
    at(harness, datetime(2026, 12, 21, 6, 1, tzinfo=UTC))  # 09:01 Moscow: gone
    await tick(harness)
    assert len(posts(harness, chat)) == 3
    assert not any(line.startswith("21.12 09:00") for line in await schedule(manager))

    # the results: 11.01 23:59:59 + hold, queued at 00:30 for 09:00 — the winner's
    # congratulation and the group's post on one line
    at(harness, datetime(2027, 1, 11, 21, 30, tzinfo=UTC))
    mark, chat = len(anna.messages), len(posts(harness, 0))
    await tick(harness)
    # held (the group got only the weekly leaderboard of 11.01, made up within a day)
    assert not any(t.startswith("🏁 Итоги конкурса") for t in posts(harness, chat))
    assert not any(m.plain.startswith("🎉 Поздравляем!") for m in anna.messages[mark:])
    lines = await schedule(manager)
    assert [line for line in lines if line.startswith("12.01 09:00")] == [
        f"12.01 09:00 — сообщение о конкурсе {TITLE} — 1 получатель + чат"
    ], lines
    at(harness, datetime(2027, 1, 12, 6, 1, tzinfo=UTC))  # 09:01 Moscow: both went
    await tick(harness)
    assert any(t.startswith(f"🏁 Итоги конкурса {TITLE}") for t in posts(harness, chat))
    assert any(m.plain.startswith("🎉 Поздравляем!") for m in anna.messages[mark:])
    assert not any(line.startswith("12.01 09:00") for line in await schedule(manager))
