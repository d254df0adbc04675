"""/forget and the partners' group posts still waiting to go: a contest's standings and
results held for the end of the quiet hours, a leaderboard not sent yet. They named the
partner when they were written; after /forget they go with «Партнёр» in the partner's
place (as the boards say of someone no longer linked), the other partners named as before
and nobody's place changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.tables import outbox
from bot.services.conversions import ConversionIn
from bot.telegram.emulator import RateLimits
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot
from tests.test_journey_security import _found_anywhere

COMMUNITY = -1009876543210
NAME = "Зульфия & <Ко>"  # as the posts' HTML has it too: «Зульфия &amp; &lt;Ко&gt;»


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=COMMUNITY
        ) as running:
            yield running


def at(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


async def linked(harness: Harness, user_id: int, name: str, affiliate: str) -> Client:
    client = harness.user(user_id, name)
    await client.onboard()
    person = await harness.services.partners.by_user("tg", user_id)
    assert person is not None
    await harness.services.partners.approve_link(
        await harness.services.partners.request_link(person, affiliate)
    )
    return client


async def sales(harness: Harness, affiliate: str, count: int) -> None:
    for n in range(count):
        await harness.services.sales.record(
            ConversionIn(affiliate, f"{affiliate}-{n}", "approved", Decimal(20000), "RUB",
                         datetime(2026, 12, 15, 9, n, tzinfo=UTC)),
            "csv",
        )  # fmt: skip


async def two_partners_in_the_demo_contest(harness: Harness) -> Client:
    """Зульфия (3 sales: first in «most sales») and Вера (1 sale) in the demo contest
    (14.12 00:00 – 28.12 23:59:59 Moscow, hold 14 days); Зульфия's client."""
    zu = await linked(harness, 2301, NAME, "zu-2301")
    await linked(harness, 2302, "Вера", "ve-2302")
    await harness.services.planner.tick()  # the contest is announced
    await harness.deliver()
    at(harness, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))
    await sales(harness, "zu-2301", 3)
    await sales(harness, "ve-2302", 1)
    return zu


async def waiting_posts(harness: Harness) -> dict[int, tuple[str, bytes | None]]:
    """The partners' group posts still queued: text and picture by row id."""
    query = sa.select(outbox.c.id, outbox.c.text, outbox.c.picture).where(
        outbox.c.kind == "community", outbox.c.status == "queued"
    )
    async with harness.services.db.read() as conn:
        return {row.id: (row.text, row.picture) for row in await conn.execute(query)}


async def forget(zu: Client) -> None:
    await zu.send("/forget")
    await zu.press("Да, удалить")


def posts(harness: Harness, since: int) -> list[str]:
    return [m.plain for m in harness.emulator.chat_messages(COMMUNITY)[since:]]


async def test_standings_held_for_the_morning_and_a_leaderboard_not_sent_yet_lose_the_name(
    harness: Harness,
) -> None:
    zu = await two_partners_in_the_demo_contest(harness)
    # the first week's standings fall at 00:00 Moscow: the group gets them at 09:00
    at(harness, datetime(2026, 12, 20, 21, 0, 30, tzinfo=UTC))
    chat = len(posts(harness, 0))
    await harness.services.planner.tick()
    await harness.deliver()
    assert posts(harness, chat) == []
    # and the Monday leaderboard queued, not sent yet (a backlog)
    await harness.services.notices.weekly_leaderboard("2026-12-21")
    waiting = await waiting_posts(harness)
    naming = {i: post for i, post in waiting.items() if "Зульфия" in post[0]}
    assert len(naming) >= 2, waiting  # a standings board and a leaderboard name her

    await forget(zu)
    assert await _found_anywhere(harness, ("Зульфия", "&lt;Ко&gt;")) == []
    now = await waiting_posts(harness)
    assert set(naming) <= set(now)  # still going
    for row_id, (_text, picture) in naming.items():
        assert picture is not None
        assert now[row_id][1] not in (None, picture)  # the picture drawn again, without her

    at(harness, datetime(2026, 12, 21, 6, 1, tzinfo=UTC))  # 09:01 Moscow
    await harness.deliver()
    sent = posts(harness, chat)
    assert len(sent) == len(waiting), sent
    assert not any("Зульфия" in post or "<Ко>" in post for post in sent), sent
    boards = [post for post in sent if "Больше всего продаж" in post]
    assert len(boards) == 2, sent  # the week's standings and the leaderboard
    assert all("1. Партнёр — 3" in board for board in boards), boards
    assert any("Вера" in post for post in sent), sent


async def test_results_held_for_the_morning_name_the_winner_who_left_as_partner(
    harness: Harness,
) -> None:
    zu = await two_partners_in_the_demo_contest(harness)
    # the results after the hold fall in the night: the group gets them at 09:00
    at(harness, datetime(2027, 1, 11, 21, 30, tzinfo=UTC))
    chat = len(posts(harness, 0))
    await harness.services.planner.tick()
    await harness.deliver()
    assert not any(post.startswith("🏁 Итоги") for post in posts(harness, chat))
    waiting = await waiting_posts(harness)
    assert any("Зульфия" in text for text, _picture in waiting.values()), waiting

    await forget(zu)
    assert await _found_anywhere(harness, ("Зульфия", "&lt;Ко&gt;")) == []

    at(harness, datetime(2027, 1, 12, 6, 5, tzinfo=UTC))  # 09:05 Moscow
    await harness.deliver()
    results = [post for post in posts(harness, chat) if post.startswith("🏁 Итоги")]
    assert len(results) == 1, posts(harness, chat)
    assert "Зульфия" not in results[0], results[0]
    assert "<Ко>" not in results[0], results[0]
    # her place and prize stay hers, without her name: nobody moved up
    assert "1. Партнёр — 3 — Ставка 15% на январь" in results[0], results[0]
    assert "Вера" in results[0], results[0]
