"""A new partner's first minutes: /start, onboarding, referrals, /stop and /start again."""

from __future__ import annotations

import sqlalchemy as sa

from bot.db.tables import partners
from tests.harness import Harness, announce_demo_contest


async def _partner_rows(harness: Harness) -> list[sa.Row[tuple[object, ...]]]:
    async with harness.services.db.read() as conn:
        return list(await conn.execute(sa.select(partners)))


async def test_start_onboards_a_new_partner(harness: Harness) -> None:
    await announce_demo_contest(harness)
    anna = harness.user(101, "Анна")
    replies = await anna.send("/start")
    assert len(replies) == 1  # the greeting and the question in one message: one request
    assert "Здравствуйте, Анна" in replies[0].plain
    assert "Кто вы?" in replies[-1].plain
    assert replies[-1].button_labels == [
        "Вебмастер (сайт, SEO, контекст)",
        "Блогер (соцсети, YouTube, Telegram)",
        "Дизайнер интерьеров",
    ]

    replies = await anna.press("Блогер (соцсети, YouTube, Telegram)")
    assert "Вопрос 1 из 3: Откуда у вас трафик?" in replies[-1].plain
    assert "Сегмент: Блогер" in anna.messages[-2].plain  # the segment question, edited

    await anna.press("Соцсети")
    replies = await anna.press("Только начинаю")
    assert "Вопрос 3 из 3" in replies[-1].plain
    assert "Напишите ответ" in replies[-1].plain

    replies = await anna.send("Мамы в декрете, обустройство детской")
    assert "Присылать вам новости" in replies[-1].plain
    replies = await anna.press("✅ Да, присылайте")
    assert "Меню" in replies[-1].plain
    assert "❓ Вопросы" in replies[-1].button_labels
    done = next(m for m in anna.messages if m.plain.startswith("Готово! Вы подписаны."))
    # the demo contest was announced before she came: she hears of it here
    assert "🏆 Конкурс «Зимний марафон диванов» (с 14.12) — правила и призы: /contests" in (
        done.plain
    )

    (row,) = await _partner_rows(harness)
    assert row.segment == "blogger"
    assert row.answers == {
        "traffic": "Соцсети",
        "experience": "Только начинаю",
        "audience": "Мамы в декрете, обустройство детской",
    }
    assert row.onboarded
    assert row.consent is True
    assert row.platform == "tg"
    assert row.user_id == 101


async def test_repeated_start_never_duplicates_the_partner(harness: Harness) -> None:
    anna = harness.user(102)
    await anna.onboard()
    replies = await anna.send("/start")
    assert "С возвращением" in replies[0].plain
    assert len(await _partner_rows(harness)) == 1


async def test_typed_text_on_a_question_with_options_asks_again(harness: Harness) -> None:
    anna = harness.user(103)
    await anna.send("/start")
    await anna.press("Вебмастер (сайт, SEO, контекст)")
    replies = await anna.send("у меня сайт про ремонт")
    assert "Откуда у вас трафик?" in replies[-1].plain
    assert "Сайт" in replies[-1].button_labels


async def test_declining_newsletters_keeps_the_partner_quiet(harness: Harness) -> None:
    anna = harness.user(104)
    await anna.send("/start")
    await anna.press("Вебмастер (сайт, SEO, контекст)")
    await anna.press("Сайт")
    await anna.press("До года")
    await anna.send("студенты")
    replies = await anna.press("Нет, только ответы на мои вопросы")
    assert "Рассылок не будет" in anna.messages[-2].plain
    assert "Меню" in replies[-1].plain
    (row,) = await _partner_rows(harness)
    assert row.consent is False


async def test_referral_deep_link_records_the_referrer(harness: Harness) -> None:
    anna = harness.user(105, "Анна")
    await anna.onboard()
    (row,) = await _partner_rows(harness)
    code = row.partner_code

    boris = harness.user(106, "Борис")
    await boris.send(f"/start ref_{code}")
    rows = {r.user_id: r for r in await _partner_rows(harness)}
    assert rows[106].referrer_id == rows[105].id

    replies = await anna.send("/me")
    assert "Приглашено: 1 партнёр" in replies[-1].plain
    assert f"start=ref_{code}" in replies[-1].plain


async def test_own_or_unknown_referral_code_is_ignored(harness: Harness) -> None:
    anna = harness.user(107)
    await anna.send("/start")
    (row,) = await _partner_rows(harness)
    await anna.send(f"/start ref_{row.partner_code}")
    await anna.send("/start ref_NOSUCH")
    await anna.send("/start something-else")
    (row,) = await _partner_rows(harness)
    assert row.referrer_id is None


async def test_stop_then_start_subscribes_again(harness: Harness) -> None:
    anna = harness.user(108)
    await anna.onboard()
    replies = await anna.send("/stop")
    assert "отписаны от всех рассылок" in replies[-1].plain
    (row,) = await _partner_rows(harness)
    assert row.stopped

    replies = await anna.send("/start")
    assert replies[0].plain.startswith("С возвращением")
    assert "\n\nРассылки снова включены: Новости, Конкурсы" in replies[0].plain
    (row,) = await _partner_rows(harness)
    assert not row.stopped


async def test_an_old_onboarding_button_is_no_longer_available(harness: Harness) -> None:
    anna = harness.user(109)
    await anna.send("/start")
    segment_message = anna.last
    await anna.onboard()
    await anna.press("Дизайнер интерьеров", segment_message)
    assert anna.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
