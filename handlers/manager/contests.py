"""/contests_admin: the list of contests, each with its card (announce, edit before the
start, cancel); /contest_new opens the dialog (`contest_dialog`)."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.clock import Clock
from bot.config import Settings
from bot.content.models import Contest
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.notices import Notices
from bot.notices.contest_changes import Announced
from bot.services.audit import AuditLog
from bot.services.contest_drafts import build
from bot.services.contests import ContestRefused, ContestService
from bot.services.partners import PartnerService
from bot.texts import winners_text
from handlers.callbacks import ContestCb
from handlers.filters import IsManager
from handlers.manager.announce_screens import held_note
from handlers.manager.contest_dialog import ContestDialog, ContestEdit, start_dialog
from handlers.manager.contest_edits import confirmed
from handlers.manager.contest_screens import admin_card, admin_list, ask_step, preview_screen
from handlers.screens import Screen, actor, edit, keyboard, send


def setup_commands() -> Router:
    """/contest_new and /contests_admin (inside the managers' router)."""
    router = Router(name=f"{__name__}.commands")

    @router.message(Command("contest_new"))
    async def contest_new(
        message: Message, state: FSMContext, settings: Settings, l10n: L10n
    ) -> None:
        await start_dialog(message, state, settings, l10n)

    @router.message(Command("contests_admin"))
    async def contests_admin(
        message: Message, contests: ContestService, clock: Clock, settings: Settings, l10n: L10n
    ) -> None:
        await send(message, admin_list(await contests.all(), clock.now(), l10n, settings))

    return router


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
        partners: PartnerService,
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
            await edit(callback, admin_list(await contests.all(), now, l10n, settings))
            return
        item = await contests.find(callback_data.id)
        if item is None:
            await callback.answer(l10n("no-longer-available"), show_alert=True)
            return
        contest = item.contest
        open_card = ContestCb(action="open", id=contest.id)
        if action == "open":
            await callback.answer()
            card = admin_card(item, now, l10n, settings, content_store)
            # who gets the prizes; while it runs, who leads
            if item.status == "active" and contest.starts_at <= now:
                winners = await _winners(contest, contests, partners, now, settings, l10n)
                card = Screen(f"{card.text}\n\n{winners}", card.markup)
            await edit(callback, card)
            return
        if item.status != "active" or contest.ends_at <= now:
            await callback.answer(l10n("contests-admin-not-active"), show_alert=True)
            return
        if action in {"announce", "announce!"} and item.announced_at is not None:
            await callback.answer(l10n("contests-admin-already-announced"), show_alert=True)
            return
        if action == "announce" and contest.starts_at <= now:
            # nobody announced it, and partners do not see it (`ContestService.current`):
            # announced now, it goes as a running contest, its sales counted since its start
            start = contest.starts_at.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
            await callback.answer()
            await edit(
                callback,
                Screen(
                    l10n("contests-admin-running-warning", start=start),
                    keyboard(
                        [
                            (
                                l10n("contests-admin-announce-anyway"),
                                ContestCb(action="announce!", id=contest.id),
                            )
                        ],
                        [(l10n("contests-admin-to-card"), open_card)],
                    ),
                ),
            )
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
            announced = await _announce(contest, notices, audit, who)
            await callback.answer()
            count, chat = announced.partners, int(announced.community)
            text = l10n("contests-admin-announced-now", count=count, chat=chat)
            text += _announced_notes(announced, content_store, settings, l10n)
            await edit(
                callback, Screen(text, keyboard([(l10n("contests-admin-to-card"), open_card)]))
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
                    )
                    + ("\n" + l10n("contests-admin-group-told") if cancelled.group else ""),
                    keyboard([(l10n("contests-admin-back"), ContestCb(action="list"))]),
                ),
            )
            return
        if action in {"edit!", "edit-"}:  # ✅ / ✖️ under a change shown first
            data = await state.get_data()
            if await state.get_state() != ContestEdit.confirm.state or data.get("id") != (
                contest.id
            ):
                await callback.answer(l10n("no-longer-available"), show_alert=True)
                return
            await callback.answer()
            if not isinstance(callback.message, Message):
                return
            await callback.message.edit_reply_markup(reply_markup=None)  # pressed once
            if action == "edit-":
                await state.clear()
                title = html.escape(contest.title)
                await callback.message.answer(l10n("contests-admin-edit-aborted", title=title))
                return
            await confirmed(callback.message, state, contests, notices, l10n, settings.tz)
            await audit.record(who, "contest_edit", target=contest.id, details=data.get("what"))
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


async def _winners(
    contest: Contest,
    contests: ContestService,
    partners: PartnerService,
    now: datetime,
    settings: Settings,
    l10n: L10n,
) -> str:
    """The winners of a finished contest; before its hold ends, preliminary ones; while
    it runs, the leaders."""
    final = contest.ends_at + timedelta(days=contest.hold_days)
    until = final.astimezone(settings.tz).strftime("%d.%m.%Y %H:%M")
    if now >= final:
        header = l10n("contest-winners", title=html.escape(contest.title))
    elif now < contest.ends_at:
        header = l10n("contest-leaders", until=until)
    else:
        header = l10n("contest-winners-preliminary", until=until)
    results = await contests.results(contest)
    return await winners_text(header, contest, results, partners, l10n, settings.tz)


def _announced_notes(
    announced: Announced, store: ContentStore, settings: Settings, l10n: L10n
) -> str:
    """The lines saying when the private messages of an announcement held for the end of
    the quiet hours go (as the /announce preview says it) and whom the weekly cap left
    out (or nothing)."""
    text = held_note(announced.held_until, settings.tz, l10n)
    if announced.capped:
        cap = store.content.program.schedule.max_automated_per_week
        text += "\n" + l10n("announced-capped", count=announced.capped, cap=cap)
    return text


async def _announce(contest: Contest, notices: Notices, audit: AuditLog, who: str) -> Announced:
    announced = await notices.announce_contest(contest)
    details = f"{announced.enqueued.queued} queued"
    await audit.record(who, "contest_announce", target=contest.id, details=details)
    return announced


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
            await callback.message.answer(ask_step("ends", l10n, settings))
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
        preview = preview_screen(build(data), short, l10n, settings, store, contests.lead_days())
        await edit(callback, preview)
        return
    if action == "one":
        data["one_prize_per_partner"] = not data.get("one_prize_per_partner", False)
        await state.set_data(data)
        await callback.answer()
        contest = build(data)
        short = bool(data.get("short_ok"))
        await edit(
            callback, preview_screen(contest, short, l10n, settings, store, contests.lead_days())
        )
        return
    contest = build(data)  # save
    problems = contests.problems(contest, short_confirmed=bool(data.get("short_ok")))
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
        screen = admin_card(item, clock.now(), l10n, settings, store)
        saved = l10n("draft-saved", count=partners, chat=int(community))
        saved += _announced_notes(announced, store, settings, l10n)
        await edit(callback, Screen(saved + "\n\n" + screen.text, screen.markup))
