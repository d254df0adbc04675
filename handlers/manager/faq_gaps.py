"""The 🔗 buttons under the gaps in /stats: a manager picks the entry that answers a group
of unanswered questions (among the closest ones its askers can see — only entries sharing
words with it — or any entry, by topic, under «📋 Другая статья»), and every wording of the
group is learned for it."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot.content.models import Content, FaqEntry
from bot.i18n import L10n
from bot.names import without_bidi
from bot.rendering import at_a_word
from bot.services.audit import AuditLog
from bot.services.faq import FaqService
from bot.services.faq_gaps import Gap
from handlers.callbacks import FaqGapCb
from handlers.filters import IsManager
from handlers.manager.faq_learning import closest_entries, entry_label, moved_note
from handlers.screens import Screen, actor, edit, keyboard, no_longer_available

Button = tuple[str, FaqGapCb]


def setup() -> Router:
    """The gaps' buttons, in private or the managers' chat (managers only)."""
    router = Router(name=__name__)
    router.callback_query.filter(IsManager())

    @router.callback_query(FaqGapCb.filter())
    async def gap(
        callback: CallbackQuery,
        callback_data: FaqGapCb,
        faq: FaqService,
        content: Content,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        found = await faq.gap_of(callback_data.question)
        if found is None:
            await no_longer_available(callback, l10n)
            return
        action = callback_data.action
        if action in ("pick", "tl", "te"):
            await callback.answer()
            if action == "pick":
                screen = await _gap_screen(faq, content, found, l10n)
            elif action == "tl":
                screen = _topics_screen(content, found, _number(callback_data.entry), l10n)
            else:
                topic, _, page = callback_data.entry.partition(".")
                screen = _topic_screen(content, found, _number(topic), _number(page), l10n)
            await edit(callback, screen)
            return
        entry = content.faq_entry(callback_data.entry)
        if entry is None:
            await no_longer_available(callback, l10n)
            return
        learned = 0
        moved: dict[str, None] = {}
        for wording in found.wordings[:20]:  # too long ones are not learned (MAX_PHRASING)
            done = await faq.learning.learn(entry.id, wording, "gap")
            if done is not None:
                learned += 1
                moved.update(dict.fromkeys(done.moved_from))
        await audit.record(
            actor(callback), "faq_link", target=f"gap:{found.question_id}", details=entry.id
        )
        await callback.answer()
        text = l10n(
            "faq-gap-linked",
            question=html.escape(without_bidi(found.question)),
            entry=html.escape(entry.id),
            count=learned,
        )
        await edit(callback, Screen(text + moved_note(tuple(moved), l10n)))

    return router


def _segment_name(content: Content, segment: str) -> str:
    """A segment's short name for a button: its title without the part in brackets."""
    title = content.program.segment_title(segment) or segment or "—"
    return title.split(" (")[0]


def _entry_row(content: Content, found: Gap, entry: FaqEntry, l10n: L10n) -> list[Button]:
    """An entry's button under a gap; when the askers are of different segments, an entry
    only some of them see says whose it is."""
    segments = sorted(found.segments)
    seeing = [segment for segment in segments if entry.visible_to(segment)]
    mark = ""
    if len(seeing) < len(segments):
        names = ", ".join(_segment_name(content, segment) for segment in seeing)
        mark = " · " + l10n("faq-gap-only", segments=names)
    return [
        (
            entry_label(entry, mark),
            FaqGapCb(action="to", question=found.question_id, entry=entry.id),
        )
    ]


async def _gap_screen(faq: FaqService, content: Content, found: Gap, l10n: L10n) -> Screen:
    """Which entry answers a gap: the closest entries the partners who asked can see, only
    those sharing words with it ("no close entries" when none does), and «📋 Другая статья»
    to pick any entry by topic."""
    segments = sorted(found.segments)
    ids = await closest_entries(faq, found.question, segments=found.segments, padded=False)
    rows = [
        _entry_row(content, found, entry, l10n)
        for entry_id in ids
        if (entry := content.faq_entry(entry_id)) is not None
    ]
    text = l10n(
        "faq-gap-pick",
        question=html.escape(without_bidi(found.question)),
        people=l10n("faq-gap-people", count=found.people),
    )
    if not rows:
        text += "\n" + l10n("faq-pick-none")
    if len(segments) > 1:
        names = ", ".join(_segment_name(content, segment) for segment in segments)
        text += "\n" + l10n("faq-gap-segments", segments=html.escape(names))
    other = FaqGapCb(action="tl", question=found.question_id, entry="0")
    rows.append([(l10n("faq-gap-other"), other)])
    return Screen(text, keyboard(*rows))


