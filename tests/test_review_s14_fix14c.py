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
from pathlib import Path

import pytest

from tests.harness import DEMO_CONTENT, Harness, running_bot
from tests.test_journey_schedule_held import at


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


# --- 3. the card of a running contest ---


async def test_the_card_of_a_running_file_contest_says_it_runs(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
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

UNSURE = "оплата"  # the demo FAQ offers "did you mean" for it, "Когда выплаты?" among them


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
    assert "1. оплата — 2 партнёра" in stats, stats
