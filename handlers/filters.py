"""Router-level filters.

These are `BaseFilter` classes rather than magic filters (`F.…`) on purpose: aiogram runs
a synchronous filter in a worker thread (`asyncio.to_thread`) for every update, which on
the hot path costs more than everything else an update does.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.platforms import platform_of
from bot.services.partner import Partner
from bot.services.support import SupportService
from handlers.relay import TicketRelay


class IsManager(BaseFilter):
    """True for the platform ids listed in MANAGERS."""

    async def __call__(self, event: Message | CallbackQuery, settings: Settings, bot: Bot) -> bool:
        user = event.from_user
        return user is not None and settings.is_manager(f"{platform_of(bot)}:{user.id}")


class PrivateChat(BaseFilter):
    """Messages and button presses in a private chat with the bot."""

    async def __call__(self, event: Message | CallbackQuery) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return message is not None and message.chat.type == "private"


class CommandText(BaseFilter):
    """A message that starts with a slash (a command, known or not)."""

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text.startswith("/")


class PlainText(BaseFilter):
    """A text message that is not a command."""

    async def __call__(self, message: Message) -> bool:
        return bool(message.text) and not (message.text or "").startswith("/")


class ManagersChat(BaseFilter):
    """Messages in the managers' chat (TG_MANAGERS_CHAT_ID, or the supergroup it became;
    VK_MANAGERS_PEER_ID on VK)."""

    async def __call__(self, message: Message, relay: TicketRelay, bot: Bot) -> bool:
        return relay.is_managers_chat(platform_of(bot), message.chat.id)


class TicketOfMessage(BaseFilter):
    """A message in a ticket's forum topic, or a reply to a message of a ticket; injects
    `ticket`. `forgotten`: only of a ticket whose partner used /forget."""

    def __init__(self, *, forgotten: bool = False) -> None:
        self.forgotten = forgotten

    async def __call__(
        self, message: Message, support: SupportService, bot: Bot
    ) -> bool | dict[str, Any]:
        ticket = None
        if message.is_topic_message and message.message_thread_id is not None:
            ticket = await support.by_topic(
                message.chat.id, message.message_thread_id, forgotten=self.forgotten
            )
        elif message.reply_to_message is not None:
            ticket = await support.by_message(
                message.chat.id,
                message.reply_to_message.message_id,
                platform_of(bot),
                forgotten=self.forgotten,
            )
        return {"ticket": ticket} if ticket is not None else False


class OpenTicket(BaseFilter):
    """A partner who has an open ticket; injects `ticket`."""

    async def __call__(
        self, message: Message, partner: Partner | None, support: SupportService
    ) -> bool | dict[str, Any]:
        if partner is None:
            return False
        ticket = await support.current(partner)
        return {"ticket": ticket} if ticket is not None else False


class CommunityChat(BaseFilter):
    """Messages in the partners' group (TG_COMMUNITY_CHAT_ID, VK_COMMUNITY_PEER_ID,
    MAX_COMMUNITY_CHAT_ID)."""

    async def __call__(self, message: Message, settings: Settings, bot: Bot) -> bool:
        chat_id = settings.community_chat(platform_of(bot))
        return chat_id is not None and message.chat.id == chat_id


class NewMembers(BaseFilter):
    async def __call__(self, message: Message) -> bool:
        return bool(message.new_chat_members)


class InConversation(BaseFilter):
    """A message that may belong to a ticket: the /support question being typed, a partner
    with an open ticket, or a manager's reply. One cheap check keeps ordinary questions
    off the ticket routers."""

    async def __call__(
        self,
        message: Message,
        raw_state: str | None,
        partner: Partner | None,
        settings: Settings,
        support: SupportService,
        bot: Bot,
    ) -> bool:
        if raw_state is not None and raw_state.startswith("SupportDialog:"):
            return True
        return await _ticket_related(message, partner, settings, support, bot)


class RepliesToBot(BaseFilter):
    """A reply to one of the bot's own messages."""

    async def __call__(self, message: Message, bot: Bot) -> bool:
        replied = message.reply_to_message
        return bool(replied and replied.from_user and replied.from_user.id == bot.id)


class PlainQuestion(BaseFilter):
    """Text that is just a question: not a command, no dialog going on, no open ticket and
    not a manager's reply. It goes straight to the FAQ, past every other router."""

    async def __call__(
        self,
        message: Message,
        raw_state: str | None,
        partner: Partner | None,
        settings: Settings,
        support: SupportService,
        bot: Bot,
    ) -> bool:
        text = message.text
        if not text or text.startswith("/") or raw_state is not None or partner is None:
            return False
        return not await _ticket_related(message, partner, settings, support, bot)


async def _ticket_related(
    message: Message,
    partner: Partner | None,
    settings: Settings,
    support: SupportService,
    bot: Bot,
) -> bool:
    """A manager's reply (it may answer a ticket), or a partner with an open ticket."""
    user = message.from_user
    replied = message.reply_to_message is not None
    if replied and user is not None and settings.is_manager(f"{platform_of(bot)}:{user.id}"):
        return True
    return partner is not None and await support.current(partner) is not None
