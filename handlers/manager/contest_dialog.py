"""/contest_new: a step-by-step dialog with a preview, and the typed answers of an edit
started from /contests_admin. A start less than `announce_lead_days` ahead is refused
unless the manager confirms it after a warning."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.clock import Clock
from bot.config import Settings
from bot.content.models import Program
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.notices import Notices
from bot.services.contest_drafts import (
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    DraftError,
    build,
    check_card,
    new_id,
    read_dates,
    read_end,
    read_hold_days,
    read_prizes,
    read_restrictions,
    read_segments,
    read_start,
    read_text,
)
from bot.services.contests import ContestRefused, ContestService
from handlers.callbacks import ContestCb
from handlers.filters import CommandText, IsManager
from handlers.manager.contest_edits import apply_edit, confirm_screen, propose_edit, restored
from handlers.manager.contest_screens import STEPS, ask_step, preview_screen, refusal
from handlers.screens import Screen, keyboard, send


class ContestDialog(StatesGroup):
    title = State()
    description = State()
    starts = State()
    ends = State()
    segments = State()
    prizes = State()
    hold = State()
    restrictions = State()
    preview = State()


class ContestEdit(StatesGroup):
    dates = State()
    prizes = State()
    text = State()
    confirm = State()  # new dates or prizes of an announced contest, shown: ✅ tells them


async def start_dialog(
    message: Message, state: FSMContext, settings: Settings, l10n: L10n
) -> None:
    """A new draft (a draft being typed is dropped)."""
    await state.set_state(ContestDialog.title)
    await state.set_data({})
    await message.answer(l10n("draft-intro") + "\n\n" + ask_step("title", l10n, settings))


def setup() -> Router:
    """The manager's typed answers while a contest dialog or an edit is open."""
    router = Router(name=f"{__name__}.dialog")
    router.message.filter(StateFilter(ContestDialog, ContestEdit), IsManager())

    @router.message(Command("cancel"))
    async def abort(
        message: Message, state: FSMContext, contests: ContestService, l10n: L10n
    ) -> None:
        current = await state.get_state() or ""
        contest_id = (await state.get_data()).get("id", "")
        await state.clear()
        item = await contests.find(contest_id) if current.startswith("ContestEdit:") else None
        if item is None:
            await message.answer(l10n("draft-aborted"))
            return
        # an edit of a saved contest: nothing was changed, nothing deleted
        await message.answer(
            l10n("contests-admin-edit-aborted", title=html.escape(item.contest.title))
        )

    @router.message(Command("contest_new"))
    async def restart(message: Message, state: FSMContext, settings: Settings, l10n: L10n) -> None:
        await start_dialog(message, state, settings, l10n)

    @router.message(CommandText())
    async def other_command(message: Message, l10n: L10n) -> None:
        await message.answer(l10n("draft-command-inside"))

    @router.message(F.text.is_(None))
    async def not_text(message: Message, l10n: L10n) -> None:
        await message.answer(l10n("draft-text-please"))

    @router.message(ContestEdit.confirm)
    async def in_confirm(
        message: Message,
        state: FSMContext,
        contests: ContestService,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        """Typing while a change waits for ✅: the change again, its buttons under it."""
        data = await state.get_data()
        item = await contests.find(str(data.get("id", "")))
        what = str(data.get("what", ""))
        if item is None:
            await state.clear()
            await message.answer(l10n("no-longer-available"))
            return
        try:
            contest = contests.changed(item, **restored(data.get("changes", {})))
        except ContestRefused:  # changed meanwhile beyond this change: start again
            await state.clear()
            await message.answer(l10n("contests-admin-edit-refused"))
            return
        screen = confirm_screen(contest, what, l10n, settings.tz)
        said = l10n("draft-edit-use-buttons") + "\n\n" + screen.text
        await send(message, Screen(said, screen.markup))

    @router.message(ContestDialog.title)
    async def title(message: Message, state: FSMContext, settings: Settings, l10n: L10n) -> None:
        await _step(
            message, state, l10n, settings, "title", lambda text: read_text(text, TITLE_LIMIT)
        )

    @router.message(ContestDialog.description)
    async def description(
        message: Message, state: FSMContext, settings: Settings, l10n: L10n
    ) -> None:
        await _step(
            message, state, l10n, settings, "description",
            lambda text: read_text(text, DESCRIPTION_LIMIT),
        )  # fmt: skip

    @router.message(ContestDialog.starts)
    async def starts(
        message: Message,
        state: FSMContext,
        contests: ContestService,
        clock: Clock,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        try:
            moment = read_start(message.text or "", settings.tz, clock.now())
        except DraftError as error:
            await message.answer(refusal(error, l10n) + "\n" + ask_step("starts", l10n, settings))
            return
        await state.update_data(starts_at=moment.isoformat(), short_ok=False)
        if contests.short_notice(moment):
            lead = contests.lead_days()
            await send(
                message,
                Screen(
                    l10n("draft-short-warning", days=lead),
                    keyboard([(l10n("draft-short-confirm"), ContestCb(action="short"))]),
                ),
            )
            return
        await state.set_state(ContestDialog.ends)
        await message.answer(ask_step("ends", l10n, settings))

    @router.message(ContestDialog.ends)
    async def ends(
        message: Message,
        state: FSMContext,
        settings: Settings,
        content_store: ContentStore,
        l10n: L10n,
    ) -> None:
        data = await state.get_data()
        starts_at = datetime.fromisoformat(data["starts_at"])
        await _step(
            message, state, l10n, settings, "ends",
            lambda text: read_end(text, settings.tz, starts_at).isoformat(), key="ends_at",
            program=content_store.content.program,
        )  # fmt: skip

    @router.message(ContestDialog.segments)
    async def segments(
        message: Message,
        state: FSMContext,
        content_store: ContentStore,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        program = content_store.content.program
        await _step(
            message, state, l10n, settings, "segments", lambda text: read_segments(text, program)
        )

    @router.message(ContestDialog.prizes)
    async def prizes(message: Message, state: FSMContext, settings: Settings, l10n: L10n) -> None:
        data = await state.get_data()

        def read(text: str) -> list[dict[str, Any]]:
            prizes_ = read_prizes(text)
            check_card(data.get("title", ""), data.get("description", ""), "", prizes_)
            return prizes_

        await _step(message, state, l10n, settings, "prizes", read)

    @router.message(ContestDialog.hold)
    async def hold(message: Message, state: FSMContext, settings: Settings, l10n: L10n) -> None:
        await _step(message, state, l10n, settings, "hold", read_hold_days, key="hold_days")

    @router.message(ContestDialog.restrictions)
    async def restrictions(
        message: Message,
        state: FSMContext,
        contests: ContestService,
        content_store: ContentStore,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        data = await state.get_data()
        try:
            value = read_restrictions(message.text or "")
            check_card(
                data.get("title", ""), data.get("description", ""), value, data.get("prizes", [])
            )
        except DraftError as error:
            await message.answer(refusal(error, l10n))
            return
        data.update(restrictions=value, id=new_id(datetime.fromisoformat(data["starts_at"])))
        try:
            contest = build(data)
        except DraftError as error:
            await state.clear()
            await message.answer(refusal(error, l10n))
            return
        await state.set_data(data)
        await state.set_state(ContestDialog.preview)
        short = bool(data.get("short_ok"))
        await send(
            message,
            preview_screen(contest, short, l10n, settings, content_store, contests.lead_days()),
        )

    @router.message(ContestDialog.preview)
    async def in_preview(
        message: Message,
        state: FSMContext,
        contests: ContestService,
        content_store: ContentStore,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        """Typing in the preview: the preview again, its buttons under the last message."""
        data = await state.get_data()
        contest = build(data)
        short = bool(data.get("short_ok"))
        screen = preview_screen(
            contest, short, l10n, settings, content_store, contests.lead_days()
        )
        await send(
            message, Screen(l10n("draft-use-buttons") + "\n\n" + screen.text, screen.markup)
        )

    @router.message(ContestEdit.dates)
    async def edit_dates(
        message: Message,
        state: FSMContext,
        contests: ContestService,
        notices: Notices,
        clock: Clock,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        try:
            starts_at, ends_at = read_dates(message.text or "", settings.tz, clock.now())
        except DraftError as error:
            await message.answer(refusal(error, l10n) + "\n" + l10n("draft-ask-dates"))
            return
        item = await contests.find((await state.get_data()).get("id", ""))
        if item is not None and contests.too_soon_after_announcement(item, starts_at):
            await message.answer(
                l10n("draft-edit-too-soon", days=contests.lead_days())
                + "\n" + l10n("draft-ask-dates")
            )  # fmt: skip
            return
        await propose_edit(
            message, state, contests, notices, l10n, settings.tz, "dates", ContestEdit.confirm,
            starts_at=starts_at, ends_at=ends_at,
        )  # fmt: skip

    @router.message(ContestEdit.prizes)
    async def edit_prizes(
        message: Message,
        state: FSMContext,
        contests: ContestService,
        notices: Notices,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        item = await contests.find((await state.get_data()).get("id", ""))
        try:
            prizes_ = read_prizes(message.text or "")
            if item is not None:
                now = item.contest
                check_card(now.title, now.description, now.restrictions, prizes_)
        except DraftError as error:
            await message.answer(refusal(error, l10n) + "\n" + l10n("draft-ask-prizes"))
            return
        await propose_edit(
            message, state, contests, notices, l10n, settings.tz, "prizes", ContestEdit.confirm,
            prizes=prizes_,
        )  # fmt: skip

    @router.message(ContestEdit.text)
    async def edit_text(
        message: Message,
        state: FSMContext,
        contests: ContestService,
        notices: Notices,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        item = await contests.find((await state.get_data()).get("id", ""))
        try:
            value = read_text(message.text or "", DESCRIPTION_LIMIT)
            if item is not None:
                now = item.contest
                prizes_ = [prize.model_dump() for prize in now.prizes]
                check_card(now.title, value, now.restrictions, prizes_)
        except DraftError as error:
            await message.answer(refusal(error, l10n) + "\n" + l10n("draft-ask-description"))
            return
        await apply_edit(
            message, state, contests, notices, l10n, settings.tz, "text", description=value
        )

    return router


async def _step(
    message: Message,
    state: FSMContext,
    l10n: L10n,
    settings: Settings,
    step: str,
    read: Callable[[str], Any],
    *,
    key: str | None = None,
    program: Program | None = None,
) -> None:
    """Read one answer; on success store it and ask the next step, else say why and ask
    the same step again."""
    try:
        value = read(message.text or "")
    except DraftError as error:
        await message.answer(refusal(error, l10n) + "\n" + ask_step(step, l10n, settings))
        return
    await state.update_data({key or step: value})
    following = STEPS[STEPS.index(step) + 1]
    await state.set_state(getattr(ContestDialog, following))
    await message.answer(ask_step(following, l10n, settings, program))
