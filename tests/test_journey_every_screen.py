"""Issue 14: a partner's and a manager's whole day, screen by screen — each test is one
stumble a newcomer reported, lived again through the emulators."""

from __future__ import annotations

import re
from pathlib import Path

from tests.harness import Client, Harness, announce_demo_contest, running_bot


async def confirm(manager: Client) -> str:
    """✅ under a change of an announced contest shown first: saved and told."""
    await manager.press("✅ Сохранить и сообщить", manager.messages[-1])
    return manager.messages[-1].plain


async def manager_with_a_partner(harness: Harness) -> tuple[Client, Client]:
    anna = harness.user(921, "Анна")
    await anna.onboard("Вебмастер")
    manager = harness.manager()
    await manager.send("/start")
    return manager, anna


async def test_announce_after_a_past_date_shows_the_now_button_and_takes_the_typed_word(
    harness: Harness,
) -> None:
    manager, anna = await manager_with_a_partner(harness)
    await manager.send("/announce")
    await manager.send("Вебинар в четверг")
    await manager.press("👥 Всем партнёрам")
    refused = (await manager.send("01.11.2026 10:00"))[-1]  # the clock: 02.11.2026
    assert "Эта дата уже прошла" in refused.plain
    assert "«Сейчас»" in refused.plain
    assert refused.button_labels == ["Сейчас"]
    refused = (await manager.send("завтра"))[-1]
    assert "Не понял дату" in refused.plain
    assert refused.button_labels == ["Сейчас"]
    await manager.send("сейчас")
    header, preview = manager.messages[-2:]
    assert header.plain.startswith("👀 Предпросмотр.")
    assert "отправка: Сейчас" in header.plain
    await manager.press("✅ Отправить", preview)
    await harness.deliver()
    assert anna.last.plain == "Вебинар в четверг"


async def saved_contest(manager: Client, title: str, dates: tuple[str, str]) -> None:
    await manager.send("/contest_new")
    for text in (title, "Правила.", dates[0], dates[1], "все", "first_sales: 1000 ₽", "0"):
        await manager.send(text)
    await manager.press("✅ Сохранить", (await manager.send("-"))[-1])


async def test_cancel_while_editing_a_saved_contest_says_it_is_untouched(
    harness: Harness,
) -> None:
    manager, _anna = await manager_with_a_partner(harness)
    await saved_contest(manager, "Декабрьский", ("20.12.2026 10:00", "25.12.2026"))
    card = manager.messages[-1]
    await manager.press("✏️ Даты", card)
    text = (await manager.send("/cancel"))[-1].plain
    assert "удалён" not in text
    assert text.startswith("Изменение отменено: конкурс «Декабрьский» остался как был.")
    assert any(c.title == "Декабрьский" for c in await harness.services.contests.active())
    # a new draft's /cancel still deletes the draft
    await manager.send("/contest_new")
    assert (await manager.send("/cancel"))[-1].plain == "Черновик конкурса удалён."


async def test_new_dates_of_an_announced_contest_reach_those_who_were_told(
    harness: Harness,
) -> None:
    manager, anna = await manager_with_a_partner(harness)
    boris = harness.user(922, "Борис")
    await boris.onboard("Блогер")
    await boris.send("/stop")  # told nothing more after a /stop
    await saved_contest(manager, "Декабрьский", ("20.12.2026 10:00", "25.12.2026"))
    await harness.deliver()
    assert anna.last.plain.startswith("📣 Новый конкурс!")
    card = manager.messages[-1]
    await manager.press("✏️ Даты", card)
    shown = (await manager.send("21.12.2026 10:00 — 28.12.2026 18:00"))[-1].plain
    assert "новые даты — 21.12.2026 10:00 — 28.12.2026 18:00" in shown, shown
    text = await confirm(manager)
    assert text.startswith("✅ Конкурс «Декабрьский» изменён")
    assert "Новые даты уйдут тем, кому сообщили о конкурсе: 1 партнёру" in text
    before = len(boris.messages)
    await harness.deliver()
    assert anna.last.plain.startswith(
        "🗓 Конкурс «Декабрьский» переносится: теперь он идёт с 21.12.2026 10:00"
        " до 28.12.2026 18:00."
    )
    assert len(boris.messages) == before
    # through the outbox: a second delivery run sends nothing twice
    told = len(anna.messages)
    await harness.deliver()
    assert len(anna.messages) == told


