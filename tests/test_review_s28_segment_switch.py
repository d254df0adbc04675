"""A segment switched in the middle of a contest (a tester of session 28): a MAX partner of
«Дизайнер интерьеров», not eligible for a contest open to bloggers and webmasters, made 5
sales of 20 000 during it; `/settings` → «Блогер», and `/top` at once showed them №1 in all
three categories — every sale counted, those made while not eligible too. A contest counts
only the sales a partner made while in one of its segments: the switch is told that it
counts their sales from now on; a switch out drops them from its boards until they are back
(the sales made in its segments then count again); the sale notices, `/top`, the manager's
`/partner` card and the winners agree; a linked person's chats share one history, and a
chat that joins the person brings none of its own past."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.content.models import Contest
from bot.services.conversions import ConversionIn
from tests.harness import Client, Harness, MaxPerson, running_bot
from tests.test_journey_schedule import at, tick

TITLE = "Ноябрьский забег"
DAY = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)  # 12:00 in Moscow, the contest's third day
AFTER = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # the day after its end (no hold)
JOINED = f"🏆 Идёт конкурс «{TITLE}» (до 20.11): ваши продажи засчитываются в нём с этой минуты"
AGAIN = f"🏆 Конкурс «{TITLE}» (до 20.11) снова засчитывает ваши продажи"
LEFT = f"⚠️ Конкурс «{TITLE}» (до 20.11) — не для этого сегмента"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, maxbot=True) as running:
        running.max_manager()  # the winners reach the managers on MAX too
        yield running


async def _contest(harness: Harness) -> None:
    """A contest for webmasters and bloggers, 10.11–20.11, announced; three categories."""
    contest = Contest.model_validate(
        {
            "id": "november-run",
            "title": TITLE,
            "description": "Кто больше продаст.",
            "starts_at": "2026-11-10T00:00:00+03:00",
            "ends_at": "2026-11-20T23:59:59+03:00",
            "segments": ["webmaster", "blogger"],
            "prizes": [
                {"category": "first_sales", "places": ["Бонус 2 000 ₽", "Бонус 1 000 ₽"]},
                {"category": "most_sales", "places": ["Ставка 15%"], "min_value": 3},
                {"category": "top_amount", "places": ["Ноутбук"], "min_value": 50000},
            ],
        }
    )
    await harness.services.contests.create(contest, by="tg:1")
    await harness.services.contests.mark_announced(contest)


async def _linked(harness: Harness, chat: Client | MaxPerson, segment: str, aff: str) -> None:
    await chat.onboard(segment)
    platform = "max" if isinstance(chat, MaxPerson) else "tg"
    person = await harness.services.partners.by_user(platform, chat.user_id)
    assert person is not None
    await harness.services.partners.approve_link(
        await harness.services.partners.request_link(person, aff)
    )


async def _sale(harness: Harness, aff: str, number: int, when: datetime | None = None) -> None:
    made = when or harness.clock.now()
    item = ConversionIn(aff, f"{aff}-{number}", "approved", Decimal(20000), "RUB", made)
    await harness.services.sales.submit(item)
    await harness.services.sales.settle()
    harness.clock.advance(1)


async def _switch(chat: Client | MaxPerson, segment: str) -> list[str]:
    """/settings → «Сегмент: …» → `segment`: what the bot said besides the settings."""
    await chat.send("/settings")
    await chat.press(next(b for b in chat.last.button_labels if b.startswith("Сегмент")))
    said = await chat.press(next(b for b in chat.last.button_labels if b.startswith(segment)))
    return [m.plain for m in said]


async def _top(chat: Client | MaxPerson) -> str:
    return "\n\n".join(m.plain for m in await chat.send("/top"))


def _notices(chat: Client | MaxPerson, since: int) -> list[str]:
    return [m.plain for m in chat.messages[since:] if "подтвержден" in m.plain]


async def test_the_testers_steps_sales_made_while_not_eligible_do_not_count(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await _contest(harness)
    rival = harness.user(2801, "Борис")
    await _linked(harness, rival, "Блогер", "aff-rival")
    maria = harness.max_user(2802, "Мария")
    await _linked(harness, maria, "Дизайнер", "aff-maria")

    at(harness, DAY)
    await _sale(harness, "aff-rival", 1)
    for number in range(5):  # made as a designer: the contest is not theirs
        await _sale(harness, "aff-maria", number)
    await harness.deliver()
    assert TITLE not in await _top(maria)

    said = await _switch(maria, "Блогер")
    switched_at = harness.clock.now()
    assert [line for line in said if TITLE in line] == [
        JOINED + " — сделанные раньше, в другом сегменте, не считаются. Правила и призы: /contests"
    ], said
    top = await _top(maria)
    assert TITLE in top, top
    assert "Вы: №" not in top, top  # none of the five sales counts
    assert "Вы пока не в зачёте: нужно от 3, у вас 0 — осталось 3." in top, top
    assert "Вы пока не в зачёте: нужно от 50 000, у вас 0 — осталось 50 000." in top, top

    # a sale now counts, and its notice names the place
    mark = len(maria.messages)
    await _sale(harness, "aff-maria", 9)
    await harness.deliver()
    assert _notices(maria, mark) == [
        f"✅ Продажа подтверждена.\nВы №2 в зачёте «Первые продажи» конкурса «{TITLE}»."
    ]
    # one reported late, made while a designer: counts nowhere in the contest, names none
    mark = len(maria.messages)
    await _sale(harness, "aff-maria", 10, when=DAY + timedelta(seconds=3))
    await harness.deliver()
    assert _notices(maria, mark) == ["✅ Продажа подтверждена."]
    top = await _top(maria)
    assert "Вы: №2 (1)" in top, top
    assert "Вы пока не в зачёте: нужно от 3, у вас 1 — осталось 2." in top, top

    # the manager's card says since when the partner's sales count
    card = (await manager.send("/partner max:2802"))[-1].plain
    since = switched_at.astimezone(harness.services.settings.tz).strftime("%d.%m %H:%M")
    assert f"В конкурсе «{TITLE}» (засчитываются продажи с {since}):" in card, card

    # the winners: the partner is second in first sales, marked as joined mid-contest; the
    # rival, a blogger all along who became a designer after the end, is still first
    at(harness, AFTER)
    await _switch(rival, "Дизайнер")
    await tick(harness)
    (winners,) = [m.plain for m in manager.messages if f"Победители конкурса «{TITLE}»" in m.plain]
    row = next(line for line in winners.splitlines() if "aff-maria" in line)
    assert row.startswith("2. "), winners
    assert row.endswith(f"Бонус 1 000 ₽ · в конкурсе с {since}"), row
    rival_row = next(line for line in winners.splitlines() if "aff-rival" in line)
    assert rival_row.startswith("1. Борис"), winners
    assert "в конкурсе с" not in rival_row, rival_row


async def test_a_switch_out_and_back_counts_the_sales_made_in_the_contests_segments(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await _contest(harness)
    anna = harness.user(2811, "Анна")
    await _linked(harness, anna, "Блогер", "aff-anna")
    at(harness, DAY)
    for number in range(2):
        await _sale(harness, "aff-anna", number)
    await harness.deliver()
    assert "Вы пока не в зачёте: нужно от 3, у вас 2 — осталось 1." in await _top(anna)

    said = await _switch(anna, "Дизайнер")
    assert [line for line in said if TITLE in line] == [
        LEFT + ": пока вы в нём, вас нет в рейтинге конкурса и продажи в нём не засчитываются. "
        "Вернётесь в сегмент конкурса до его конца — снова засчитаются продажи, сделанные в нём."
    ], said
    assert TITLE not in await _top(anna)
    await _sale(harness, "aff-anna", 2)  # made as a designer
    await harness.deliver()

    said = await _switch(anna, "Блогер")
    back_at = harness.clock.now()
    assert [line for line in said if TITLE in line] == [
        AGAIN + " — с этой минуты, и сделанные раньше в его сегментах; сделанные в другом "
        "сегменте не считаются. Правила и призы: /contests"
    ], said
    top = await _top(anna)
    assert "Вы пока не в зачёте: нужно от 3, у вас 2 — осталось 1." in top, top
    mark = len(anna.messages)
    await _sale(harness, "aff-anna", 3)
    await harness.deliver()
    assert _notices(anna, mark) == [
        f"✅ Продажа подтверждена.\nВы №1 в зачёте «Больше всего продаж» конкурса «{TITLE}»."
    ]
    assert "Вы: №1 (60 000)" in await _top(anna)

    # after the end a switch changes nothing: she was in its segment when it ended
    at(harness, AFTER)
    said = await _switch(anna, "Дизайнер")
    assert not [line for line in said if TITLE in line], said
    await tick(harness)
    (winners,) = [m.plain for m in manager.messages if f"Победители конкурса «{TITLE}»" in m.plain]
    since = back_at.astimezone(harness.services.settings.tz).strftime("%d.%m %H:%M")
    rows = [line for line in winners.splitlines() if "aff-anna" in line]
    assert len(rows) == 3, winners  # first in each category
    assert all(f" · в конкурсе с перерывами, снова с {since}" in row for row in rows), rows
    assert " — 3 — Ставка 15%" in rows[1], rows


async def test_a_linked_person_switches_once_for_every_chat(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await _contest(harness)
    on_tg, on_max = harness.user(2821, "Tom"), harness.max_user(2821, "Tom")
    await _linked(harness, on_tg, "Дизайнер", "aff-tom")
    await _linked(harness, on_max, "Дизайнер", "aff-tom")
    at(harness, DAY)
    for number in range(3):
        await _sale(harness, "aff-tom", number)
    await harness.deliver()

    said = await _switch(on_max, "Блогер")  # in one chat: the person's segment
    assert any(line.startswith(JOINED) for line in said), said
    for chat in (on_tg, on_max):
        top = await _top(chat)
        assert "Вы пока не в зачёте: нужно от 3, у вас 0 — осталось 3." in top, top
    tg_mark, max_mark = len(on_tg.messages), len(on_max.messages)
    await _sale(harness, "aff-tom", 3)
    await harness.deliver()
    told = f"✅ Продажа подтверждена.\nВы №1 в зачёте «Первые продажи» конкурса «{TITLE}»."
    assert _notices(on_tg, tg_mark) == _notices(on_max, max_mark) == [told]

    # back to a designer from the other chat: the contest is gone from both
    said = await _switch(on_tg, "Дизайнер")
    assert any(line.startswith(LEFT) for line in said), said
    assert TITLE not in await _top(on_max)


async def test_a_chat_joining_the_person_brings_none_of_its_own_past(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await _contest(harness)
    on_tg = harness.user(2831, "Вера")
    await _linked(harness, on_tg, "Дизайнер", "aff-vera")
    on_max = harness.max_user(2831, "Вера")
    await on_max.onboard("Блогер")  # a blogger all along, but not linked: another person
    at(harness, DAY)
    for number in range(3):
        await _sale(harness, "aff-vera", number)  # the designer's sales
    await harness.deliver()

    # the MAX chat joins the person, used last: the person is a blogger from now on
    await on_max.send("/link aff-vera")
    assert "подтверждена" in (await manager.send("/approve_link max:2831"))[-1].plain
    await harness.deliver()
    assert any("Сегмент: Блогер" in m.plain for m in on_tg.messages[-3:])
    for chat in (on_tg, on_max):
        top = await _top(chat)
        assert TITLE in top, top
        assert "Вы пока не в зачёте: нужно от 3, у вас 0 — осталось 3." in top, top
