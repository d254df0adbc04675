"""Findings of the black-box review (points of part B), each reproduced as a journey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.services.conversions import ConversionIn
from tests.harness import MANAGER_ID, Client, Harness


async def test_switching_on_one_topic_after_no_newsletters_switches_on_only_it(
    harness: Harness,
) -> None:
    anna = harness.user(1301)
    await anna.send("/start")
    await anna.press(next(b for b in anna.last.button_labels if b.startswith("Вебмастер")))
    await anna.press("Сайт")
    await anna.press("До года")
    await anna.send("Владельцы квартир в новостройках")
    await anna.press("Нет, только ответы на мои вопросы")
    labels = (await anna.send("/settings"))[-1].button_labels
    assert all(label.startswith("❌") for label in labels[:5])
    await anna.press("❌ Уведомления о продажах")
    assert anna.last.button_labels[:5] == [
        "❌ Новости",
        "❌ Конкурсы",
        "❌ Еженедельный дайджест",
        "✅ Уведомления о продажах",
        "❌ Новые уроки",
    ]
    partner = await harness.services.partners.by_user("tg", 1301)
    assert partner is not None
    assert [
        t for t in ("news", "contests", "digest", "sales", "lessons") if partner.subscribed(t)
    ] == ["sales"]


async def test_switching_on_one_topic_after_stop_switches_on_only_it(harness: Harness) -> None:
    anna = harness.user(1302)
    await anna.onboard()
    await anna.send("/stop")
    await anna.send("/settings")
    await anna.press("❌ Новости")
    assert [b for b in anna.last.button_labels[:5] if b.startswith("✅")] == ["✅ Новости"]


async def test_the_ticket_card_shows_the_tier_and_recent_sales(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1303, "Анна")
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 1303)
    assert partner is not None
    partner = await harness.services.partners.request_link(partner, "aff-13")
    await harness.services.partners.approve_link(partner)
    start = harness.clock.now() - timedelta(hours=3)
    for n in range(10):
        item = ConversionIn(
            "aff-13", f"c-{n}", "approved", Decimal(1000 + n), "RUB", start + timedelta(minutes=n)
        )
        await harness.services.sales.record(item, "postback")
    pending = ConversionIn(
        "aff-13", "c-p", "pending", Decimal("2500.5"), "RUB", start + timedelta(hours=1)
    )
    await harness.services.sales.record(pending, "postback")
    await anna.send("/support Где мои выплаты")
    card = next(m for m in reversed(manager.messages) if "Обращение №1" in m.plain).plain
    assert "Уровень: Серебро — 10 подтверждённых продаж в этом месяце" in card
    assert "Последние продажи:" in card
    lines = card.splitlines()
    at = lines.index("Последние продажи:")
    assert lines[at + 1].startswith("• ")
    assert "2 500,50 ₽ · в ожидании" in lines[at + 1]
    assert "1 009 ₽ · подтверждена" in lines[at + 2]
    assert len([line for line in lines[at + 1 :] if line.startswith("• ")]) == 5


async def test_the_ticket_card_of_an_unlinked_partner_says_so(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1304, "Анна")
    await anna.onboard()
    await anna.send("/support Вопрос")
    card = next(m for m in reversed(manager.messages) if "Обращение №1" in m.plain).plain
    assert "Уровень: нет (ID не привязан)" in card
    assert "Последние продажи" not in card


async def test_an_empty_audience_says_how_many_are_excluded_by_their_settings(
    harness: Harness,
) -> None:
    anna = harness.user(1305, "Анна")
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 1305)
    assert partner is not None
    partner = await harness.services.partners.request_link(partner, "aff-1305")
    partner = await harness.services.partners.approve_link(partner)
    await anna.send("/settings")
    await anna.press("✅ Новости")
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.press("Уровню…", (await manager.send("Вебинар"))[-1])
    await manager.press("Базовый", manager.messages[-1])
    said = manager.messages[-2].plain
    assert said.startswith("В этой аудитории сейчас никого нет")
    assert "1 партнёр не получает рассылки (отказались от рассылок при знакомстве" in said
    assert "чат партнёров" not in said
    # with one who hears, the preview counts the one who does not
    boris = harness.user(1306, "Борис")
    await boris.onboard()
    await manager.press("👥 Всем партнёрам", manager.messages[-1])
    await manager.press("Сейчас", manager.messages[-1])
    header = manager.messages[-2].plain
    assert "все партнёры — 1 получатель" in header
    assert "Ещё 1 партнёр её не получит (отказались от рассылок" in header


async def test_announce_pickers_have_back_and_a_typed_answer_repeats_the_buttons(
    harness: Harness,
) -> None:
    anna = harness.user(1307, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    audience = (await manager.send("Вебинар в четверг"))[-1]
    await manager.press("Сегменту…", audience)
    picker = manager.last
    assert picker.button_labels[-1] == "← Назад"
    await manager.press("← Назад", picker)
    assert manager.last.plain == "Кому отправить?"
    assert manager.last.button_labels[0] == "👥 Всем партнёрам"

    await manager.press("Уровню…", manager.last)
    replies = await manager.send("всем")
    assert replies[-1].plain.startswith("Выберите вариант кнопками")
    assert replies[-1].button_labels[0] == "👥 Всем партнёрам"  # the buttons, again
    await manager.press("👥 Всем партнёрам", replies[-1])
    await manager.press("Сейчас", manager.last)
    replies = await manager.send("да")
    assert replies[-1].plain.startswith("Выберите вариант кнопками")
    assert replies[-1].button_labels == ["✅ Отправить", "❌ Отменить"]
    await manager.press("✅ Отправить", replies[-1])
    assert manager.last.plain.startswith("✅ Рассылка №1 поставлена в очередь: 1 сообщение.")


async def _contest_preview(harness: Harness, starts: str = "25.11.2026 10:00") -> Client:
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/contest_new")
    for answer in (
        "Зимний спринт",
        "Продавайте больше всех.",
        starts,
        "30.12.2026",
        "все",
        "больше продаж: Бонус 10 000 ₽",
        "7",
        "-",
    ):
        await manager.send(answer)
    return manager


async def test_deleting_a_contest_draft_asks_first_and_labels_cannot_be_confused(
    harness: Harness,
) -> None:
    manager = await _contest_preview(harness)
    preview = manager.last
    assert preview.plain.startswith("👀 Предпросмотр.")
    assert preview.button_labels == [
        "✅ Сохранить",
        "Один приз на партнёра: нет",
        "🗑 Удалить черновик",
    ]
    await manager.press("Один приз на партнёра: нет", preview)
    preview = manager.last
    assert "Один приз на партнёра: да" in preview.button_labels
    await manager.press("🗑 Удалить черновик", preview)
    ask = manager.last
    assert ask.plain.startswith("Удалить черновик «Зимний спринт»?")
    assert ask.button_labels == ["Да, удалить", "← К черновику"]
    await manager.press("← К черновику", ask)
    preview = manager.last
    assert preview.plain.startswith("👀 Предпросмотр.")
    assert "Один приз на партнёра: да" in preview.button_labels  # the draft as it was
    await manager.press("🗑 Удалить черновик", preview)
    await manager.press("Да, удалить", manager.last)
    assert manager.last.plain == "Черновик конкурса удалён."
    listing = (await manager.send("/contests_admin"))[-1]
    assert not [label for label in listing.button_labels if "Зимний спринт" in label]


async def test_help_before_start_shows_the_menu_and_how_to_begin(harness: Harness) -> None:
    stranger = harness.user(1308, "Гость")
    text = (await stranger.send("/help"))[-1].plain
    assert text.startswith("Меню")
    assert "/faq — частые вопросы" in text
    assert "отправьте /start" in text
    assert await harness.services.partners.by_user("tg", 1308) is None  # nothing stored
    english = harness.user(1309, "Guest", language="en")
    text = (await english.send("/menu"))[-1].plain
    assert text.startswith("Menu")
    assert "/start" in text


async def test_a_lesson_comes_text_first_then_its_file_with_the_buttons(harness: Harness) -> None:
    anna = harness.user(1310)
    await anna.onboard()
    await anna.send("/lessons")
    await anna.press("▫️ С чего начать: кабинет, ссылка, первые шаги")
    replies = await anna.press("✅ Готово, дальше")
    assert [m.kind for m in replies] == ["text", "document"]
    assert replies[0].plain.startswith("Урок 2 из 4. Первая продажа")
    assert replies[0].button_labels == []
    assert replies[1].file_name == "checklist-first-sale.txt"
    assert replies[1].button_labels == ["✅ Готово, дальше", "К списку уроков"]
    replies = await anna.press("✅ Готово, дальше", replies[1])
    assert replies[-1].plain.startswith("Урок 3 из 4")


async def test_start_after_stop_greets_first_then_says_what_is_on_again(
    harness: Harness,
) -> None:
    anna = harness.user(1311, "Анна")
    await anna.onboard()
    await anna.send("/stop")
    replies = await anna.send("/start")
    lines = replies[0].plain.splitlines()
    assert lines[0] == "С возвращением, Анна!"
    assert lines[2].startswith("Рассылки снова включены: Новости, Конкурсы")
    assert replies[-1].plain.startswith("Меню")


async def test_a_managers_note_is_confirmed_and_stays_away_from_the_partner(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1312)
    await anna.onboard()
    await anna.send("/support Не могу войти")
    card = next(m for m in reversed(manager.messages) if "Обращение №1" in m.plain)
    before = len(anna.messages)
    harness.clock.advance(1)
    update = harness.emulator.user_message(
        MANAGER_ID, "!проверить в бухгалтерии", reply_to=card.message_id
    )
    await harness.emulator.wait_processed(update)
    assert len(anna.messages) == before
    assert manager.last.plain == (
        "📝 Внутренняя заметка по обращению №1 сохранена в этом чате — партнёр её не видит."
    )
    assert manager.last.reply_to is not None


async def test_a_short_notice_contest_says_how_to_move_it_and_is_not_announced_as_early(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1313)
    await anna.onboard()
    # the demo file contest starts 14.12.2026 00:00 (Moscow); four days before
    harness.clock.advance(
        (datetime(2026, 12, 10, 9, 0, tzinfo=UTC) - harness.clock.now()).total_seconds()
    )
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    await manager.press("📣 Объявить", manager.last)
    warning = manager.last.plain
    assert warning.startswith("⚠️ Конкурс начнётся меньше чем через 7 дней")
    assert "Укажите другую дату" not in warning
    assert "starts_at в файле конкурса с id: winter-sofas (папка contests/ контента)" in warning
    await manager.press("📣 Всё равно объявить", manager.last)
    await harness.deliver()
    said = anna.last.plain
    assert said.startswith("📣 Новый конкурс! Старт уже 14.12.2026 00:00")
    assert "заранее" not in said


async def test_too_long_says_the_length_with_the_right_plural(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/contest_new")
    said = (await manager.send("я" * 101))[-1].plain
    assert "Слишком длинно: 101 символ, можно до 100." in said
    await manager.send("/cancel")
    await manager.send("/announce")
    said = (await manager.send("я" * 4102))[-1].plain
    assert said.startswith(
        "Слишком длинно: 4\xa0102 символа, в одно сообщение на Telegram, VK и MAX помещается"
        " до 4\xa0000."
    )


async def test_stats_hours_use_the_decimal_comma_in_russian(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(1314)
    await anna.onboard()
    await anna.send("/support Вопрос")
    card = next(m for m in reversed(manager.messages) if "Обращение №1" in m.plain)
    harness.clock.advance(5400)
    update = harness.emulator.user_message(MANAGER_ID, "Ответ", reply_to=card.message_id)
    await harness.emulator.wait_processed(update)
    text = "\n".join(m.plain for m in await manager.send("/stats"))
    assert "1,5 ч" in text
    assert "1.5 ч" not in text


async def test_everyone_mixed_with_segments_is_refused_with_a_clear_reason(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/contest_new")
    for answer in ("Зимний спринт", "Правила.", "25.11.2026 10:00", "30.12.2026"):
        await manager.send(answer)
    said = (await manager.send("все, blogger"))[-1].plain
    assert said.startswith(
        "⚠️ «все» — это все сегменты сразу: напишите либо «все», либо сегменты через запятую."
    )
    assert "Нет таких сегментов" not in said
    assert "Шаг 5 из 8" in said
    said = (await manager.send("blogger, Вебмастер"))[-1].plain
    assert "Шаг 6 из 8" in said