async def test_start_after_stop_says_what_settings_show(harness: Harness) -> None:
    anna = harness.user(108)
    await anna.onboard()
    await anna.send("/settings")
    await anna.press("✅ Еженедельный дайджест")
    await anna.send("/stop")
    said = (await anna.send("/start"))[0].plain
    assert said.startswith("С возвращением")
    said = said.split("\n\n", 1)[1]
    assert "Еженедельный дайджест" not in said.splitlines()[0]
    assert said.startswith(
        "Рассылки снова включены: Новости, Конкурсы, Уведомления о продажах, Новые уроки."
    )
    assert "Выключены, как вы и настроили: Еженедельный дайджест." in said
    shown = (await anna.send("/settings"))[-1]
    assert "❌ Еженедельный дайджест" in shown.button_labels
    assert "✅ Новости" in shown.button_labels
    partner = await harness.services.partners.by_user("tg", 108)
    assert partner is not None
    assert not partner.subscribed("digest")
    assert partner.subscribed("news")


async def test_schedule_shows_private_sends_when_they_really_go_and_lesson_drips(
    harness: Harness,
) -> None:
    """Quiet hours 22:00–09:00: the demo contest starts 14.12 00:00, its reminders fall at
    00:00 too; every private send is listed (and goes) at 09:00."""
    from datetime import UTC, datetime

    manager, anna = await manager_with_a_partner(harness)
    harness.clock.advance(
        (datetime(2026, 12, 5, 9, 0, tzinfo=UTC) - harness.clock.now()).total_seconds()
    )  # 12:00 in Moscow
    await anna.send("/lessons")
    await anna.press("▫️ С чего начать: кабинет, ссылка, первые шаги")
    await anna.press("✅ Готово, дальше")  # finished at 12:00: the next one drips 07.12 12:00
    lines = (await manager.send("/schedule"))[-1].plain.splitlines()
    private = [line for line in lines[1:] if "получател" in line]
    assert private
    for line in private:
        hour = int(line.split(" ")[1].split(":")[0])
        assert 9 <= hour < 22, line
    assert "11.12 09:00 — напоминание о конкурсе «Зимний марафон диванов» — 1 получатель" in lines
    assert "14.12 09:00 — старт конкурса «Зимний марафон диванов» — 1 получатель" in lines
    assert any(
        line.startswith("07.12 ") and "следующий урок курса (напоминание) — 1 получатель" in line
        for line in lines
    ), lines

    # and the reminder really goes at 09:00, not at midnight
    await harness.services.planner.tick()  # the announcement
    await harness.deliver()
    harness.clock.advance(
        (datetime(2026, 12, 10, 21, 30, tzinfo=UTC) - harness.clock.now()).total_seconds()
    )  # 11.12 00:30 in Moscow
    await harness.services.planner.tick()
    before = len(anna.messages)
    await harness.deliver()
    assert all("До старта" not in m.plain for m in anna.messages[before:])
    harness.clock.advance(9 * 3600)  # 09:30 (since session 19 the reminder is planned for
    await harness.services.planner.tick()  # 09:00 itself: the group no longer at midnight)
    await harness.deliver()
    assert any("До старта конкурса «Зимний марафон диванов»" in m.plain for m in anna.messages)


