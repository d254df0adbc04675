"""The Telegram Bot API emulator (aiohttp on 127.0.0.1) for the offline sandbox and the
tests, in layers: `methods` (the table of methods and limits), `checks` (requests checked
as the server checks them), `limits` (429 + `retry_after`), `state` (users, chats,
messages, updates), `people` (what users do), `api` (the methods answered), `server`
(HTTP)."""

from bot.telegram.emulator.checks import ApiError
from bot.telegram.emulator.limits import IN_FLIGHT_GRACE, RateLimits
from bot.telegram.emulator.server import BotApiEmulator
from bot.telegram.emulator.state import BOT_USER_ID, DEFAULT_TOKEN, Request, SentMessage

__all__ = [
    "BOT_USER_ID",
    "DEFAULT_TOKEN",
    "IN_FLIGHT_GRACE",
    "ApiError",
    "BotApiEmulator",
    "RateLimits",
    "Request",
    "SentMessage",
]
