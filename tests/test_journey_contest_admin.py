"""/contest_new (each bad answer refused with the reason, the dialog going on from the same
step; the 7-day rule and its explicit override) and /contests_admin (announce, edit before
the start, cancel reaching everyone who was told)."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.services.outbox_enqueue import OutMessage
from bot.telegram.emulator import RateLimits
from tests.harness import (
    MANAGER_ID,
    Client,
    Harness,
    announce_demo_contest,
    chats_emulator,
    running_bot,
)

COMMUNITY = -1009876543210


async def confirm(manager: Client) -> str:
    """✅ under a change of an announced contest shown first: saved and told."""
    await manager.press("✅ Сохранить и сообщить", manager.messages[-1])
    return manager.messages[-1].plain


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
    # review 8: a title in another form is taken; an unknown segment is named, with the list
    text = await answer(manager, "блогеры, космонавты")
    assert "Нет таких сегментов: космонавты. Есть: Вебмастер, Блогер, Дизайнер интерьеров" in text
    assert "Шаг 6 из 8. Призы" in await answer(manager, "ВЕБМАСТЕРА")
    text = await answer(manager, "больше продаж:")
    assert "нет мест с призами" in text
    assert "Шаг 6 из 8" in text
    assert "«лучшие» — не номинация" in await answer(manager, "лучшие: Бонус 1 000 ₽")
    assert "порог после «|» должен быть числом" in await answer(
        manager, "больше продаж: Бонус 5 000 ₽ | от трёх"
    )
    text = await answer(manager, "больше продаж: Бонус 10 000 ₽ | от 1e9")  # as the CSV: no
    assert "порог после «|» должен быть числом цифрами 0–9" in text
    assert "«| от 5 000» (не «от 1e9»)" in text
    assert "Шаг 6 из 8" in text
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
        "❌ «Весенний спринт» отменён. Об отмене узнает 1 партнёр, которому"
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
    await answer(manager, "21.12.2026 10:00 — 28.12.2026 18:00")
    text = await confirm(manager)
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
    # the content folder may be elsewhere and the file named otherwise (re-check 8)
    assert "Из файла в папке contests/ контента (конкурс с id: winter-sofas)" in file_card.plain
    assert "✏️ Даты" not in file_card.button_labels
    assert "📣 Объявить" in file_card.button_labels


async def test_changes_after_the_announcement_reach_everyone_once_as_they_are_now(
    harness: Harness,
) -> None:
    """Review 8: an announcement held for the quiet hours goes with the contest as it is
    when it goes (new prizes, new dates); once it went, new prizes are told once."""
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(817, "Анна")
    await anna.onboard()
    night = datetime(2026, 11, 3, 1, 16, tzinfo=UTC)  # 04:16 in Moscow: quiet hours
    harness.clock.advance((night - harness.clock.now()).total_seconds())
    await manager.send("/contest_new")
    for text in ("Ночной", "Правила.", "20.11.2026 10:00", "30.11.2026", "все",
                 "больше продаж: Бонус 10 000 ₽ | от 1000", "0"):  # fmt: skip
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])
    card = manager.messages[-1]
    before = len(anna.messages)
    await harness.deliver()
    assert community(harness)[-1].startswith("📣 Новый конкурс!")  # no quiet hours there
    assert len(anna.messages) == before  # hers waits for 09:00

    await manager.press("✏️ Призы", card)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await answer(
            manager, "больше продаж: Бонус 50 000 ₽; 20 000 ₽ | от 5\nпервые: Бонус 2 000 ₽"
        )
        text = await confirm(manager)
    assert [str(w.message) for w in caught if "Pydantic" in str(w.message)] == []
    assert text.startswith("✅ Конкурс «Ночной» изменён")
    assert "Новые призы уйдут тем, кому сообщили о конкурсе: 0 партнёрам" in text
    assert "Анонс, который ещё ждал отправки, уйдёт уже с изменениями: 1 партнёру" in text
    await manager.press("✏️ Даты", card)
    await answer(manager, "21.11.2026 10:00 — 30.11.2026 18:00")
    text = await confirm(manager)
    assert "Новые даты уйдут тем, кому сообщили о конкурсе: 0 партнёрам" in text
    assert "уйдёт уже с изменениями: 1 партнёру" in text
    await harness.deliver()
    assert community(harness)[-2].startswith("✏️ В конкурсе «Ночной» новые призы:")
    assert community(harness)[-1].startswith("🗓 Конкурс «Ночной» переносится")
    assert len(anna.messages) == before

    morning = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
    harness.clock.advance((morning - harness.clock.now()).total_seconds())
    await harness.deliver()
    got = [m.plain for m in anna.messages[before:]]
    assert len(got) == 1  # one announcement, as the contest is now; no news on top
    assert got[0].startswith("📣 Новый конкурс!")
    assert "Начнётся 21.11.2026 10:00, закончится 30.11.2026 18:00" in got[0]
    assert "• Больше всего продаж (от 5): 1 — Бонус 50 000 ₽; 2 — 20 000 ₽" in got[0]
    assert "• Первые продажи: 1 — Бонус 2 000 ₽" in got[0]
    assert "10 000" not in got[0]

    # in the daytime: the announcement went, so the new prizes are news, told once
    await manager.press("✏️ Призы", card)
    await answer(manager, "больше продаж: Бонус 1 000 ₽ | от 2")
    text = await confirm(manager)
    assert "Новые призы уйдут тем, кому сообщили о конкурсе: 1 партнёру" in text
    assert "ждал отправки" not in text
    await harness.deliver()
    await harness.deliver()
    news = (
        "✏️ В конкурсе «Ночной» новые призы:\n"
        "• Больше всего продаж (от 2): 1 — Бонус 1 000 ₽\n"
        "Все условия — /contests"
    )
    assert [m.plain for m in anna.messages[before + 1 :]] == [news]
    assert community(harness)[-1] == news
    assert sum(m.startswith("✏️") for m in community(harness)) == 2


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
    await announce_demo_contest(harness)  # as the schedule does at start-up

    reminder = await services.contests.moment("reminder", contest, tag="3")
    assert [p.id for p in reminder.partners] == [person.id]
    first = await services.notices.contest_moment(reminder)
    again = await services.notices.contest_moment(reminder)  # a double fire
    assert (first.queued, again.queued, again.duplicate) == (2, 0, 2)
    await harness.deliver()
    assert anna.last.plain.startswith(  # made on 2.11, 41 whole days before the start
        "⏰ До старта конкурса «Зимний марафон диванов» остался 41 день"
    )

    running = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
    harness.clock.advance((running - harness.clock.now()).total_seconds())
    # review 8: a sale under a category's threshold is told what is left to it in /top
    eva = harness.user(816, "<b>Ева</b> & Co")
    await eva.onboard()
    eve = await services.partners.by_user("tg", 816)
    assert eve is not None
    await services.partners.approve_link(await services.partners.request_link(eve, "an-<2>"))
    sale = ConversionIn("an-<2>", "ev-1", "approved", Decimal(3000), "RUB", running)
    await services.sales.record(sale, "csv")
    top = "\n".join(m.plain for m in await eva.send("/top"))
    assert "Пока никто не в зачёте — первая продажа" not in top
    assert "Пока никто не набрал порог зачёта: от 50 000." in top
    assert "Вы пока не в зачёте: нужно от 50 000, у вас 3 000 — осталось 47 000." in top
    assert "Вы пока не в зачёте: нужно от 3, у вас 1 — осталось 2." in top
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
    # Anna is at the weekly cap (5 in program.yaml): her prize is her own result, like a
    # sale notice, and reaches her all the same (re-check 8)
    partner = await services.partners.by_user("tg", 815)
    assert partner is not None
    news = [
        OutMessage(f"news:{n}", "news", "tg", partner.chat_id, f"№{n}", partner.id)
        for n in range(5)
    ]
    assert (await services.outbox.enqueue(news)).queued == 5
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
    # review 8: the managers learn who won, to hand the prizes out (no managers' chat
    # here: each manager in private), hostile names shown as typed
    manager = harness.manager()
    winners = manager.last.plain
    assert winners.startswith("🏁 Победители конкурса «Зимний марафон диванов» — вручите призы")
    assert "2. <b>Ева</b> & Co (@user816, tg:816), ID an-<2> — 1 — Бонус 1 500 ₽" in winners
    assert "1. Анна (@user815, tg:815), ID an-1 — 90 000 — Ноутбук для работы" in winners
    await services.notices.contest_moment(results)  # a double fire tells nobody twice
    await harness.deliver()
    assert manager.last.plain == winners
    assert sum("Победители конкурса" in m.plain for m in manager.messages) == 1
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    card = manager.messages[-1].plain
    assert "🏁 Победители конкурса «Зимний марафон диванов»" in card
    assert "1. Анна (@user815, tg:815), ID an-1 — 3 — Ставка 15% на январь" in card