async def test_after_forget_only_start_starts_over_and_the_numbers_survive(
    harness: Harness,
) -> None:
    manager, anna = await manager_with_a_partner(harness)
    boris = harness.user(922, "Борис")
    await boris.onboard("Блогер")
    await manager.send("/announce")
    await manager.send("Вебинар в четверг")
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    await manager.press("✅ Отправить")
    await harness.deliver()
    await anna.send("/support Где мои деньги?")
    assert "№1" in anna.last.plain
    stats = (await manager.send("/stats"))[0].plain
    assert "доставлено 2" in stats

    await anna.send("/forget")
    await anna.press("Да, удалить")
    assert await harness.services.partners.by_user("tg", 921) is None
    said = (await anna.send("/me"))[-1].plain
    assert said.startswith("Здравствуйте! Чтобы начать, отправьте /start")
    assert await harness.services.partners.by_user("tg", 921) is None  # nothing created
    await anna.send("когда выплаты")
    await anna.press_data(anna.last, "m:me")
    assert await harness.services.partners.by_user("tg", 921) is None

    stats = (await manager.send("/stats"))[0].plain
    assert "доставлено 2" in stats  # program statistics survive, without the person

    await anna.onboard()  # /start starts over
    assert await harness.services.partners.by_user("tg", 921) is not None
    await anna.send("/support Снова я")
    assert "№2" in anna.last.plain  # numbering goes on, never №1 again


async def test_partner_card_speaks_the_managers_language(harness: Harness) -> None:
    manager, anna = await manager_with_a_partner(harness)
    await anna.send("когда выплаты")
    await anna.send("когда выплаты")  # the same question twice
    await anna.send("сколько холд")
    card = (await manager.send("/partner tg:921"))[-1].plain
    # the clock: 02.11.2026 12:00 UTC — 15:00 in Moscow (TIMEZONE)
    assert "последний раз 02.11.2026 15:" in card
    assert "traffic:" not in card
    assert "• Откуда у вас трафик: Сайт" in card
    assert "• Кратко: кто ваша аудитория: Владельцы квартир в новостройках" in card
    assert "/link ВАШ_ID" not in card
    assert "ID в партнёрской сети не привязан" in card
    assert "Спрашивал" not in card
    asked = card.split("Вопросы в боте до этого:")[1]
    assert asked.count("когда выплаты") == 1
    assert "сколько холд" in asked


async def test_stats_counts_partners_not_managers_and_keeps_ratings_across_a_reopen(
    harness: Harness,
) -> None:
    manager, anna = await manager_with_a_partner(harness)
    stats = (await manager.send("/stats"))[0].plain
    assert "Партнёров: 1 · заходили в этом месяце: 1" in stats
    assert "По сегментам: Вебмастер (сайт, SEO, контекст) 1\n" in stats
    await anna.send("/support Как сменить реквизиты?")
    await anna.press("✅ Вопрос решён, закрыть")
    await anna.press("👍 Помогли")
    assert "оценки 👍 1 / 👎 0" in (await manager.send("/stats"))[0].plain
    harness.clock.advance(3600)  # within ticket_reopen_hours: the same ticket opens again
    assert (await anna.send("/support и ещё вопрос"))[-1].plain.startswith(
        "Обращение №1 снова открыто"
    )
    assert "оценки 👍 1 / 👎 0" in (await manager.send("/stats"))[0].plain
    await anna.press("✅ Вопрос решён, закрыть", anna.last)
    await anna.press("👎 Не помогли")
    assert "оценки 👍 1 / 👎 1" in (await manager.send("/stats"))[0].plain


async def test_announcements_list_says_what_happened_in_plain_words(harness: Harness) -> None:
    manager, anna = await manager_with_a_partner(harness)
    await manager.send("/announce")
    await manager.send(
        "Друзья, обновили креативы к зимней распродаже — посмотрите свежие баннеры: /creatives"
    )
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    await manager.press("✅ Отправить")
    listing = (await manager.send("/announcements"))[-1].plain
    assert "Рассылка №1 — отправляется" in listing  # queued, not yet delivered
    await harness.deliver()
    listing = (await manager.send("/announcements"))[-1].plain
    assert "Рассылка №1 — отправлена" in listing
    assert "запланирована" not in listing
    assert "не точно" not in listing
    assert "«Друзья, обновили креативы к зимней распродаже — посмотрите свежие баннеры…»" in (
        listing
    )  # cut at a word, never inside /creatives
    assert "/creativ»" not in listing
    await manager.send("/announce")
    await manager.send("Вебинар")
    await manager.press("👥 Всем партнёрам")
    await manager.send("05.11.2026 12:00")
    await manager.press("✅ Отправить")
    listing = "\n".join(m.plain for m in await manager.send("/announcements"))
    assert "Рассылка №2 — запланирована, 05.11.2026 12:00" in listing
    # and it goes at 12:00 in Moscow (the time was once stored as if it were UTC: 15:00)
    from datetime import UTC, datetime

    harness.clock.advance(
        (datetime(2026, 11, 5, 9, 5, tzinfo=UTC) - harness.clock.now()).total_seconds()
    )
    await harness.deliver()
    assert anna.last.plain == "Вебинар"


