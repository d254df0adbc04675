"""One person, linked chats (MAX and Telegram on one affiliate id): /stop, /start and the
settings hold for every chat of theirs, the weekly cap counts the person, and a message
one chat of theirs already has does not come again to another (docs/one-person.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.notices.base import private
from bot.services.partner import Partner
from tests.harness import Client, Harness, MaxPerson, running_bot
from tests.test_journey_schedule import at, tick


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, maxbot=True) as running:
        running.max_manager()  # link requests reach the managers on MAX too
        yield running


async def _chat(harness: Harness, platform: str, user_id: int) -> Partner:
    found = await harness.services.partners.by_user(platform, user_id)
    assert found is not None
    return found


async def _link(manager: Client, chat: Client | MaxPerson, key: str, affiliate: str) -> None:
    await chat.send(f"/link {affiliate}")
    assert "подтверждена" in (await manager.send(f"/approve_link {key}"))[-1].plain


async def _announce(harness: Harness, manager: Client, text: str) -> None:
    await manager.send("/announce")
    await manager.send(text)
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    await manager.press("✅ Отправить")
    await harness.deliver()


def _got(chat: Client | MaxPerson, text: str) -> int:
    return sum(1 for m in chat.messages if m.plain.startswith(text))


async def test_stop_start_and_settings_hold_for_every_chat_of_the_person(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    on_max, on_tg = harness.max_user(7701, "Tom"), harness.user(7701, "Tom")
    other = harness.user(7702, "Вера")
    for chat in (on_max, on_tg, other):
        await chat.onboard()
    await _link(manager, on_max, "max:7701", "aff-2")
    await _link(manager, on_tg, "tg:7701", "aff-2")
    await harness.deliver()
    waiting = private("test:waiting:tg:7701", "news", None, await _chat(harness, "tg", 7701),
                      "Уже в очереди")  # fmt: skip
    await harness.services.outbox.enqueue([waiting])

    stopped = await on_max.send("/stop")
    assert stopped[-1].plain.startswith("Вы отписаны от всех рассылок")
    assert "все рассылки выключены (/stop)" in (await on_tg.send("/settings"))[-1].plain
    await _announce(harness, manager, "Проверка после stop")
    assert _got(other, "Проверка после stop") == 1
    assert _got(on_tg, "Проверка после stop") == _got(on_max, "Проверка после stop") == 0
    assert _got(on_tg, "Уже в очереди") == 0  # queued for the other chat before /stop

    resumed = await on_tg.send("/start")  # /start in the other chat: the person again
    assert "Рассылки снова включены" in resumed[-2].plain
    assert not (await _chat(harness, "max", 7701)).stopped
    await _announce(harness, manager, "Проверка после start")
    assert _got(on_tg, "Проверка после start") == _got(on_max, "Проверка после start") == 1

    await on_tg.send("/settings")  # a topic off in one chat: off in all
    await on_tg.press("✅ Новости")
    assert not (await _chat(harness, "max", 7701)).subscribed("news")
    await on_max.send("/settings")
    assert "❌ Новости" in on_max.last.button_labels
    await _announce(harness, manager, "Новости без новостей")
    assert _got(on_tg, "Новости без новостей") == _got(on_max, "Новости без новостей") == 0


async def test_a_chat_linked_later_takes_on_the_persons_opt_outs(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    on_max, on_tg = harness.max_user(7711, "Tom"), harness.user(7711, "Tom")
    await on_max.onboard()
    await _link(manager, on_max, "max:7711", "aff-3")
    await on_max.send("/settings")
    await on_max.press("✅ Конкурсы")  # the person: no contests, and only on MAX
    await on_tg.onboard()  # a new chat says «yes» to everything …
    await _link(manager, on_tg, "tg:7711", "aff-3")
    joined = await _chat(harness, "tg", 7711)  # … and joins the person's choices
    assert not joined.subscribed("contests")
    assert joined.subscribed("news")
    await on_max.send("/stop")
    assert (await _chat(harness, "tg", 7711)).stopped


async def test_the_digest_and_the_weekly_cap_count_the_person(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    on_max, on_tg = harness.max_user(7721, "Tom"), harness.user(7721, "Tom")
    at(harness, datetime(2026, 12, 4, 14, 0, tzinfo=UTC))  # Friday 17:00 Moscow: the digest
    await on_max.onboard()
    await _link(manager, on_max, "max:7721", "aff-4")
    await tick(harness)
    assert _got(on_max, "🗞 Ваша неделя") == 1
    at(harness, datetime(2026, 12, 4, 14, 8, tzinfo=UTC))
    await on_tg.onboard()  # the same person on Telegram, within the digest's day
    await _link(manager, on_tg, "tg:7721", "aff-4")
    await tick(harness)
    assert _got(on_tg, "🗞 Ваша неделя") == 0  # the person has this week's digest
    assert _got(on_max, "🗞 Ваша неделя") == 1

    outbox = harness.services.outbox
    cap = harness.services.content_store.content.program.schedule.max_automated_per_week
    chats = [await _chat(harness, "max", 7721), await _chat(harness, "tg", 7721)]
    # the contest's announcement and the digest (on MAX) were two of the week's
    # messages; the rest of the week to both chats, each message counted once
    both = [private(f"test:n{n}:{c.key}", "news", None, c, f"№{n}") for n in range(cap - 2)
            for c in chats]  # fmt: skip
    assert (await outbox.enqueue(both)).queued == 2 * (cap - 2)
    one_more = [private(f"test:extra:{c.key}", "news", None, c, "Лишнее") for c in chats]
    assert (await outbox.enqueue(one_more)).capped == 2  # the person had `cap` this week
    reach = await harness.services.announcements.reach("all")
    assert (reach.people, reach.messages, reach.capped) == (0, 0, 1)
    await harness.deliver()
    assert _got(on_tg, "Лишнее") == _got(on_max, "Лишнее") == 0


async def test_a_contest_announcement_counts_the_person(harness: Harness) -> None:
    """Re-check 8: «Анонс уходит: 2 партнёрам» for one linked person; managers are told
    people, as /announce's preview counts them."""
    manager = harness.manager()
    await manager.send("/start")
    on_max, on_tg = harness.max_user(7721, "Tom"), harness.user(7721, "Tom")
    for chat in (on_max, on_tg):
        await chat.onboard()
    await _link(manager, on_max, "max:7721", "aff-21")
    await _link(manager, on_tg, "tg:7721", "aff-21")
    contest = await harness.services.contests.contest("winter-sofas")
    assert contest is not None
    announced = await harness.services.notices.announce_contest(contest)
    assert announced.partners == 1  # one person …
    assert announced.enqueued.queued == 2  # … in each of their chats


