"""Session 14 (task fix14c): what partners and managers are told matches what happens.

1. The consent of /start states the program's weekly cap (`max_automated_per_week`).
2. /schedule lists only the sends that will go, at the time they will go: not the
   announcement of a contest too close to announce itself, not a sale notice whose sales
   were all refunded.
3. The /contests_admin card of a running contest says it is running.
4. /stats counts every question the bot answered with "did you mean" options.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.content.models import QuietHours
from bot.services.conversions import ConversionIn
from bot.services.outbox_enqueue import quiet_at_night
from tests.harness import DEMO_CONTENT, Harness, announce_demo_contest, running_bot
from tests.test_journey_notices import linked
from tests.test_journey_schedule import partner_with_sales
from tests.test_journey_schedule_held import at, schedule
from tests.test_review_s9_lefta import _postback


def _content_with_cap(tmp_path: Path, cap: int) -> Path:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    program = content / "program.yaml"
    text = program.read_text(encoding="utf-8")
    assert "max_automated_per_week: 5" in text
    program.write_text(
        text.replace("max_automated_per_week: 5", f"max_automated_per_week: {cap}"),
        encoding="utf-8",
    )
    return content


# --- 1. the consent states the program's weekly cap ---


@pytest.mark.parametrize(
    ("cap", "russian", "english"),
    [
        (3, "Не чаще 3 сообщений в неделю, никогда ночью.", "At most 3 messages a week,"),
        (1, "Не чаще 1 сообщения в неделю, никогда ночью.", "At most 1 message a week,"),
        (21, "Не чаще 21 сообщения в неделю, никогда ночью.", "At most 21 messages a week,"),
    ],
)
async def test_the_consent_states_the_programs_weekly_cap(
    tmp_path: Path, cap: int, russian: str, english: str
) -> None:
    async with running_bot(tmp_path, content_dir=_content_with_cap(tmp_path, cap)) as harness:
        anna = harness.user(1401, "Анна")
        await anna.send("/start")
        await anna.press(next(b for b in anna.last.button_labels if b.startswith("Вебмастер")))
        await anna.press("Сайт")
        await anna.press("До года")
        consent = (await anna.send("Владельцы квартир"))[-1].plain
        assert russian in consent, consent
        assert "5 сообщений" not in consent, consent
        # typed instead of pressed: the hint repeats it, with the same number
        again = (await anna.send("может быть"))[-1].plain
        assert russian in again, again

        bob = harness.user(1402, "Bob", language="en")
        await bob.send("/start")
        await bob.press(bob.last.button_labels[0])
        await bob.press("Сайт")
        await bob.press("До года")
        consent = (await bob.send("Owners of new flats"))[-1].plain
        assert english in consent, consent


async def test_the_consent_of_a_program_without_automated_messages(tmp_path: Path) -> None:
    async with running_bot(tmp_path, content_dir=_content_with_cap(tmp_path, 0)) as harness:
        anna = harness.user(1403, "Анна")
        await anna.send("/start")
        await anna.press(next(b for b in anna.last.button_labels if b.startswith("Вебмастер")))
        await anna.press("Сайт")
        await anna.press("До года")
        consent = (await anna.send("Владельцы квартир"))[-1].plain
        assert "Не чаще" not in consent, consent
        assert "Сейчас программа не присылает автоматических сообщений" in consent, consent


@pytest.mark.parametrize(
    ("start", "end", "night"),
    [
        ("22:00", "09:00", True),
        ("00:00", "07:00", True),
        ("13:00", "14:00", False),  # a quiet lunch: the nights are not quiet
        ("09:00", "09:00", False),  # no quiet hours
    ],
)
def test_never_at_night_only_when_the_quiet_hours_hold_the_night(
    start: str, end: str, night: bool
) -> None:
    assert quiet_at_night(QuietHours(start=start, end=end)) is night


async def test_the_consent_says_never_at_night_only_when_so(tmp_path: Path) -> None:
    content = _content_with_cap(tmp_path, 3)
    program = content / "program.yaml"
    text = program.read_text(encoding="utf-8")
    assert 'quiet_hours: {start: "22:00", end: "09:00"}' in text
    program.write_text(
        text.replace(
            'quiet_hours: {start: "22:00", end: "09:00"}',
            'quiet_hours: {start: "09:00", end: "09:00"}',  # none
        ),
        encoding="utf-8",
    )
    async with running_bot(tmp_path, content_dir=content) as harness:
        anna = harness.user(1404, "Анна")
        await anna.send("/start")
        await anna.press(next(b for b in anna.last.button_labels if b.startswith("Вебмастер")))
        await anna.press("Сайт")
        await anna.press("До года")
        consent = (await anna.send("Владельцы квартир"))[-1].plain
        assert "Не чаще 3 сообщений в неделю. Отписаться можно в любой момент" in consent


# --- 3. the card of a running contest ---


async def test_the_card_of_a_running_file_contest_says_it_runs(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await announce_demo_contest(harness)  # as the schedule does at start-up
    at(harness, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))  # «Зимний марафон» runs 14–28.12
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    card = manager.last.plain
    assert "🟢 Зимний марафон диванов — идёт" in card, card
    assert "Идёт: 14.12.2026 00:00 — 28.12.2026 23:59" in card, card
    assert "Начнётся" not in card, card


async def test_the_card_of_a_finished_contest_says_it_ran(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 12, 30, 9, 0, tzinfo=UTC))
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    card = manager.last.plain
    assert "Прошёл: 14.12.2026 00:00 — 28.12.2026 23:59" in card, card
    assert "Начнётся" not in card, card
    assert "Идёт:" not in card, card


# --- 4. /stats counts every "did you mean" offered ---

# the demo FAQ offers "did you mean" for it, "Когда выплаты?" among them («про оплату»
# until session 16: answered now)
UNSURE = "вопрос про деньги"


async def test_stats_count_every_did_you_mean_offered_whatever_was_pressed(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna, boris, vera, dima = (
        harness.user(1441, "Анна"),
        harness.user(1442, "Борис"),
        harness.user(1443, "Вера"),
        harness.user(1444, "Дима"),
    )
    for partner in (anna, boris, vera, dima):
        await partner.onboard()
    for partner in (anna, boris, vera):
        offered = (await partner.send(UNSURE))[-1]
        assert offered.plain.startswith("Не уверен, что понял вопрос"), offered.plain
    await anna.press("Когда выплаты?")  # picked an option
    await boris.press("Нет, другое")  # none of them
    # Вера leaves the options as they are
    assert "10 и 25 числа" in (await dima.send("когда выплаты"))[-1].plain  # answered
    await dima.send("какая сегодня погода")  # no answer, no options

    stats = (await manager.send("/stats"))[0].plain
    assert "Вопросы в этом месяце: ответ 1 · «вы имели в виду» 3 · без ответа 1" in stats, stats
    # "Нет, другое" and options left unpicked are still questions without an answer
    assert "1. вопрос про деньги — 2 партнёра" in stats, stats


# --- 2. /schedule lists only what will go, when it will go ---

BLITZ = """id: blitz
title: "Блиц выходного дня"
description: "Продажи выходных."
starts_at: 2026-11-04T10:00:00+03:00
ends_at: 2026-11-08T23:59:59+03:00
segments: []
prizes:
  - category: most_sales
    places: ["Бонус 3 000 ₽"]