async def test_small_talk_gets_a_friendly_word_and_is_no_faq_miss(harness: Harness) -> None:
    manager, anna = await manager_with_a_partner(harness)
    for text in ("ок", "?", "👍", "😂", "🔥", "спасибо", "привет", "Ок!"):
        said = (await anna.send(text))[-1]
        assert "Пока не знаю ответа" not in said.plain, text
        assert said.button_labels == [], text
    assert (await anna.send("спасибо"))[-1].plain.startswith("Пожалуйста!")
    assert (await anna.send("привет"))[-1].plain.startswith("Здравствуйте!")
    stats = (await manager.send("/stats"))[0].plain
    assert "без ответа 0" in stats
    assert "Чаще всего без прямого ответа" not in stats


async def test_asking_for_a_person_in_words_opens_a_ticket_at_once(harness: Harness) -> None:
    manager, anna = await manager_with_a_partner(harness)
    for text in ("позовите живого человека", "как связаться с менеджером?", "оператор"):
        said = (await anna.send(text))[-1].plain
        assert said.startswith("Опишите вопрос одним сообщением"), text
        assert (await anna.send("/cancel"))[-1].plain.startswith("Хорошо, обращение не создано")
    await anna.send("позовите живого человека")
    opened = (await anna.send("Не пришла выплата за октябрь"))[-1].plain
    assert "№1" in opened
    assert "без ответа 0" in (await manager.send("/stats"))[0].plain


async def test_menu_words_typed_open_their_sections(harness: Harness) -> None:
    anna = harness.user(931, "Анна")
    await anna.onboard()
    john = harness.user(932, "John", language="en")
    await john.onboard_in_english()
    for client, word, expected in (
        (anna, "креативы", "/creatives"),
        (anna, "Обучение", "/lessons"),
        (anna, "конкурсы", "/contests"),
        (anna, "мои продажи", "/me"),
        (anna, "настройки", "/settings"),
        (john, "creatives", "/creatives"),
        (john, "my sales", "/me"),
        (john, "training", "/lessons"),
    ):
        typed = [m.plain for m in await client.send(word)]
        commanded = [m.plain for m in await client.send(expected)]
        assert typed == commanded, (word, typed)
        assert all("Вы имели в виду" not in text for text in typed), word


async def test_russian_grammar_names_audiences_amounts_and_times(harness: Harness) -> None:
    manager, anna = await manager_with_a_partner(harness)
    boris = harness.user(922, "Борис")
    await boris.onboard("Блогер")
    # a name that would need a case: the sentence is built so it needs none
    await anna.send("/link aff-777")
    approval = next(m for m in manager.messages if "Подтвердить" in " ".join(m.button_labels))
    await manager.press("✅ Подтвердить", approval)
    done = manager.messages[-1].plain
    assert "Привязка aff-777 подтверждена — партнёр: Анна" in done
    assert "для Анна" not in done
    # the audience in the nominative
    await manager.send("/announce")
    await manager.send("Вебинар для блогеров")
    await manager.press("Сегменту…")
    await manager.press("Блогер (соцсети, YouTube, Telegram)")
    await manager.press("Сейчас")
    header = manager.messages[-2].plain
    assert "Получатели: партнёры сегмента «Блогер (соцсети, YouTube, Telegram)» — 1" in header
    await manager.send("/cancel")
    # decimal commas in Russian amounts, no dot
    me = "\n".join(m.plain for m in await anna.send("/me"))
    assert "на 0 ₽" in me
    assert "0.00" not in me
    from decimal import Decimal

    from bot.texts import number

    assert number(Decimal("1500.5")) == "1 500,50"
    assert number(Decimal("1500.5"), "en") == "1,500.50"
    # «25:00» is a bad time, not a missing date
    await manager.send("/announce")
    await manager.send("Вебинар")
    await manager.press("👥 Всем партнёрам")
    said = (await manager.send("05.11.2026 25:00"))[-1].plain
    assert "Такого времени нет" in said
    assert "Такой даты нет" not in said


