"""The ticket relay: moves messages between a partner and the managers through the Bot API.

Where the managers are decides the path: a forum supergroup gets a topic per ticket; a
plain group gets the ticket card and the messages, and managers reply to any of them;
with no managers' chat, every manager gets the ticket in private. Every message that
crosses is kept as a pair in the database, so replies find their way after a restart.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message

from bot.config import Settings
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.services.partners import Partner, PartnerService
from bot.services.support import SupportService, Ticket

logger = logging.getLogger(__name__)

TOPIC_NAME_LIMIT = 128


class TicketRelay:
    def __init__(
        self,
        settings: Settings,
        support: SupportService,
        partners: PartnerService,
        store: ContentStore,
    ) -> None:
        self._settings = settings
        self._support = support
        self._partners = partners
        self._store = store
        self._forum: bool | None = None

    @property
    def l10n(self) -> L10n:
        """Managers read the program's default language."""
        return self._store.live.translator.get(None)

    @property
    def managers_chat(self) -> int | None:
        return self._settings.tg_managers_chat_id

    def manager_chats(self) -> list[int]:
        """Where tickets go: the managers' chat, or each manager in private."""
        if self.managers_chat is not None:
            return [self.managers_chat]
        return [int(item[3:]) for item in self._settings.managers if item.startswith("tg:")]

    async def is_forum(self, bot: Bot) -> bool:
        if self.managers_chat is None:
            return False
        if self._forum is None:
            chat = await bot.get_chat(self.managers_chat)
            self._forum = bool(chat.is_forum)
        return self._forum

    # --- partner → managers --------------------------------------------------------

    async def _card_text(self, ticket: Ticket, partner: Partner, forum: bool) -> str:
        card = await self._support.card(ticket, partner)
        l10n = self.l10n
        who = f"@{partner.username}, {partner.key}" if partner.username else partner.key
        text = l10n(
            "ticket-card",
            number=ticket.id,
            name=html.escape(partner.first_name),
            who=html.escape(who),
            segment=html.escape(card.segment_title or l10n("ticket-none")),
            affiliate=html.escape(partner.affiliate_id or l10n("ticket-none")),
            question=html.escape(ticket.question[:1500] or l10n("ticket-none")),
        )
        asked = [q for q in card.recent_questions if q != ticket.question][:5]
        if asked:
            text += "\n" + l10n("ticket-card-asked-before")
            text += "".join(f"\n• {html.escape(q[:200])}" for q in asked)
        text += "\n\n" + l10n("ticket-card-howto" if forum else "ticket-card-howto-reply")
        return text

    def _topic_name(self, ticket: Ticket, partner: Partner) -> str:
        segment = self._store.content.program.segment_title(partner.segment) or "—"
        name = self.l10n(
            "ticket-topic", number=ticket.id, name=partner.first_name, segment=segment
        )
        return name[:TOPIC_NAME_LIMIT]

    async def _ensure_place(self, bot: Bot, ticket: Ticket, partner: Partner) -> Ticket:
        """A topic (forum) or a card (group, private) in every place the ticket goes."""
        forum = await self.is_forum(bot)
        if forum and self.managers_chat is not None:
            if ticket.thread_id is not None and ticket.chat_id == self.managers_chat:
                return ticket
            topic = await bot.create_forum_topic(
                self.managers_chat, self._topic_name(ticket, partner)
            )
            ticket = await self._support.place(ticket, self.managers_chat, topic.message_thread_id)
            card = await bot.send_message(
                self.managers_chat,
                await self._card_text(ticket, partner, forum=True),
                message_thread_id=topic.message_thread_id,
            )
            await self._support.remember(ticket, "card", self.managers_chat, card.message_id)
            return ticket
        for chat_id in self.manager_chats():
            if await self._support.card_message(ticket, chat_id) is None:
                try:
                    card = await bot.send_message(
                        chat_id, await self._card_text(ticket, partner, forum=False)
                    )
                except (TelegramForbiddenError, TelegramBadRequest) as exc:
                    logger.warning("ticket %s: cannot reach chat %s: %s", ticket.id, chat_id, exc)
                    continue
                await self._support.remember(ticket, "card", chat_id, card.message_id)
        if ticket.chat_id != self.managers_chat:
            ticket = await self._support.place(ticket, self.managers_chat, None)
        return ticket

    async def to_managers(
        self, bot: Bot, ticket: Ticket, partner: Partner, message: Message | None = None
    ) -> Ticket:
        """Show the ticket to the managers (card first) and copy the partner's message."""
        ticket = await self._ensure_place(bot, ticket, partner)
        if message is not None:
            ticket = await self._copy_in(bot, ticket, partner, message)
        return await self._support.partner_wrote(ticket)

    async def _copy_in(
        self, bot: Bot, ticket: Ticket, partner: Partner, message: Message
    ) -> Ticket:
        for chat_id in self._targets(ticket):
            try:
                copied = await bot.copy_message(
                    chat_id,
                    from_chat_id=message.chat.id,
                    message_id=message.message_id,
                    message_thread_id=ticket.thread_id if chat_id == ticket.chat_id else None,
                )
            except TelegramBadRequest as exc:
                if "thread not found" not in exc.message or ticket.thread_id is None:
                    raise
                # the topic was deleted: a new one with the card, then the message again
                logger.info("ticket %s: topic gone, opening a new one", ticket.id)
                ticket = await self._support.place(ticket, ticket.chat_id, None)
                ticket = await self._ensure_place(bot, ticket, partner)
                return await self._copy_in(bot, ticket, partner, message)
            except TelegramForbiddenError as exc:
                logger.warning("ticket %s: cannot reach chat %s: %s", ticket.id, chat_id, exc)
                continue
            await self._support.remember(
                ticket, "in", chat_id, copied.message_id, partner_message_id=message.message_id
            )
        return ticket

    def _targets(self, ticket: Ticket) -> list[int]:
        if ticket.thread_id is not None and ticket.chat_id is not None:
            return [ticket.chat_id]
        return self.manager_chats()

    async def note_to_managers(self, bot: Bot, ticket: Ticket, text: str) -> None:
        """A line from the bot in every place the ticket lives (reopened, closed, overdue)."""
        for chat_id in self._targets(ticket):
            try:
                sent = await bot.send_message(
                    chat_id,
                    text,
                    message_thread_id=ticket.thread_id if chat_id == ticket.chat_id else None,
                )
            except (TelegramForbiddenError, TelegramBadRequest) as exc:
                logger.warning("ticket %s: note not delivered to %s: %s", ticket.id, chat_id, exc)
                continue
            await self._support.remember(ticket, "note", chat_id, sent.message_id)

    # --- managers → partner --------------------------------------------------------

    async def to_partner(self, bot: Bot, ticket: Ticket, message: Message) -> bool:
        """Copy a manager's message to the partner, as the bot. False: not delivered."""
        partner = await self._partners.get(ticket.partner_id)
        if partner is None:
            return False
        try:
            copied = await bot.copy_message(
                partner.chat_id, from_chat_id=message.chat.id, message_id=message.message_id
            )
        except TelegramForbiddenError:
            await self._partner_unreachable(bot, ticket, partner)
            return False
        await self._support.remember(
            ticket,
            "out",
            message.chat.id,
            message.message_id,
            partner_message_id=copied.message_id,
        )
        await self._support.manager_replied(ticket)
        return True

    async def text_to_partner(self, bot: Bot, ticket: Ticket, text: str) -> bool:
        """A manager's canned reply, sent as the bot."""
        if await self._send_to_partner(bot, ticket, lambda _l10n: (text, None)):
            await self._support.manager_replied(ticket)
            return True
        return False

    async def tell_partner(
        self,
        bot: Bot,
        ticket: Ticket,
        key: str,
        markup: Callable[[Ticket, L10n], InlineKeyboardMarkup] | None = None,
    ) -> bool:
        """A line from the bot about the ticket, in the partner's language."""
        return await self._send_to_partner(
            bot,
            ticket,
            lambda l10n: (l10n(key, number=ticket.id), markup(ticket, l10n) if markup else None),
        )

    async def _send_to_partner(
        self,
        bot: Bot,
        ticket: Ticket,
        render: Callable[[L10n], tuple[str, InlineKeyboardMarkup | None]],
    ) -> bool:
        partner = await self._partners.get(ticket.partner_id)
        if partner is None:
            return False
        text, markup = render(self._store.live.translator.get(partner.language))
        try:
            await bot.send_message(partner.chat_id, text, reply_markup=markup)
        except TelegramForbiddenError:
            await self._partner_unreachable(bot, ticket, partner)
            return False
        return True

    async def _partner_unreachable(self, bot: Bot, ticket: Ticket, partner: Partner) -> None:
        await self._partners.mark_unreachable(partner)
        await self.note_to_managers(bot, ticket, self.l10n("ticket-blocked", number=ticket.id))
