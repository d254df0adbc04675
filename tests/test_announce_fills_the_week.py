"""Session 25 (fix25e): the announcement preview says when the announcement brings its
recipients to the weekly cap (max_automated_per_week) — counting what is already queued for
them, as the cap does. A tester sent five announcements in a row at night: each preview said
«2 получателя … в личку — только 09:00», none said that the fifth would use up the partners'
week, and that week's digest and a lesson reminder were then held back. Digests, nudges and
lesson reminders stop one message earlier (a slot is kept for contests and announcements), so
the fourth preview says so, the fifth that nothing automated follows."""

from __future__ import annotations

from bot.i18n import Translator
from tests.harness import Client, Harness

FILLS = (
    "У 2 получателей это будет 5-е автоматическое сообщение за 7 дней: до конца недели им"
    " больше ничего автоматического не придёт — ни дайджест, ни напоминания"
    " (max_automated_per_week)."
)

CROWDS = (
    "2 получателям после него до конца недели не придут ни дайджест, ни напоминания: остаётся"
    " место только для объявления или конкурса (max_automated_per_week: 5)."
)


async def _announce(manager: Client, text: str) -> str:
    """/announce → text → everyone → now: the preview's header."""
    await manager.send("/announce")
    audience = (await manager.send(text))[-1]
    await manager.press("👥 Всем партнёрам", audience)
    await manager.press("Сейчас", manager.last)
    return manager.messages[-2].plain


async def test_the_previews_of_the_fourth_and_fifth_announcements_in_a_week_warn(
    harness: Harness,
) -> None:
    anna, boris = harness.user(2501, "Анна"), harness.user(2502, "Борис")
    for partner in (anna, boris):
        await partner.onboard()
    manager = harness.manager()
    await manager.send("/start")
    harness.clock.advance(8 * 3600 + 30 * 60)  # 02.11.2026 23:30 in Moscow: quiet hours
    cap = harness.services.content_store.content.program.schedule.max_automated_per_week
    assert cap == 5
    for number in range(1, cap + 1):
        header = await _announce(manager, f"Новость №{number}")
        assert "— 2 получателя" in header, header
        assert "в личку — только 03.11.2026 09:00" in header, header
        if number < cap - 1:
            assert "автоматическое сообщение за 7 дней" not in header, (number, header)
            assert "не придут ни дайджест" not in header, (number, header)
        elif number == cap - 1:  # digests, nudges and reminders stop at cap − 1
            assert header.endswith(CROWDS), header
        else:
            assert header.endswith(FILLS), header
            assert CROWDS not in header
        await manager.press("✅ Отправить", manager.last)
    # the sixth reaches nobody: the cap, as before
    header = await _announce(manager, "Новость №6")
    assert "— 0 получателей" in header, header
    assert "у них уже 5 автоматических сообщений за 7 дней" in header, header
    assert "это будет" not in header


def test_the_warning_in_both_languages() -> None:
    translator = Translator()
    ru, en = translator.get("ru"), translator.get("en")
    assert ru("announce-preview-fills", count=1, cap=5).startswith(
        "У 1 получателя это будет 5-е автоматическое сообщение за 7 дней: до конца недели ему"
    )
    assert ru("announce-preview-fills", count=21, cap=3).startswith(
        "У 21 получателя это будет 3-е автоматическое сообщение за 7 дней: до конца недели им"
    )
    assert ru("announce-preview-fills", count=2, cap=5) == FILLS
    assert ru("announce-preview-crowds", count=2, cap=5) == CROWDS
    assert ru("announce-preview-crowds", count=1, cap=5).startswith("Одному получателю после")
    assert ru("announce-preview-crowds", count=21, cap=5).startswith("21 получателю после")
    assert en("announce-preview-crowds", count=1, cap=5).startswith("One recipient will get")
    assert en("announce-preview-fills", count=1, cap=5).startswith(
        "For 1 recipient this will be automated message 5 of 5 in 7 days:"
    )
    assert en("announce-preview-fills", count=2, cap=5).startswith(
        "For 2 recipients this will be automated message 5 of 5 in 7 days:"
    )
