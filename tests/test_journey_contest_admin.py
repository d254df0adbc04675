"""/contest_new (each bad answer refused with the reason, the dialog going on from the same
step; the 7-day rule and its explicit override) and /contests_admin (announce, edit before
the start, cancel reaching everyone who was told)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.telegram.emulator import RateLimits
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

COMMUNITY = -1009876543210


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    # the outbox is paced in virtual time here (instantly): the emulator's overall limit
    # would refuse a burst that real pacing never makes; pacing has its own test
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=COMMUNITY
        ) as running:
            yield running


def community(harness: Harness) -> list[str]:
    return [m.plain for m in harness.emulator.chat_messages(COMMUNITY)]


async def answer(manager: Client, text: str) -> str:
    return (await manager.send(text))[-1].plain


async def test_contest_new_refuses_bad_answers_and_goes_on_from_the_same_step(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(811, "Анна")
    await anna.onboard("Вебмастер")
    boris = harness.user(812, "Борис")
    await boris.onboard("Блогер")

    text = await answer(manager, "/contest_new")
    assert "Шаг 1 из 8. Название конкурса" in text
    assert "Шаг 2 из 8" in await answer(manager, "Весенний спринт")
    assert "Шаг 3 из 8. Когда начало?" in await answer(manager, "Продавайте больше всех.")
    # the clock says 02.11.2026 15:00 in Moscow
    text = await answer(manager, "01.11.2026 10:00")
    assert text.startswith("⚠️ Эта дата уже прошла.")
    assert "Шаг 3 из 8" in text
    assert "Не понял дату" in await answer(manager, "завтра")
    assert "Такой даты нет в календаре" in await answer(manager, "31.11.2026 10:00")
    warning = (await manager.send("05.11.2026 10:00"))[-1]
    assert warning.plain.startswith("⚠️ Конкурс начнётся меньше чем через 7 дней")
    assert warning.button_labels == ["Всё равно эту дату"]
    # typing another date instead of confirming
    assert "Шаг 4 из 8. Когда конец?" in await answer(manager, "20.11.2026 10:00")
    text = await answer(manager, "19.11.2026")
    assert text.startswith("⚠️ Конец должен быть позже начала.")
    assert "Шаг 4 из 8" in text
    assert "Шаг 5 из 8. Кто участвует?" in await answer(manager, "30.11.2026")
    text = await answer(manager, "Пенсионеры")
    assert "Нет таких сегментов: Пенсионеры" in text
    assert "Шаг 5 из 8" in text
    assert "Шаг 6 из 8. Призы" in await answer(manager, "Вебмастер")
    text = await answer(manager, "больше продаж:")
    assert "нет мест с призами" in text
    assert "Шаг 6 из 8" in text
    assert "«лучшие» — не номинация" in await answer(manager, "лучшие: Бонус 1 000 ₽")
    assert "порог после «|» должен быть числом" in await answer(
        manager, "больше продаж: Бонус 5 000 ₽ | от трёх"
    )
    text = await answer(
        manager,
        "больше продаж: Бонус 10 000 ₽; Бонус 5 000 ₽ | от 3\nпервые продажи: Бонус 2 000 ₽",
    )
    assert "Шаг 7 из 8. Холд" in text
    assert "целое число дней" in await answer(manager, "сто")
    assert "Шаг 8 из 8. Ограничения" in await answer(manager, "7")
    assert "Сейчас идёт диалог конкурса" in await answer(manager, "/stats")
    preview = (await manager.send("-"))[-1]
    assert preview.plain.startswith("👀 Предпросмотр.")
    assert "🏆 Весенний спринт" in preview.plain
    assert "Начнётся 20.11.2026 10:00, закончится 30.11.2026 23:59" in preview.plain
    assert "• Больше всего продаж (от 3): 1 — Бонус 10 000 ₽; 2 — Бонус 5 000 ₽" in preview.plain
    assert "Участники: Вебмастер (сайт, SEO, контекст) · холд: 7 дн. · можно" in preview.plain
    await manager.press("Один приз на партнёра: нет", preview)
    preview = manager.messages[-1]
    assert "один приз на партнёра" in preview.plain
    before_boris = len(boris.messages)
    await manager.press("✅ Сохранить", preview)
    card = manager.messages[-1]
    assert card.plain.startswith(
        "✅ Конкурс сохранён и объявлен. Анонс уходит: 1 партнёру и в чат партнёров"
    )
    assert "📣 Весенний спринт — объявлен 02.11.2026" in card.plain
    assert "📣 Объявить" not in card.button_labels
    await harness.deliver()
    assert anna.last.plain.startswith("📣 Новый конкурс!")
    assert "🏆 Весенний спринт" in anna.last.plain
    assert len(boris.messages) == before_boris  # a blogger is not eligible
    assert community(harness)[-1].startswith("📣 Новый конкурс!")
    assert "Весенний спринт" not in (await boris.send("/contests"))[-1].plain
    assert any("Весенний спринт" in m.plain for m in await anna.send("/contests"))

    listing = (await manager.send("/contests_admin"))[-1]
    label = next(b for b in listing.button_labels if "Весенний спринт" in b)
    assert "📣 Весенний спринт — объявлен 02.11.2026" in listing.plain
    await manager.press(label, listing)
    await manager.press("❌ Отменить конкурс", manager.messages[-1])
    assert manager.messages[-1].plain.startswith("Отменить «Весенний спринт»?")
    await manager.press("Да, отменить", manager.messages[-1])
    assert manager.messages[-1].plain.startswith(
        "❌ «Весенний спринт» отменён. Об отмене узнают 1 партнёр"
    )
    await harness.deliver()
    assert anna.last.plain.startswith("❌ Конкурс «Весенний спринт» отменён.")
    assert len(boris.messages) == before_boris + 1  # only his own /contests answer
    assert community(harness)[-1].startswith("❌ Конкурс «Весенний спринт» отменён.")
    assert all("Весенний спринт" not in m.plain for m in await anna.send("/contests"))


async def test_short_notice_needs_an_explicit_confirmation(harness: Harness) -> None:
    """In the dialog (then saving announces), and for a file contest the schedule will not
    announce by itself (/contests_admin, "announce anyway")."""
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(813, "Анна")
    await anna.onboard()
    for text in ("/contest_new", "Быстрый конкурс", "Правила."):
        await manager.send(text)
    warning = (await manager.send("05.11.2026 10:00"))[-1]
    await manager.press("Всё равно эту дату", warning)
    assert manager.messages[-1].plain.startswith("Шаг 4 из 8")
    for text in ("10.11.2026", "все", "сумма: Ноутбук | от 50 000", "0"):
        await manager.send(text)
    preview = (await manager.send("нет"))[-1]
    assert "⚠️ Объявление меньше чем за 7 дн. — подтверждено менеджером." in preview.plain
    assert "• Сумма продаж, ₽ (от 50 000): 1 — Ноутбук" in preview.plain
    await manager.press("✅ Сохранить", preview)
    await harness.deliver()
    assert anna.last.plain.startswith("📣 Новый конкурс!")
    assert "Быстрый конкурс" in anna.last.plain

    # the demo file contest starts 14.12; four days before, the schedule leaves it alone
    harness.clock.advance(
        (datetime(2026, 12, 10, 9, 0, tzinfo=UTC) - harness.clock.now()).total_seconds()
    )
    before = len(anna.messages)
    await harness.services.planner.tick()
    await harness.deliver()
    assert all("Зимний марафон" not in m.plain for m in anna.messages[before:])
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    await manager.press("📣 Объявить", manager.messages[-1])
    warning = manager.messages[-1]
    assert warning.plain.startswith("⚠️ Конкурс начнётся меньше чем через 7 дней")
    assert warning.button_labels == ["📣 Всё равно объявить", "← Назад"]
    await harness.deliver()
    assert all("Зимний марафон" not in m.plain for m in anna.messages[before:])
    await manager.press("📣 Всё равно объявить", warning)
    assert manager.messages[-1].plain.startswith("📣 Объявление в очереди: 1 партнёр")
    await harness.deliver()
    assert anna.last.plain.startswith("📣 Новый конкурс!")
    assert "Зимний марафон диванов" in anna.last.plain


async def test_edit_before_the_start_and_file_contests_are_edited_in_their_file(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/contest_new")
    for text in ("Декабрьский", "Правила.", "20.12.2026 10:00", "25.12.2026", "все",
                 "first_sales: 1000 ₽", "0"):  # fmt: skip
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    card = manager.messages[-1]
    await manager.press("✏️ Даты", card)
    assert manager.messages[-1].plain.startswith("Новые даты")
    text = await answer(manager, "21.12.2026 10:00 — 20.12.2026 10:00")
    assert "Конец должен быть позже начала" in text
    assert "Новые даты" in text
    text = await answer(manager, "21.12.2026 10:00 — 28.12.2026 18:00")
    assert text.startswith("✅ Конкурс «Декабрьский» изменён")
    await manager.press("✏️ Призы", card)
    text = await answer(manager, "first_sales:")
    assert "нет мест с призами" in text
    assert (await answer(manager, "/cancel")) == (
        "Изменение отменено: конкурс «Декабрьский» остался как был. /contests_admin — список."
    )
    contest = next(c for c in await harness.services.contests.active() if c.title == "Декабрьский")
    assert contest.starts_at.isoformat() == "2026-12-21T10:00:00+03:00"
    assert [p.places for p in contest.prizes] == [["1000 ₽"]]

    listing = (await manager.send("/contests_admin"))[-1]
    label = next(b for b in listing.button_labels if "Зимний марафон" in b)
    await manager.press(label, listing)
    file_card = manager.messages[-1]
    assert "Из файла content/contests/winter-sofas.yaml" in file_card.plain
    assert "✏️ Даты" not in file_card.button_labels
    assert "📣 Объявить" in file_card.button_labels


async def test_contest_commands_are_for_managers_only(harness: Harness) -> None:
    anna = harness.user(814, "Анна")
    await anna.onboard()
    for data in ("ct:list:", "ct:cancel!:winter-sofas", "an:confirm:", "garbage"):
        await anna.press_data(anna.last, data)  # a manager's button, or junk
        assert anna.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
    text = (await anna.send("/contest_new"))[-1].plain
    assert "Шаг 1" not in text
    assert "Шаг 1" not in (await anna.send("Весенний спринт"))[-1].plain


async def test_contest_moments_reach_partners_and_the_chat(harness: Harness) -> None:
    """The moments the schedule will fire: what they send, to whom, once."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from bot.services.conversions import ConversionIn

    services = harness.services
    anna = harness.user(815, "Анна")
    await anna.onboard()
    person = await services.partners.by_user("tg", 815)
    assert person is not None
    await services.partners.approve_link(await services.partners.request_link(person, "an-1"))
    contest = await services.contests.contest("winter-sofas")
    assert contest is not None

    reminder = await services.contests.moment("reminder", contest, tag="3")
    assert [p.id for p in reminder.partners] == [person.id]
    first = await services.notices.contest_moment(reminder)
    again = await services.notices.contest_moment(reminder)  # a double fire
    assert (first.queued, again.queued, again.duplicate) == (2, 0, 2)
    await harness.deliver()
    assert anna.last.plain.startswith(
        "⏰ До старта конкурса «Зимний марафон диванов» осталось 3 дня"
    )

    running = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
    harness.clock.advance((running - harness.clock.now()).total_seconds())
    for n in range(3):
        item = ConversionIn("an-1", f"an-{n}", "approved", Decimal(30000), "RUB", running)
        await services.sales.record(item, "csv")
    standings = await services.contests.moment("standings", contest, tag="2026-W51")
    await services.notices.contest_moment(standings)
    await harness.deliver()
    posts = harness.emulator.chat_messages(COMMUNITY)[-3:]
    assert [p.plain.splitlines()[0] for p in posts] == [
        "🏆 Зимний марафон диванов — Первые продажи",
        "🏆 Зимний марафон диванов — Больше всего продаж",
        "🏆 Зимний марафон диванов — Сумма продаж, ₽",
    ]
    assert [p.kind for p in posts] == ["photo"] * 3  # each with its leaderboard picture

    harness.clock.advance(30 * 24 * 3600)
    results = await services.contests.results_moment(contest)
    await services.notices.contest_moment(results)
    await harness.deliver()
    text = community(harness)[-1]
    assert text.startswith("🏁 Итоги конкурса «Зимний марафон диванов»")
    assert "1. Анна — 3 — Ставка 15% на январь" in text
    assert "1. Анна — 90 000 — Ноутбук для работы" in text
    congratulation = anna.last.plain
    assert congratulation.startswith("🎉 Поздравляем! Вы среди победителей")
    assert "• Больше всего продаж: №1 — Ставка 15% на январь" in congratulation
