"""The ticket relay: moves messages between a partner and the managers through the Bot API.

Where the managers are decides the path: a forum supergroup gets a topic per ticket; a
plain group (or a VK chat: VK has no topics) gets the ticket card and the messages, and
managers reply to any of them; with no managers' chat, every manager gets the ticket in
private. Every message that crosses is kept as a pair in the database, so replies find
their way after a restart.

A partner and the managers may be on different platforms (a VK partner, managers in a
Telegram forum): a message then crosses as its text (or caption) sent by the other
platform's bot, with a line naming what could not cross (a photo, a file); on the same
platform it is copied as it is.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message

from bot.config import PLATFORMS, Settings
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.names import without_bidi
from bot.platforms import Platforms, platform_of
from bot.rendering import CAPTION_LIMIT, split_text, utf16_length
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.services.support import SupportService
from bot.services.tickets import Ticket
from bot.telegram.session import ChatMigrations
from handlers.message_copy import AlbumBuffer, copy_messages, resend
from handlers.ticket_card import TOPIC_NAME_LIMIT, ticket_card, topic_name

logger = logging.getLogger(__name__)


class TicketRelay:
    def __init__(
        self,
        settings: Settings,
        support: SupportService,
        partners: PartnerService,
        store: ContentStore,
        migrations: ChatMigrations,
        platforms: Platforms,
    ) -> None:
        self._settings = settings
        self._platforms = platforms
        self._support = support
        self._partners = partners
        self._store = store
        self._forum: bool | None = None
        self._albums = AlbumBuffer()
        self._migrations = migrations

    @property
    def albums(self) -> AlbumBuffer:
        return self._albums

    @property
    def l10n(self) -> L10n:
        """Managers read the program's default language."""
        return self._store.live.translator.get(None)

    @property
    def managers_platform(self) -> str | None:
        """Where the managers' chat is: Telegram when TG_MANAGERS_CHAT_ID is set, else VK
        when VK_MANAGERS_PEER_ID is, else MAX when MAX_MANAGERS_CHAT_ID is (None:
        managers get tickets in private)."""
        for platform in PLATFORMS:
            if self._settings.managers_chat(platform) is not None and platform in self._platforms:
                return platform
        return None

    @property
    def managers_chat(self) -> int | None:
        """The managers' chat (on Telegram: the supergroup it may have been upgraded to)."""
        platform = self.managers_platform
        configured = None if platform is None else self._settings.managers_chat(platform)
        if configured is None:
            return None
        return self._migrations.current(configured) if platform == "tg" else configured

    def is_managers_chat(self, platform: str, chat_id: int) -> bool:
        return platform == self.managers_platform and chat_id == self.managers_chat

    def manager_chats(self) -> list[tuple[str, int]]:
        """Where tickets go: the managers' chat, or each manager in private (on the
        platforms that are running)."""
        chat, platform = self.managers_chat, self.managers_platform
        if chat is not None and platform is not None:
            return [(platform, chat)]
        places = [item.split(":", 1) for item in self._settings.managers]
        return [(p, int(number)) for p, number in places if p in self._platforms]

    def bot(self, platform: str, fallback: Bot | None = None) -> Bot:
        """The bot of `platform` (the one handling the update when it is that one)."""
        if fallback is not None and platform_of(fallback) == platform:
            return fallback
        found = self._platforms.get(platform)
        if found is None:
            raise RuntimeError(f"no bot runs on {platform}")
        return found

    async def is_forum(self, bot: Bot) -> bool:
        chat, platform = self.managers_chat, self.managers_platform
        if chat is None or platform is None:
            return False
        if self._forum is None:
            found = await self.bot(platform, bot).get_chat(chat)
            self._forum = bool(found.is_forum)
        return self._forum

    # --- partner → managers --------------------------------------------------------

    async def whole_question(self, bot: Bot, ticket: Ticket, chat_id: int) -> None:
        """The ticket's question as the partner wrote it, in parts if long, where the
        manager asked for it (in the ticket's topic when that is where)."""
        thread = ticket.thread_id if chat_id == ticket.chat_id else None
        intro = self.l10n("ticket-whole-question", number=ticket.id)
        for part in split_text(f"{intro}\n{html.escape(without_bidi(ticket.question))}"):
            await bot.send_message(chat_id, part, message_thread_id=thread)

    def _topic_name(self, ticket: Ticket, partner: Partner) -> str:
        segment = self._store.content.program.segment_title(partner.segment) or "—"
        return topic_name(ticket, partner, segment, self.l10n)

    async def _card(
        self, ticket: Ticket, partner: Partner, forum: bool
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        card = await self._support.card(ticket, partner)
        return ticket_card(ticket, partner, card, self.l10n, self._settings.tz, forum)

    async def _ensure_place(self, bot: Bot, ticket: Ticket, partner: Partner) -> Ticket:
        """A topic (forum) or a card (group, private) in every place the ticket goes."""
        forum = await self.is_forum(bot)
        if forum and self.managers_chat is not None and self.managers_platform is not None:
            if ticket.thread_id is not None and ticket.chat_id == self.managers_chat:
                return await self.retitle(bot, ticket, partner)
            bot = self.bot(self.managers_platform, bot)
            title = self._topic_name(ticket, partner)
            topic = await bot.create_forum_topic(self.managers_chat, title)
            ticket = await self._support.place(
                ticket, self.managers_chat, topic.message_thread_id, title
            )
            text, markup = await self._card(ticket, partner, forum=True)
            card = await bot.send_message(
                self.managers_chat,
                text,
                message_thread_id=topic.message_thread_id,
                reply_markup=markup,
            )
            await self._support.remember(
                ticket, "card", self.managers_chat, card.message_id, platform=platform_of(bot)
            )
            return ticket
        for platform, chat_id in self.manager_chats():
            if await self._support.card_message(ticket, chat_id, platform) is None:
                try:
                    text, markup = await self._card(ticket, partner, forum=False)
                    card = await self.bot(platform, bot).send_message(
                        chat_id, text, reply_markup=markup
                    )
                except (TelegramForbiddenError, TelegramBadRequest) as exc:
                    logger.warning("ticket %s: cannot reach chat %s: %s", ticket.id, chat_id, exc)
                    continue
                await self._support.remember(
                    ticket, "card", card.chat.id, card.message_id, platform=platform
                )
        if ticket.chat_id != self.managers_chat:
            ticket = await self._support.place(ticket, self.managers_chat, None)
        return ticket

    async def retitle(self, bot: Bot, ticket: Ticket, partner: Partner) -> Ticket:
        """The ticket's forum topic titled as the partner is now (a new display name, a
        new segment), asked of Telegram only when the title changed. A topic Telegram
        will not rename (deleted: the next copy opens a new one) stays as it was."""
        if ticket.thread_id is None or ticket.chat_id is None:
            return ticket
        title = self._topic_name(ticket, partner)
        if title == ticket.topic_title:
            return ticket
        if not await self._rename_topic(bot, ticket, title):
            return ticket
        return await self._support.titled(ticket, title)

    async def topics_forgotten(self, bot: Bot, placed: list[Ticket]) -> None:
        """/forget: the topics of the partner's tickets (read before it) no longer carry
        their name: «#1 · данные удалены»."""
        for ticket in placed:
            if ticket.thread_id is not None and ticket.chat_id is not None:
                title = self.l10n("ticket-topic-forgotten", number=ticket.id)
                await self._rename_topic(bot, ticket, title[:TOPIC_NAME_LIMIT])

    async def _rename_topic(self, bot: Bot, ticket: Ticket, title: str) -> bool:
        """Whether the ticket's topic bears `title` now (only Telegram has topics)."""
        if ticket.chat_id is None or ticket.thread_id is None or "tg" not in self._platforms:
            return False
        try:
            await self.bot("tg", bot).edit_forum_topic(
                ticket.chat_id, ticket.thread_id, name=title
            )
        except TelegramAPIError as exc:  # a title is no reason to stop what goes on
            if isinstance(exc, TelegramBadRequest) and "TOPIC_NOT_MODIFIED" in exc.message:
                return True  # titled so already
            logger.warning("ticket %s: topic not renamed: %s", ticket.id, exc.message)
            return False
        return True

    async def to_managers(
        self, bot: Bot, ticket: Ticket, partner: Partner, message: Message | None = None
    ) -> Ticket:
        """Show the ticket to the managers (card first) and copy the partner's message
        (an album is gathered first and copied as one album)."""
        if message is not None and message.media_group_id:
            ticket = await self._ensure_place(bot, ticket, partner)

            async def flush(parts: list[Message]) -> None:
                await self._copy_in(bot, ticket, partner, parts)

            self._albums.add(message, flush)
            return await self._support.partner_wrote(ticket)
        ticket = await self._ensure_place(bot, ticket, partner)
        if message is not None:
            ticket = await self._copy_in(bot, ticket, partner, [message])
        return await self._support.partner_wrote(ticket)

    async def _copy_in(
        self, bot: Bot, ticket: Ticket, partner: Partner, messages: list[Message]
    ) -> Ticket:
        source = messages[0].chat.id
        for platform, chat_id in self._targets(ticket):
            thread = ticket.thread_id if chat_id == ticket.chat_id else None
            try:
                if platform == partner.platform:
                    copied = await copy_messages(
                        self.bot(platform, bot), chat_id, source, messages, thread
                    )
                else:
                    copied = await resend(self.bot(platform), chat_id, messages, thread, self.l10n)
            except TelegramBadRequest as exc:
                if "thread not found" not in exc.message or ticket.thread_id is None:
                    raise
                # the topic was deleted: a new one with the card, then the message again
                logger.info("ticket %s: topic gone, opening a new one", ticket.id)
                ticket = await self._support.place(ticket, ticket.chat_id, None)
                ticket = await self._ensure_place(bot, ticket, partner)
                return await self._copy_in(bot, ticket, partner, messages)
            except TelegramForbiddenError as exc:
                logger.warning("ticket %s: cannot reach chat %s: %s", ticket.id, chat_id, exc)
                continue
            where = self._migrations.current(chat_id)  # the copy went to the supergroup
            for original, copy_id in zip(messages, copied, strict=True):
                await self._support.remember(
                    ticket,
                    "in",
                    where,
                    copy_id,
                    partner_message_id=original.message_id,
                    platform=platform,
                )
        return ticket

    def _targets(self, ticket: Ticket) -> list[tuple[str, int]]:
        platform = self.managers_platform
        if ticket.thread_id is not None and ticket.chat_id is not None and platform is not None:
            return [(platform, ticket.chat_id)]
        return self.manager_chats()

    async def note_to_managers(self, bot: Bot, ticket: Ticket, text: str) -> bool:
        """A line from the bot in every place the ticket lives (reopened, closed, overdue);
        a long one in parts. Whether it reached at least one place."""
        return await self._to_managers(bot, ticket, [(part, "note") for part in split_text(text)])

    async def words_to_managers(
        self, bot: Bot, ticket: Ticket, intro: str, words: str, said_in: int | None = None
    ) -> bool:
        """The partner's words with no message of theirs to copy (/support TEXT, "Ask a
        manager"): an intro, then the words alone kept as the partner's message (`said_in`
        theirs), so a reply or /faq_link to it is about exactly them. Past one message
        (far past what is learned): its first part theirs, the rest notes."""
        parts = split_text(html.escape(words)) if words.strip() else []
        said = [(part, "in" if index == 0 else "note") for index, part in enumerate(parts)]
        return await self._to_managers(bot, ticket, [(intro, "note"), *said], said_in)

    async def _to_managers(
        self, bot: Bot, ticket: Ticket, parts: list[tuple[str, str]], said_in: int | None = None
    ) -> bool:
        """The bot's messages (text, kept as what) in every place the ticket lives.
        Whether they reached at least one place."""
        reached = False
        for platform, chat_id in self._targets(ticket):
            thread = ticket.thread_id if chat_id == ticket.chat_id else None
            try:
                for part, direction in parts:
                    sent = await self.bot(platform, bot).send_message(
                        chat_id, part, message_thread_id=thread
                    )
                    await self._support.remember(
                        ticket,
                        direction,
                        sent.chat.id,
                        sent.message_id,
                        partner_message_id=said_in if direction == "in" else None,
                        platform=platform,
                    )
            except (TelegramForbiddenError, TelegramBadRequest) as exc:
                logger.warning("ticket %s: note not delivered to %s: %s", ticket.id, chat_id, exc)
                continue
            reached = True
        return reached

    async def tell_managers(
        self, bot: Bot, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """A card for the managers, outside any ticket (reports, link requests)."""
        for platform, chat_id in self.manager_chats():
            try:
                await self.bot(platform, bot).send_message(chat_id, text, reply_markup=markup)
            except (TelegramForbiddenError, TelegramBadRequest) as exc:
                logger.warning("card not delivered to %s: %s", chat_id, exc)

    def l10n_of(self, partner: Partner) -> L10n:
        """The texts in a partner's language."""
        return self._store.live.translator.get(partner.language)

    async def notify(self, bot: Bot, partner: Partner, key: str, **args: object) -> bool:
        """A line from the bot to a partner, in their language."""
        return await self.notify_text(bot, partner, self.l10n_of(partner)(key, **args))

    async def notify_text(self, bot: Bot, partner: Partner, text: str) -> bool:
        """A text from the bot to a partner (in their chat, whatever platform it is on)."""
        try:
            await self.bot(partner.platform, bot).send_message(partner.chat_id, text)
        except TelegramForbiddenError:
            await self._partners.mark_unreachable(partner)
            return False
        return True

    # --- managers → partner --------------------------------------------------------

    async def to_partner(self, bot: Bot, ticket: Ticket, message: Message) -> None:
        """Copy a manager's message (or album) to the partner, as the bot."""
        if message.media_group_id:

            async def flush(parts: list[Message]) -> None:
                await self._copy_out(bot, ticket, parts)

            self._albums.add(message, flush)
            return
        await self._copy_out(bot, ticket, [message])

    async def _copy_out(self, bot: Bot, ticket: Ticket, messages: list[Message]) -> bool:
        partner = await self._partners.get(ticket.partner_id)
        if partner is None:
            return False
        caption = next((m.caption for m in messages if m.caption), None)
        long_caption = (
            caption is not None
            and utf16_length(caption) > CAPTION_LIMIT
            and partner.platform == "tg"
        )
        try:
            if partner.platform != platform_of(bot):
                copied = await resend(
                    self.bot(partner.platform), partner.chat_id, messages, None, self.l10n
                )
            else:
                copied = await copy_messages(
                    bot,
                    partner.chat_id,
                    messages[0].chat.id,
                    messages,
                    None,
                    drop_caption=long_caption,
                )
                if long_caption and caption is not None:  # Telegram takes 1024 from a bot
                    for part in split_text(html.escape(caption)):
                        await bot.send_message(partner.chat_id, part)
        except TelegramForbiddenError:
            await self._partner_unreachable(bot, ticket, partner)
            return False
        for original, copy_id in zip(messages, copied, strict=True):
            await self._support.remember(
                ticket,
                "out",
                original.chat.id,
                original.message_id,
                partner_message_id=copy_id,
                platform=platform_of(bot),
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
            await self.bot(partner.platform, bot).send_message(
                partner.chat_id, text, reply_markup=markup
            )
        except TelegramForbiddenError:
            await self._partner_unreachable(bot, ticket, partner)
            return False
        return True

    async def _partner_unreachable(self, bot: Bot, ticket: Ticket, partner: Partner) -> None:
        await self._partners.mark_unreachable(partner)
        await self.note_to_managers(bot, ticket, self.l10n("ticket-blocked", number=ticket.id))
