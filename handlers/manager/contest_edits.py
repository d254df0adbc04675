"""A change to a saved contest (✏️ Даты, ✏️ Призы, ✏️ Правила in /contests_admin): saved,
and once the contest was announced, told to whoever heard of it. New dates or prizes of
an announced contest are shown first and go only when the manager confirms (a typo went
to every partner told and to the group at once, with no undo — a tester of session 22).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.content.models import Contest
from bot.i18n import L10n
from bot.notices import Notices
from bot.services.contests import ContestRefused, ContestService
from bot.texts import prize_lines
from handlers.callbacks import ContestCb
from handlers.manager.announce_screens import MOMENT, held_note
from handlers.screens import Screen, keyboard, send

TOLD: frozenset[str] = frozenset({"dates", "prizes"})  # what partners told of hear again


async def propose_edit(
    message: Message,
    state: FSMContext,
    contests: ContestService,
    notices: Notices,
    l10n: L10n,
    tz: ZoneInfo,
    what: str,
    confirm: Any,  # the state that waits for the manager's ✅ (`ContestEdit.confirm`)
    **changes: Any,
) -> None:
    """Save a change (`what`: dates | prizes | text) — or, when partners will be told of
    it (new dates or prizes of an announced contest), show it and wait for ✅."""
    contest_id = (await state.get_data()).get("id", "")
    item = await contests.find(contest_id)
    if item is None or item.announced_at is None or what not in TOLD:
        await apply_edit(message, state, contests, notices, l10n, tz, what, **changes)
        return
    try:
        contest = contests.changed(item, **changes)
    except ContestRefused:
        await state.clear()
        await message.answer(l10n("contests-admin-edit-refused"))
        return
    if contest == item.contest:  # nothing new: nothing to tell
        await apply_edit(message, state, contests, notices, l10n, tz, what, **changes)
        return
    await state.set_state(confirm)
    await state.update_data(what=what, changes=_stored(changes))
    await send(message, confirm_screen(contest, what, l10n, tz))


def confirm_screen(contest: Contest, what: str, l10n: L10n, tz: ZoneInfo) -> Screen:
    """The change as it will be saved, and the buttons that save and tell it, or not."""
    if what == "dates":
        new = l10n(
            "contests-admin-confirm-dates",
            starts=contest.starts_at.astimezone(tz).strftime(MOMENT),
            ends=contest.ends_at.astimezone(tz).strftime(MOMENT),
        )
    else:
        new = "\n".join((l10n("contests-admin-confirm-prizes"), *prize_lines(contest, l10n)))
    # not an argument of the text: an argument is cut at 2,000 characters
    head = l10n("contests-admin-confirm", title=html.escape(contest.title))
    text = f"{head} {new}\n{l10n('contests-admin-confirm-ask')}"
    return Screen(
        text,
        keyboard(
            [(l10n("contests-admin-confirm-yes"), ContestCb(action="edit!", id=contest.id))],
            [(l10n("contests-admin-confirm-no"), ContestCb(action="edit-", id=contest.id))],
        ),
    )


async def confirmed(
    message: Message,
    state: FSMContext,
    contests: ContestService,
    notices: Notices,
    l10n: L10n,
    tz: ZoneInfo,
) -> None:
    """✅ under the change: saved and told, as `apply_edit` does."""
    data = await state.get_data()
    what = str(data.get("what", ""))
    changes = restored(data.get("changes", {}))
    await apply_edit(message, state, contests, notices, l10n, tz, what, **changes)


async def apply_edit(
    message: Message,
    state: FSMContext,
    contests: ContestService,
    notices: Notices,
    l10n: L10n,
    tz: ZoneInfo,
    what: str,
    **changes: Any,
) -> None:
    """Save a change (`what`: dates | prizes | text) to a contest; once it was announced, a
    waiting announcement goes as the contest is now, and new dates or prizes are told once
    to whoever was told about it (`Notices.contest_changed`)."""
    contest_id = (await state.get_data()).get("id", "")
    await state.clear()
    item = await contests.find(contest_id)
    if item is None:
        await message.answer(l10n("no-longer-available"))
        return
    try:
        contest = await contests.edit(item, **changes)
    except ContestRefused:
        await message.answer(l10n("contests-admin-edit-refused"))
        return
    edited = l10n("contests-admin-edited", title=html.escape(contest.title))
    if item.announced_at is not None and contest != item.contest:
        changed = await notices.contest_changed(contest, what)
        if what in TOLD:
            edited += "\n" + l10n(f"contests-admin-{what}-told", count=changed.told)
            if changed.group:
                edited += "\n" + l10n("contests-admin-group-told")
        if changed.renewed:
            edited += "\n" + l10n("contests-admin-renewed", count=changed.renewed)
        if changed.renewed or changed.told:  # as a contest saved at night
            edited += held_note(changed.held_until, tz, l10n)
    await message.answer(edited)


def _stored(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes as the dialog's state keeps them (JSON: dates as ISO text)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in changes.items()
    }


def restored(stored: dict[str, Any]) -> dict[str, Any]:
    """The changes `_stored` kept, as `ContestService.edit` takes them."""
    return {
        key: datetime.fromisoformat(value) if key in ("starts_at", "ends_at") else value
        for key, value in stored.items()
    }
