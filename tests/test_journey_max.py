"""Journeys on MAX: the same handlers through the MAX emulator (long polling with marker,
bot_started deep links, callback buttons, uploads that are not ready at once), across
platforms, and MAX's faults. Every request is checked against MAX's OpenAPI schema by
the harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness, running_bot


@pytest.fixture
async def max_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, maxbot=True) as running:
        yield running


async def test_onboarding_on_max_by_deep_link(max_harness: Harness) -> None:
    referrer = max_harness.max_user(301, "Ольга")
    await referrer.onboard()
    partner = await max_harness.services.partners.by_user("max", 301)
    assert partner is not None
    assert partner.onboarded
    assert partner.chat_id == referrer.dialog  # the dialog's chat id, not the user id

    maria = max_harness.max_user(302)
    replies = await maria.open(f"ref_{partner.partner_code}")
    assert "Мария" in replies[0].plain
    assert replies[-1].keyboard is not None
    await maria.press(next(b for b in maria.last.button_labels if b.startswith("Вебмастер")))
    newcomer = await max_harness.services.partners.by_user("max", 302)
    assert newcomer is not None
    assert newcomer.referrer_id == partner.id
