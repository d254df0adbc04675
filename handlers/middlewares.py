"""Outer middlewares: the content a /reload elsewhere made live, flood protection, then
the partner and their texts for each update."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User

from bot import typed_labels
from bot.clock import Clock
from bot.config import Settings
from bot.content.store import ContentStore
from bot.i18n import L10n, pick_language
from bot.platforms import platform_of
from bot.services import small_talk
from bot.services.content_sync import ContentSync
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.vk.session import VkSession, answering, done_answering
from handlers.filters import PlainQuestion

logger = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _sender(event: TelegramObject) -> tuple[User | None, int | None, str | None]:
    if isinstance(event, Message):
        return event.from_user, event.chat.id, event.chat.type
    if isinstance(event, CallbackQuery):
        message = event.message
        chat = message.chat if message is not None else None
        return (
            event.from_user,
            chat.id if chat else event.from_user.id,
            (chat.type if chat else "private"),
        )
    return None, None, None


def starts(event: TelegramObject) -> bool:
    """/start (with a payload or not): the one message that makes someone a partner."""
    if not isinstance(event, Message) or event.text is None:
        return False
    return event.text == "/start" or event.text.startswith(("/start ", "/start@"))


NOTICE_EVERY = 60.0  # seconds between two "slow down" notices to the same person


class FloodMiddleware(BaseMiddleware):
    """Per-user token bucket: a burst of `burst` updates, then `rate` per second — above
    what a person does (bursts of a few taps, about one a second for minutes), so only
    scripts meet it; people's replies are paced by the send path, never dropped. Updates
    beyond it are dropped: a message hears "slow down" at most once a minute in each chat
    (a flood in the group, then a question in private: both are told), a button press is
    always answered (the note as its toast: no spinner left hanging).
    On the dispatcher's updates before the chat's lock (bot/assembly.py): an update is
    counted as it arrives, not when the chat's earlier ones are done."""

    def __init__(self, clock: Clock, rate: float, burst: float) -> None:
        self._clock = clock
        self._rate = rate
        self._burst = burst
        # (platform, user id) → tokens, stamp
        self._buckets: dict[tuple[str, int], tuple[float, float]] = {}
        # (platform, user id, chat id) → when that chat last heard "slow down"
        self._noticed: dict[tuple[str, int, int | None], float] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):  # before the chat's lock: counted as it arrives
            inner = event.message or event.callback_query
            if inner is None:
                return await handler(event, data)
            return await self._check(inner, lambda _inner, data: handler(event, data), data)
        return await self._check(event, handler, data)

    async def _check(self, event: TelegramObject, handler: Handler, data: dict[str, Any]) -> Any:
        user, chat_id, _chat_type = _sender(event)
        if user is None:
            return await handler(event, data)
        now = self._clock.monotonic()
        who = (platform_of(data["bot"]), user.id)
        tokens, stamp = self._buckets.get(who, (self._burst, now))
        tokens = min(self._burst, tokens + (now - stamp) * self._rate)
        if tokens < 1:
            self._buckets[who] = (tokens, now)
            where = (*who, chat_id)
            warned = now - self._noticed.get(where, -NOTICE_EVERY) < NOTICE_EVERY
            if not warned:
                self._noticed[where] = now
                logger.info("flood protection: dropping updates from user %s", user.id)
            if isinstance(event, CallbackQuery):
                await event.answer((await self._l10n(user, who[0], data))("flood-slow-down-press"))
            elif not warned and isinstance(event, Message):
                await event.answer((await self._l10n(user, who[0], data))("flood-slow-down"))
            return None
        self._buckets[who] = (tokens - 1, now)
        if len(self._buckets) > 100_000:
            self._buckets.clear()
        if len(self._noticed) > 100_000:
            self._noticed.clear()
        return await handler(event, data)

    @staticmethod
    async def _l10n(user: User, platform: str, data: dict[str, Any]) -> L10n:
        """The texts in the partner's own language (they chose English, their app says
        Russian: the notice read the app's); the app's for someone who never started."""
        store: ContentStore = data["content_store"]
        partners: PartnerService = data["partners"]
        known = await partners.by_user(platform, user.id)
        language = known.language if known else pick_language(user.language_code)
        return store.live.translator.get(language)


