"""Onboarding picked up from the database when the dialog's state is gone (Redis restarted
empty, a state expired): the partner's next answer or press goes on where they were —
the segment, the first question without a saved answer, or the consent — instead of the
FAQ reading their answer as a question."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.config import Settings
from bot.content.models import Content
from bot.platforms import platform_of
from bot.services.onboarding import unfinished_step
from bot.services.partner import Partner
from handlers.middlewares import Handler, starts
from handlers.partner.start import Onboarding

__all__ = ["ResumeOnboarding", "onboarding_step"]


def onboarding_step(partner: Partner, content: Content) -> tuple[State, int]:
    """Where a partner who has not finished onboarding is, by what is saved: (state, the
    question's index for Onboarding.question)."""
    program = content.program
    step = unfinished_step(partner.segment, partner.answers, program)
    if step < 0:
        return Onboarding.segment, 0
    if step < len(program.onboarding_questions):
        return Onboarding.question, step
    return Onboarding.consent, 0


class ResumeOnboarding(BaseMiddleware):
    """After PartnerMiddleware, in private chats: a partner not onboarded, with no dialog
    state, writing or pressing anything but /start, gets the onboarding step back."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        partner: Partner | None = data.get("partner")
        state: FSMContext | None = data.get("state")
        if (
            partner is not None
            and not partner.onboarded
            and state is not None
            and data.get("raw_state") is None
            and isinstance(event, Message | CallbackQuery)
            and not starts(event)
            and not self._settings.is_manager(f"{platform_of(data['bot'])}:{partner.user_id}")
        ):
            step, index = onboarding_step(partner, data["content"])
            await state.set_state(step)
            if step == Onboarding.question:
                await state.update_data(question=index)
            data["raw_state"] = step.state
        return await handler(event, data)