async def test_lessons_done_in_one_chat_are_done_in_every_chat_of_the_person(
    harness: Harness,
) -> None:
    """The course is the person's: a lesson finished on Telegram is finished on MAX too
    (/lessons, /me, the digest's «Следующий урок»), as the numbers and settings are. The
    digests of the two chats offered two different next lessons (session 27's tester T)."""
    manager = harness.manager()
    await manager.send("/start")
    on_max, on_tg = harness.max_user(7721, "Ульяна"), harness.user(7721, "Ульяна")
    for chat in (on_max, on_tg):
        await chat.onboard()
    await _link(manager, on_max, "max:7721", "aff-21")
    await _link(manager, on_tg, "tg:7721", "aff-21")
    await on_tg.send("/lessons")
    await on_tg.press("▫️ С чего начать: кабинет, ссылка, первые шаги")
    await on_tg.press("✅ Готово, дальше")
    course = (await on_max.send("/lessons"))[-1]
    assert "пройдено 1 из 4" in course.plain, course.plain
    assert course.button_labels[0].startswith("✅"), course.button_labels
    chats = [await _chat(harness, "tg", 7721), await _chat(harness, "max", 7721)]
    courses = await harness.services.lessons.courses(chats)
    nexts = {chat.platform: courses[chat.id].next_after(None) for chat in chats}
    assert nexts["tg"] == nexts["max"], nexts
    assert nexts["tg"] is not None
    assert nexts["tg"].title == "Первая продажа за 7 дней"