async def test_managers_help_lists_their_commands_too(harness: Harness) -> None:
    manager, anna = await manager_with_a_partner(harness)
    mine = "\n".join(m.plain for m in await manager.send("/help"))
    for command in ("/faq", "/announce", "/contests_admin", "/tickets", "/stats", "/reload"):
        assert command in mine, command
    theirs = "\n".join(m.plain for m in await anna.send("/help"))
    assert "/announce" not in theirs


async def test_onboarding_answers_that_fit_no_option_get_a_hint(harness: Harness) -> None:
    anna = harness.user(941, "Анна")
    await anna.send("/start")
    said = (await anna.send("я блогер, наверное"))[-1]
    assert said.plain.startswith("Такого варианта нет. Нажмите кнопку или напишите один из")
    assert "Вебмастер (сайт, SEO, контекст)" in said.plain
    assert said.button_labels  # the segments again, under the hint
    await anna.send("Блогер")  # an option typed is an answer
    said = (await anna.send("из телевизора"))[-1].plain
    assert said.startswith("Такого варианта нет")
    assert "«Сайт», «Соцсети», «Контекст», «Другое»." in said
    await anna.send("соцсети")
    said = (await anna.send("больше"))[-1].plain  # «Больше года»: the only one it starts
    assert "Вопрос 3 из 3" in said
    await anna.send("Мамы в декрете")
    said = (await anna.send("может быть"))[-1].plain
    assert said.startswith("Ответьте кнопкой ниже")
    replies = await anna.send("да")  # the button's word typed
    assert replies[0].plain.startswith("Готово! Вы подписаны.")
    partner = await harness.services.partners.by_user("tg", 941)
    assert partner is not None
    assert partner.segment == "blogger"
    assert partner.answers == {
        "traffic": "Соцсети",
        "experience": "Больше года",
        "audience": "Мамы в декрете",
    }


async def test_contest_segments_step_names_the_segments_before_any_mistake(
    harness: Harness,
) -> None:
    manager, _anna = await manager_with_a_partner(harness)
    await manager.send("/contest_new")
    for text in ("Весенний", "Правила.", "20.12.2026 10:00"):
        await manager.send(text)
    asked = (await manager.send("25.12.2026"))[-1].plain
    assert "Шаг 5 из 8. Кто участвует?" in asked
    assert "Сегменты: Вебмастер, Блогер, Дизайнер интерьеров." in asked


async def test_contest_list_on_vk_is_not_cut(tmp_path: Path) -> None:
    async with running_bot(tmp_path, vk=True) as harness:
        manager = harness.vk_manager()
        await manager.send("Начать")
        listing = (await manager.send("/contests_admin"))[-1]
        assert "1. 📝 Зимний марафон диванов — не объявлен" in listing.text
        assert all(len(label) <= 40 for label in listing.button_labels)
        assert all("…" not in label or label.endswith("…") for label in listing.button_labels)
        assert any(label.startswith("1. Зимний марафон") for label in listing.button_labels)


CYRILLIC = re.compile("[А-Яа-яЁё]")


async def test_the_english_interface_says_no_russian_of_its_own(harness: Harness) -> None:
    await manager_with_a_partner(harness)
    john = harness.user(951, "John", language="en")
    said = [m.plain for m in await john.send("/me")]  # before /start
    await john.send("/start")
    await john.press(john.last.button_labels[0])
    said += [m.plain for m in await john.send("not an option")]
    await john.press("Сайт")
    await john.press("До года")
    await john.send("Owners of new flats")
    await john.press("✅ Yes, send them")
    for text in ("/help", "/settings", "/stop", "/start", "ok", "thanks", "/support", "/cancel"):
        said += [m.plain for m in await john.send(text)]
    said += [m.plain for m in await john.send("/frobnicate")]
    program = harness.services.content_store.content.program
    content = [s.title for s in program.segments] + [q.text for q in program.onboarding_questions]
    content += [program.name, program.welcome.strip()]
    content += ["Сайт", "Соцсети", "Контекст", "Другое", "Русский", "Партнёрская программа"]
    for text in said:
        own = text
        for words in content:
            own = own.replace(words, "")
        assert not CYRILLIC.search(own), text


