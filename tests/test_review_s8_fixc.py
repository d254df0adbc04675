"""Session 8, independent review (task fixc): the bot's own button labels typed as text,
what learning generalises, and /faq_link's browse when no entry is close."""

from __future__ import annotations

from tests.harness import MANAGER_ID, Harness
from tests.test_faq_learning import _learned, _ticket, group
from tests.test_journey_support import GROUP, in_chat

__all__ = ["group"]  # the fixture


# --- 3. /faq_link with no close entry: «📋 Другая статья», as under a gap ---


async def test_faq_link_with_no_close_entry_browses_any_entry(group: Harness) -> None:
    anna, card = await _ticket(group, "будут ли вебинары для новичков")
    await in_chat(group, GROUP, "/faq_link", reply_to=card)
    offer = group.emulator.chat_messages(GROUP)[-1]
    assert "Близких статей нет" in offer.plain
    assert offer.button_labels == ["📋 Другая статья"]

    async def press(label: str) -> None:
        shown = next(
            m for m in group.emulator.chat_messages(GROUP) if m.message_id == offer.message_id
        )
        group.clock.advance(1)
        await group.emulator.wait_processed(group.emulator.press(MANAGER_ID, shown, label))

    def current() -> list[str]:
        shown = next(
            m for m in group.emulator.chat_messages(GROUP) if m.message_id == offer.message_id
        )
        return shown.button_labels

    await press("📋 Другая статья")
    assert current()[:2] == ["Выплаты", "Ссылки и трекинг"]
    assert "⬅️ Ближайшие" in current()
    await press("⬅️ Ближайшие")
    assert current() == ["📋 Другая статья"]
    await press("📋 Другая статья")
    await press("Промо-материалы")
    label = next(b for b in current() if b.startswith("creatives-where:"))
    await press(label)
    assert "/creatives" in anna.last.plain
    (row,) = await _learned(group)
    assert (row.entry_id, row.source, row.phrasing) == (
        "creatives-where", "link", "будут ли вебинары для новичков",
    )  # fmt: skip
