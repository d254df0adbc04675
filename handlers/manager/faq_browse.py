"""What the managers' FAQ entry pickers share: an entry's button, and «📋 Другая статья» —
any entry a picker may offer, topic by topic, a page at a time. One browse serves the 🔗
gap picker of /stats and the ↪️ Move of /faq_learned: a `Picker` says which entries it
offers and makes its buttons' callback data."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData

from bot.content.models import Content, FaqEntry
from bot.i18n import L10n
from bot.names import without_bidi
from bot.rendering import at_a_word
from handlers.screens import Screen, keyboard

BUTTON_LABEL_LIMIT = 60
TOPICS_PAGE = 4  # with the page and back rows: within VK's inline 6 rows, 10 buttons
ENTRIES_PAGE = 4
BROWSE = ("tl", "te")  # the browse's actions: a page of topics, a page of a topic's entries

Button = tuple[str, CallbackData]


def entry_label(entry: FaqEntry, mark: str = "") -> str:
    """An entry's button: its id and question, cut to fit; `mark` (" · только …") whole."""
    text = f"{entry.id}: {entry.question}"
    room = BUTTON_LABEL_LIMIT - len(mark)
    return (text if len(text) <= room else text[: max(room - 1, 0)] + "…") + mark


def _no_mark(entry: FaqEntry) -> str:
    return ""


@dataclass(frozen=True)
class Picker:
    """A picker of an entry for `question` (a wording, shown escaped). `offered`: the
    entries it may offer; `data(action, value)`: its buttons' callback data — "to" with an
    entry id picks it, "tl" with a page lists topics, "te" with "topic.page" lists a
    topic's entries; `closest`: back to the closest entries; `mark`: a note after an
    entry's label."""

    question: str
    offered: Callable[[FaqEntry], bool]
    data: Callable[[str, str], CallbackData]
    closest: CallbackData
    mark: Callable[[FaqEntry], str] = _no_mark

    def entry_row(self, entry: FaqEntry) -> list[Button]:
        return [(entry_label(entry, self.mark(entry)), self.data("to", entry.id))]

    def rows(self, content: Content, ids: list[str]) -> list[list[Button]]:
        """The buttons of the entries `ids` (the closest ones) the picker offers."""
        return [
            self.entry_row(entry)
            for entry_id in ids
            if (entry := content.faq_entry(entry_id)) is not None and self.offered(entry)
        ]

    def other_row(self, l10n: L10n) -> list[Button]:
        """«📋 Другая статья»: the browse, from its first page of topics."""
        return [(l10n("faq-pick-other"), self.data("tl", "0"))]


def browse_screen(content: Content, picker: Picker, action: str, value: str, l10n: L10n) -> Screen:
    """A page of the browse for a button of it (`action` in BROWSE; `value` as `data` made
    it, or forged: then a page that exists)."""
    if action == "tl":
        return _topics_screen(content, picker, _number(value), l10n)
    topic, _, page = value.partition(".")
    return _topic_screen(content, picker, _number(topic), _number(page), l10n)


def _number(text: str) -> int:
    """A page or topic number from a button (a forged one reads as 0)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else 0


def _topics(content: Content, picker: Picker) -> list[tuple[int, str, list[FaqEntry]]]:
    """The FAQ's topics in file order (numbered over the whole FAQ, so a button's number
    stays right) with the entries the picker offers; topics with none are left out."""
    by_topic: dict[str, list[FaqEntry]] = {}
    for entry in content.faq:
        by_topic.setdefault(entry.topic, []).append(entry)
    listed = []
    for number, (topic, entries) in enumerate(by_topic.items()):
        offered = [entry for entry in entries if picker.offered(entry)]
        if offered:
            listed.append((number, topic, offered))
    return listed


def _pages(total: int, size: int, page: int) -> tuple[int, int]:
    """The page shown (clamped) and the number of pages."""
    pages = max((total + size - 1) // size, 1)
    return min(page, pages - 1), pages


def _nav(picker: Picker, action: str, at: str, page: int, pages: int, l10n: L10n) -> list[Button]:
    """← Назад / Дальше → between pages (`at`: the topic's "number." for its entries)."""
    nav: list[Button] = []
    if page > 0:
        nav.append((l10n("button-back"), picker.data(action, f"{at}{page - 1}")))
    if page + 1 < pages:
        nav.append((l10n("faq-pick-next"), picker.data(action, f"{at}{page + 1}")))
    return nav


def _topics_screen(content: Content, picker: Picker, page: int, l10n: L10n) -> Screen:
    topics = _topics(content, picker)
    page, pages = _pages(len(topics), TOPICS_PAGE, page)
    rows: list[list[Button]] = [
        [(at_a_word(topic, 60), picker.data("te", f"{number}.0"))]
        for number, topic, _entries in topics[page * TOPICS_PAGE : (page + 1) * TOPICS_PAGE]
    ]
    if nav := _nav(picker, "tl", "", page, pages, l10n):
        rows.append(nav)
    rows.append([(l10n("faq-pick-closest"), picker.closest)])
    text = l10n("faq-pick-topics", question=html.escape(without_bidi(picker.question)))
    return Screen(text, keyboard(*rows))


def _topic_screen(content: Content, picker: Picker, number: int, page: int, l10n: L10n) -> Screen:
    listed = _topics(content, picker)
    topics = {n: (topic, entries) for n, topic, entries in listed}
    if number not in topics:
        return _topics_screen(content, picker, 0, l10n)
    # «⬅️ Темы»: back to the page of topics this one is on
    topics_page = [n for n, _topic, _entries in listed].index(number) // TOPICS_PAGE
    topic, entries = topics[number]
    page, pages = _pages(len(entries), ENTRIES_PAGE, page)
    rows = [
        picker.entry_row(entry)
        for entry in entries[page * ENTRIES_PAGE : (page + 1) * ENTRIES_PAGE]
    ]
    if nav := _nav(picker, "te", f"{number}.", page, pages, l10n):
        rows.append(nav)
    rows.append([(l10n("faq-pick-topics-back"), picker.data("tl", str(topics_page)))])
    text = l10n(
        "faq-pick-topic",
        question=html.escape(without_bidi(picker.question)),
        topic=html.escape(topic),
        page=page + 1,
        pages=pages,
    )
    return Screen(text, keyboard(*rows))
