"""Managers reviewing what partners taught the FAQ: /faq_learned shows a waiting wording
with ✅ approve, ↪️ move (to the closest entries, or any by topic), ❌ reject."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.content.models import Content
from bot.i18n import L10n
from bot.names import without_bidi
from bot.services.audit import AuditLog
from bot.services.faq import FaqService
from bot.services.faq_learned import ENTRY_GONE, Learned
from handlers.callbacks import FaqLearnCb
from handlers.filters import IsManager
from handlers.manager.faq_browse import BROWSE, Picker, browse_screen
from handlers.manager.faq_common import closest_entries, entries_list, moved_note, plain
from handlers.screens import (
    Screen,
    actor,
    arguments,
    edit,
    keyboard,
    no_longer_available,
    send,
)

TAUGHT_DAYS = 7  # /faq_learned with nothing waiting: what «Helped» taught in these days


async def _cannot_teach(
    callback: CallbackQuery, audit: AuditLog, target: str, l10n: L10n, owner: str | None = None
) -> None:
    """A waiting wording that cannot teach (no words that carry meaning, or it reads as
    `owner`'s own wording in faq.yaml) was rejected instead of approved or moved."""
    details = "cannot teach" if owner is None else f"own wording of {owner}"
    await audit.record(actor(callback), "faq_reject", target=target, details=details)
    if owner is None:
        await callback.answer(l10n("faq-learned-cannot-teach"), show_alert=True)
    else:
        await callback.answer(l10n("faq-learned-own-rejected", owner=owner), show_alert=True)


async def review_screen(faq: FaqService, content: Content, l10n: L10n) -> Screen:
    waiting = await faq.learning.pending()
    if not waiting:
        return await _taught_screen(faq, l10n)
    item = waiting[0]
    entry = content.faq_entry(item.entry_id)
    elsewhere = await faq.learning.elsewhere(item)
    text = l10n(
        "faq-learned-item",
        phrasing=html.escape(without_bidi(item.phrasing)),
        entry=html.escape(item.entry_id),
        question=html.escape(entry.question) if entry is not None else "—",
        source=item.source,
        votes=item.votes,
        gone="yes" if item.note == ENTRY_GONE or entry is None else "no",
        left=len(waiting),
    )
    approved = [entry_id for entry_id, status in elsewhere if status == "approved"]
    waiting_there = [entry_id for entry_id, status in elsewhere if status != "approved"]
    if approved:  # approving it here takes it from there: one wording answers one entry
        text += "\n" + l10n("faq-learned-elsewhere-approved", entries=entries_list(approved))
    disputed = await faq.learning.disputed(item)
    if disputed:  # partners confirmed it for other entries too: only a manager decides
        text += "\n" + l10n("faq-learned-disputed", entries=entries_list(disputed))
    elif waiting_there:
        text += "\n" + l10n("faq-learned-elsewhere-pending", entries=entries_list(waiting_there))
    owner = faq.learning.owner(item.phrasing, item.entry_id)
    if owner is not None:  # it answers that entry anyway: ✅ rejects it, ↪️ there approves
        text += "\n" + l10n("faq-learned-own", owner=html.escape(owner))
    buttons = keyboard(
        [
            (l10n("faq-learned-approve"), FaqLearnCb(action="ok", item=item.id)),
            (l10n("faq-learned-move"), FaqLearnCb(action="mv", item=item.id)),
            (l10n("faq-learned-reject"), FaqLearnCb(action="no", item=item.id)),
        ]
    )
    return Screen(text, buttons)


async def _taught_screen(faq: FaqService, l10n: L10n) -> Screen:
    """Nothing waits: what partners' «Helped» taught in the last 7 days, each with ❌ to
    take it back (auto-approved wordings were seen nowhere but `faq learned`)."""
    taught = await faq.learning.recently_taught(days=TAUGHT_DAYS)
    if not taught:
        return Screen(l10n("faq-learned-empty"))
    lines = [l10n("faq-learned-empty"), "", l10n("faq-learned-recent", days=TAUGHT_DAYS)]
    lines += [
        l10n(
            "faq-learned-recent-row",
            number=number,
            phrasing=html.escape(without_bidi(item.phrasing)),
            entry=html.escape(item.entry_id),
        )
        for number, item in enumerate(taught, start=1)
    ]
    buttons = [
        (f"❌ {number}", FaqLearnCb(action="un", item=item.id))
        for number, item in enumerate(taught, start=1)
    ]
    return Screen(
        "\n".join(lines), keyboard(*(buttons[n : n + 5] for n in range(0, len(buttons), 5)))
    )


def _move_picker(item: Learned) -> Picker:
    """Any entry but the one the wording is on now."""

    def data(action: str, value: str) -> FaqLearnCb:
        return FaqLearnCb(action=action, item=item.id, entry=value)

    return Picker(
        item.phrasing,
        offered=lambda entry: entry.id != item.entry_id,
        data=data,
        closest=data("mv", ""),
    )


async def _move_screen(faq: FaqService, content: Content, item: Learned, l10n: L10n) -> Screen:
    """Which entry a wording belongs to: the closest ones sharing words with it ("no close
    entries" when none does), or any other under «📋 Другая статья»."""
    picker = _move_picker(item)
    ids = await closest_entries(faq, item.phrasing, exclude=item.entry_id)
    rows = picker.rows(content, ids)
    text = l10n("faq-learned-move-to", phrasing=html.escape(without_bidi(item.phrasing)))
    if not rows:
        text += "\n" + l10n("faq-pick-none")
    back = [(l10n("button-back"), FaqLearnCb(action="show", item=item.id))]
    return Screen(text, keyboard(*rows, picker.other_row(l10n), back))


def setup_commands(name: str = f"{__name__}.commands") -> Router:
    """/faq_learned for managers (inside a router that checks MANAGERS)."""
    router = Router(name=name)

    @router.message(Command("faq_learned"))
    async def faq_learned(
        message: Message, faq: FaqService, content: Content, audit: AuditLog, l10n: L10n
    ) -> None:
        await audit.record(actor(message), "faq_learned")
        await send(message, await review_screen(faq, content, l10n))

    @router.message(Command("faq_unlearn"))
    async def faq_unlearn(
        message: Message, command: CommandObject, faq: FaqService, audit: AuditLog, l10n: L10n
    ) -> None:
        """A learned wording taken back (approved or waiting, under any entry): one that was
        learned wrongly, by mistake or by votes that were no partners' questions."""
        wording = arguments(command)
        if not wording:
            await message.answer(l10n("faq-unlearn-usage"))
            return
        taken = await faq.learning.unlearn(wording)
        entries = sorted({item.entry_id for item in taken})
        await audit.record(
            actor(message), "faq_unlearn", target=",".join(entries) or None, details=wording[:200]
        )
        shown = html.escape(without_bidi(wording))
        if not taken:
            await message.answer(l10n("faq-unlearn-none", wording=shown))
            return
        await message.answer(
            l10n("faq-unlearn-done", wording=shown, entries=entries_list(entries))
        )

    return router


def setup_buttons(name: str = f"{__name__}.buttons") -> Router:
    """The review's buttons (managers only, wherever the screen was sent)."""
    router = Router(name=name)
    router.callback_query.filter(IsManager())

    @router.callback_query(FaqLearnCb.filter())
    async def review(
        callback: CallbackQuery,
        callback_data: FaqLearnCb,
        faq: FaqService,
        content: Content,
        audit: AuditLog,
        l10n: L10n,
    ) -> None:
        item = await faq.learning.get(callback_data.item)
        action = callback_data.action
        if action == "un" and item is not None and item.status == "approved":
            taken = await faq.learning.unlearn(item.phrasing)  # under any entry
            entries = ",".join(sorted({taken_.entry_id for taken_ in taken}))
            await audit.record(
                actor(callback), "faq_unlearn", target=entries or None, details=item.phrasing[:200]
            )
            await callback.answer(l10n("faq-learned-taken-back"))
            await edit(callback, await review_screen(faq, content, l10n))
            return
        if item is None or item.status != "pending":
            await no_longer_available(callback, l10n)
            return
        if action == "mv" or action in BROWSE:
            await callback.answer()
            if action == "mv":
                screen = await _move_screen(faq, content, item, l10n)
            else:
                screen = browse_screen(
                    content, _move_picker(item), action, callback_data.entry, l10n
                )
            await edit(callback, screen)
            return
        if action == "show":
            await callback.answer()
            await edit(callback, await review_screen(faq, content, l10n))
            return
        target = f"faq:{item.entry_id}:{item.id}"
        if action == "ok":
            if content.faq_entry(item.entry_id) is None:
                await callback.answer(l10n("faq-learned-entry-gone"), show_alert=True)
                return
            owner = faq.learning.owner(item.phrasing, item.entry_id)
            approved = await faq.learning.approve(item.id)
            if approved is not None and approved.status == "rejected":
                await _cannot_teach(callback, audit, target, l10n, owner)
                await edit(callback, await review_screen(faq, content, l10n))
                return
            moved = approved.moved_from if approved is not None else ()
            await audit.record(
                actor(callback), "faq_approve", target=target, details=",".join(moved)
            )
            note = l10n("faq-learned-approved") + moved_note(moved, l10n)
            await callback.answer(plain(note), show_alert=bool(moved))
        elif action == "no":
            await faq.learning.reject(item.id)
            await audit.record(actor(callback), "faq_reject", target=target)
            await callback.answer(l10n("faq-learned-rejected"))
        elif (
            action == "to"
            and callback_data.entry != item.entry_id  # not offered: ✅ approves it there
            and content.faq_entry(callback_data.entry) is not None
        ):
            owner = faq.learning.owner(item.phrasing, callback_data.entry)
            moved_to = await faq.learning.move(item.id, callback_data.entry)
            if moved_to is not None and moved_to.status == "rejected":
                await _cannot_teach(callback, audit, target, l10n, owner)
                await edit(callback, await review_screen(faq, content, l10n))
                return
            moved = tuple(
                entry_id
                for entry_id in (moved_to.moved_from if moved_to is not None else ())
                if entry_id != callback_data.entry
            )
            await audit.record(
                actor(callback), "faq_move", target=target, details=callback_data.entry
            )
            note = l10n("faq-learned-moved", entry=callback_data.entry) + moved_note(moved, l10n)
            await callback.answer(plain(note), show_alert=bool(moved))
        else:
            await no_longer_available(callback, l10n)
            return
        await edit(callback, await review_screen(faq, content, l10n))

    return router
