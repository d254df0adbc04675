"""Moving messages between chats through the Bot API, for the ticket relay: a copy (an
album as an album), albums gathered from their parts, and a message re-sent as its text
where it crosses to another platform."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.types import Message

from bot.i18n import L10n
from bot.rendering import split_text

logger = logging.getLogger(__name__)

ALBUM_WAIT = 0.5  # seconds to gather the parts of an album
MEDIA_KINDS = ("photo", "document", "video", "voice", "audio", "sticker", "animation")
NO_TEXT = "—"  # what `resend` sends for a message with no text and nothing it names


async def copy_messages(
    bot: Bot,
    chat_id: int,
    from_chat_id: int,
    messages: list[Message],
    thread_id: int | None,
    *,
    drop_caption: bool = False,
) -> list[int]:
    """Copy one message, or an album as an album; the new message ids, in order.
    (`drop_caption` needs copyMessages: aiogram does not send an empty caption.)"""
    if len(messages) == 1 and not drop_caption:
        copied = await bot.copy_message(
            chat_id,
            from_chat_id=from_chat_id,
            message_id=messages[0].message_id,
            message_thread_id=thread_id,
        )
        return [copied.message_id]
    result = await bot.copy_messages(
        chat_id,
        from_chat_id=from_chat_id,
        message_ids=sorted(m.message_id for m in messages),
        message_thread_id=thread_id,
        remove_caption=drop_caption or None,
    )
    return [item.message_id for item in result]


async def resend(
    bot: Bot, chat_id: int, messages: list[Message], thread_id: int | None, l10n: L10n
) -> list[int]:
    """Messages from the other platform: their text or caption, and a line for what
    cannot cross (photos, files, stickers)."""
    ids = []
    for message in messages:
        text = message.html_text if (message.text or message.caption) else ""
        kind = _media_kind(message)
        if kind is not None:
            note = l10n("relay-not-crossed", kind=kind)
            text = f"{text}\n\n{note}" if text else note
        sent = None
        for part in split_text(text or NO_TEXT):
            sent = await bot.send_message(chat_id, part, message_thread_id=thread_id)
        assert sent is not None
        ids.append(sent.message_id)
    return ids


def partner_words(text: str, l10n: L10n) -> str:
    """The partner's own words in a message `resend` made (`l10n`: its language): without
    the bot's line for what could not cross («📎 [вложение — оно осталось в другом
    мессенджере]») or the «—» of a message with no text. Nothing of the bot's own is
    ever learned as a partner's question."""
    words = text.strip()
    for kind in MEDIA_KINDS:
        note = l10n("relay-not-crossed", kind=kind)
        if words.endswith(note):
            words = words[: -len(note)].strip()
            break
    return "" if words == NO_TEXT else words


class AlbumBuffer:
    """Telegram delivers an album as separate messages with one media_group_id; they are
    gathered for a moment and handed on together, in order."""

    def __init__(self, wait: float = ALBUM_WAIT) -> None:
        self.wait = wait
        # how an album waits for its parts (tests let it wait for an event instead of time)
        self.sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
        self._parts: dict[tuple[int, str], list[Message]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, message: Message, flush: Callable[[list[Message]], Awaitable[None]]) -> None:
        assert message.media_group_id is not None
        key = (message.chat.id, message.media_group_id)
        if key in self._parts:
            self._parts[key].append(message)
            return
        self._parts[key] = [message]
        task = asyncio.create_task(self._flush_later(key, flush))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush_later(
        self, key: tuple[int, str], flush: Callable[[list[Message]], Awaitable[None]]
    ) -> None:
        await self.sleep(self.wait)
        parts = sorted(self._parts.pop(key), key=lambda m: m.message_id)
        try:
            await flush(parts)
        except Exception:
            logger.exception("an album of %d message(s) was not relayed", len(parts))

    async def drain(self) -> None:
        """Wait for the albums being gathered (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _media_kind(message: Message) -> str | None:
    """What a message carries besides text, as a word for the locale (None: nothing)."""
    for kind in MEDIA_KINDS:
        if getattr(message, kind, None):
            return kind
    return None
