"""Session 9 (task fixb9): a learned wording asked again with the same meaningful words in
another order is answered at once (item 2); /faq_link's picker and /faq_learned's ↪️ offer
what the bot itself offered for the question, for the partner's segment (item 5)."""

from __future__ import annotations

from pathlib import Path

from bot.content.loader import load_content
from bot.services.faq_learned_index import LearnedIndex
from bot.services.faq_matching import FaqMatcher, lexicon
from tests.harness import Harness, SentMessage
from tests.test_faq_learning import _ticket, group, reviewed
from tests.test_journey_support import GROUP, in_chat
from tests.test_review_s7_fixg import _entries, _move_picker, _pending

__all__ = ["group", "reviewed"]  # the fixtures

DEMO = Path(__file__).resolve().parents[1] / "content"
CONTESTS = "Конкурсы объявляем минимум за неделю"  # contests-how's answer

# --- 2. the same meaningful words in another order ---


async def _linked(group: Harness, wording: str, entry: str) -> None:
    """A partner's ticket with `wording`, linked by a manager with /faq_link ENTRY."""
    _partner, card = await _ticket(group, wording)
    await in_chat(group, GROUP, f"/faq_link {entry}", reply_to=card)
    note = group.emulator.chat_messages(GROUP)[-1].plain
    assert note.startswith(f"Партнёр получил ответ «{entry}»"), note


async def _asked(group: Harness, user_id: int, question: str) -> SentMessage:
    partner = group.user(user_id)
    await partner.onboard()
    return (await partner.send(question))[-1]


async def test_a_linked_wording_with_its_filler_moved_is_answered_at_once(group: Harness) -> None:
    await _linked(group, "у вас движуха для новичков есть?", "contests-how")
    # «у вас есть» standing together is one vocabulary phrase («есть»): a stop word's
    # meaning, as much an aside as «у вас … есть» apart
    reply = await _asked(group, 751, "движуха для новичков у вас есть?")
    assert CONTESTS in reply.plain
    assert "Вы имели в виду" not in reply.plain


async def test_a_taught_wording_asked_without_its_filler_is_answered_at_once(
    group: Harness,
) -> None:
    await _linked(group, "у вас есть движуха для новичков?", "contests-how")
    for number, question in enumerate(("есть движуха для новичков?", "движуха для новичков")):
        reply = await _asked(group, 752 + number, question)
        assert CONTESTS in reply.plain, question


def test_word_order_never_changes_what_a_learned_wording_meets() -> None:
    content = load_content(DEMO)
    base = FaqMatcher(content.faq, lexicon(content.lexicon))
    taught = base.with_learned({"contests-how": ["у вас движуха для новичков есть?"]})
    for question in (
        "движуха для новичков у вас есть?",
        "для новичков движуха у вас есть?",
        "есть у вас движуха для новичков?",
    ):
        match = taught.match(question)
        assert (match.outcome, match.entry_id, match.score) == ("answer", "contests-how", 1.0)
    # a stop word that is part of a phrase's meaning («нет» of «нет сайта») still counts:
    # a wording learned without it is no exact match of a question with it
    no_site = base.with_learned({"contests-how": ["движуха для новичков сайта"]})
    assert no_site.match("движуха для новичков нет сайта").score < 1.0


# --- 5. the pickers offer what the bot offered ---

# a word the demo FAQ has only in an answer, typed as slang: "did you mean" (until session
# 16 «можно ли продвигать через тизерные сети и пуш-уведомления?» was; it is answered now)
TEASERS = "тизерка"


async def test_faq_link_offers_the_entry_the_bot_offered_the_partner_first(
    group: Harness,
) -> None:
    partner = group.user(760)
    await partner.onboard()
    offered = (await partner.send(TEASERS))[-1]
    assert "Вы имели в виду" in offered.plain
    # the right entry is among the options («тизеры» is in its answer only)
    assert "Какие источники трафика разрешены?" in offered.button_labels
    first = _entry_asking(offered.button_labels[0])
    await partner.send("/support")
    await partner.send(TEASERS)
    card = group.emulator.chat_messages(GROUP)[-2].message_id
    await in_chat(group, GROUP, "/faq_link", reply_to=card)
    picker = group.emulator.chat_messages(GROUP)[-1]
    labels = picker.button_labels
    # the bot offered it first, so the picker does, and the right one is there too
    assert labels[0].startswith(first), labels
    assert any(label.startswith("traffic-allowed") for label in labels), labels
    assert labels[-1] == "📋 Другая статья"


def _entry_asking(label: str) -> str:
    """The demo entry whose question an option's label shows."""
    entries = load_content(DEMO).faq
    return next(e.id for e in entries if e.question.startswith(label.rstrip("…")))


async def test_faq_learned_move_offers_what_the_bot_offers_for_the_wording(
    reviewed: Harness,
) -> None:
    await _pending(reviewed, TEASERS, "brand-bidding")
    _manager, picker = await _move_picker(reviewed)
    entries = _entries(picker)
    content = load_content(DEMO)
    ranked = FaqMatcher(content.faq, lexicon(content.lexicon)).rank(TEASERS, limit=4)
    offered = [c.entry_id for c in ranked if c.entry_id != "brand-bidding"]
    assert entries[0] == offered[0], (entries, offered)  # what the bot offers first
    assert "traffic-allowed" in entries, entries
    assert "brand-bidding" not in entries  # where it is now
    assert "Близких статей нет" not in picker.plain


def test_closest_reads_the_question_as_for_the_partners_segment() -> None:
    content = load_content(DEMO)
    matcher = FaqMatcher(content.faq, lexicon(content.lexicon))
    feed = "где взять yml выгрузку товаров"
    assert matcher.match(feed, "webmaster").entry_id == "product-feed"
    index = LearnedIndex.__new__(LearnedIndex)  # closest() reads the matcher alone
    assert index.closest(matcher, feed, segments={"webmaster"})[0] == "product-feed"
    # a blogger never sees product-feed (webmasters only): neither does their picker
    for_blogger = index.closest(matcher, feed, segments={"blogger"})
    assert "product-feed" not in for_blogger
    offered = matcher.match(feed, "blogger")
    assert for_blogger[: len(offered.suggestions)] == [c.entry_id for c in offered.suggestions]