"""


async def test_schedule_leaves_out_a_contest_too_close_to_announce_itself(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        anna = harness.user(1421, "Анна")
        await anna.onboard()
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 11, 2, 15, 58, tzinfo=UTC))  # 18:58 in Moscow
        (content / "contests" / "blitz.yaml").write_text(BLITZ, encoding="utf-8")
        reloaded = (await manager.send("/reload"))[-1].plain
        assert "сам он не объявится" in reloaded, reloaded
        await harness.services.planner.tick()  # the minute's tick announces nothing
        lines = await schedule(manager)
        assert not any("Блиц выходного дня" in line for line in lines), lines
        at(harness, datetime(2026, 11, 2, 16, 0, tzinfo=UTC))  # two minutes later: the same
        assert not any("Блиц выходного дня" in line for line in await schedule(manager))

        # announced by the manager: its moments are listed from then on
        listing = (await manager.send("/contests_admin"))[-1]
        await manager.press(next(b for b in listing.button_labels if "Блиц" in b), listing)
        await manager.press("📣 Объявить", manager.last)
        await manager.press("📣 Всё равно объявить", manager.last)
        lines = await schedule(manager)
        assert not any(line.startswith("02.11") and "Блиц" in line for line in lines), lines
        assert "03.11 10:00 — напоминание о конкурсе «Блиц выходного дня» — 1 получатель" in (
            lines
        ), lines
        assert any(
            line.startswith("04.11 10:00 — старт конкурса «Блиц выходного дня»") for line in lines
        ), lines


NIGHT_SALE = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)  # 23:00 in Moscow: quiet hours
HELD_NOTICE = "06.12 09:00 — уведомления о продажах — 1 получатель"


async def held_sale_notice(
    harness: Harness, user_id: int, code: str, conversions: tuple[str, ...]
) -> tuple[Any, Any]:
    """A partner with sales whose notice of `conversions` (approved at night) is held for
    the quiet hours and listed in /schedule; (the partner, the manager)."""
    partner = await partner_with_sales(harness, user_id, code, "Анна")
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 12, 5, 20, 30, tzinfo=UTC))
    for conversion in conversions:
        await sale(harness, code, conversion, "approved")
    await harness.deliver()
    assert any(line.startswith(HELD_NOTICE) for line in await schedule(manager))
    return partner, manager


async def sale(harness: Harness, code: str, conversion: str, status: str) -> None:
    await harness.services.sales.record(
        ConversionIn(code, conversion, status, Decimal(1000), "RUB", NIGHT_SALE), "postback"
    )


async def test_schedule_leaves_out_a_held_sale_notice_whose_sale_was_refunded(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as harness:
        anna, manager = await held_sale_notice(harness, 1431, "refund-1", ("r-1", "r-2"))
        held = HELD_NOTICE

        # one of the two refunded: the notice still goes, for the other
        await sale(harness, "refund-1", "r-1", "declined")
        assert any(line.startswith(held) for line in await schedule(manager))
        # both: nothing will go, nothing is listed
        await sale(harness, "refund-1", "r-2", "declined")
        await harness.deliver()
        lines = await schedule(manager)
        assert not any("уведомления о продажах" in line for line in lines), lines
        mark = len(anna.messages)
        at(harness, datetime(2026, 12, 6, 6, 1, tzinfo=UTC))  # 09:01: and none came
        await harness.deliver()
        assert not any("продаж" in m.plain for m in anna.messages[mark:])


async def test_schedule_leaves_out_a_held_nudge_after_a_sale(harness: Harness) -> None:
    """Nudges decided at 23:00 wait for 09:00; Анна sells at 02:00: her nudge will be
    dropped (tests/test_review_s10_looseb.py), so /schedule counts Борис's only."""
    manager = harness.manager()
    await manager.send("/start")
    await linked(harness, 1451, "Анна", "nd14-1")
    await linked(harness, 1452, "Борис", "nd14-2")
    days = harness.services.content_store.content.program.schedule.inactive_after_days
    harness.clock.advance(days * 24 * 3600)
    at(harness, datetime(2027, 1, 4, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    assert (await harness.services.notices.nudges(days, 3)).queued == 2
    await harness.deliver()
    nudge = "05.01 09:00 — напоминание неактивным партнёрам — "
    assert f"{nudge}2 получателя" in await schedule(manager)
    at(harness, datetime(2027, 1, 4, 23, 0, tzinfo=UTC))  # 02:00: a sale
    await _postback(harness, "nd14-1", "nd14-1-a", "approved")
    await harness.deliver()
    lines = await schedule(manager)
    assert f"{nudge}1 получатель" in lines, lines


async def test_schedule_leaves_out_the_held_reminder_of_a_lesson_finished_meanwhile(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1461, "Анна")
    await anna.onboard()
    at(harness, datetime(2026, 12, 5, 19, 30, tzinfo=UTC))  # 22:30 in Moscow
    await anna.send("/lessons")
    await anna.press("▫️ С чего начать: кабинет, ссылка, первые шаги")
    await anna.press("✅ Готово, дальше")
    at(harness, datetime(2026, 12, 7, 19, 31, tzinfo=UTC))
    assert await harness.services.planner.tick() >= 1  # the reminder, for 09:00
    await harness.deliver()
    reminder = "08.12 09:00 — следующий урок курса (напоминание) — 1 получатель"
    assert reminder in await schedule(manager)
    at(harness, datetime(2026, 12, 8, 4, 0, tzinfo=UTC))  # 07:00: she finishes it
    await anna.send("/lessons")
    await anna.press("▫️ Первая продажа за 7 дней")
    await anna.press("✅ Готово, дальше")
    lines = await schedule(manager)
    assert reminder not in lines, lines


async def test_onboarding_names_a_running_contest_until_its_end(harness: Harness) -> None:
    """A partner who comes while a contest runs reads «Идёт конкурс … (до 28.12)», not
    «(с 14.12)» (the last re-check tester: «(с 01.12)» on 05.12)."""
    await announce_demo_contest(harness)  # as the schedule does at start-up
    at(harness, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))  # «Зимний марафон» runs 14–28.12
    anna = harness.user(1431, "Анна")
    await anna.onboard()
    done = "\n".join(m.plain for m in anna.messages)
    assert "🏆 Идёт конкурс «Зимний марафон диванов» (до 28.12) — правила и призы" in done
    assert "(с 14.12)" not in done
