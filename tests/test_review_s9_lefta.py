"""Session 9, loose ends (task lefta): what «всё равно объявить» leaves out by the weekly
cap, the winners of a file contest that ended before it was ever announced, a sale notice
waiting out the quiet hours for a sale reversed meanwhile, and the weekly FAQ gaps sent
where the contest winners go (`manager_targets`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.harness import Harness
from tests.test_journey_vk_max import MAX_CHAT, Side

FRIDAY_DIGEST = datetime(2026, 11, 6, 9, 5, tzinfo=UTC)  # 12:05 in Moscow: the digest


async def _to(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


# --- 4. the weekly FAQ gaps go where the contest winners go ---


async def test_the_weekly_faq_gaps_reach_the_max_managers_chat_once(tmp_path: Path) -> None:
    """Only MAX has a managers' chat: the gaps go there (they went nowhere: Telegram and VK
    only), and not also to each manager in private."""
    async with Side("max", "").running(tmp_path, managers_chat=True) as harness:
        manager = harness.manager()
        await manager.send("/start")
        for number in range(2):
            partner = harness.user(9460 + number)
            await partner.onboard()
            await partner.send("есть ли доставка в казахстан")
        await _to(harness, FRIDAY_DIGEST)
        mark = len(manager.messages)
        await harness.services.planner.tick()
        await harness.deliver()
        assert harness.max is not None
        posts = [m.plain for m in harness.max.chat_messages(MAX_CHAT)]
        (digest,) = [p for p in posts if p.startswith("Чего не хватает в FAQ")]
        assert "1. есть ли доставка в казахстан — 2 партнёра" in digest
        assert not any(m.plain.startswith("Чего не хватает") for m in manager.messages[mark:])
        await harness.services.planner.tick()  # once a week, never twice
        await harness.deliver()
        posts = [m.plain for m in harness.max.chat_messages(MAX_CHAT)]
        assert sum(p.startswith("Чего не хватает") for p in posts) == 1
