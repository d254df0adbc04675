"""A screen is a text with its keyboard; shown as a new message or in place of the old one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.i18n import L10n
from bot.names import unformatted
from bot.platform.session import FileNotSent
from bot.platforms import platform_of
from bot.rendering import TEXT_LIMIT, split_text, visible_length

logger = logging.getLogger(__name__)


def arguments(command: CommandObject) -> str:
    """A command's arguments as the letters they show (`names.unformatted`: a zero-width
    space pasted into «/faq_link cities\u200b» is no part of the entry's id), trimmed."""
    return unformatted(command.args or "").strip()


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None


def actor(event: Message | CallbackQuery) -> str:
    """Who did it, for the audit log: the platform id of the sender."""
    platform = platform_of(event.bot) if event.bot is not None else "tg"
    return f"{platform}:{event.from_user.id}" if event.from_user else f"{platform}:?"


def start_link(username: str, platform: str, payload: str) -> str:
    """A link that opens the private chat with the bot and starts it with `payload`
    (Telegram's ?start=, VK's ?ref= on vk.me, MAX's ?start= on max.ru)."""
    if platform == "vk":
        return f"https://vk.me/{username}?ref={payload}"
    if platform == "max":
        return f"https://max.ru/{username}?start={payload}"
    return f"https://t.me/{username}?start={payload}"


def keyboard(*rows: Sequence[tuple[str, CallbackData]]) -> InlineKeyboardMarkup:
    """Inline buttons, row by row; cheaper than the builder on hot paths."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data.pack()) for text, data in row]
            for row in rows
        ]
    )


async def send(message: Message, screen: Screen) -> None:
    """Send a screen; a long text goes in parts, the keyboard under the last one."""
    parts = split_text(screen.text)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await message.answer(part, reply_markup=screen.markup if last else None)


async def file_or_notice(
    message: Message,
    sending: Awaitable[object],
    kind: str,
    l10n: L10n,
    *,
    caption: str | None = None,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """A screen's file (`sending`: the send of a photo or document, with `caption` and
    `markup`). When the platform would not take the file (`FileNotSent`: its upload
    failed, the session logged why), its caption goes as text with a short notice in the
    file's place (as a relayed message says what could not cross), under the file's
    buttons, and the screen goes on."""
    try:
        await sending
    except FileNotSent as exc:
        logger.info("a %s for chat %s sent as a notice: %s", kind, message.chat.id, exc.message)
        note = l10n("file-not-sent", kind=kind)
        text = f"{caption}\n\n{note}" if caption else note
        await send(message, Screen(text, markup))


async def reply(event: Message | CallbackQuery, screen: Screen) -> None:
    """Show a screen in answer to a command or to the menu button of the same name."""
    if isinstance(event, CallbackQuery):
        await event.answer()
        if not isinstance(event.message, Message):
            return
        await send(event.message, screen)
        return
    await send(event, screen)


async def no_longer_available(callback: CallbackQuery, l10n: L10n) -> None:
    """A button from an old keyboard: what it pointed to is gone."""
    await callback.answer(l10n("no-longer-available"), show_alert=True)


async def edit(callback: CallbackQuery, screen: Screen) -> None:
    """Replace the pressed message with the screen (or send it anew when it can't be edited)."""
    message = callback.message
    if isinstance(message, Message) and visible_length(screen.text) <= TEXT_LIMIT:
        try:
            await message.edit_text(screen.text, reply_markup=screen.markup)
            return
        except TelegramBadRequest as exc:  # an unchanged edit is done: UnchangedEditMiddleware
            logger.info("could not edit message, sending anew: %s", exc.message)
    if isinstance(message, Message):
        await send(message, screen)
    elif callback.message is not None and callback.bot is not None:
        await callback.bot.send_message(
            callback.message.chat.id, screen.text, reply_markup=screen.markup
        )
