"""The 🔗 buttons under the gaps in /stats: a manager picks the entry that answers a group
of unanswered questions (among the closest ones its askers can see — what the bot offered
them, then entries sharing words with it — or any entry, by topic, under «📋 Другая
статья»), and every wording of the group is learned for it."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot.content.models import Content, FaqEntry, short_title
from bot.i18n import L10n
from bot.names import without_bidi
from bot.rendering import at_a_word
from bot.services.audit import AuditLog
from bot.services.faq import FaqService
from bot.services.faq_gaps import Gap
from handlers.callbacks import FaqGapCb
from handlers.filters import IsManager
from handlers.manager.faq_browse import BROWSE, Picker, browse_screen
from handlers.manager.faq_common import closest_entries, moved_note
from handlers.screens import Screen, actor, edit, keyboard, no_longer_available, reply


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
        if action == "pick":  # a message of its own: /stats stays for the next gap
            await reply(callback, await _gap_screen(faq, content, found, l10n))
            return
        if action == "back" or action in BROWSE:
            await callback.answer()
            if action == "back":
                screen = await _gap_screen(faq, content, found, l10n)
            else:
                picker = _picker(content, found, l10n)
                screen = browse_screen(content, picker, action, callback_data.entry, l10n)
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
    return short_title(title)


def _picker(content: Content, found: Gap, l10n: L10n) -> Picker:
    """The entries the askers can see; when they are of different segments, an entry only
    some of them see says whose it is."""
    segments = sorted(found.segments)

    def mark(entry: FaqEntry) -> str:
        seeing = [segment for segment in segments if entry.visible_to(segment)]
        if len(seeing) == len(segments):
            return ""
        names = ", ".join(_segment_name(content, segment) for segment in seeing)
        return " · " + l10n("faq-gap-only", segments=names)

    def data(action: str, value: str) -> FaqGapCb:
        return FaqGapCb(action=action, question=found.question_id, entry=value)

    return Picker(
        found.question,
        offered=lambda entry: not segments or any(entry.visible_to(s) for s in segments),
        data=data,
        closest=data("back", ""),  # in the picker: edited back to the closest
        mark=mark,
    )


async def _gap_screen(faq: FaqService, content: Content, found: Gap, l10n: L10n) -> Screen:
    """Which entry answers a gap: the closest entries the partners who asked can see (what
    the bot offered them, then those sharing words with it; "no close entries" when there
    is none), and «📋 Другая статья» to pick any entry by topic."""
    segments = sorted(found.segments)
    ids = await closest_entries(faq, found.question, segments=found.segments)
    picker = _picker(content, found, l10n)
    rows = picker.rows(content, ids)
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
    return Screen(text, keyboard(*rows, picker.other_row(l10n)))


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