async def test_the_sandbox_terminal_sends_a_message_of_several_lines(harness: Harness) -> None:
    from bot.sandbox.terminal import TerminalChat

    lines: list[str] = []
    chat = TerminalChat(harness.emulator, lines.append)
    harness.emulator.add_user(700001, "Анна")
    for line in ("больше продаж: Бонус 10 000 ₽\\\n", "первые продажи: Бонус 2 000 ₽\n"):
        assert chat.handle(line)
    for line in ("```\n", "строка раз\n", "\n", "строка два\n", "```\n"):
        assert chat.handle(line)
    await harness.emulator.wait_processed(harness.emulator.last_update_id)
    typed = [m.text for m in harness.emulator.chat_messages(700001, from_bot=False)]
    assert typed == [
        "больше продаж: Бонус 10 000 ₽\nпервые продажи: Бонус 2 000 ₽",
        "строка раз\n\nстрока два",
    ]


def test_the_demo_faq_names_one_tax_rate_for_the_self_employed() -> None:
    """«6%» in one answer and «4–6%» in another: a partner cannot tell which is true."""
    from bot.content.loader import load_content
    from tests.harness import DEMO_CONTENT

    content = load_content(DEMO_CONTENT)
    rates = {
        entry.id: set(re.findall(r"\d+(?:[–-]\d+)?%", entry.answer))
        for entry in content.faq
        if "самозанят" in (entry.question + entry.answer).lower() and "%" in entry.answer
    }
    assert len(rates) >= 2  # the self-employed answer and the taxes answer
    assert all("6%" in found for found in rates.values()), rates
    assert not any("–" in rate or "-" in rate for found in rates.values() for rate in found)


def test_the_first_make_run_installs_without_a_build_backend_warning() -> None:
    """setuptools warns (BuildBackendWarning, «Please be careful with folders…») when an
    editable install uses its meta-path finder, the default for this layout; the «compat»
    (a .pth file) and «strict» modes do not. Every `pip install -e` in the Makefile says
    which one it uses."""
    from tests.harness import ROOT

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line and " -e " in line]
    assert installs
    for line in installs:
        assert re.search(r"--config-settings editable_mode=(compat|strict)\b", line), line


async def test_a_manager_is_not_asked_a_partners_questions(harness: Harness) -> None:
    manager = harness.manager()
    first, menu = (m.plain for m in await manager.send("/start"))
    assert first.startswith("Здравствуйте, Михаил! Вы менеджер программы")
    assert "Кто вы?" not in first + menu
    assert "/announce" in menu
    again = "\n".join(m.plain for m in await manager.send("/start"))
    assert "/contests_admin" in again


async def test_a_contests_audience_is_named_by_its_title(harness: Harness) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from bot.services.conversions import ConversionIn

    manager, _anna = await manager_with_a_partner(harness)
    await announce_demo_contest(harness)  # the picker lists announced contests
    partners = harness.services.partners
    person = await partners.by_user("tg", 921)
    assert person is not None
    await partners.approve_link(await partners.request_link(person, "an-1"))
    running = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)  # the demo contest runs
    harness.clock.advance((running - harness.clock.now()).total_seconds())
    sale = ConversionIn("an-1", "an-sale", "approved", Decimal(30000), "RUB", running)
    await harness.services.sales.record(sale, "csv")
    await manager.send("/announce")
    await manager.send("Напоминаем правила марафона")
    await manager.press("Участникам конкурса…")
    await manager.press("Зимний марафон диванов")
    await manager.press("Сейчас")
    header = manager.messages[-2].plain
    assert "Получатели: участники конкурса «Зимний марафон диванов»" in header
    assert "winter-sofas" not in header
    await manager.press("✅ Отправить")
    listing = (await manager.send("/announcements"))[-1].plain
    assert "Получатели: участники конкурса «Зимний марафон диванов» (1)" in listing
