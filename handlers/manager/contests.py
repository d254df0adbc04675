"""/contest_new (a step-by-step dialog with a preview) and /contests_admin (list, announce,
edit before the start, cancel). The 7-day rule: a start less than `announce_lead_days`
ahead is refused unless the manager confirms it after a warning."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from pydantic import ValidationError

from bot.clock import Clock
from bot.config import Settings
from bot.content.models import Contest, Program
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.notices import Notices
from bot.notices.contests import Announced
from bot.rendering import at_a_word
from bot.services.audit import AuditLog
from bot.services.contest_drafts import (
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    DraftError,
    build,
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
from bot.services.contests import ContestRefused, ContestService, Managed
from bot.texts import contest_text
from handlers.callbacks import ContestCb
from handlers.filters import CommandText, IsManager
from handlers.screens import Screen, actor, edit, keyboard, send

STEPS = ("title", "description", "starts", "ends", "segments", "prizes", "hold", "restrictions")


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


def _ask(step: str, l10n: L10n, settings: Settings, program: Program | None = None) -> str:
    number = STEPS.index(step) + 1
    text = l10n(
        "draft-step", number=number, total=len(STEPS), question=l10n(f"draft-ask-{step}")
    ) + ("\n" + l10n("draft-zone", zone=settings.timezone) if step in ("starts", "ends") else "")
    if step == "segments" and program is not None:  # the names before any mistake
        known = ", ".join(segment.title.split(" (")[0] for segment in program.segments)
        text += "\n" + l10n("draft-segments-known", known=html.escape(known))
    return text


def _refusal(error: DraftError, l10n: L10n) -> str:
    return l10n("draft-refused", reason=l10n(error.key, **error.args_))


def _summary(contest: Contest, l10n: L10n, settings: Settings, store: ContentStore) -> str:
    card = contest_text(contest, None, False, settings.tz, l10n, personal=False)
    titles = [store.content.program.segment_title(s) or s for s in contest.segments]
    extra = l10n(
        "draft-extra",
        segments=", ".join(titles) if titles else l10n("draft-everyone"),
        hold=contest.hold_days,
        one=1 if contest.one_prize_per_partner else 0,
    )
    return f"{card}\n\n{extra}"


def _preview(
    contest: Contest, short: bool, l10n: L10n, settings: Settings, store: ContentStore, lead: int
) -> Screen:
    text = l10n("draft-preview") + "\n\n" + _summary(contest, l10n, settings, store)
    if short:
        text += "\n\n" + l10n("draft-short-confirmed", days=lead)
    one = 1 if contest.one_prize_per_partner else 0
    return Screen(
        text,
        keyboard(
            [(l10n("draft-save"), ContestCb(action="save"))],
            [(l10n("draft-toggle-one", on=one), ContestCb(action="one"))],
            [(l10n("draft-abort"), ContestCb(action="abort"))],
        ),
    )


def _card(
    item: Managed, now: datetime, l10n: L10n, settings: Settings, store: ContentStore
) -> Screen:
    contest = item.contest
    running = contest.starts_at <= now < contest.ends_at
    text = f"{_status(item, now, settings, l10n)}\n\n{_summary(contest, l10n, settings, store)}"
    if item.source == "file":
        text += "\n\n" + l10n("contests-admin-from-file", id=contest.id)
    rows: list[list[tuple[str, ContestCb]]] = []
    if item.status == "active" and contest.ends_at > now:
        if item.announced_at is None:
            rows.append(
                [(l10n("contests-admin-announce"), ContestCb(action="announce", id=contest.id))]
            )
        if item.source == "manager" and not running:
            rows.append(
                [
                    (l10n("contests-admin-edit-dates"), ContestCb(action="dates", id=contest.id)),
                    (
                        l10n("contests-admin-edit-prizes"),
                        ContestCb(action="prizes", id=contest.id),
                    ),
                    (l10n("contests-admin-edit-text"), ContestCb(action="text", id=contest.id)),
                ]
            )
        rows.append([(l10n("contests-admin-cancel"), ContestCb(action="cancel", id=contest.id))])
    rows.append([(l10n("contests-admin-back"), ContestCb(action="list"))])
    return Screen(text, keyboard(*rows))


def _status(item: Managed, now: datetime, settings: Settings, l10n: L10n) -> str:
    title = html.escape(item.contest.title)
    if item.status == "cancelled":
        return l10n("contests-admin-cancelled", title=title)
    if item.contest.ends_at <= now:
        return l10n("contests-admin-finished", title=title)
    if item.contest.starts_at <= now:
        return l10n("contests-admin-running", title=title)
    if item.announced_at is not None:
        when = item.announced_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
        return l10n("contests-admin-announced", title=title, when=when)
    return l10n("contests-admin-not-announced", title=title)


def _list(items: list[Managed], now: datetime, l10n: L10n, settings: Settings) -> Screen:
    if not items:
        return Screen(l10n("contests-admin-none"))
    rows = []
    lines = [l10n("contests-admin-list", count=len(items))]
    for number, item in enumerate(items, start=1):
        # the status in the text, whole; the button only names the contest (a VK button
        # holds 40 characters: «объявлен 04.…» said nothing)
        lines.append(f"{number}. {_status(item, now, settings, l10n)}")
        label = at_a_word(f"{number}. {item.contest.title}", 38)
        rows.append([(label, ContestCb(action="open", id=item.contest.id))])
    return Screen("\n".join(lines), keyboard(*rows))


async def _announce(contest: Contest, notices: Notices, audit: AuditLog, who: str) -> Announced:
    announced = await notices.announce_contest(contest)
    details = f"{announced.enqueued.queued} queued"
    await audit.record(who, "contest_announce", target=contest.id, details=details)
    return announced


async def _start_dialog(
    message: Message, state: FSMContext, settings: Settings, l10n: L10n
) -> None:
    """A new draft (a draft being typed is dropped)."""
    await state.set_state(ContestDialog.title)
    await state.set_data({})
    await message.answer(l10n("draft-intro") + "\n\n" + _ask("title", l10n, settings))


def setup_commands() -> Router:
    """/contest_new and /contests_admin (inside the managers' router)."""
    router = Router(name=f"{__name__}.commands")

    @router.message(Command("contest_new"))
    async def contest_new(
        message: Message, state: FSMContext, settings: Settings, l10n: L10n
    ) -> None:
        await _start_dialog(message, state, settings, l10n)

    @router.message(Command("contests_admin"))
    async def contests_admin(
        message: Message, contests: ContestService, clock: Clock, settings: Settings, l10n: L10n
    ) -> None:
        await send(message, _list(await contests.all(), clock.now(), l10n, settings))

    return router


def setup_dialog() -> Router:
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
        await _start_dialog(message, state, settings, l10n)

    @router.message(CommandText())
    async def other_command(message: Message, l10n: L10n) -> None:
        await message.answer(l10n("draft-command-inside"))

    @router.message(F.text.is_(None))
    async def not_text(message: Message, l10n: L10n) -> None:
        await message.answer(l10n("draft-text-please"))

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
            await message.answer(_refusal(error, l10n) + "\n" + _ask("starts", l10n, settings))
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
        await message.answer(_ask("ends", l10n, settings))

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
        await _step(message, state, l10n, settings, "prizes", read_prizes)

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
        try:
            value = read_restrictions(message.text or "")
        except DraftError as error:
            await message.answer(_refusal(error, l10n))
            return
        data = await state.get_data()
        data.update(restrictions=value, id=new_id(datetime.fromisoformat(data["starts_at"])))
        try:
            contest = build(data)
        except DraftError as error:
            await state.clear()
            await message.answer(_refusal(error, l10n))
            return
        await state.set_data(data)
        await state.set_state(ContestDialog.preview)
        short = bool(data.get("short_ok"))
        await send(
            message,
            _preview(contest, short, l10n, settings, content_store, contests.lead_days()),
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
        screen = _preview(contest, short, l10n, settings, content_store, contests.lead_days())
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
            await message.answer(_refusal(error, l10n) + "\n" + l10n("draft-ask-dates"))
            return
        item = await contests.find((await state.get_data()).get("id", ""))
        if item is not None and contests.too_soon_after_announcement(item, starts_at):
            await message.answer(
                l10n("draft-edit-too-soon", days=contests.lead_days())
                + "\n" + l10n("draft-ask-dates")
            )  # fmt: skip
            return
        await _apply_edit(
            message, state, contests, l10n, notices=notices, starts_at=starts_at, ends_at=ends_at
        )

    @router.message(ContestEdit.prizes)
    async def edit_prizes(
        message: Message, state: FSMContext, contests: ContestService, l10n: L10n
    ) -> None:
        try:
            prizes_ = read_prizes(message.text or "")
        except DraftError as error:
            await message.answer(_refusal(error, l10n) + "\n" + l10n("draft-ask-prizes"))
            return
        await _apply_edit(message, state, contests, l10n, prizes=prizes_)

    @router.message(ContestEdit.text)
    async def edit_text(
        message: Message, state: FSMContext, contests: ContestService, l10n: L10n
    ) -> None:
        try:
            value = read_text(message.text or "", DESCRIPTION_LIMIT)
        except DraftError as error:
            await message.answer(_refusal(error, l10n) + "\n" + l10n("draft-ask-description"))
            return
        await _apply_edit(message, state, contests, l10n, description=value)

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
        await message.answer(_refusal(error, l10n) + "\n" + _ask(step, l10n, settings))
        return
    await state.update_data({key or step: value})
    following = STEPS[STEPS.index(step) + 1]
    await state.set_state(getattr(ContestDialog, following))
    await message.answer(_ask(following, l10n, settings, program))


async def _apply_edit(
    message: Message,
    state: FSMContext,
    contests: ContestService,
    l10n: L10n,
    notices: Notices | None = None,
    **changes: Any,
) -> None:
    """Save a change to a contest; new dates of an announced one are told to whoever was
    told the old ones (`notices`)."""
    contest_id = (await state.get_data()).get("id", "")
    await state.clear()
    item = await contests.find(contest_id)
    if item is None:
        await message.answer(l10n("no-longer-available"))
        return
    try:
        contest = item.contest.model_copy(update=changes)
        Contest.model_validate(contest.model_dump())
        await contests.update(contest)
    except (ContestRefused, ValidationError):
        await message.answer(l10n("contests-admin-edit-refused"))
        return
    edited = l10n("contests-admin-edited", title=html.escape(contest.title))
    if notices is not None and item.announced_at is not None:
        told = await notices.reschedule_contest(contest)
        edited += "\n" + l10n("contests-admin-rescheduled-told", count=told.told)
    await message.answer(edited)


def setup_buttons() -> Router:
    """The buttons of the dialog's preview and of /contests_admin's cards."""
    router = Router(name=f"{__name__}.buttons")
    router.callback_query.filter(IsManager())

    @router.callback_query(ContestCb.filter())
    async def pressed(
        callback: CallbackQuery,
        callback_data: ContestCb,
        state: FSMContext,
        contests: ContestService,
        notices: Notices,
        audit: AuditLog,
        content_store: ContentStore,
        clock: Clock,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        action, now, who = callback_data.action, clock.now(), actor(callback)
        if action in {"short", "one", "save", "abort", "abort!", "preview"}:
            await _draft_button(
                callback, action, state, contests, notices, audit, content_store, clock,
                settings, l10n,
            )  # fmt: skip
            return
        if action == "list":
            await callback.answer()
            await edit(callback, _list(await contests.all(), now, l10n, settings))
            return
        item = await contests.find(callback_data.id)
        if item is None:
            await callback.answer(l10n("no-longer-available"), show_alert=True)
            return
        contest = item.contest
        open_card = ContestCb(action="open", id=contest.id)
        if action == "open":
            await callback.answer()
            await edit(callback, _card(item, now, l10n, settings, content_store))
            return
        if item.status != "active" or contest.ends_at <= now:
            await callback.answer(l10n("contests-admin-not-active"), show_alert=True)
            return
        if action == "announce" and contests.short_notice(contest.starts_at):
            # how to move the start where it can be moved: the file, or the dates button
            from_file = item.source == "file"
            rows = [
                [
                    (
                        l10n("contests-admin-announce-anyway"),
                        ContestCb(action="announce!", id=contest.id),
                    )
                ]
            ]
            if not from_file:
                rows.append(
                    [(l10n("contests-admin-edit-dates"), ContestCb(action="dates", id=contest.id))]
                )
            rows.append([(l10n("contests-admin-to-card"), open_card)])
            text = l10n(
                "contests-admin-short-warning",
                days=contests.lead_days(),
                file=int(from_file),
                id=html.escape(contest.id),
            )
            await callback.answer()
            await edit(callback, Screen(text, keyboard(*rows)))
            return
        if action in {"announce", "announce!"}:
            if item.announced_at is not None:
                await callback.answer(l10n("contests-admin-already-announced"), show_alert=True)
                return
            announced = await _announce(contest, notices, audit, who)
            partners, community = announced.partners, announced.community
            await callback.answer()
            await edit(
                callback,
                Screen(
                    l10n("contests-admin-announced-now", count=partners, chat=int(community)),
                    keyboard([(l10n("contests-admin-to-card"), open_card)]),
                ),
            )
            return
        if action == "cancel":
            await callback.answer()
            await edit(
                callback,
                Screen(
                    l10n("contests-admin-cancel-confirm", title=html.escape(contest.title)),
                    keyboard(
                        [
                            (
                                l10n("contests-admin-cancel-yes"),
                                ContestCb(action="cancel!", id=contest.id),
                            )
                        ],
                        [(l10n("contests-admin-to-card"), open_card)],
                    ),
                ),
            )
            return
        if action == "cancel!":
            cancelled = await notices.cancel_contest(contest)
            details = f"told {cancelled.told}, dropped {cancelled.dropped}"
            await audit.record(who, "contest_cancel", target=contest.id, details=details)
            told = cancelled.told
            await callback.answer()
            await edit(
                callback,
                Screen(
                    l10n(
                        "contests-admin-cancelled-now",
                        title=html.escape(contest.title),
                        count=told,
                    ),
                    keyboard([(l10n("contests-admin-back"), ContestCb(action="list"))]),
                ),
            )
            return
        if action in {"dates", "prizes", "text"}:
            if item.source != "manager" or contest.starts_at <= now:
                await callback.answer(l10n("contests-admin-edit-refused"), show_alert=True)
                return
            await callback.answer()
            await state.set_state(getattr(ContestEdit, action))
            await state.set_data({"id": contest.id})
            ask = {
                "dates": "draft-ask-dates",
                "prizes": "draft-ask-prizes",
                "text": "draft-ask-description",
            }
            if isinstance(callback.message, Message):
                await callback.message.answer(l10n(ask[action]) + "\n" + l10n("draft-cancel-hint"))
            return
        await callback.answer(l10n("no-longer-available"), show_alert=True)

    return router


async def _draft_button(
    callback: CallbackQuery,
    action: str,
    state: FSMContext,
    contests: ContestService,
    notices: Notices,
    audit: AuditLog,
    store: ContentStore,
    clock: Clock,
    settings: Settings,
    l10n: L10n,
) -> None:
    current = await state.get_state()
    data = await state.get_data()
    if action == "short" and current == ContestDialog.starts.state and "starts_at" in data:
        await state.update_data(short_ok=True)
        await state.set_state(ContestDialog.ends)
        await callback.answer()
        await edit(callback, Screen(l10n("draft-short-accepted")))
        if isinstance(callback.message, Message):
            await callback.message.answer(_ask("ends", l10n, settings))
        return
    if current != ContestDialog.preview.state:
        await callback.answer(l10n("no-longer-available"), show_alert=True)
        return
    if action == "abort":  # asks first: a finished draft is a lot of typing
        await callback.answer()
        title = html.escape(str(data.get("title", "")))
        await edit(
            callback,
            Screen(
                l10n("draft-delete-confirm", title=title),
                keyboard(
                    [(l10n("draft-delete-yes"), ContestCb(action="abort!"))],
                    [(l10n("draft-delete-back"), ContestCb(action="preview"))],
                ),
            ),
        )
        return
    if action == "abort!":
        await state.clear()
        await callback.answer()
        await edit(callback, Screen(l10n("draft-aborted")))
        return
    if action == "preview":
        await callback.answer()
        short = bool(data.get("short_ok"))
        preview = _preview(build(data), short, l10n, settings, store, contests.lead_days())
        await edit(callback, preview)
        return
    if action == "one":
        data["one_prize_per_partner"] = not data.get("one_prize_per_partner", False)
        await state.set_data(data)
        await callback.answer()
        contest = build(data)
        short = bool(data.get("short_ok"))
        await edit(callback, _preview(contest, short, l10n, settings, store, contests.lead_days()))
        return
    contest = build(data)  # save
    problems = contests.problems(contest)
    if not problems and contests.short_notice(contest.starts_at) and not data.get("short_ok"):
        problems = ["draft-short-unconfirmed"]
    if problems:
        await callback.answer(l10n(problems[0], days=contests.lead_days()), show_alert=True)
        return
    try:
        await contests.create(contest, actor(callback))
    except ContestRefused:
        await callback.answer(l10n("no-longer-available"), show_alert=True)
        return
    await state.clear()
    await audit.record(actor(callback), "contest_new", target=contest.id, details=contest.title)
    # SPEC §7: the announcement goes at creation (a short lead was confirmed in the dialog)
    announced = await _announce(contest, notices, audit, actor(callback))
    partners, community = announced.partners, announced.community
    await callback.answer()
    item = await contests.find(contest.id)
    if item is not None:
        screen = _card(item, clock.now(), l10n, settings, store)
        saved = l10n("draft-saved", count=partners, chat=int(community))
        await edit(callback, Screen(saved + "\n\n" + screen.text, screen.markup))
