"""The partners' group (TG_COMMUNITY_CHAT_ID): welcome, /rules, /faq, FAQ answers to
questions, /report and @admin."""

from __future__ import annotations

import html
import logging
import re

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)

from bot.config import Settings
from bot.content.models import Content
from bot.content.render import faq_answer_html, messages_of
from bot.i18n import L10n
from bot.names import display_name, greeting_name, without_bidi
from bot.platform.session import FileNotSent
from bot.platforms import platform_of
from bot.rendering import CAPTION_LIMIT, visible_length
from bot.services.audit import AuditLog
from bot.services.community import CommunityService, calls_admin
from bot.services.contests import ContestService
from bot.services.faq import FaqService
from bot.services.partners import PartnerService
from bot.texts import contest_text, leaderboards
from handlers.filters import CommandText, CommunityChat, NewMembers
from handlers.manager import MANAGER_COMMANDS
from handlers.partner import PARTNER_COMMANDS
from handlers.relay import TicketRelay
from handlers.screens import actor, start_link

logger = logging.getLogger(__name__)


def _bot_link(bot: Bot, username: str, payload: str, label: str) -> InlineKeyboardMarkup:
    url = start_link(username, platform_of(bot), payload)
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=label, url=url)]])


def message_link(message: Message) -> str | None:
    """A t.me link to a message of a Telegram supergroup (basic groups, VK and MAX chats
    have none)."""
    chat_id = str(message.chat.id)
    on_telegram = message.bot is None or platform_of(message.bot) == "tg"
    if not chat_id.startswith("-100") or not on_telegram:
        return None
    if message.chat.username:
        return f"https://t.me/{message.chat.username}/{message.message_id}"
    return f"https://t.me/c/{chat_id[4:]}/{message.message_id}"


def _who(user: User | None, platform: str) -> str:
    if user is None:
        return "?"
    name = html.escape(display_name(user.full_name))
    return (
        f"{name} (@{html.escape(user.username)}, {platform}:{user.id})"
        if user.username
        else (f"{name} ({platform}:{user.id})")
    )


