"""`partnerbot run`: the bots, or with no platform credentials the offline sandbox. Its own
module, so that `bot.app` (which the sandbox builds on) never imports the sandbox."""

from __future__ import annotations

import asyncio
import gc

from bot.app import run_bots
from bot.config import Settings
from bot.sandbox.launch import run_sandbox


async def run(settings: Settings) -> None:
    if settings.offline:
        await run_sandbox(settings)
        return
    await run_bots(settings)


def main_loop(settings: Settings) -> None:
    try:
        asyncio.run(run(settings))
    finally:
        # the process ends: its objects (aiogram's models, SQLAlchemy, the content) are
        # set apart from the garbage collector, whose collections at interpreter exit
        # walked all of them — a second of CPU between "stopping" and the exit
        gc.freeze()
