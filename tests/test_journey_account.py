"""/me, /settings, /stop and /forget."""

from __future__ import annotations

import sqlalchemy as sa

from bot.db.tables import faq_questions, fsm_states, lesson_progress, partners
from tests.harness import Harness


async def _partner(harness: Harness, user_id: int) -> sa.Row[tuple[object, ...]] | None:
    async with harness.services.db.read() as conn:
        query = sa.select(partners).where(partners.c.user_id == user_id)
        return (await conn.execute(query)).first()


async def test_me_shows_code_segment_progress_and_link(harness: Harness) -> None:
    anna = harness.user(401, "Анна")
    await anna.onboard("Дизайнер")
    row = await _partner(harness, 401)
    assert row is not None
    replies = await anna.send("/me")
    text = replies[-1].plain
    assert "Анна" in text
    assert f"Код партнёра: {row.partner_code}" in text
    assert "Сегмент: Дизайнер интерьеров" in text
    assert "Обучение: 0 из 4" in text
    assert "Приглашено: 0 партнёров" in text
    assert f"https://t.me/partnerbot_sandbox_bot?start=ref_{row.partner_code}" in text


async def test_settings_toggle_topics_language_segment_and_name(harness: Harness) -> None:
    anna = harness.user(402)
    await anna.onboard()
    replies = await anna.send("/settings")
    assert "✅ Еженедельный дайджест" in replies[-1].button_labels

    await anna.press("✅ Еженедельный дайджест")
    assert "❌ Еженедельный дайджест" in anna.last.button_labels
    assert "✅ Новости" in anna.last.button_labels
    row = await _partner(harness, 402)
    assert row is not None
    assert row.subscriptions["digest"] is False

    await anna.press("Имя в рейтингах: имя")
    assert "Имя в рейтингах: ник" in anna.last.button_labels

    await anna.press("Сегмент: Вебмастер (сайт, SEO, контекст)")
    await anna.press("Блогер (соцсети, YouTube, Telegram)")
    assert "Сегмент: Блогер (соцсети, YouTube, Telegram)" in anna.last.button_labels

    await anna.press("Язык: Русский")
    assert "Language: English" in anna.last.button_labels
    assert "❌ Weekly digest" in anna.last.button_labels
    replies = await anna.send("/help")
    assert "Menu" in replies[-1].plain

    row = await _partner(harness, 402)
    assert row is not None
    assert (row.language, row.segment, row.public_name) == ("en", "blogger", "nickname")


async def test_stop_switches_every_topic_off_at_once(harness: Harness) -> None:
    anna = harness.user(403)
    await anna.onboard()
    await anna.send("/stop")
    partner = await harness.services.partners.by_user("tg", 403)
    assert partner is not None
    assert not any(partner.subscribed(topic) for topic in partner.subscriptions)
    replies = await anna.send("/settings")
    assert "все рассылки выключены" in replies[-1].plain
    assert all(label.startswith("❌") for label in replies[-1].button_labels[:5])
    replies = await anna.send("/me")
    assert "Рассылки выключены" in replies[-1].plain
    # answers to her own questions still come
    replies = await anna.send("когда выплаты")
    assert "10 и 25 числа" in replies[-1].plain


async def test_forget_deletes_personal_data_after_confirmation(harness: Harness) -> None:
    anna = harness.user(404)
    boris = harness.user(405)
    await anna.onboard()
    await anna.send("когда выплаты")  # logged in the background, not yet written
    await anna.send("/lessons")
    await anna.press("▫️ С чего начать: кабинет, ссылка, первые шаги")
    await anna.press("✅ Готово, дальше")
    anna_row = await _partner(harness, 404)
    assert anna_row is not None
    await boris.send(f"/start ref_{anna_row.partner_code}")

    replies = await anna.send("/forget")
    assert "Это нельзя отменить" in replies[-1].plain
    await anna.press("Нет, оставить")
    assert await _partner(harness, 404) is not None

    await anna.send("/forget")
    await anna.press("Да, удалить")
    assert "данные удалены" in anna.last.plain
    assert await _partner(harness, 404) is None
    async with harness.services.db.read() as conn:
        for table in (faq_questions, lesson_progress):
            count = (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar()
            assert count == 0, table.name
        keys = [row.key for row in await conn.execute(sa.select(fsm_states))]
        assert not [key for key in keys if ":404:" in key]
    boris_row = await _partner(harness, 405)
    assert boris_row is not None
    assert boris_row.referrer_id is None