def setup() -> Router:
    router = Router(name=__name__)
    router.message.filter(CommunityChat())

    @router.message(NewMembers())
    async def welcome(message: Message, bot: Bot, content: Content, l10n: L10n) -> None:
        people = [user for user in message.new_chat_members or [] if not user.is_bot]
        if not people:
            return
        me = await bot.me()
        # by name, those who have one left to show (bidi controls alone are none)
        names = [html.escape(name) for user in people if (name := greeting_name(user.first_name))]
        text = l10n(
            "community-welcome" if names else "community-welcome-unnamed",
            names=", ".join(names),
            program=html.escape(content.program.name),
            rules=html.escape(content.program.rules.strip()),
        )
        await message.answer(
            text, reply_markup=_bot_link(bot, me.username or "", "hi", l10n("community-open-bot"))
        )

    @router.message(Command("rules"))
    async def rules(message: Message, community: CommunityService, l10n: L10n) -> None:
        if not community.rules:
            await message.reply(l10n("community-no-rules"))
            return
        await message.reply(l10n("community-rules", rules=html.escape(community.rules)))

    @router.message(Command("faq"))
    async def faq_topics(message: Message, bot: Bot, faq: FaqService, l10n: L10n) -> None:
        me = await bot.me()
        topics = ", ".join(html.escape(topic) for topic in faq.topics(None))
        await message.reply(
            l10n("community-faq", topics=topics),
            reply_markup=_bot_link(bot, me.username or "", "faq", l10n("community-open-bot")),
        )

    @router.message(Command("top"))
    async def top(
        message: Message,
        partners: PartnerService,
        contests: ContestService,
        settings: Settings,
        l10n: L10n,
    ) -> None:
        for board in await leaderboards(None, partners, contests, settings, l10n):
            picture = board.picture()
            if picture is None or visible_length(board.text) > CAPTION_LIMIT:
                await message.reply(board.text)
                continue
            try:
                await message.reply_photo(
                    BufferedInputFile(picture, filename="leaderboard.png"), caption=board.text
                )
            except FileNotSent as exc:  # the picture only illustrates the text: text alone
                logger.info("leaderboard in chat %s as text: %s", message.chat.id, exc.message)
                await message.reply(board.text)

    @router.message(Command("contests"))
    async def contests_list(
        message: Message, contests: ContestService, settings: Settings, l10n: L10n
    ) -> None:
        found = await contests.listed(None)  # as the group's /top orders them
        if not found:
            await message.reply(l10n("contests-none"))
            return
        for contest in found:
            running = contests.is_running(contest)
            await message.reply(
                contest_text(contest, [], running, settings.tz, l10n, personal=False)
            )

    @router.message(Command("report"))
    async def report(message: Message, bot: Bot, relay: TicketRelay, l10n: L10n) -> None:
        target = message.reply_to_message
        if target is None:
            await message.reply(l10n("report-usage"))
            return
        card = relay.l10n(
            "report-card",
            reporter=_who(message.from_user, platform_of(bot)),
            author=_who(target.from_user, platform_of(bot)),
            text=html.escape(without_bidi(target.text or target.caption or "—")[:1000]),
            link=message_link(target) or "",
        )
        await relay.tell_managers(bot, card)
        await message.reply(l10n("report-sent"))

    @router.message(Command(*MANAGER_COMMANDS))
    async def manager_command(
        message: Message, command: CommandObject, settings: Settings, audit: AuditLog
    ) -> None:
        """A manager's command in the partners' group: no answer there (nothing leaks);
        typed by someone not in MANAGERS, kept in the audit log as refused, as in private
        and in the managers' chat (security.md; it was not)."""
        if not settings.is_manager(actor(message)):
            await audit.record(
                actor(message), command.command, details=command.args, allowed=False
            )

    # registered after the group's own (/faq, /top, /contests): the rest work in private
    @router.message(Command(*PARTNER_COMMANDS, "menu"))
    async def in_private(message: Message, command: CommandObject, bot: Bot, l10n: L10n) -> None:
        """A partner's own command in the group (/me, /support, …): where it works, with
        the button to the bot (it got no answer)."""
        me = await bot.me()
        await message.reply(
            l10n("community-in-private", command=command.command),
            reply_markup=_bot_link(bot, me.username or "", "hi", l10n("community-open-bot")),
        )

    @router.message(~CommandText())
    async def chatter(
        message: Message,
        bot: Bot,
        settings: Settings,
        community: CommunityService,
        relay: TicketRelay,
        l10n: L10n,
    ) -> None:
        text = message.text or message.caption or ""
        user = message.from_user
        if not text or user is None or user.is_bot:
            return
        if calls_admin(text):
            card = relay.l10n(
                "report-admin-card",
                reporter=_who(user, platform_of(bot)),
                text=html.escape(without_bidi(text)[:1000]),  # as a ticket card
                link=message_link(message) or "",
            )
            await relay.tell_managers(bot, card)
            return
        if settings.is_manager(f"{platform_of(bot)}:{user.id}"):
            return  # managers are never auto-answered
        me = await bot.me()
        mention = f"@{me.username}".lower() if me.username else None
        replied = message.reply_to_message
        addressed = bool(mention and mention in text.lower()) or bool(
            replied and replied.from_user and replied.from_user.id == me.id
        )
        question = re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE) if mention else text
        reply = await community.reply_to(
            message.chat.id, message.message_thread_id, question, addressed=addressed
        )
        if reply.kind == "answer" and reply.entry is not None:
            for part in messages_of(faq_answer_html(reply.entry)):  # a long answer in parts
                await message.reply(part)
        elif reply.kind == "offer":
            person = reply.about == "person"  # a manager asked for, not an FAQ miss
            offer = "community-offer-person" if person else "community-offer-private"
            said = (
                l10n("community-offer-maybe", question=html.escape(reply.maybe.question))
                if reply.maybe is not None and not person
                else l10n(offer)
            )
            await message.reply(
                said,
                reply_markup=_bot_link(
                    bot, me.username or "", "support", l10n("community-ask-manager")
                ),
            )
        elif reply.kind == "talk":  # «ты бот?», «спасибо», «привет» said to the bot
            key = {"bot": "community-small-talk-bot", "thanks": "community-small-talk-thanks"}
            await message.reply(
                l10n(key.get(reply.about, "community-small-talk")),
                reply_markup=_bot_link(bot, me.username or "", "hi", l10n("community-open-bot"))
                if reply.about == "bot"
                else None,
            )
        elif reply.kind == "own":  # their settings or figures: the private chat has them
            await message.reply(
                l10n("community-own", about=reply.about),
                reply_markup=_bot_link(bot, me.username or "", "hi", l10n("community-open-bot")),
            )

    return router
