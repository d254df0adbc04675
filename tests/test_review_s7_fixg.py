"""Session 7 (task fixg): the ↪️ Move picker of /faq_learned offers only entries with
evidence, or says there are none, and «📋 Другая статья» browses any other entry by topic
(the gap picker's browse), never the entry the wording is on now."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bot.db.tables import faq_learned, partners
from handlers.callbacks import FaqGapCb, FaqLearnCb
from tests.harness import Client, Harness, SentMessage, running_bot
from tests.test_faq_learning import _content_with, reviewed
from tests.test_review_s7_fixf import _current, _gap_picker, newest, vk_browse_to_hold_period

__all__ = ["reviewed"]  # the fixture: two partners confirm a wording, so it waits for review

WEBINARS = "будут ли вебинары для новичков"


async def _pending(harness: Harness, phrasing: str, entry_id: str = "payout-dates") -> int:
    partner = harness.user(9801)
    await partner.onboard()
    async with harness.services.db.read() as conn:
        partner_id = await conn.scalar(
            sa.select(partners.c.id).where(partners.c.user_id == partner.user_id)
        )
    proposed = await harness.services.faq.learning.propose(entry_id, phrasing, partner_id)
    assert proposed.learned is not None
    assert proposed.learned.status == "pending"
    return proposed.learned.id


async def _where(harness: Harness, learned_id: int) -> tuple[str, str]:
    async with harness.services.db.read() as conn:
        row = (
            await conn.execute(sa.select(faq_learned).where(faq_learned.c.id == learned_id))
        ).one_or_none()
    if row is None:  # moved: the wording is a new row under the chosen entry
        async with harness.services.db.read() as conn:
            row = (
                await conn.execute(sa.select(faq_learned).order_by(faq_learned.c.id.desc()))
            ).first()
    assert row is not None
    return row.entry_id, row.status


async def _move_picker(harness: Harness) -> tuple[Client, SentMessage]:
    manager = harness.manager()
    await manager.send("/start")
    review = (await manager.send("/faq_learned"))[-1]
    await manager.press("↪️ К другому", review)
    return manager, _current(manager, review)


def _entries(message: SentMessage) -> list[str]:
    return [label.split(":")[0] for label in message.button_labels if ":" in label]


async def test_a_wording_with_no_close_entry_says_so_and_any_other_entry_can_be_picked(
    reviewed: Harness,
) -> None:
    learned_id = await _pending(reviewed, WEBINARS)
    manager, picker = await _move_picker(reviewed)
    assert "Близких статей нет" in picker.plain
    # not payout-minimum, -methods, -delay (the first entries of faq.yaml)
    assert picker.button_labels == ["📋 Другая статья", "← Назад"]
    await manager.press("📋 Другая статья", picker)
    topics = _current(manager, picker)
    assert topics.button_labels[0] == "Выплаты"  # the gap picker's browse, all seven topics
    assert topics.button_labels[-2:] == ["Дальше →", "⬅️ Ближайшие"]
    await manager.press("Выплаты", topics)
    page = _current(manager, topics)
    # payout-dates, where the wording is now, is not offered: five entries, two pages
    assert _entries(page) == [
        "payout-minimum",
        "payout-methods",
        "payout-delay",
        "commission-rate",
    ]
    assert "(1 из 2)" in page.plain
    for data in (button["callback_data"] for row in page.buttons for button in row):
        assert len(data.encode()) <= 64
    await manager.press("Дальше →", page)
    page = _current(manager, page)
    assert _entries(page) == ["hold-period"]
    await manager.press("⬅️ Темы", page)
    await manager.press("⬅️ Ближайшие", page)
    assert _current(manager, page).button_labels == ["📋 Другая статья", "← Назад"]
    await manager.press("📋 Другая статья", page)
    await manager.press("Промо-материалы", page)
    label = next(b for b in _current(manager, page).button_labels if b.startswith("top-products:"))
    await manager.press(label, page)
    assert manager.callback_answers()[-1]["text"].startswith("Перенесено к top-products")
    assert await _where(reviewed, learned_id) == ("top-products", "approved")


async def test_the_move_picker_offers_only_entries_sharing_words(reviewed: Harness) -> None:
    await _pending(reviewed, "хочу рекламу на заборе", "brand-bidding")
    _manager, picker = await _move_picker(reviewed)
    entries = _entries(picker)
    assert entries  # top-products, social-ads: they share «реклама»
    assert "brand-bidding" not in entries
    assert not any(entry.startswith("payout-") for entry in entries)
    assert "Близких статей нет" not in picker.plain
    assert picker.button_labels[-2:] == ["📋 Другая статья", "← Назад"]


async def test_forged_topic_and_page_numbers_show_a_page_that_exists(reviewed: Harness) -> None:
    learned_id = await _pending(reviewed, WEBINARS)
    manager, picker = await _move_picker(reviewed)
    for action, value in (
        ("te", "0.99"),  # past the last page: the last one
        ("te", "99.0"),  # no such topic: the topics
        ("te", "x.-1"),
        ("tl", "99999999"),
        ("tl", "-1"),
        ("te", "١.٢"),  # digits of another script
        ("te", "²"),  # a digit to str.isdigit, none to int()
        ("tl", "³"),
    ):
        data = FaqLearnCb(action=action, item=learned_id, entry=value).pack()
        await manager.press_data(picker, data)
        shown = _current(manager, picker)
        assert shown.button_labels, (action, value)
        assert "payout-dates" not in _entries(shown), (action, value)
        closest = FaqLearnCb(action="mv", item=learned_id).pack()
        await manager.press_data(picker, closest)  # another screen: each press edits
    for entry in ("payout-dates", "no-such-entry"):  # the entry it is on: no move
        await manager.press_data(
            picker, FaqLearnCb(action="to", item=learned_id, entry=entry).pack()
        )
        assert "больше недоступен" in manager.callback_answers()[-1]["text"], entry
    assert await _where(reviewed, learned_id) == ("payout-dates", "pending")
    last = _current(manager, picker)
    await manager.press_data(picker, FaqLearnCb(action="te", item=learned_id, entry="0.99").pack())
    assert _entries(_current(manager, last)) == ["hold-period"]


async def test_the_move_pickers_other_entry_works_in_vk_too(tmp_path: Path) -> None:
    """The same handlers on VK: the pages fit VK's inline keyboard (6 rows, 10 buttons)."""
    content = _content_with(tmp_path, 2)
    async with running_bot(tmp_path, vk=True, content_dir=content) as harness:
        learned_id = await _pending(harness, WEBINARS)
        manager = harness.vk_manager()
        await manager.send("/faq_learned")

        await manager.press("↪️ К другому", newest(manager, "↪️ К другому"))
        picker = newest(manager, "📋 Другая статья")
        assert "Близких статей нет" in picker.text
        assert picker.button_labels == ["📋 Другая статья", "← Назад"]
        await vk_browse_to_hold_period(manager)
        assert await _where(harness, learned_id) == ("hold-period", "approved")


async def test_a_forged_page_of_the_gap_pickers_browse_never_crashes(harness: Harness) -> None:
    """The browse is the gap picker's too: a superscript digit is no page number there."""
    manager, picker = await _gap_picker(harness, WEBINARS)
    question = FaqGapCb.unpack(picker.buttons[-1][0]["callback_data"]).question
    for action, value in (("te", "²"), ("tl", "³"), ("te", "0.²")):
        data = FaqGapCb(action=action, question=question, entry=value).pack()
        await manager.press_data(picker, data)
        assert "Выплаты" in _current(manager, picker).plain + " ".join(
            _current(manager, picker).button_labels
        ), (action, value)
