"""FAQ review fixes, part 2: hostile ids in buttons, case-insensitive id hints, wordings that
can never match, lexicon phrases, bidi controls shown to managers, CLI edges."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db.tables import audit_log, faq_learned, faq_learned_votes
from tests.harness import Harness

# every prefix whose data carries a row id, with the rest of its fields (ID: the id)
MANAGER_DATA = [
    "fl:ok:ID:", "fl:no:ID:", "fl:show:ID:", "fl:mv:ID:", "fl:to:ID:hold-period",
    "fk:ID:subid", "fp:pick:ID:", "fp:to:ID:payout-dates", "lk:approve:ID", "lk:decline:ID",
    "tq:ID", "t:close:ID:",
]  # fmt: skip
PARTNER_DATA = [
    "a:pick:ID:payout-dates", "a:none:ID:", "a:helped:ID:payout-dates", "a:manager:ID:",
    "t:close:ID:", "t:rate:ID:up", "rx:ID:up",
]  # fmt: skip
ids = st.one_of(
    st.integers(min_value=2**31, max_value=10**40).map(str),  # past the row ids, past 64 bits
    st.integers(min_value=-(10**40), max_value=0).map(str),
    st.sampled_from(["", "1e3", "²", "٣", "0x10", "+5", " 5", "1.0", str(2**63), str(-(2**63))]),
    st.text(alphabet="0123456789-+eé ²", min_size=1, max_size=30),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(number=ids, data=st.lists(st.sampled_from(MANAGER_DATA + PARTNER_DATA), min_size=3))
async def test_hostile_ids_in_manager_and_partner_buttons_are_no_longer_available(
    harness: Harness, caplog: pytest.LogCaptureFixture, number: str, data: list[str]
) -> None:
    manager = harness.manager()
    if not manager.messages:
        await manager.send("/start")
    anna = harness.user(4601)
    if not anna.messages:
        await anna.onboard()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for template in data:
            who = manager if template in MANAGER_DATA else anna
            await who.press_data(who.last, template.replace("ID", number))
            answer = who.callback_answers()[-1].get("text", "")
            assert "больше" in answer or "нет" in answer.lower(), (template, number, answer)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not any("Что-то пошло не так" in m.plain for m in manager.messages + anna.messages)
    async with harness.services.db.read() as conn:
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(faq_learned))
        ).scalar() == 0
        votes = sa.select(sa.func.count()).select_from(faq_learned_votes)
        assert (await conn.execute(votes)).scalar() == 0
        allowed = sa.select(audit_log.c.action).where(audit_log.c.allowed.is_(True))
        assert [a for a in (await conn.execute(allowed)).scalars() if a.startswith("faq")] == []
