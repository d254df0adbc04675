"""`partnerbot run`: the bots, or with no platform credentials the offline sandbox. Its own
module, so that `bot.app` (which the sandbox builds on) never imports the sandbox."""

from __future__ import annotations

import asyncio

from bot.app import run_bots
from bot.config import Settings
from bot.sandbox.launch import run_sandbox


async def run(settings: Settings) -> None:
    if settings.offline:
        await run_sandbox(settings)
        return
    await run_bots(settings)


def main_loop(settings: Settings) -> None:
    asyncio.run(run(settings))
