"""Session 13 (task fixr13b): what the tester found after fix13.

1. A broadcast held for the end of the quiet hours is told the same way by /announcements
   and /schedule when its recipients stop the messages (/announcements counts in its queue
   only who will get it, as /schedule does, and still names when it goes), and a /reload
   that changes the quiet hours moves what waits for them.
2. A bare date for a broadcast's time or a contest's start (a moment, not a day) is refused
   asking for the time too, instead of being read as midnight; a contest's end may still
   be a bare date (to 23:59, as its prompt says).
3. On VK a person's name is asked again after `NAMES_FOR` (a name changed in VK is used
   within that), and /forget drops what the VK session keeps of the person at once.
4. Small ones: (a) dates typed when no step waits for them are answered as dates, not as
   «a number alone»; (b) the quiet-hours confirmation names the time the private messages
   wait for; (c) a contest's dates edited at night say when its new announcement goes.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.services.contest_drafts import DraftError, read_dates, read_future
from bot.telegram.emulator import SentMessage
from bot.vk.people import NAMES_FOR
from tests.harness import DEMO_CONTENT, Harness, running_bot
from tests.test_journey_every_screen import saved_contest
from tests.test_journey_schedule_held import at, schedule
from tests.test_review_s13_fix13 import contest_saved_at_night

DEMO_QUIET_HOURS = 'quiet_hours: {start: "22:00", end: "09:00"}'


def set_quiet_hours(content: Path, start: str, end: str) -> None:
    """The content folder's program.yaml as the demo's, with these quiet hours."""
    text = (DEMO_CONTENT / "program.yaml").read_text(encoding="utf-8")
    assert DEMO_QUIET_HOURS in text
    changed = text.replace(DEMO_QUIET_HOURS, f'quiet_hours: {{start: "{start}", end: "{end}"}}')
    (content / "program.yaml").write_text(changed, encoding="utf-8")


# --- 1. held sends: one story in /announcements and /schedule ---


async def _night_broadcast(harness: Harness, text: str, when: str = "Сейчас") -> None:
    manager = harness.manager()
    await manager.send("/announce")
    await manager.send(text)
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    if when == "Сейчас":
        await manager.press("Сейчас", manager.messages[-1])
    else:
        await manager.press("Да, пусть ждут до 09:00", (await manager.send(when))[-1])
    await manager.press("✅ Отправить", manager.messages[-1])


async def _listing(harness: Harness) -> list[str]:
    replies = await harness.manager().send("/announcements")
    return [reply.plain for reply in replies if reply.plain.startswith("📣 Рассылка")]


async def test_a_held_broadcast_whose_only_recipient_stopped_is_told_alike(
    harness: Harness,
) -> None:
    anna = harness.user(1391, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
    await _night_broadcast(harness, "Ночная новость")
    await _night_broadcast(harness, "Завтрашняя ночная", "03.11.2026 23:30")
    await anna.send("/stop")
    second, first = await _listing(harness)
    held = "но в личку — только 03.11.2026 09:00: у партнёров тихие часы"
    assert first.splitlines()[0] == f"📣 Рассылка №1 — запланирована, 02.11.2026 23:30, {held}"
    assert "в очереди 0," in first, first
    assert "Уже не получат: 1 партнёр (остановили рассылки или отписались от темы)" in first
    assert second.splitlines()[0] == (
        "📣 Рассылка №2 — запланирована, 03.11.2026 23:30, "
        "но в личку — только 04.11.2026 09:00: у партнёров тихие часы"
    ), second
    assert "в очереди 0," in second, second
    assert not any("рассылка №" in line for line in await schedule(manager))


async def test_a_reload_that_changes_the_quiet_hours_moves_what_waits_for_them(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        anna = harness.user(1392, "Анна")
        await anna.onboard()
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 11, 2, 20, 30, tzinfo=UTC))  # 23:30 in Moscow
        await _night_broadcast(harness, "Ночная новость")
        await _night_broadcast(harness, "Завтрашняя ночная", "03.11.2026 23:30")
        assert "03.11 09:00 — рассылка №1 — 1 получатель" in await schedule(manager)

        set_quiet_hours(content, "22:00", "07:00")
        reloaded = (await manager.send("/reload"))[-1].plain
        assert "Тихие часы изменились: 2 сообщения, ждавших их конца, уйдут по новым" in (
            reloaded
        ), reloaded
        second, first = await _listing(harness)
        assert first.splitlines()[0] == (
            "📣 Рассылка №1 — запланирована, 02.11.2026 23:30, "
            "но в личку — только 03.11.2026 07:00: у партнёров тихие часы"
        ), first
        assert second.splitlines()[0].endswith(
            "но в личку — только 04.11.2026 07:00: у партнёров тихие часы"
        ), second
        lines = await schedule(manager)
        assert "03.11 07:00 — рассылка №1 — 1 получатель" in lines, lines
        assert "04.11 07:00 — рассылка №2 — 1 получатель" in lines, lines
        assert (await manager.send("/reload"))[-1].plain.count("Тихие часы") == 0  # moved once

        at(harness, datetime(2026, 11, 3, 4, 0, tzinfo=UTC))  # 07:00: it goes
        await harness.deliver()
        assert anna.last.plain == "Ночная новость"

        # quiet hours that ended already: what waited goes at once
        at(harness, datetime(2026, 11, 3, 20, 30, tzinfo=UTC))  # 23:30
        await _night_broadcast(harness, "Третья", "Сейчас")
        at(harness, datetime(2026, 11, 4, 1, 0, tzinfo=UTC))  # 04:00
        set_quiet_hours(content, "22:00", "03:00")
        assert "Тихие часы изменились" in (await manager.send("/reload"))[-1].plain
        await harness.deliver()
        assert {message.plain for message in anna.messages[-2:]} == {
            "Завтрашняя ночная",
            "Третья",
        }


# --- 2. a bare date is not midnight ---

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
TIME_NEEDED = "Нужно и время, не только дата: ДД.ММ.ГГГГ ЧЧ:ММ, например 01.01.2027 10:00."


def test_a_bare_date_is_no_moment() -> None:
    with pytest.raises(DraftError) as refused:
        read_future("01.01.2027", MOSCOW, NOW)
    assert (refused.value.key, refused.value.args_) == (
        "draft-error-time-needed",
        {"date": "01.01.2027"},
    )
    with pytest.raises(DraftError) as refused:
        read_future(" 1.1.2027 ", MOSCOW, NOW)
    assert refused.value.args_ == {"date": "01.01.2027"}
    with pytest.raises(DraftError) as refused:  # a date not in the calendar: that first
        read_future("31.02.2027", MOSCOW, NOW)
    assert refused.value.key == "draft-error-date-invalid"
    assert read_future("01.01.2027 00:00", MOSCOW, NOW) == datetime(2027, 1, 1, tzinfo=MOSCOW)
    with pytest.raises(DraftError) as refused:
        read_dates("21.12.2026 — 27.12.2026", MOSCOW, NOW)
    assert refused.value.key == "draft-error-time-needed"
    _starts, ends = read_dates("21.12.2026 10:00 — 27.12.2026", MOSCOW, NOW)
    assert ends == datetime(2026, 12, 27, 23, 59, tzinfo=MOSCOW)  # an end: to 23:59


async def test_announce_and_contest_new_refuse_a_bare_date(harness: Harness) -> None:
    await harness.user(1393, "Анна").onboard()
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Новость")
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    refused = (await manager.send("01.01.2027"))[-1].plain
    assert TIME_NEEDED in refused, refused
    assert "отправка" not in refused
    preview = (await manager.send("01.01.2027 12:00"))[-2].plain
    assert preview.endswith("отправка: 01.01.2027 12:00."), preview
    await manager.send("/cancel")

    await manager.send("/contest_new")
    await manager.send("Зимний конкурс")
    await manager.send("Правила.")
    refused = (await manager.send("20.12.2026"))[-1].plain
    assert "например 20.12.2026 10:00" in refused, refused
    asked = (await manager.send("20.12.2026 10:00"))[-1].plain
    assert asked.startswith("Шаг 4 из 8. Когда конец?"), asked


# --- 3. VK: names are not kept for ever, nor after /forget ---


async def test_vk_sees_a_new_name_within_a_while_and_at_once_after_forget(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, vk=True) as harness:
        assert harness.vk is not None
        vera = harness.vk_user(1395, "Вера")
        await vera.onboard()
        assert (await vera.send("/start"))[0].plain.startswith("С возвращением, Вера Смирнова!")

        harness.vk.users[1395].first_name = "Ника"
        await vera.send("/forget")
        await vera.press("Да, удалить")
        assert (await vera.send("Начать"))[0].plain.startswith("Здравствуйте, Ника Смирнова!")

        harness.vk.users[1395].first_name = "Оля"
        harness.clock.advance(NAMES_FOR.total_seconds())
        assert (await vera.send("/start"))[0].plain.startswith("Здравствуйте, Оля Смирнова!")


# --- 4a. dates typed when nothing waits for them ---


async def test_dates_typed_after_the_dates_step_are_answered_as_dates(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await saved_contest(manager, "Декабрьский", ("20.12.2026 10:00", "25.12.2026"))
    await manager.press("✏️ Даты", manager.messages[-1])
    await manager.send("21.12.2026 10:00 — 28.12.2026 18:00")
    changed = (await manager.press("✅ Сохранить и сообщить", manager.messages[-1]))[-1].plain
    assert changed.startswith("✅ Конкурс «Декабрьский» изменён"), changed
    late = (await manager.send("21.12.2026 — 27.12.2026"))[-1].plain
    assert late == (
        "Похоже на дату, но сейчас её не ждёт ни один шаг: ввод дат закончен или отменён. "
        "Даты конкурса — /contests_admin, кнопка «✏️ Даты»; рассылка ко времени — /announce."
    ), late

    anna = harness.user(1396, "Анна")
    await anna.onboard()
    said = (await anna.send("21.12.2026"))[-1].plain
    assert said.startswith("Дата сама по себе — не вопрос."), said


# --- 4b. the quiet-hours confirmation names the time ---


async def test_the_quiet_hours_confirmation_names_their_end(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    set_quiet_hours(content, "10:00", "20:00")
    async with running_bot(tmp_path, content_dir=content) as harness:
        await harness.user(1397, "Анна").onboard()
        manager = harness.manager()
        await manager.send("/start")
        await manager.send("/announce")
        await manager.send("Дневная новость")
        await manager.press("👥 Всем партнёрам", manager.messages[-1])
        asked = (await manager.send("03.11.2026 12:00"))[-1]
        assert "в личку сообщения уйдут только 03.11.2026 20:00" in asked.plain, asked.plain
        assert asked.button_labels == ["Да, пусть ждут до 20:00"]
        await manager.press("Да, пусть ждут до 20:00", asked)
        assert manager.messages[-2].plain.endswith(
            "отправка: 03.11.2026 12:00, но в личку — только 03.11.2026 20:00: "
            "у партнёров тихие часы."
        ), manager.messages[-2].plain


# --- 4c. dates edited at night: when the renewed announcement goes ---


async def test_dates_edited_at_night_say_when_the_announcement_goes(harness: Harness) -> None:
    anna = harness.user(1398, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    await contest_saved_at_night(harness, manager)
    await manager.press("✏️ Даты", manager.messages[-1])
    await manager.send("21.11.2026 10:00 — 30.11.2026 18:00")
    edited = (await manager.press("✅ Сохранить и сообщить", manager.messages[-1]))[-1].plain
    assert "уйдёт уже с изменениями: 1 партнёру." in edited, edited
    assert edited.endswith("В личку — только 03.11.2026 09:00: у партнёров тихие часы."), edited

    at(harness, datetime(2026, 11, 3, 9, 0, tzinfo=UTC))  # 12:00: nothing waits
    await harness.deliver()
    await manager.press("✏️ Даты", (await _card(harness, "Ночной конкурс")))
    await manager.send("22.11.2026 10:00 — 30.11.2026 18:00")
    edited = (await manager.press("✅ Сохранить и сообщить", manager.messages[-1]))[-1].plain
    assert "В личку — только" not in edited, edited


async def _card(harness: Harness, title: str) -> SentMessage:
    manager = harness.manager()
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if title in b), listing)
    return manager.messages[-1]


def test_a_dates_pair_is_read_with_or_without_spaces_around_the_dash() -> None:
    """The re-check: «03.01.2027 10:00-12.01.2027 20:00» got «Нужны две даты через тире»
    though the dash is there (only « — » with spaces was read)."""
    zone, now = ZoneInfo("Europe/Moscow"), datetime(2026, 12, 5, 12, tzinfo=UTC)
    expected = read_dates("03.01.2027 10:00 — 12.01.2027 20:00", zone, now)
    for text in ("03.01.2027 10:00-12.01.2027 20:00", "03.01.2027 10:00–12.01.2027 20:00",
                 "03.01.2027 10:00 -12.01.2027 20:00"):  # fmt: skip
        assert read_dates(text, zone, now) == expected, text
    start, end = read_dates("03.01.2027 10:00–12.01.2027", zone, now)
    assert (start, end.hour, end.minute) == (expected[0], 23, 59)
    with pytest.raises(DraftError):
        read_dates("03.01.2027 10:00", zone, now)