# «📋 Другая статья»: any entry the askers can see, topic by topic, a page at a time

TOPICS_PAGE = 4  # with the page and back rows: within VK's inline 6 rows, 10 buttons
ENTRIES_PAGE = 4


def _number(text: str) -> int:
    """A page or topic number from a button (a forged one reads as 0)."""
    return int(text) if text.isdigit() and len(text) <= 4 else 0


def _topics(content: Content, found: Gap) -> list[tuple[int, str, list[FaqEntry]]]:
    """The FAQ's topics in file order (numbered over the whole FAQ, so a button's number
    stays right) with the entries the askers can see; topics with none are left out."""
    by_topic: dict[str, list[FaqEntry]] = {}
    for entry in content.faq:
        by_topic.setdefault(entry.topic, []).append(entry)
    listed = []
    for number, (topic, entries) in enumerate(by_topic.items()):
        seen = [
            entry
            for entry in entries
            if not found.segments or any(entry.visible_to(s) for s in found.segments)
        ]
        if seen:
            listed.append((number, topic, seen))
    return listed


def _pages(total: int, size: int, page: int) -> tuple[int, int]:
    """The page shown (clamped) and the number of pages."""
    pages = max((total + size - 1) // size, 1)
    return min(page, pages - 1), pages


def _topics_screen(content: Content, found: Gap, page: int, l10n: L10n) -> Screen:
    topics = _topics(content, found)
    page, pages = _pages(len(topics), TOPICS_PAGE, page)
    question = found.question_id
    rows: list[list[Button]] = [
        [(at_a_word(topic, 60), FaqGapCb(action="te", question=question, entry=f"{number}.0"))]
        for number, topic, _entries in topics[page * TOPICS_PAGE : (page + 1) * TOPICS_PAGE]
    ]
    nav: list[Button] = []
    if page > 0:
        nav.append(
            (l10n("button-back"), FaqGapCb(action="tl", question=question, entry=f"{page - 1}"))
        )
    if page + 1 < pages:
        nav.append(
            (l10n("faq-gap-next"), FaqGapCb(action="tl", question=question, entry=f"{page + 1}"))
        )
    if nav:
        rows.append(nav)
    rows.append([(l10n("faq-gap-closest"), FaqGapCb(action="pick", question=question))])
    text = l10n("faq-gap-topics", question=html.escape(without_bidi(found.question)))
    return Screen(text, keyboard(*rows))


def _topic_screen(content: Content, found: Gap, number: int, page: int, l10n: L10n) -> Screen:
    topics = {n: (topic, entries) for n, topic, entries in _topics(content, found)}
    if number not in topics:
        return _topics_screen(content, found, 0, l10n)
    topic, entries = topics[number]
    page, pages = _pages(len(entries), ENTRIES_PAGE, page)
    question = found.question_id
    rows = [
        _entry_row(content, found, entry, l10n)
        for entry in entries[page * ENTRIES_PAGE : (page + 1) * ENTRIES_PAGE]
    ]
    nav: list[Button] = []
    if page > 0:
        back = FaqGapCb(action="te", question=question, entry=f"{number}.{page - 1}")
        nav.append((l10n("button-back"), back))
    if page + 1 < pages:
        ahead = FaqGapCb(action="te", question=question, entry=f"{number}.{page + 1}")
        nav.append((l10n("faq-gap-next"), ahead))
    if nav:
        rows.append(nav)
    rows.append(
        [(l10n("faq-gap-topics-back"), FaqGapCb(action="tl", question=question, entry="0"))]
    )
    text = l10n(
        "faq-gap-topic",
        question=html.escape(without_bidi(found.question)),
        topic=html.escape(topic),
        page=page + 1,
        pages=pages,
    )
    return Screen(text, keyboard(*rows))


def gaps_markup(gaps: list[Gap], l10n: L10n) -> InlineKeyboardMarkup | None:
    """Under /stats: a "link to the FAQ" button per gap (None when there is none)."""
    if not gaps:
        return None
    return keyboard(
        *[
            [
                (
                    l10n(
                        "faq-gap-button",
                        number=number,
                        question=at_a_word(without_bidi(found.question), 40),
                    ),
                    FaqGapCb(action="pick", question=found.question_id),
                )
            ]
            for number, found in enumerate(gaps, start=1)
        ]
    )
