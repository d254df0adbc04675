"""Session 26, task fix26f: the weekly digest offered «🎓 Следующий урок…» to a partner who
had switched «Новые уроки» off in /settings (SPEC §5: subscriptions per topic), as the nudge
did before fix26c (tests/test_review_s26_fix26c.py); also when a digest held for the morning
is written again as it goes (`DigestNotices.refresh_digests`)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.harness import Client, Harness
from tests.test_journey_notices import linked
from tests.test_journey_schedule_held import at
from tests.test_review_s26_fix26c import _lessons_off

FRIDAY_DIGEST = datetime(2026, 12, 4, 9, 5, tzinfo=UTC)  # 12:05 in Moscow: the digest
LESSON = "🎓 Следующий урок"


def _digests(person: Client, mark: int = 0) -> list[str]:
    return [m.plain for m in person.messages[mark:] if m.plain.startswith("🗞 Ваша неделя")]


async def test_the_digest_offers_no_lesson_to_a_partner_who_turned_lessons_off(
    harness: Harness,
) -> None:
    """Анна and Борис have linked their ids and sold nothing this week; Борис switched the
    lessons off in /settings. Friday's digest tells both the same week, and only Анна the
    next lesson."""
    anna = await linked(harness, 2631, "Анна", "dl-1")
    boris = await linked(harness, 2632, "Борис", "dl-2")
    await _lessons_off(boris)
    at(harness, FRIDAY_DIGEST)
    assert await harness.services.planner.tick() >= 2
    await harness.deliver()
    (to_anna,) = _digests(anna)
    (to_boris,) = _digests(boris)
    assert f"{LESSON}: «С чего начать" in to_anna, to_anna
    assert "урок" not in to_boris.lower(), to_boris
    assert "/lessons" not in to_boris, to_boris
    # the rest as Анна's: the week, the next tier, the footer
    assert "За 7 дней: 0 подтверждённых продаж" in to_boris
    assert to_boris.endswith("отписаться: /settings")
    without = [line for line in to_anna.splitlines() if not line.startswith(LESSON)]
    assert to_boris.splitlines() == without


async def test_a_digest_held_for_the_morning_leaves_out_the_lesson_turned_off_meanwhile(
    harness: Harness,
) -> None:
    """The bot was down at Friday noon and comes back at 23:00: the digest is queued then,
    within its day, and waits for 09:00, when it is written again. Анна switches the
    lessons off at 08:00: her digest offers none; Борис's still does."""
    anna = harness.user(2641, "Анна")
    boris = harness.user(2642, "Борис")
    for partner in (anna, boris):
        await partner.onboard()
    at(harness, datetime(2026, 12, 4, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    assert await harness.services.planner.tick() >= 2
    await harness.deliver()
    assert _digests(anna) == _digests(boris) == []  # held for the morning
    at(harness, datetime(2026, 12, 5, 5, 0, tzinfo=UTC))  # 08:00
    await _lessons_off(anna)
    at(harness, datetime(2026, 12, 5, 6, 0, tzinfo=UTC))  # 09:00
    await harness.deliver()
    (to_anna,) = _digests(anna)
    (to_boris,) = _digests(boris)
    assert LESSON in to_boris, to_boris
    assert "урок" not in to_anna.lower(), to_anna
    assert "/link ВАШ_ID" in to_anna  # the rest as it was
    assert to_anna.endswith("отписаться: /settings")
