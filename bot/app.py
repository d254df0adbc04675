"""The running application: what the leading process runs beside the dispatcher (the
scheduler, a delivery worker per platform, the long polls, the webhook registrations)
and `run_bots`, the production run. Its parts are assembled in `bot.assembly`
(services, dispatcher) and `bot.startup` (each platform's bot)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import metrics
from bot.assembly import Services, create_dispatcher, create_services
from bot.config import MAX_WEBHOOK_PATH, Settings
from bot.db.tables import POLLED_ROWS
from bot.delivery import OutboxWorker
from bot.http import create_http_app, start_http
from bot.leader import Leadership
from bot.max.delivery import MaxDelivery
from bot.max.events import MAX_ID_FIELDS, event_number
from bot.max.files import max_file_fetcher
from bot.max.session import USED_TYPES, MaxSession
from bot.platform.delivery import BotDelivery
from bot.platform.files import FileFetchers
from bot.platforms import platform_of
from bot.startup import create_bots, prepare_bot
from bot.telegram.delivery import Delivery
from bot.telegram.session import create_bot, telegram_file_fetcher, telegram_pacer
from bot.updates_in_hand import STOP_GRACE, UpdatesInHand
from bot.vk.delivery import VkDelivery
from bot.webhook import CallbackReader, PolledReader, WebhookInbox
from scheduler import add_planner_job, add_support_jobs, create_scheduler

logger = logging.getLogger(__name__)

MAX_SECRET_HEADER = "X-Max-Bot-Api-Secret"  # noqa: S105 - a header name


@dataclass
class Background:
    """What runs beside the dispatcher: the scheduler and a delivery worker per platform."""

    scheduler: AsyncIOScheduler
    workers: list[OutboxWorker]
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        self.scheduler.start()
        self.tasks = [
            asyncio.create_task(worker.run(), name=f"delivery-{worker.platform}")
            for worker in self.workers
        ]

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for worker in self.workers:
            await worker.close()


def file_fetchers(services: Services) -> FileFetchers:
    """Each running platform's way to fetch its files, for the other platforms' workers
    (a manager's photo on MAX reaches Telegram and VK partners, and the other way)."""
    platforms = services.platforms
    return FileFetchers(
        {
            "tg": telegram_file_fetcher(platforms.get("tg")),
            "max": max_file_fetcher(platforms.get("max")),
        }
    )


def create_background(dp: Dispatcher, services: Services, api_url: str | None) -> Background:
    scheduler = create_scheduler(services.settings.tz)
    first = next(iter(services.platforms))
    add_support_jobs(
        scheduler,
        bot=first,
        support=services.support,
        relay=dp.workflow_data["relay"],
        partners=services.partners,
    )
    add_planner_job(scheduler, services.planner)
    workers: list[OutboxWorker] = []
    telegram = services.platforms.get("tg")
    if telegram is not None:
        # the worker's own Bot (its own connections), on the same pacing as the replies
        sender = create_bot(
            telegram.token,
            api_url,
            services.migrations,
            pacer=telegram_pacer(services.pacers, telegram.token),
        )
        workers.append(
            Delivery(
                sender,
                services.outbox,
                services.partners,
                services.clock,
                rate=services.settings.delivery_rate,
                fetch_file=file_fetchers(services),
            )
        )
    on_own_bot: tuple[tuple[str, type[BotDelivery[Any]]], ...] = (
        ("vk", VkDelivery),
        ("max", MaxDelivery),
    )
    for platform, worker in on_own_bot:  # the dispatcher's own bot: one budget with replies
        platform_bot = services.platforms.get(platform)
        if platform_bot is not None:
            workers.append(
                worker(
                    platform_bot,
                    services.outbox,
                    services.partners,
                    services.clock,
                    fetch_file=file_fetchers(services),
                )
            )
    return Background(scheduler, workers)


class LeaderDuties:
    """What the leading process runs: the webhook registration, the scheduler and the
    delivery workers, the long polls; all of it stopped when it stops leading."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        dp: Dispatcher,
        pollers: list[Bot],
        inbox: WebhookInbox | None,
        max_inbox: WebhookInbox | None = None,
        kept: dict[str, WebhookInbox] | None = None,
    ) -> None:
        self._settings = settings
        self._services = services
        self._dp = dp
        self._pollers = pollers
        self._inbox = inbox
        self._max_inbox = max_inbox
        # the updates kept in the database, by platform: the webhooks', and — long-polled —
        # the ones a stop cut short (`bot.updates_in_hand`)
        self._kept = kept or ({"tg": inbox} if inbox is not None else {})
        self._background: Background | None = None
        self._polling: asyncio.Task[None] | None = None

    async def elected(self) -> None:
        settings, telegram = self._settings, self._services.platforms.get("tg")
        if self._inbox is not None and telegram is not None and settings.webhook_secret:
            await telegram.set_webhook(
                settings.webhook_url or "",
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=self._dp.resolve_used_update_types(),
            )
        max_bot = self._services.platforms.get("max")
        if self._max_inbox is not None and max_bot is not None and settings.webhook_secret:
            assert isinstance(max_bot.session, MaxSession)
            await max_bot.session.subscribe(
                max_webhook_url(settings.webhook_url or ""),
                settings.webhook_secret.get_secret_value(),
                list(USED_TYPES),
            )
        background = create_background(self._dp, self._services, settings.telegram_api_url)
        # the updates a process took and did not finish (it died, or a stop cut them
        # short): at once, then every minute
        inboxes = {id(each): each for each in (*self._kept.values(), self._max_inbox) if each}
        for kept in inboxes.values():
            background.scheduler.add_job(
                kept.recover,
                "interval",
                seconds=60,
                next_run_time=datetime.now(UTC),
                id=f"webhook-recover-{kept.platform}",
            )
        background.start()
        self._background = background
        if self._pollers:
            self._polling = asyncio.create_task(
                self._dp.start_polling(
                    *self._pollers, handle_signals=False, close_bot_session=False
                )
            )

    async def deposed(self) -> None:
        if self._polling is not None:
            with contextlib.suppress(RuntimeError):
                await self._dp.stop_polling()
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self._background is not None:
            await self._background.stop()
            self._background = None


async def run_bots(settings: Settings) -> None:
    """Production run, until SIGINT/SIGTERM: answers updates (Telegram by webhook when
    WEBHOOK_URL is set), and — in the one process that leads (`bot.leader`) — the
    scheduler, the delivery workers and the long polls."""
    services = await create_services(settings)
    bots = create_bots(settings, services)
    in_hand = UpdatesInHand()
    dp = create_dispatcher(services, in_hand=in_hand)
    # aiogram closes the dialog state when its long polls stop: here it is closed last,
    # once the updates in hand ended (and a worker that stops leading goes on with it)
    dp.shutdown.handlers[:] = [h for h in dp.shutdown.handlers if h.callback != dp.fsm.close]
    app = create_http_app(
        settings, services.sales, lambda: metrics.render(services.db, services.clock)
    )
    telegram = services.platforms.get("tg")
    inbox: WebhookInbox | None = None
    if settings.webhook_url and settings.webhook_secret and telegram is not None:
        inbox = WebhookInbox(
            services.db,
            services.clock,
            dp,
            telegram,
            settings.webhook_secret.get_secret_value(),
            path=settings.telegram_webhook_path,
        )
        inbox.install(app)
    max_inbox = max_webhook_inbox(settings, services, dp)
    if max_inbox is not None:
        max_inbox.install(app)
    kept = kept_inboxes(services, dp, inbox, max_inbox)
    pollers = [
        bot
        for bot in bots
        if not (inbox is not None and platform_of(bot) == "tg")
        and not (max_inbox is not None and platform_of(bot) == "max")
    ]
    http = await start_http(app, settings.http_host, settings.http_port, reuse_port=True)
    duties = LeaderDuties(settings, services, dp, pollers, inbox, max_inbox, kept)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    # every worker follows a /reload made in another (its updates check too)
    following = asyncio.create_task(services.content_sync.run(), name="content-sync")
    tasks = [following]
    try:
        # every bot checked first: a token refused or an API not reachable stops start-up
        # in one line (bot.startup) before the scheduler, deliveries or polls have begun
        for bot in bots:
            by_webhook = (inbox if platform_of(bot) != "max" else max_inbox) is not None
            await prepare_bot(bot, services, webhook=by_webhook)
        leadership = Leadership(settings.database_url)
        tasks.append(asyncio.create_task(leadership.run(duties.elected, duties.deposed)))
        await stop.wait()
        logger.info("stopping")
    finally:
        for task in tasks:  # no more polls; the scheduler and the deliveries stop
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await http.cleanup()  # no more webhooks; the postbacks in flight are answered
        for bot, update in await in_hand.finish(STOP_GRACE):
            await _keep(bot, update, kept)
        for each in (inbox, max_inbox):
            if each is not None:
                await each.drain()
        await dp.fsm.close()
        for bot in bots:
            await bot.session.close()
        await services.close()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)


def kept_inboxes(
    services: Services,
    dp: Dispatcher,
    inbox: WebhookInbox | None,
    max_inbox: WebhookInbox | None,
) -> dict[str, WebhookInbox]:
    """By platform, where an update a stop cut short waits for the next leader: the
    webhook's inbox (which stored it as it came), else one for the long poll's updates —
    Telegram's by their numbers, VK's and MAX's by what they hold (`PolledReader`)."""
    kept: dict[str, WebhookInbox] = {}
    for bot in services.platforms:
        platform = platform_of(bot)
        received = {"tg": inbox, "max": max_inbox}.get(platform)
        if received is not None:
            kept[platform] = received
            continue
        reader = None if platform == "tg" else PolledReader(POLLED_ROWS[platform])
        kept[platform] = WebhookInbox(
            services.db, services.clock, dp, bot, secret="", reader=reader
        )
    return kept


async def _keep(bot: Bot, update: Update, kept: dict[str, WebhookInbox]) -> None:
    """An update a stop cut short, kept for the next leader (one that came by webhook was
    stored as it came, not marked handled: the next leader takes it as it is)."""
    platform = platform_of(bot)
    inbox = kept.get(platform)
    if inbox is None:
        logger.error(
            "stopping: %s update %s outlasted the stop and is lost", platform, update.update_id
        )
        return
    if not inbox.by_webhook:
        try:
            await inbox.keep(update)
        except Exception:  # the database away: said, the stop goes on
            logger.exception("stopping: update %s not kept for the next start", update.update_id)
            return
    logger.warning(
        "stopping: %s update %s outlasted the stop; the next start handles it",
        platform,
        update.update_id,
    )


def max_webhook_url(webhook_url: str) -> str:
    """MAX posts to the same host as Telegram, at its own path."""
    parsed = urlparse(webhook_url)
    return f"{parsed.scheme}://{parsed.netloc}{MAX_WEBHOOK_PATH}"


def max_webhook_inbox(
    settings: Settings, services: Services, dp: Dispatcher
) -> WebhookInbox | None:
    """MAX's webhook inbox (persist first, as Telegram's), when WEBHOOK_URL is set."""
    max_bot = services.platforms.get("max")
    if not settings.webhook_url or settings.webhook_secret is None or max_bot is None:
        return None
    assert isinstance(max_bot.session, MaxSession)
    reader = CallbackReader(
        "max", MAX_SECRET_HEADER, event_number, max_bot.session.translate, ids=MAX_ID_FIELDS
    )
    return WebhookInbox(
        services.db,
        services.clock,
        dp,
        max_bot,
        settings.webhook_secret.get_secret_value(),
        path=MAX_WEBHOOK_PATH,
        reader=reader,
    )
