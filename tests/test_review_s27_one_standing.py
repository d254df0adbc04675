"""One sale, one standing in every chat of the person (a tester of session 27): a person
linked on Telegram and MAX, a contest of «Больше всего продаж» (from 3) and «Сумма продаж,
₽» (from 50 000), three postbacks of 30 000 ₽ one after another in the quiet hours. The
notice of the second sale was written for each chat on its own, and the third sale landed
in between: Telegram's said «Вы №1 в зачёте «Сумма продаж, ₽»» (two sales), MAX's «Больше
всего продаж» (three). A notice is written from one reading of the standings for every
chat it goes to, and the morning's notices say the place as it is then, the same in each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import bot.services.contest_standings as standings
from bot.content.models import Contest
from bot.db.engine import Database
from bot.db.tables import outbox
from bot.services.contest_standings import SalesRow
from bot.services.conversions import ConversionIn
from tests.harness import Client, Harness, MaxPerson, running_bot

EVENING = datetime(2026, 12, 15, 20, 0, tzinfo=UTC)  # 23:00 in Moscow: the quiet hours
MOST = "Вы №1 в зачёте «Больше всего продаж» конкурса «Два зачёта»."
AMOUNT = "Вы №1 в зачёте «Сумма продаж, ₽» конкурса «Два зачёта»."


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, maxbot=True) as running:
        yield running


async def _two_boards(harness: Harness) -> None:
    """The demo contest with only «Больше всего продаж» (from 3) and «Сумма продаж, ₽»
    (from 50 000), running now, announced."""
    demo = await harness.services.contests.contest("winter-sofas")
    assert demo is not None
    prizes = [prize for prize in demo.prizes if prize.category != "first_sales"]
    two = demo.model_copy(update={"id": "two-boards", "title": "Два зачёта", "prizes": prizes})
    await harness.services.contests.create(two, by="tg:1")
    await harness.services.contests.mark_announced(two)


async def _linked(harness: Harness, chat: Client | MaxPerson, platform: str) -> None:
    await chat.onboard()
    person = await harness.services.partners.by_user(platform, chat.user_id)
    assert person is not None
    await harness.services.partners.approve_link(
        await harness.services.partners.request_link(person, "aff-1")
    )


def _sale(number: int) -> ConversionIn:
    return ConversionIn("aff-1", f"s{number}", "approved", Decimal(30000), "RUB", EVENING)


async def _queued_texts(harness: Harness) -> dict[str, dict[str, str]]:
    """The sale notices as they were queued: by subject, each chat's text."""
    query = sa.select(outbox.c.subject, outbox.c.platform, outbox.c.text).where(
        outbox.c.kind == "sales", outbox.c.subject.startswith("sales:")
    )
    async with harness.services.db.read() as conn:
        rows = list(await conn.execute(query))
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row.subject, {})[row.platform] = row.text
    return found


async def test_one_sales_notice_tells_one_standing_in_every_chat(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _two_boards(harness)
    on_tg, on_max = harness.user(2701, "Tom"), harness.max_user(2701, "Tom")
    await _linked(harness, on_tg, "tg")
    await _linked(harness, on_max, "max")
    harness.clock.advance((EVENING - harness.clock.now()).total_seconds())

    # the third postback is committed while the second sale's notice is being written:
    # right after the contest's sales were read for it
    read = standings.sales_rows
    third: list[ConversionIn] = []

    async def sales_rows(db: Database, contest: Contest) -> list[SalesRow]:
        rows = await read(db, contest)
        if third:
            await harness.services.sales.submit(third.pop())
        return rows

    monkeypatch.setattr(standings, "sales_rows", sales_rows)
    await harness.services.sales.submit(_sale(1))
    await harness.services.sales.settle()
    third.append(_sale(3))
    await harness.services.sales.submit(_sale(2))
    await harness.services.sales.settle()
    assert not third  # it came in the middle

    tg_before, max_before = len(on_tg.messages), len(on_max.messages)
    await harness.deliver()
    assert (len(on_tg.messages), len(on_max.messages)) == (tg_before, max_before)  # held
    queued = await _queued_texts(harness)
    assert len(queued) == 3, queued
    for subject, texts in queued.items():  # one sale, one text in every chat
        assert texts["tg"] == texts["max"], (subject, texts)

    harness.clock.advance(10 * 3600)  # 09:00 in Moscow: the quiet hours are over
    await harness.deliver()
    told_tg = [m.plain for m in on_tg.messages[tg_before:] if m.plain.startswith("✅")]
    told_max = [m.plain for m in on_max.messages[max_before:] if m.plain.startswith("✅")]
    # the night's three as one, with the place as it is in the morning (docs/partners.md:
    # «Больше всего продаж» first when it places the partner)
    assert told_tg == told_max == [f"✅ Подтверждены 3 продажи.\n{MOST}"], (told_tg, told_max)
