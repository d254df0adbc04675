"""/stop (every automated message off at once) and /forget (delete personal data: in this
chat, or in every chat of a person linked on several platforms, docs/one-person.md)."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import L10n
from bot.platform.session import PlatformSession
from bot.platforms import Platforms, platform_of
from bot.services.partner import Partner
from bot.services.partners import Changed, PartnerService
from bot.services.privacy import PrivacyService
from bot.services.support import SupportService
from bot.services.tickets import Ticket
from handlers.callbacks import ForgetCb, ForgetEverywhereCb
from handlers.person import tell_forgotten
from handlers.relay import TicketRelay


@dataclass(frozen=True)
class _Forgotten:
    """A chat whose data is deleted, with what the managers' chat still shows of it."""

    chat: Partner
    open_ticket: Ticket | None  # closed by /forget: the managers hear
    placed: list[Ticket]  # their topics are titled with the partner's name
    changes: list[Changed]  # the person's other chats whose newsletter choice is back


def _platform_names(chats: list[Partner], l10n: L10n) -> str:
    """«MAX», «MAX и ВКонтакте»: where the person's other chats are."""
    names = list(dict.fromkeys(l10n("person-platform", platform=c.platform) for c in chats))
    if len(names) == 1:
        return names[0]
    return l10n("forget-and", most=", ".join(names[:-1]), last=names[-1])


def _bot_on(platform: str, bot: Bot | None, platforms: Platforms) -> Bot | None:
    """The bot of `platform` in this process (None: that platform does not run here)."""
    if bot is not None and platform_of(bot) == platform:
        return bot
    return platforms.get(platform)


async def _forget(chat: Partner, privacy: PrivacyService, support: SupportService) -> _Forgotten:
    open_ticket = await support.current(chat)
    placed = await support.history(chat)
    return _Forgotten(chat, open_ticket, placed, await privacy.forget(chat))


async def _end_dialog(storage: BaseStorage, bot: Bot | None, chat: Partner) -> None:
    """Another chat's dialog state (the key its platform's updates are handled with)."""
    if bot is not None:
        key = StorageKey(bot_id=bot.id, chat_id=chat.chat_id, user_id=chat.user_id)
        await FSMContext(storage, key).clear()


async def _tell_the_rest(
    bot: Bot | None,
    relay: TicketRelay,
    platforms: Platforms,
    forgotten: _Forgotten,
    gone: set[int],
) -> None:
    """After the partner was answered: the person's remaining chats (not `gone`) told of
    their newsletters, the topics renamed, the managers told of a ticket closed, and the
    platform's session forgets the person's name."""
    if bot is not None:
        changes = [change for change in forgotten.changes if change[1].id not in gone]
        await tell_forgotten(bot, relay, forgotten.chat, changes)
        await relay.topics_forgotten(bot, forgotten.placed)
        if forgotten.open_ticket is not None:  # they answered on into a ticket with nobody
            text = relay.l10n("ticket-forgotten", number=forgotten.open_ticket.id)
            await relay.note_to_managers(bot, forgotten.open_ticket, text)
    on_platform = _bot_on(forgotten.chat.platform, bot, platforms)
    session = on_platform.session if on_platform is not None else None
    if isinstance(session, PlatformSession):  # VK, MAX: names kept in the process
        session.forget_person(forgotten.chat.user_id)


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("stop"))
    async def stop(
        message: Message, partner: Partner, partners: PartnerService, l10n: L10n
    ) -> None:
        already = partner.stopped
        await partners.stop(partner)
        if not partner.wants_newsletters:
            await message.answer(l10n("stop-done-none"))
        else:  # a second /stop: it is so already, said so
            await message.answer(l10n("stop-done-already" if already else "stop-done"))

    @router.message(Command("forget"))
    async def forget(
        message: Message, partner: Partner, partners: PartnerService, l10n: L10n
    ) -> None:
        twins = await partners.twins(partner)
        builder = InlineKeyboardBuilder()
        if twins:  # their other chats keep their data unless they say so
            text = l10n(
                "forget-ask-linked", count=len(twins), platforms=_platform_names(twins, l10n)
            )
            builder.button(text=l10n("forget-here"), callback_data=ForgetCb(confirm=True))
            builder.button(text=l10n("forget-everywhere"), callback_data=ForgetEverywhereCb())
        else:
            text = l10n("forget-ask")
            builder.button(text=l10n("forget-confirm"), callback_data=ForgetCb(confirm=True))
        builder.button(text=l10n("forget-cancel"), callback_data=ForgetCb(confirm=False))
        builder.adjust(1)
        await message.answer(text, reply_markup=builder.as_markup())

    @router.callback_query(ForgetCb.filter())
    async def forget_here(
        callback: CallbackQuery,
        callback_data: ForgetCb,
        partner: Partner,
        partners: PartnerService,
        privacy: PrivacyService,
        state: FSMContext,
        relay: TicketRelay,
        support: SupportService,
        platforms: Platforms,
        l10n: L10n,
    ) -> None:
        await callback.answer()
        if not isinstance(callback.message, Message):
            return
        if not callback_data.confirm:
            await callback.message.edit_text(l10n("forget-cancelled"))
            return
        others = await partners.twins(partner)  # they keep theirs: said so
        forgotten = await _forget(partner, privacy, support)
        await state.clear()
        if others:
            names = _platform_names(others, l10n)
            text = l10n("forget-done-here", count=len(others), platforms=names)
        else:
            text = l10n("forget-done")
        await callback.message.edit_text(text)
        await _tell_the_rest(callback.bot, relay, platforms, forgotten, {partner.id})

    @router.callback_query(ForgetEverywhereCb.filter())
    async def forget_everywhere(
        callback: CallbackQuery,
        partner: Partner,
        partners: PartnerService,
        privacy: PrivacyService,
        state: FSMContext,
        fsm_storage: BaseStorage,
        relay: TicketRelay,
        support: SupportService,
        platforms: Platforms,
        l10n: L10n,
    ) -> None:
        await callback.answer()
        if not isinstance(callback.message, Message):
            return
        twins = await partners.twins(partner)  # read now: the button names nobody
        done = [await _forget(chat, privacy, support) for chat in (partner, *twins)]
        await state.clear()
        for twin in twins:
            await _end_dialog(fsm_storage, _bot_on(twin.platform, callback.bot, platforms), twin)
        if twins:
            names = _platform_names(twins, l10n)
            text = l10n("forget-done-everywhere", count=len(twins), platforms=names)
        else:
            text = l10n("forget-done")
        await callback.message.edit_text(text)
        gone = {forgotten.chat.id for forgotten in done}  # told nothing: forgotten too
        for forgotten in done:
            await _tell_the_rest(callback.bot, relay, platforms, forgotten, gone)

    return router
