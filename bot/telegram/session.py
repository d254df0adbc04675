"""The aiogram Bot for Telegram (or the emulator): every request paced (`bot.pacing`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, cast

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramMigrateToChat,
    TelegramNetworkError,
)
from aiogram.methods import (
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiohttp import ClientError, ClientTimeout

from bot.pacing import TELEGRAM, Pacer, Pacers, PacingMiddleware, Target
from bot.press_answers import note_answers
from bot.rendering import whole_characters_in

logger = logging.getLogger(__name__)


# Requests that count against a chat's messages (Telegram: sends, copies, message edits)
_COUNTED_PREFIXES = ("send", "copy", "forward", "editMessage")
_NOT_MESSAGES = frozenset({"sendChatAction"})
_FREE = frozenset({"getUpdates", "getMe", "setWebhook", "deleteWebhook", "getFile", "close"})


def telegram_target(method: TelegramMethod[Any]) -> Target | None:
    """What a Bot API request counts against; None: not paced at all (polling, identity).
    Callback answers and reads wait out a 429's hold but use no message slot."""
    name = method.__api_method__
    if name in _FREE or isinstance(method, GetUpdates):
        return None
    chat = getattr(method, "chat_id", None)
    if not isinstance(chat, (int, str)):
        chat = None
    counted = name.startswith(_COUNTED_PREFIXES) and name not in _NOT_MESSAGES
    counted = counted and chat is not None
    group = isinstance(chat, str) or (isinstance(chat, int) and chat < 0)
    return Target(chat, group=group, counted=counted)


def telegram_pacer(pacers: Pacers, token: str) -> Pacer:
    """The pacing of one Telegram bot, shared by every sender of that token."""
    return pacers.get(TELEGRAM, token.split(":", 1)[0])


class ChatMigrations:
    """Groups upgraded to supergroups (old id → new id), learned from the Bot API."""

    def __init__(self) -> None:
        self._moved: dict[int, int] = {}

    def record(self, old_id: int, new_id: int) -> None:
        logger.warning(
            "chat %s is now the supergroup %s; update its id in the settings", old_id, new_id
        )
        self._moved[old_id] = new_id

    def current(self, chat_id: int) -> int:
        return self._moved.get(chat_id, chat_id)


class MigrationMiddleware(BaseRequestMiddleware):
    """A send to a group that became a supergroup goes to the new chat, now and from then
    on (Telegram answers the old id with migrate_to_chat_id)."""

    def __init__(self, migrations: ChatMigrations) -> None:
        self._migrations = migrations

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if isinstance(chat_id, int) and self._migrations.current(chat_id) != chat_id:
            method.chat_id = self._migrations.current(chat_id)  # type: ignore[attr-defined]
        try:
            return await make_request(bot, method)
        except TelegramMigrateToChat as exc:
            if not isinstance(chat_id, int):
                raise
            self._migrations.record(chat_id, exc.migrate_to_chat_id)
            method.chat_id = exc.migrate_to_chat_id  # type: ignore[attr-defined]
            return await make_request(bot, method)


_EDITS: Final = (EditMessageText, EditMessageReplyMarkup, EditMessageCaption, EditMessageMedia)


class UnchangedEditMiddleware(BaseRequestMiddleware):
    """An edit that would change nothing is done: Telegram refuses it («message is not
    modified»), which a double tap on a button that edits its message in place (👍
    Помогло, a menu's screen) always does — the second press finds the message already
    edited. Answered True (as Telegram answers an edit of an inline message), never raised
    to a handler, whichever edit it was."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            if not isinstance(method, _EDITS) or "message is not modified" not in exc.message:
                raise
            logger.debug("%s changed nothing: done", method.__api_method__)
            return cast("Response[TelegramType]", True)


# `Response[T]` of every result type answered, kept: pydantic's cache of generic models
# holds them weakly, so the garbage collector took `Response[list[Update]]` and
# `Response[Message]` every few seconds and the next answer built the model again
# (6-14 ms each; ~1.5 ms an update on average).
_RESPONSE_MODELS: dict[Any, Any] = {}


class JsonSession(AiohttpSession):
    """Requests without files go as a JSON body instead of an urlencoded form: aiogram's
    form quotes every character of a long Cyrillic text (about 0.2 ms a message here),
    and JSON keeps empty strings, which the form drops. Uploads go the usual way."""

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_MODELS:
            _RESPONSE_MODELS[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        files: dict[str, Any] = {}
        payload = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                payload[key] = prepared
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(payload).encode(),
                headers={"Content-Type": "application/json"},
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(
                method=method, message=f"{type(exc).__name__}: {exc}"
            ) from exc
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast("TelegramType", response.result)


FetchedFile = tuple[str, bytes]


def telegram_file_fetcher(
    bot: Bot | None,
) -> Callable[[str], Awaitable[FetchedFile | None]] | None:
    """A way to fetch a Telegram file by its id (for sending it on VK), when Telegram runs."""
    if bot is None:
        return None

    async def fetch(file_id: str) -> FetchedFile | None:
        try:
            found = await bot.get_file(file_id)
            if found.file_path is None:
                return None
            data = await bot.download_file(found.file_path)
        except (TelegramAPIError, ClientError, OSError) as exc:
            logger.warning("Telegram file %s not fetched: %s", file_id, exc)
            return None
        if data is None:
            return None
        return found.file_path.rsplit("/", 1)[-1], data.read()

    return fetch


def _loads_whole_characters(text: str) -> Any:
    """Updates (and every answer) decoded with half-characters replaced: a person's text
    with a lone surrogate would fail every handler that stores or sends it."""
    return whole_characters_in(json.loads(text))


def create_bot(
    token: str,
    api_url: str | None = None,
    migrations: ChatMigrations | None = None,
    *,
    pacer: Pacer | None = None,
    **session_kwargs: Any,
) -> Bot:
    """A Bot on `api_url` (Telegram by default), every request through `pacer` (give
    every Bot of one token the same one: the limits are the token's)."""
    session_kwargs.setdefault("json_loads", _loads_whole_characters)
    session = JsonSession(
        api=TelegramAPIServer.from_base(api_url)
        if api_url
        else TelegramAPIServer.from_base("https://api.telegram.org"),
        **session_kwargs,
    )
    session.middleware(
        PacingMiddleware(
            pacer or telegram_pacer(Pacers(), token), telegram_target, bot_wide_refusals=True
        )
    )
    if migrations is not None:
        session.middleware(MigrationMiddleware(migrations))
    session.middleware(UnchangedEditMiddleware())
    note_answers(session)
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode="HTML"))
