"""/stop (every automated message off at once) and /forget (delete personal data)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import L10n
from bot.platform.session import PlatformSession
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.services.privacy import PrivacyService
from bot.services.support import SupportService
from handlers.callbacks import ForgetCb
from handlers.person import tell_forgotten
from handlers.relay import TicketRelay


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
    async def forget(message: Message, l10n: L10n) -> None:
        builder = InlineKeyboardBuilder()
        builder.button(text=l10n("forget-confirm"), callback_data=ForgetCb(confirm=True))
        builder.button(text=l10n("forget-cancel"), callback_data=ForgetCb(confirm=False))
        builder.adjust(1)
        await message.answer(l10n("forget-ask"), reply_markup=builder.as_markup())

    @router.callback_query(ForgetCb.filter())
    async def forget_answer(
        callback: CallbackQuery,
        callback_data: ForgetCb,
        partner: Partner,
        privacy: PrivacyService,
        state: FSMContext,
        relay: TicketRelay,
        support: SupportService,
        l10n: L10n,
    ) -> None:
        await callback.answer()
        if not isinstance(callback.message, Message):
            return
        if not callback_data.confirm:
            await callback.message.edit_text(l10n("forget-cancelled"))
            return
        open_ticket = await support.current(partner)  # closed by /forget: the managers hear
        placed = await support.history(partner)  # their topics are titled with their name
        changes = await privacy.forget(partner)
        await state.clear()
        await callback.message.edit_text(l10n("forget-done"))
        if callback.bot is not None:
            await tell_forgotten(callback.bot, relay, partner, changes)
            await relay.topics_forgotten(callback.bot, placed)
            if open_ticket is not None:  # they answered on into a ticket with nobody there
                text = relay.l10n("ticket-forgotten", number=open_ticket.id)
                await relay.note_to_managers(callback.bot, open_ticket, text)
        session = callback.bot.session if callback.bot is not None else None
        if isinstance(session, PlatformSession):  # VK, MAX: names kept in the process
            session.forget_person(callback.from_user.id)

    return router
