"""The offline sandbox started (`partnerbot run` with no platform token): the Telegram,
VK and MAX emulators on 127.0.0.1, the real bot polling all three, the HTTP endpoint, and
the chat in the terminal (`terminal`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from aiogram import Bot, Dispatcher

from bot import metrics
from bot.app import create_background
from bot.assembly import create_dispatcher, create_services
from bot.config import Settings
from bot.http import create_http_app, start_http
from bot.max.client import max_pacer
from bot.max.emulator import MaxApiEmulator
from bot.max.session import create_max_bot
from bot.sandbox.group import GROUP_ID, MANAGERS_ID, add_groups
from bot.sandbox.stdin import read_lines
from bot.sandbox.terminal import BLOCK, MANAGER_ID, PERSONAS, TerminalChat
from bot.startup import VK_COMMAND_WORDS, VK_MANAGER_WORDS, prepare_bot
from bot.telegram.emulator import BotApiEmulator
from bot.telegram.session import create_bot, telegram_pacer
from bot.vk.emulator import VkApiEmulator
from bot.vk.session import create_vk_bot, vk_pacer

logger = logging.getLogger(__name__)


async def _emulators() -> tuple[BotApiEmulator, VkApiEmulator, MaxApiEmulator]:
    """The three platforms' emulators, started, with the sandbox's people on each."""
    emulator = BotApiEmulator()
    await emulator.start()
    vk = VkApiEmulator()
    await vk.start()
    max_api = MaxApiEmulator(processing=0.5)  # an upload is ready half a second later
    await max_api.start()
    add_groups(emulator)  # the partners' group and the managers' chat (`/chat …`)
    for persona, (user_id, name) in PERSONAS.items():
        emulator.add_user(user_id, name, username=f"sandbox_{persona}")
        vk.add_user(user_id, name)
        max_api.add_user(user_id, name, username=f"sandbox_{persona}")
    return emulator, vk, max_api


async def run_sandbox(settings: Settings) -> None:
    emulator, vk, max_api = await _emulators()
    base_url, vk_url, max_url = emulator.base_url, vk.base_url, max_api.base_url
    print(
        "partnerbot: offline sandbox (no TELEGRAM_BOT_TOKEN, VK_GROUP_TOKEN or MAX_BOT_TOKEN "
        f"set): Bot API emulator at {base_url}, VK API emulator at {vk_url}, MAX API emulator "
        f"at {max_url}, content from {settings.content_dir}/, database {settings.database_url}",
        flush=True,
    )
    managers = (*settings.managers, f"tg:{MANAGER_ID}", f"vk:{MANAGER_ID}", f"max:{MANAGER_ID}")
    community = settings.tg_community_chat_id or GROUP_ID  # the sandbox's partners' group
    managers_chat = settings.tg_managers_chat_id or MANAGERS_ID  # and its managers' chat
    settings = settings.model_copy(
        update={
            "managers": managers,
            "tg_community_chat_id": community,
            "tg_managers_chat_id": managers_chat,
        }
    )
    services = await create_services(settings)
    bot = create_bot(
        emulator.token,
        base_url,
        migrations=services.migrations,
        pacer=telegram_pacer(services.pacers, emulator.token),
    )
    vk_bot = create_vk_bot(
        vk.token,
        vk.group_id,
        vk_url,
        commands=VK_COMMAND_WORDS,
        pacer=vk_pacer(services.pacers, vk.group_id),
        manager_commands=VK_MANAGER_WORDS,
        managers=settings.manager_ids("vk"),
    )
    max_bot = create_max_bot(
        max_api.token,
        max_url,
        people=settings.manager_ids("max"),
        long_poll_timeout=10,
        pacer=max_pacer(services.pacers, max_api.token),
    )
    services.platforms.add(bot)
    services.platforms.add(vk_bot)
    services.platforms.add(max_bot)
    dp = create_dispatcher(services)
    background = create_background(dp, services, base_url)
    chat = TerminalChat(emulator, lambda text: print(text, flush=True), vk, max_api)
    http = None
    try:
        http = await start_http(
            create_http_app(
                settings, services.sales, lambda: metrics.render(services.db, services.clock)
            ),
            settings.http_host,
            settings.http_port,
        )
    except OSError as exc:
        logger.warning("HTTP endpoint not started (HTTP_PORT %s): %s", settings.http_port, exc)
    try:
        await prepare_bot(bot, services)
        await prepare_bot(vk_bot, services)
        await prepare_bot(max_bot, services)
        background.start()
        polling = asyncio.create_task(_poll(dp, bot, vk_bot, max_bot))
        print(
            "You are the partner (tg:700001). Type /start. A number presses a button; "
            "/as manager switches to the manager; /chat managers writes in the managers' chat, "
            "where tickets arrive (/reply TEXT answers the ticket the bot wrote in last, "
            "/reply #N TEXT ticket N); /chat group writes in the "
            "partners' group, /chat private back (Telegram); /platform vk or /platform max "
            "writes in VK or MAX instead; /lang en and /name NAME "
            "change your client's language and display name; a line ending with \\ goes on on "
            f"the next one (or put {BLOCK} before and after several lines); /quit leaves.",
            flush=True,
        )
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        threading.Thread(target=read_lines, args=(loop, queue), daemon=True).start()
        while (line := await queue.get()) is not None and chat.handle(line):
            pass
        await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            await asyncio.wait_for(polling, 5)
    finally:
        await background.stop()
        if http is not None:
            await http.cleanup()
        await bot.session.close()
        await vk_bot.session.close()
        await max_bot.session.close()
        await services.close()
        await emulator.stop()
        await vk.stop()
        await max_api.stop()
        print("partnerbot: sandbox stopped", flush=True)


async def _poll(dp: Dispatcher, *bots: Bot) -> None:
    await dp.start_polling(
        *bots, handle_signals=False, close_bot_session=False, polling_timeout=10
    )
