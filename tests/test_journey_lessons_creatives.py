"""Training and marketing materials, filtered by the partner's segment."""

from __future__ import annotations

from pathlib import Path

from tests.harness import Harness


async def test_course_progress_done_next_and_the_end(harness: Harness) -> None:
    anna = harness.user(301)
    await anna.onboard("Вебмастер")
    replies = await anna.send("/lessons")
    assert "пройдено 0 из 4 уроков" in replies[-1].plain
    assert replies[-1].button_labels == [
        "▫️ С чего начать: кабинет, ссылка, первые шаги",
        "▫️ Первая продажа за 7 дней",
        "▫️ SEO-статьи, которые продают мебель",
        "▫️ Масштабирование: метки, аналитика, уровни",
    ]
    replies = await anna.press("▫️ С чего начать: кабинет, ссылка, первые шаги")
    lesson = replies[-1]
    assert lesson.plain.startswith("Урок 1 из 4. С чего начать")
    assert "Добро пожаловать!" in lesson.plain
    assert "https://mebeldom.example/partners/guide" in lesson.plain
    assert "<b>Добро пожаловать!</b>" in (lesson.text or "")

    replies = await anna.press("✅ Готово, дальше")
    assert anna.callback_answers()[-1]["text"] == "Урок пройден!"
    # lesson 2 has a file attachment: sent as a document after the text
    assert replies[-1].kind == "document"
    assert replies[-1].file_name == "checklist-first-sale.txt"
    assert replies[-1].file_size
    assert replies[-1].file_size > 0
    assert replies[0].plain.startswith("Урок 2 из 4. Первая продажа")

    await anna.press("✅ Готово, дальше")
    await anna.press("✅ Готово, дальше")
    replies = await anna.press("✅ Готово, дальше")
    assert "Курс пройден: 4 урока из 4" in replies[-1].plain

    replies = await anna.send("/lessons")
    assert "пройдено 4 из 4 уроков" in replies[-1].plain
    assert all(label.startswith("✅") for label in replies[-1].button_labels)


async def test_lessons_follow_the_segment(harness: Harness) -> None:
    blogger = harness.user(302)
    await blogger.onboard("Блогер")
    replies = await blogger.send("/lessons")
    labels = replies[-1].button_labels
    assert "▫️ Посты и сторис: как рассказывать о мебели" in labels
    assert "▫️ SEO-статьи, которые продают мебель" not in labels


async def test_a_deleted_lesson_is_no_longer_available(harness: Harness) -> None:
    anna = harness.user(303)
    await anna.onboard()
    await anna.send("/lessons")
    await anna.press_data(anna.last, "l:open:removed-lesson")
    assert "больше недоступен" in anna.callback_answers()[-1]["text"]


async def test_creatives_by_kind_files_as_files(harness: Harness) -> None:
    anna = harness.user(304)
    await anna.onboard("Вебмастер")
    replies = await anna.send("/creatives")
    assert replies[-1].button_labels == [
        "Лендинги (2)",
        "Баннеры (1)",
        "Ключевые слова (2)",
        "Топ товаров (1)",
        "Описания (2)",
        "Видео (1)",
    ]
    await anna.press("Баннеры (1)")
    replies = await anna.press("Баннер «Диваны −20%» 728×90")
    banner = replies[-1]
    assert banner.kind == "document"
    assert banner.file_name == "sofa-728x90.png"
    assert banner.caption
    assert "Диваны" in banner.caption

    await anna.press("← Назад")
    await anna.press("Лендинги (2)")
    replies = await anna.press("Лендинг «Диваны со скидкой»")
    assert "https://mebeldom.example/sale/sofas" in replies[-1].plain

    await anna.press("← Назад")
    await anna.press("Ключевые слова (2)")
    replies = await anna.press("Ключевые слова: шкафы-купе")
    assert "шкаф купе с зеркалом" in replies[-1].plain
    replies = await anna.press("Ключевые слова: диваны (для статей и контекста)")
    assert replies[-1].file_name == "keywords-sofas.txt"


async def test_creatives_follow_the_segment(harness: Harness) -> None:
    blogger = harness.user(305)
    await blogger.onboard("Блогер")
    await blogger.send("/creatives")
    assert "Ключевые слова (1)" in blogger.last.button_labels
    await blogger.press("Баннеры (1)")
    assert blogger.last.button_labels == ["Баннер для сторис «Диваны −20%»", "← Назад"]
    await blogger.press_data(blogger.last, "c:item:sofa-banner-728")
    assert "больше недоступен" in blogger.callback_answers()[-1]["text"]


async def test_menu_buttons_open_each_section(harness: Harness) -> None:
    anna = harness.user(306)
    await anna.onboard()
    menu = anna.last
    await anna.press("🎓 Обучение", menu)
    assert "Обучение" in anna.last.plain
    await anna.press("🎨 Материалы", menu)
    assert "Промо-материалы" in anna.last.plain
    await anna.press("❓ Вопросы", menu)
    assert "Частые вопросы" in anna.last.plain
    await anna.press("👤 Мои данные", menu)
    assert "Код партнёра" in anna.last.plain
    await anna.press("⚙️ Настройки", menu)
    assert "Настройки" in anna.last.plain


async def test_a_creatives_text_is_its_caption_or_the_lines_under_its_link(
    tmp_path: Path,
) -> None:
    """SPEC §4: `text` beside `file` is the caption, beside `url` the lines under the link;
    a caption too long for Telegram goes as a message after the file."""
    import shutil

    from tests.harness import DEMO_CONTENT, running_bot

    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    creatives = content / "creatives.yaml"
    text = creatives.read_text(encoding="utf-8")
    text = text.replace(
        "  file: files/sofa-728x90.png",
        '  file: files/sofa-728x90.png\n  text: "Для шапки сайта & сайдбара <728px>"', 1
    ).replace(
        '  url: "https://mebeldom.example/sale/sofas"',
        '  url: "https://mebeldom.example/sale/sofas"\n  text: "' + "Скидка & доставка. " * 80
        + '"', 1,
    )  # fmt: skip
    creatives.write_text(text, encoding="utf-8")
    async with running_bot(tmp_path, content_dir=content) as harness:
        anna = harness.user(305)
        await anna.onboard("Вебмастер")
        await anna.send("/creatives")
        await anna.press("Баннеры (1)")
        (banner,) = await anna.press("Баннер «Диваны −20%» 728×90")
        assert banner.kind == "document"
        assert banner.plain == "Баннер «Диваны −20%» 728×90\n\nДля шапки сайта & сайдбара <728px>"
        await anna.press("← Назад")
        await anna.press("Лендинги (2)")
        (landing,) = await anna.press("Лендинг «Диваны со скидкой»")
        assert "https://mebeldom.example/sale/sofas\n\nСкидка & доставка." in landing.plain
