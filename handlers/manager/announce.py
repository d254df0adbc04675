"""/announce (message → audience → now or a time → preview with the count → confirm),
and the partners' 👍/👎 under an announcement; /announcements and /schedule are in
`announcements`."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.clock import Clock
from bot.config import Settings
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.max import markup as max_markup
from bot.notices.reports import MERGED, delivered_text
from bot.rendering import CAPTION_LIMIT, utf16_length
from bot.services.announcements import AnnouncementService, Draft
from bot.services.audit import AuditLog
from bot.services.contest_drafts import DraftError, read_future
from bot.services.contests import ContestService
from bot.services.outbox import Outbox
from bot.services.outbox_enqueue import COMMUNITY
from bot.services.partner import Partner
from handlers.callbacks import AnnounceCb, ReactionCb
from handlers.filters import CommandText, IsManager
from handlers.manager.announce_screens import (
    MOMENT,
    audience_screen,
    audience_title,
    empty_text,
    means_now,
    preview_buttons,
    reaction_buttons,
    when_screen,
)
from handlers.screens import Screen, actor, edit, keyboard, no_longer_available, send

LOOKUPS: Final = ("schedule", "announcements")  # commands that answer inside the dialog


class AnnounceDialog(StatesGroup):
    message = State()
    audience = State()
    when = State()
    preview = State()


def setup_commands() -> Router:
    """/announce (inside the managers' router)."""
    router = Router(name=f"{__name__}.commands")

    @router.message(Command("announce"))
    async def announce(message: Message, state: FSMContext, l10n: L10n) -> None:
        await state.set_state(AnnounceDialog.message)
        await state.set_data({})
        await message.answer(l10n("announce-ask-message"))

    return router


def setup_dialog() -> Router:
    """The manager's answers while /announce is open."""
    router = Router(name=f"{__name__}.dialog")
    # /schedule and /announcements only read: they answer inside the dialog (the
    # announcements' router), which stays where it was
    router.message.filter(StateFilter(AnnounceDialog), IsManager(), ~Command(*LOOKUPS))

    @router.message(Command("cancel"))
    async def abort(message: Message, state: FSMContext, l10n: L10n) -> None:
        await state.clear()
        await message.answer(l10n("announce-aborted"))

    @router.message(CommandText())
    async def other_command(message: Message, l10n: L10n) -> None:
        await message.answer(l10n("announce-command-inside"))

    @router.message(AnnounceDialog.message)
    async def the_message(message: Message, state: FSMContext, l10n: L10n) -> None:
        photo = message.photo[-1].file_id if message.photo else None
        document = message.document.file_id if message.document else None
        text = message.html_text if (message.text or message.caption) else ""
        if not text and photo is None and document is None:
            await message.answer(l10n("announce-unsupported"))
            return
        # one message on every platform: MAX takes 4,000 characters (Telegram 4,096)
        limit = CAPTION_LIMIT if (photo or document) else max_markup.TEXT_LIMIT
        # as Telegram counts: what is shown (UTF-16), not the HTML kept («&» is «&amp;»; on
        # MAX a text without markup goes as plain text and counts so too; one with markup
        # counts its tags and escapes, and may go there in parts: `bot/max/convert.split`)
        length = utf16_length(message.text or message.caption or "")
        if length > limit:
            await message.answer(l10n("announce-too-long", limit=limit, length=length))
            return
        # a text whose markup makes it longer than one MAX message: cut there, the
        # preview's count and the 👍/👎 under one part only would be wrong
        written = 0 if photo or document else max_markup.sent_length(max_markup.html(text))
        if written > max_markup.TEXT_LIMIT:
            await message.answer(
                l10n("announce-too-long-max", limit=max_markup.TEXT_LIMIT, length=written)
            )
            return
        await state.update_data(text=text, photo=photo, document=document)
        await state.set_state(AnnounceDialog.audience)
        await send(message, audience_screen(l10n))

    @router.message(AnnounceDialog.when)
    async def when(
        message: Message,
        state: FSMContext,
        announcements: AnnouncementService,
        content_store: ContentStore,
        clock: Clock,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        if means_now(message.text or "", l10n):
            await state.update_data(send_at=None)
            await _preview(message, state, announcements, content_store, settings, l10n)
            return
        try:
            moment = read_future(message.text or "", settings.tz, clock.now())
        except DraftError as error:
            refused = l10n("draft-refused", reason=l10n(error.key, **error.args_))
            await send(message, when_screen(l10n, refused + "\n"))
            return
        await state.update_data(send_at=moment.isoformat())
        data = await state.get_data()
        waking = announcements.in_quiet_hours(moment)
        if waking is not None and data.get("audience") != COMMUNITY:
            local = waking.astimezone(settings.tz)
            ok = l10n("announce-quiet-ok", time=f"{local:%H:%M}")  # not «утра»: any end
            await send(
                message,
                Screen(
                    l10n("announce-quiet", end=local.strftime(MOMENT)),
                    keyboard([(ok, AnnounceCb(action="quiet_ok"))]),
                ),
            )
            return
        await _preview(message, state, announcements, content_store, settings, l10n)

    @router.message()
    async def elsewhere(message: Message, state: FSMContext, l10n: L10n) -> None:
        """A typed answer where buttons are expected: the hint, with the buttons again
        (so the manager need not scroll up, and the earlier ones may be gone)."""
        hint = l10n("announce-use-buttons")
        current = await state.get_state()
        if current == AnnounceDialog.audience.state:
            screen = audience_screen(l10n)
            await send(message, Screen(hint + "\n\n" + screen.text, screen.markup))
        elif current == AnnounceDialog.preview.state:
            await send(message, Screen(hint, preview_buttons(l10n)))
        else:
            await message.answer(hint)

    return router


async def _preview(
    message: Message,
    state: FSMContext,
    announcements: AnnouncementService,
    store: ContentStore,
    settings: Settings,
    l10n: L10n,
) -> None:
    data = await state.get_data()
    audience = data["audience"]
    chosen = datetime.fromisoformat(data["send_at"]) if data.get("send_at") else None
    goes = None if audience == COMMUNITY else announcements.in_quiet_hours(chosen)
    reach = await announcements.reach(audience, goes or chosen)  # the cap of that week
    count = reach.people
    when = chosen.astimezone(settings.tz).strftime(MOMENT) if chosen else l10n("announce-now")
    # private messages wait out the partners' quiet hours: the preview says when they go
    waking = None if audience == COMMUNITY else announcements.in_quiet_hours(chosen)
    if waking is not None:
        when = l10n(
            "announce-when-quiet", when=when, end=waking.astimezone(settings.tz).strftime(MOMENT)
        )
    header = l10n(
        "announce-preview",
        audience=audience_title(
            audience, l10n, store, {audience.partition(":")[2]: data.get("audience_title", "")}
        )
        if data.get("audience_title")
        else audience_title(audience, l10n, store),
        count=count,
        when=when,
    )
    if reach.messages > reach.people:
        header += "\n" + l10n("announce-preview-messages", messages=reach.messages)
    cap = store.content.program.schedule.max_automated_per_week
    if reach.capped:
        header += "\n" + l10n("announce-preview-capped", count=reach.capped, cap=cap)
    if reach.crowding:  # only the slot kept for contests and announcements is left
        header += "\n" + l10n("announce-preview-crowds", count=reach.crowding, cap=cap)
    if reach.filling:  # it uses up their week: nothing automated after it
        header += "\n" + l10n("announce-preview-fills", count=reach.filling, cap=cap)
    await state.set_state(AnnounceDialog.preview)
    if count == 0 or (audience == COMMUNITY and not settings.community_chats()):
        empty = await empty_text(audience, announcements, settings, l10n)
        await message.answer(header + "\n\n" + empty)
        await state.set_state(AnnounceDialog.audience)
        await send(message, audience_screen(l10n))
        return
    excluded = await announcements.excluded(audience)
    if excluded:
        header += "\n" + l10n("announce-preview-excluded", count=excluded)
    await message.answer(header)
    buttons = preview_buttons(l10n)
    text = data["text"]
    if data.get("photo"):
        await message.answer_photo(data["photo"], caption=text or None, reply_markup=buttons)
    elif data.get("document"):
        await message.answer_document(data["document"], caption=text or None, reply_markup=buttons)
    else:
        await message.answer(text, reply_markup=buttons)


def setup_buttons() -> Router:
    """The dialog's buttons (managers) and 👍/👎 under announcements (partners)."""
    router = Router(name=f"{__name__}.buttons")

    @router.callback_query(ReactionCb.filter())
    async def reaction(
        callback: CallbackQuery,
        callback_data: ReactionCb,
        partner: Partner | None,
        announcements: AnnouncementService,
        l10n: L10n,
    ) -> None:
        if partner is None or not await announcements.react(
            callback_data.announcement, partner, callback_data.value
        ):
            await callback.answer(l10n("no-longer-available"), show_alert=True)
            return
        await callback.answer(l10n("announce-thanks"))

    @router.callback_query(AnnounceCb.filter(), IsManager())
    async def pressed(
        callback: CallbackQuery,
        callback_data: AnnounceCb,
        state: FSMContext,
        announcements: AnnouncementService,
        contests: ContestService,
        outbox: Outbox,
        audit: AuditLog,
        content_store: ContentStore,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        action, value = callback_data.action, callback_data.value
        message = callback.message if isinstance(callback.message, Message) else None
        if action == "cancel":
            number = (
                int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
            )
            report = await announcements.cancel(number) if number is not None else None
            if report is None:
                await callback.answer(l10n("no-longer-available"), show_alert=True)
                return
            await audit.record(actor(callback), "announcement_cancel", target=value)
            await callback.answer()
            sent = (await outbox.people(f"announcement:{number}", MERGED)).get("sent", 0)
            delivered = delivered_text(l10n, sent, report.delivered)
            await edit(
                callback,
                Screen(l10n("announcements-cancelled", number=value, delivered=delivered)),
            )
            return
        current = await state.get_state()
        if message is None or current is None or not current.startswith("AnnounceDialog:"):
            await callback.answer(l10n("no-longer-available"), show_alert=True)
            return
        program = content_store.content.program
        if action == "pick":
            options: list[tuple[str, str]]
            # "/" stands for ":" inside callback data, which ":" separates
            if value == "segment":
                options = [(s.title, f"segment/{s.id}") for s in program.segments]
            elif value == "tier":
                options = [(t.title, f"tier/{t.id}") for t in program.tiers]
            else:
                # every open contest, of one segment too (its participants: docs/managers.md)
                options = [(c.title, f"contest/{c.id}") for c in await contests.current()]
            if not options:
                await callback.answer(l10n("announce-nothing-to-pick"), show_alert=True)
                return
            await callback.answer()
            rows = [[(title[:60], AnnounceCb(action="to", value=ref))] for title, ref in options]
            rows.append([(l10n("button-back"), AnnounceCb(action="back"))])
            await edit(callback, Screen(l10n("announce-ask-audience"), keyboard(*rows)))
            return
        if action == "back" and current == AnnounceDialog.audience.state:
            await callback.answer()
            await edit(callback, audience_screen(l10n))
            return
        if action == "to" and current == AnnounceDialog.audience.state:
            audience = value.replace("/", ":", 1)
            if not await announcements.known(audience):  # data no button of ours carries
                await no_longer_available(callback, l10n)
                return
            await callback.answer()
            community_missing = audience == COMMUNITY and not settings.community_chats()
            if community_missing or (
                audience != COMMUNITY and not await announcements.recipients(audience)
            ):
                await message.answer(await empty_text(audience, announcements, settings, l10n))
                await send(message, audience_screen(l10n))
                return
            title = ""
            if audience.startswith("contest:"):
                found = await contests.find(audience.partition(":")[2])
                title = found.contest.title if found is not None else ""
            await state.update_data(audience=audience, audience_title=title)
            await state.set_state(AnnounceDialog.when)
            await edit(callback, when_screen(l10n))
            return
        if action == "now" and current == AnnounceDialog.when.state:
            await state.update_data(send_at=None)
            await callback.answer()
            await _preview(message, state, announcements, content_store, settings, l10n)
            return
        if action == "quiet_ok" and current == AnnounceDialog.when.state:
            await callback.answer()
            await _preview(message, state, announcements, content_store, settings, l10n)
            return
        if action == "abort":
            await state.clear()
            await callback.answer()
            await message.answer(l10n("announce-aborted"))
            return
        if action == "confirm" and current == AnnounceDialog.preview.state:
            data = await state.get_data()
            await state.clear()
            draft = Draft(data["text"], data.get("photo"), data.get("document"))
            send_at = datetime.fromisoformat(data["send_at"]) if data.get("send_at") else None
            item, queued = await announcements.create(
                draft,
                data["audience"],
                send_at,
                actor(callback),
                message.chat.id,
                buttons_for=None if data["audience"] == COMMUNITY else reaction_buttons,
            )
            await audit.record(
                actor(callback), "announce", target=str(item.id), details=item.audience
            )
            await callback.answer()
            text = l10n("announce-queued", number=item.id, count=queued)
            # whom the weekly cap left out: the preview said it, the confirmation says it too
            subject = f"announcement:{item.id}"
            capped = (await outbox.people(subject, status="capped")).get("capped", 0)
            if capped:
                cap = program.schedule.max_automated_per_week
                text += "\n" + l10n("announced-capped", count=capped, cap=cap)
            await message.answer(text)
            return
        await callback.answer(l10n("no-longer-available"), show_alert=True)

    return router
