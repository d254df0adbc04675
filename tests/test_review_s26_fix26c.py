"""Session 26, task fix26c: the inactivity nudge offered «🎓 Урок, с которого стоит начать»
to a partner who had switched «Новые уроки» off in /settings (SPEC §5: subscriptions per
topic); and the one rule of who a private message reaches, shared by delivery
(`bot.delivery.not_for`) and /schedule's count of a contest's winners (scheduler/ahead.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.delivery import not_for
from bot.services.outbox import Outcome, Queued
from bot.services.partner import Partner, why_not_reached
from tests.harness import Client, Harness
from tests.test_journey_schedule_held import at, schedule

DAY = 24 * 3600
NUDGE = "давно не было продаж"
LESSON = "🎓 Урок, с которого стоит начать"


async def _lessons_off(partner: Client) -> None:
    await partner.send("/settings")
    await partner.press("✅ Новые уроки")
    assert "❌ Новые уроки" in partner.last.button_labels


def _nudges(partner: Client, mark: int) -> list[str]:
    return [m.plain for m in partner.messages[mark:] if NUDGE in m.plain]


async def test_the_nudge_offers_no_lesson_to_a_partner_who_turned_lessons_off(
    harness: Harness,
) -> None:
    """Анна and Борис joined a month ago and sold nothing; Борис switched the lessons off
    in /settings. At 11:00 both are nudged: Анна with the first lesson, Борис without a
    lesson — the creative and the manager are still offered."""
    anna, boris = harness.user(2601, "Анна"), harness.user(2602, "Борис")
    for partner in (anna, boris):
        await partner.onboard()
    await _lessons_off(boris)
    manager = harness.manager()
    await manager.send("/start")
    days = harness.services.content_store.content.program.schedule.inactive_after_days
    harness.clock.advance((days + 1) * DAY)
    at(harness, datetime(2026, 12, 3, 6, 0, tzinfo=UTC))  # 09:00 in Moscow
    lines = await schedule(manager)  # the lessons topic off does not stop the nudge
    assert "03.12 11:00 — напоминание неактивным партнёрам — 2 получателя" in lines, lines
    marks = len(anna.messages), len(boris.messages)
    at(harness, datetime(2026, 12, 3, 8, 1, tzinfo=UTC))  # 11:01: the daily look
    await harness.services.planner.tick()
    await harness.deliver()
    (to_anna,) = _nudges(anna, marks[0])
    (to_boris,) = _nudges(boris, marks[1])
    assert LESSON in to_anna
    assert "/lessons" not in to_boris, to_boris
    assert "урок" not in to_boris.lower(), to_boris
    assert "🎨 Готовый материал" in to_boris
    assert to_boris.endswith("🙋 Разберём вашу ситуацию с менеджером: /support")


async def test_a_nudge_held_for_the_morning_leaves_out_the_lesson_turned_off_meanwhile(
    harness: Harness,
) -> None:
    """Nudges decided at 23:00 wait for 09:00 and are written again then; Анна switches the
    lessons off at 08:00: her morning nudge offers none."""
    anna = harness.user(2611, "Анна")
    await anna.onboard()
    days = harness.services.content_store.content.program.schedule.inactive_after_days
    harness.clock.advance((days + 1) * DAY)
    at(harness, datetime(2026, 12, 3, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    assert (await harness.services.notices.nudges(days, 3)).queued == 1
    mark = len(anna.messages)
    await harness.deliver()
    assert not _nudges(anna, mark)  # held for the morning
    at(harness, datetime(2026, 12, 4, 5, 0, tzinfo=UTC))  # 08:00
    await _lessons_off(anna)
    mark = len(anna.messages)
    at(harness, datetime(2026, 12, 4, 6, 0, tzinfo=UTC))  # 09:00
    await harness.deliver()
    (nudge,) = _nudges(anna, mark)
    assert "/lessons" not in nudge, nudge
    assert "🎨 Готовый материал" in nudge


# --- the one rule of who a private message reaches ---

SOMEONE = Partner(
    id=7, platform="tg", user_id=2621, chat_id=2621, first_name="Анна", username=None,
    language="ru", segment="webmaster", answers={}, onboarded=True, consent=True,
    subscriptions={}, stopped=False, referrer_id=None, partner_code="P7",
    affiliate_id=None, affiliate_status="none", public_name="name", unreachable=False,
    created_at=datetime(2026, 11, 2, tzinfo=UTC), last_seen_at=datetime(2026, 11, 2, tzinfo=UTC),
)  # fmt: skip


def _row(partner_id: int | None, kind: str) -> Queued:
    return Queued(1, "k", kind, None, "tg", 2621, partner_id, "", None, None, None, None, 0,
                  False)  # fmt: skip


def test_why_not_reached_is_the_rule_of_delivery_and_of_the_schedule() -> None:
    """`why_not_reached`: gone or blocked, else /stop, no consent, the topic off or another
    platform chosen, else None (it goes) — what delivery skips a row for
    (`bot.delivery.not_for`) and what /schedule leaves out of a contest's winners."""
    assert why_not_reached(SOMEONE, "contests") is None
    gone = "unreachable or forgotten"
    assert why_not_reached(None, "contests") == gone
    assert why_not_reached(replace(SOMEONE, unreachable=True), "contests") == gone
    assert why_not_reached(replace(SOMEONE, unreachable=True, stopped=True), "news") == gone
    off = replace(SOMEONE, subscriptions={"contests": False})
    unsubscribed = "stopped or unsubscribed"
    assert why_not_reached(off, "contests") == unsubscribed
    assert why_not_reached(off, "news") is None
    assert why_not_reached(replace(SOMEONE, stopped=True), "news") == unsubscribed
    assert why_not_reached(replace(SOMEONE, consent=False), "news") == unsubscribed
    assert why_not_reached(replace(SOMEONE, preferred_platform="vk"), "news") == unsubscribed
    assert why_not_reached(replace(SOMEONE, preferred_platform="tg"), "news") is None
    # delivery skips a row by it, with its reason; a post to a chat is nobody's
    assert not_for(_row(SOMEONE.id, "contests"), SOMEONE) is None
    assert not_for(_row(SOMEONE.id, "contests"), off) == Outcome(1, "skipped", unsubscribed)
    assert not_for(_row(SOMEONE.id, "news"), None) == Outcome(1, "skipped", gone)
    assert not_for(_row(None, "community"), None) is None
