"""Each platform's bot: created from the settings (Telegram, VK, MAX, or any of them) and
prepared at start-up (the token checked, the rights in the configured chats)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator, Mapping
from typing import Final

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)

from bot import metrics
from bot.assembly import Services
from bot.config import Settings
from bot.logs import redact
from bot.max.client import MaxError, MaxUncertain, max_pacer
from bot.max.rights import check_max_rights
from bot.max.session import MaxSession, create_max_bot
from bot.platforms import platform_of
from bot.services.poll_positions import PollPosition
from bot.telegram.session import create_bot, telegram_pacer
from bot.telegram.startup import prepare_telegram_bot
from bot.vk.session import VkSession, create_vk_bot, vk_pacer
from handlers.manager import MANAGER_COMMANDS
from handlers.partner import PARTNER_COMMANDS

logger = logging.getLogger(__name__)

# VK users may type a command as a word, without the slash; "Начать" is VK's start button
VK_COMMAND_WORDS: Mapping[str, str] = {name: name for name in PARTNER_COMMANDS} | {
    "начать": "start",
    # leave /support's question step, withdraw an open ticket; typed at any other step
    # (onboarding's free-text question) /cancel's answer, never taken as the partner's words
    "cancel": "cancel",
    "отмена": "cancel",
}
# a manager's commands typed without the slash (VK's `_typed_command` says when)
VK_MANAGER_WORDS: Mapping[str, str] = {name: name for name in MANAGER_COMMANDS}


class StartRefused(Exception):
    """A platform's bot cannot start; the message is one line naming the variable."""


class TokenRefused(StartRefused):
    """A platform refused the bot's token at start-up."""


class ApiUnreachable(StartRefused):
    """A platform's API (its *_API_URL) did not answer the bot's first request."""


async def prepare_bot(bot: Bot, services: Services, *, webhook: bool = False) -> None:
    """Check and set up one platform's bot before it takes updates. Its first request
    (who the bot is) failing stops start-up with one line naming the variable: the token
    refused, or the API not reachable (`TokenRefused`, `ApiUnreachable`)."""
    if isinstance(bot.session, MaxSession):
        await prepare_max_bot(bot, bot.session, services, webhook=webhook)
        return
    settings = services.settings
    if platform_of(bot) == "vk":
        with _first_request("VK", "VK_GROUP_TOKEN", "VK_API_URL", settings.vk_api_url, bot):
            me = await bot.get_me()
        logger.info("VK community %s (id %s) ready", me.username, me.id)
        return  # no command menu or webhook on VK; rights are checked on Telegram
    url = settings.telegram_api_url or TELEGRAM_URL
    with _first_request("Telegram", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", url, bot):
        me = await bot.get_me()
    translator = services.content_store.live.translator
    await prepare_telegram_bot(bot, settings, translator, me, webhook=webhook)


TELEGRAM_URL: Final = "https://api.telegram.org"


@contextlib.contextmanager
def _first_request(platform: str, token: str, api: str, url: str, bot: Bot) -> Iterator[None]:
    """A bot's first request: aiogram's errors as one line naming the variable."""
    try:
        yield
    except TelegramUnauthorizedError:
        raise TokenRefused(f"{token}: {platform} refused the token (Unauthorized)") from None
    except TelegramNetworkError as exc:
        reason = redact(exc.message.removeprefix("HTTP Client says - "), [bot.token])
        raise ApiUnreachable(f"{api}: cannot reach {url}: {reason}") from None
    except ClientDecodeError:  # a web server that is not the API (its 404 page)
        raise ApiUnreachable(
            f"{api}: {url} is not answering as the {platform} API: its answer is not JSON"
        ) from None
    except TelegramAPIError as exc:  # another server there (a 404), or the API's own error
        reason = redact(exc.message, [bot.token])
        raise ApiUnreachable(
            f"{api}: {url} answered the bot's first request with an error: {reason}"
        ) from None


async def prepare_max_bot(
    bot: Bot, session: MaxSession, services: Services, *, webhook: bool = False
) -> None:
    """The token checked (`GET /me`: a wrong one stops start-up naming MAX_BOT_TOKEN),
    then the bot's rights in the configured MAX chats. Long polling: a webhook
    subscription left from an earlier run would take the events, so it is removed."""
    url = services.settings.max_api_url
    try:
        me = await session.me()
    except MaxError as exc:
        if exc.status == 401:
            raise TokenRefused(f"MAX_BOT_TOKEN: MAX refused the token ({exc.code})") from None
        raise ApiUnreachable(
            f"MAX_API_URL: {url} answered the bot's first request with an error: {exc}"
        ) from None
    except MaxUncertain as exc:  # no answer at all
        raise ApiUnreachable(f"MAX_API_URL: cannot reach {url}: {exc}") from None
    logger.info("MAX bot @%s (id %s) ready", me.username, me.id)
    if not webhook:
        await session.unsubscribe_all()
    await check_max_rights(
        bot, session, services.settings, services.content_store.live.translator.get(None)
    )


def create_bots(settings: Settings, services: Services) -> list[Bot]:
    """A bot per platform that has credentials: Telegram, VK, MAX, or any of them."""
    bots: list[Bot] = []
    if settings.telegram_bot_token is not None:
        token = settings.telegram_bot_token.get_secret_value()
        bots.append(
            create_bot(
                token,
                settings.telegram_api_url,
                migrations=services.migrations,
                pacer=telegram_pacer(services.pacers, token),
            )
        )
    if settings.vk_group_token is not None and settings.vk_group_id is not None:
        bots.append(
            create_vk_bot(
                settings.vk_group_token.get_secret_value(),
                settings.vk_group_id,
                settings.vk_api_url,
                commands=VK_COMMAND_WORDS,
                pacer=vk_pacer(services.pacers, settings.vk_group_id),
                manager_commands=VK_MANAGER_WORDS,
                managers=settings.manager_ids("vk"),
                clock=services.clock,
            )
        )
    if settings.max_bot_token is not None:
        bots.append(
            create_max_bot(
                settings.max_bot_token.get_secret_value(),
                settings.max_api_url,
                people=settings.manager_ids("max"),
                pacer=max_pacer(services.pacers, settings.max_bot_token.get_secret_value()),
            )
        )
    for bot in bots:
        services.platforms.add(bot)
        if isinstance(bot.session, VkSession):
            bot.session.client.on_rate_limited = metrics.RATE_LIMITED.labels("vk").inc
            # the next leader reads on from where this one stopped (VK's `ts`)
            bot.session.position.store = PollPosition(services.db, f"vk-ts:{bot.session.group_id}")
        if isinstance(bot.session, MaxSession):
            bot.session.client.on_rate_limited = metrics.RATE_LIMITED.labels("max").inc
            # the next leader reads on from where this one stopped (MAX's `marker`)
            bot.session.position.store = PollPosition(services.db, max_position_name(bot.token))
    return bots


def max_position_name(token: str) -> str:
    """The `counters` row of a MAX bot's marker: named by its token's digest (the bot's
    identity without the secret; a new bot starts afresh)."""
    return f"max-marker:{hashlib.sha256(token.encode()).hexdigest()[:12]}"
