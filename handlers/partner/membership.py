"""A partner blocking or unblocking the bot (`my_chat_member` in the private chat): blocked
partners are skipped by every send until they come back."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from bot.platforms import platform_of
from bot.services.partners import PartnerService


def setup() -> Router:
    router = Router(name=__name__)

    @router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=KICKED))
    async def blocked(event: ChatMemberUpdated, partners: PartnerService, bot: Bot) -> None:
        if event.chat.type != "private":
            return
        partner = await partners.by_user(platform_of(bot), event.from_user.id)
        if partner is not None and not partner.unreachable:
            await partners.mark_unreachable(partner)

    @router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    async def unblocked(event: ChatMemberUpdated, partners: PartnerService, bot: Bot) -> None:
        if event.chat.type != "private":
            return
        partner = await partners.by_user(platform_of(bot), event.from_user.id)
        if partner is not None and partner.unreachable:
            await partners.mark_reachable(partner)

    return router