class PartnerMiddleware(BaseMiddleware):
    """Injects `partner` (private chats), `l10n` and `content` into every handler."""

    def __init__(self, store: ContentStore, partners: PartnerService, settings: Settings) -> None:
        self._store = store
        self._partners = partners
        self._settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user, chat_id, chat_type = _sender(event)
        live = self._store.live
        data["content"] = live.content
        language = pick_language(user.language_code if user else None)
        data["partner"] = None
        if user is not None and not user.is_bot and chat_type == "private" and chat_id:
            # nothing is kept about a person until they /start (a forgotten one too);
            # managers are known from MANAGERS
            platform = platform_of(data["bot"])
            partner: Partner | None
            if starts(event) or self._settings.is_manager(f"{platform}:{user.id}"):
                partner = await self._partners.touch(
                    platform, user.id, chat_id, user.full_name, user.username, language
                )
            else:
                partner = await self._partners.touch_known(
                    platform, user.id, user.full_name, user.username
                )
            data["partner"] = partner
            if partner is not None:
                language = partner.language
        elif user is not None and not user.is_bot and chat_id is not None:
            platform = platform_of(data["bot"])
            if self._settings.community_chat(platform) == chat_id:
                # a partner writing in the partners' group goes by the name it shows now
                # (docs/one-person.md), without it counting as a visit to the bot
                await self._partners.renamed(platform, user.id, user.full_name, user.username)
        data["l10n"] = live.translator.get(language)
        data["translator"] = live.translator
        return await handler(event, data)


class ContentFollower(BaseMiddleware):
    """Before each update: the content another worker reloaded, if it did (the database is
    read at most once a second)."""

    def __init__(self, content_sync: ContentSync) -> None:
        self._content_sync = content_sync

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            await self._content_sync.refresh()
        except Exception:  # the database away a moment: answer with what this worker has
            logger.exception("content: could not check for a reload elsewhere")
        return await handler(event, data)


class VkOriginMiddleware(BaseMiddleware):
    """On VK, marks what is sent while handling an update with that update's event, so a
    send repeated for the same event (a restart mid-update) carries the same random_id
    and VK drops the copy."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        session = data["bot"].session
        if not isinstance(session, VkSession) or not isinstance(event, Update):
            return await handler(event, data)
        key = session.event_key(event.update_id)
        if key is None:
            return await handler(event, data)
        token = answering(key)
        try:
            return await handler(event, data)
        finally:
            done_answering(token)


@dataclass(frozen=True)
class TextReading:
    """A message's text as TypedWords read it (`typed_labels.read`), for the question
    handler of the same update: the text is read once."""

    text: str
    reading: small_talk.Reading | None


class TypedWords(BaseMiddleware):
    """After PartnerMiddleware, before routing: a menu word typed alone («креативы», «мои
    продажи») becomes its command, and asking for a person in words («позовите живого
    человека») becomes /support — when the text would otherwise be a plain question (no
    dialog going on, no open ticket). So does a button's label typed («Спросить
    менеджера», «Материалы»). The same words work on every platform (SPEC §5)."""

    def __init__(self) -> None:
        self._plain = PlainQuestion()
        typed_labels.scan()  # the buttons' labels, read from the handlers once

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message) and event.text and data.get("partner") is not None:
            if "translator" in data:
                reading = typed_labels.read(event.text, data.get("content"), data["translator"])
                # the question handler reads the same text the same way: it takes this
                data["text_reading"] = TextReading(event.text, reading)
            else:
                reading = small_talk.read(event.text, data.get("content"))
            if reading is not None and reading.kind in ("menu", "person"):
                plain = await self._plain(
                    event,
                    data.get("raw_state"),
                    data["partner"],
                    data["settings"],
                    data["support"],
                    data["bot"],
                )
                if plain:
                    command = reading.command if reading.kind == "menu" else "support"
                    event = event.model_copy(update={"text": f"/{command}", "entities": None})
        return await handler(event, data)
