"""Session 7, second independent review of the FAQ (task fixf): questions asking where to
see one's statistics are the bot's own (/me), a real word is no typo of an intent's word,
and the 🔗 pickers offer only entries with evidence (or say there are none)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.content.loader import load_content
from bot.services import own_intents, small_talk
from bot.vk.emulator_model import VkMessage
from tests.harness import DEMO_CONTENT, Client, Harness, SentMessage, VkClient, running_bot
from tests.test_faq_learning import _ticket, group
from tests.test_journey_support import GROUP, in_chat
from tests.test_review_s7_fixb import _partner_and_manager

__all__ = ["group"]  # the fixture

# --- 1. «где посмотреть статистику продаж» is /me, not «Почему не засчиталась продажа?» ---

WHERE_TO_SEE = (
    "где посмотреть статистику продаж",
    "где статистика по продажам",
    "где моя статистика в личном кабинете",
    "Где посмотреть статистику?",
    "как посмотреть свои продажи",
    "где смотреть заработок",
    "where can I see the stats",
)


def test_where_to_see_statistics_reads_as_the_bots_own_question() -> None:
    content = load_content(DEMO_CONTENT)
    for text in WHERE_TO_SEE:
        assert small_talk.read(text, content) == small_talk.Reading("menu", "me"), text


def test_without_a_cue_or_with_another_word_it_stays_a_question_for_the_faq() -> None:
    content = load_content(DEMO_CONTENT)
    for text in (
        "почему продажа не отобразилась в статистике",
        "статистика продаж за год",
        "где посмотреть статистику по sub1",
        "где посмотреть рейтинг товаров",
        "где личный кабинет",
    ):
        assert small_talk.read(text, content) is None, text


async def test_where_to_see_gets_me_and_a_missing_sale_still_gets_its_entry(
    harness: Harness,
) -> None:
    anna, _manager = await _partner_and_manager(harness)
    me = [m.plain for m in await anna.send("/me")]
    for text in WHERE_TO_SEE[:3]:
        assert [m.plain for m in await anna.send(text)] == me, text
    said = (await anna.send("почему продажа не отобразилась в статистике"))[-1]
    assert said.plain.startswith("Почему не засчиталась продажа?"), said.plain[:80]


def test_a_program_asking_where_its_statistics_are_answers_it_from_its_faq(
    tmp_path: Path,
) -> None:
    """The second rule stays: «Где смотреть статистику?» in a program's FAQ (its cabinet)
    claims the /me questions for that FAQ."""
    folder = tmp_path / "content"
    folder.mkdir()
    for name in ("program.yaml", "faq.yaml"):
        (folder / name).write_text((DEMO_CONTENT / name).read_text(encoding="utf-8"))
    faq = yaml.safe_load((folder / "faq.yaml").read_text(encoding="utf-8"))
    faq[0]["alt"].append("Где смотреть статистику?")
    (folder / "faq.yaml").write_text(yaml.safe_dump(faq, allow_unicode=True), encoding="utf-8")
    content = load_content(folder)
    for text in WHERE_TO_SEE:
        assert small_talk.read(text, content) is None, text


# --- 2. a real word is not a typo of an intent's word ---


def test_a_real_word_is_no_typo_of_an_intents_word() -> None:
    for text in (
        "отписаться от рассылки конкурентов можно",
        "как отписаться от рассылки конкурента",
        "моя мечта",  # «мечта» is no typo of «места»
        "мои конкуренты",
    ):
        assert own_intents.read(text.split()) is None, text
    # misspellings still count
    assert own_intents.read(["отписатся", "от", "расылки"]) == own_intents.Intent("unsubscribe")
    assert own_intents.read(["где", "моя", "статистка"]) == own_intents.Intent("menu", "me")
    assert own_intents.read(["моя", "позицыя"]) == own_intents.Intent("menu", "top")
    assert own_intents.read("моё место в конкурсе".replace("ё", "е").split()) == (
        own_intents.Intent("menu", "contests")
    )


async def test_unsubscribing_from_competitors_mailings_is_left_to_the_faq(
    harness: Harness,
) -> None:
    anna, _manager = await _partner_and_manager(harness)
    said = (await anna.send("отписаться от рассылки конкурентов можно?"))[-1]
    assert "/stop" not in said.plain, said.plain
    said = (await anna.send("как отписаться от рассылки?"))[-1]
    assert "/stop" in said.plain


# --- 3. the 🔗 pickers offer entries with evidence, or say there are none ---

WEBINARS = "будут ли вебинары для новичков"


async def _gap_picker(harness: Harness, question: str) -> tuple[Client, SentMessage]:
    manager = harness.manager()
    await manager.send("/start")
    partner = harness.user(9750)
    await partner.onboard()
    await partner.send(question)
    await manager.send("/stats")
    stats = next(m for m in reversed(manager.messages) if m.button_labels)
    label = next(b for b in stats.button_labels if question[:20] in b)
    await manager.press(label, stats)
    return manager, manager.messages[-1]  # the picker: a message of its own (session 17)


def _current(manager: Client, shown: SentMessage) -> SentMessage:
    return next(m for m in manager.messages if m.message_id == shown.message_id)


async def test_a_gap_with_no_close_entry_says_so_and_any_entry_can_be_picked(
    harness: Harness,
) -> None:
    manager, picker = await _gap_picker(harness, WEBINARS)
    assert "Близких статей нет" in picker.plain
    assert picker.button_labels == ["📋 Другая статья"]  # not payout-dates, -minimum, -methods
    await manager.press("📋 Другая статья", picker)
    topics = _current(manager, picker)
    # seven topics, four a page (within VK's inline keyboard: 6 rows, 10 buttons)
    assert topics.button_labels[:4] == [
        "Выплаты", "Ссылки и трекинг", "Разрешённый трафик", "Промо-материалы",
    ]  # fmt: skip
    assert "Дальше →" in topics.button_labels
    await manager.press("Выплаты", topics)  # six entries: two pages
    page = _current(manager, topics)
    assert page.button_labels[0].startswith("payout-dates:")
    assert "Дальше →" in page.button_labels
    await manager.press("Дальше →", page)
    page = _current(manager, page)
    assert "(2 из 2)" in page.plain
    entries = [b.split(":")[0] for b in page.button_labels if ":" in b]
    assert entries == ["commission-rate", "hold-period"]
    await manager.press("← Назад", page)
    page = _current(manager, page)
    await manager.press("⬅️ Темы", page)
    topics = _current(manager, page)
    await manager.press("Дальше →", topics)
    assert "Аккаунт и документы" in _current(manager, topics).button_labels
    await manager.press("← Назад", topics)
    await manager.press("Промо-материалы", topics)
    entries = _current(manager, topics)
    label = next(b for b in entries.button_labels if b.startswith("creatives-where:"))
    for data in (button["callback_data"] for row in entries.buttons for button in row):
        assert len(data.encode()) <= 64
    await manager.press(label, entries)
    done = _current(manager, entries)
    assert done.plain.startswith(f"Формулировки «{WEBINARS}» (1) теперь ведут к creatives-where")


async def test_a_gap_picker_offers_only_entries_sharing_words(harness: Harness) -> None:
    _manager, picker = await _gap_picker(harness, "хочу рекламу в лифте")
    entries = [b.split(":")[0] for b in picker.button_labels if ":" in b]
    assert entries  # brand-bidding, top-products, social-ads: they share «реклама»
    assert not any(entry.startswith("payout-") for entry in entries)
    assert "Близких статей нет" not in picker.plain
    assert picker.button_labels[-1] == "📋 Другая статья"


async def test_faq_link_on_a_ticket_with_no_close_entry_says_how_to_pick_one(
    group: Harness,
) -> None:
    anna, card = await _ticket(group, "Help <i>me</i> & my cat")
    await in_chat(group, GROUP, "/faq_link", reply_to=card)
    offer = group.emulator.chat_messages(GROUP)[-1]
    assert "Близких статей нет" in offer.plain
    assert "/faq_link ID" in offer.plain
    assert offer.button_labels == ["📋 Другая статья"]  # any entry, by topic (s8 fixc)
    await in_chat(group, GROUP, "/faq_link account-login", reply_to=card)
    assert "пароль" in anna.last.plain.lower()


async def test_the_gap_pickers_other_entry_works_in_vk_too(tmp_path: Path) -> None:
    """The same handlers on VK: the pages fit VK's inline keyboard (6 rows, 10 buttons)."""
    async with running_bot(tmp_path, vk=True) as harness:
        manager = harness.vk_manager()
        partner = harness.user(9760)
        await partner.onboard()
        await partner.send(WEBINARS)
        await manager.send("/stats")

        gap = next(b for m in manager.messages for b in m.button_labels if WEBINARS[:20] in b)
        await manager.press(gap, newest(manager, gap))
        await vk_browse_to_hold_period(manager)
        assert any(
            f"«{WEBINARS}» (1) теперь ведут к hold-period" in m.text for m in manager.messages
        )


def newest(manager: VkClient, label: str) -> VkMessage:
    return next(m for m in reversed(manager.messages) if label in m.button_labels)


async def vk_browse_to_hold_period(manager: VkClient) -> None:
    """On VK, from a picker's «📋 Другая статья»: Выплаты, the next page, hold-period; each
    page an inline keyboard (within 6 rows, 10 buttons)."""
    await manager.press("📋 Другая статья", newest(manager, "📋 Другая статья"))
    topics = newest(manager, "Выплаты")
    assert topics.keyboard is not None
    assert topics.keyboard.get("inline") is True
    await manager.press("Выплаты", topics)
    await manager.press("Дальше →", newest(manager, "Дальше →"))
    label = next(
        b for m in reversed(manager.messages) for b in m.button_labels if "hold-period" in b
    )
    await manager.press(label, newest(manager, label))
