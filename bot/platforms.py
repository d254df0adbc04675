"""The bots the dispatcher serves, one per platform, and which platform a bot is on."""

from __future__ import annotations

from collections.abc import Iterator

from aiogram import Bot


def platform_of(bot: Bot) -> str:
    """The platform of a bot: its session says so (VkSession "vk", MaxSession "max");
    aiogram's own session is Telegram."""
    return str(getattr(bot.session, "platform", "tg"))


class Platforms:
    """The running bots by platform: a ticket from VK may go to managers on Telegram, and
    a manager's reply back, so a handler may need the other platform's bot."""

    def __init__(self) -> None:
        self._bots: dict[str, Bot] = {}

    def add(self, bot: Bot) -> None:
        self._bots[platform_of(bot)] = bot

    def get(self, platform: str) -> Bot | None:
        return self._bots.get(platform)

    def __iter__(self) -> Iterator[Bot]:
        return iter(self._bots.values())

    def __contains__(self, platform: object) -> bool:
        return platform in self._bots
