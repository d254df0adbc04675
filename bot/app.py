"""Factories: services, the dispatcher and the bot, and the running application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content.store import ContentStore
from bot.db.engine import Database, DatabaseUnreachable
from bot.db.fsm import DatabaseStorage
from bot.db.migrate import upgrade
from bot.delivery import Delivery, OutboxWorker
from bot.http import create_http_app, start_http
from bot.i18n import LANGUAGES, Translator
from bot.leader import Leadership
from bot.max.client import MaxError
from bot.max.delivery import MaxDelivery
from bot.max.events import MAX_ID_FIELDS, event_number
from bot.max.rights import check_max_rights
from bot.max.session import USED_TYPES, MaxSession, create_max_bot
from bot.notices import Notices
from bot.pacing import Pacers, Timer, create_store
from bot.platforms import Platforms, platform_of
from bot.redis_state import redis_state
from bot.services.announcements import AnnouncementService
from bot.services.audit import AuditLog
from bot.services.community import CommunityService
from bot.services.contests import ContestService
from bot.services.creatives import CreativeService
from bot.services.faq import FaqService
from bot.services.lessons import LessonService
from bot.services.outbox import Outbox
from bot.services.partners import PartnerService
from bot.services.privacy import PrivacyService
from bot.services.profile import ProfileService
from bot.services.sales import SalesService
from bot.services.stats import StatsService
from bot.services.support import SupportService
from bot.telegram import ChatMigrations, create_bot, telegram_file_fetcher, telegram_pacer
from bot.vk.delivery import VkDelivery
from bot.vk.session import VkSession, create_vk_bot, vk_pacer
from bot.webhook import PATH as WEBHOOK_PATH
from bot.webhook import CallbackReader, WebhookInbox
from handlers import setup_routers
from handlers.middlewares import (
    FloodMiddleware,
    PartnerMiddleware,
    TypedWords,
    VkOriginMiddleware,
)
from handlers.partner import PARTNER_COMMANDS
from handlers.relay import TicketRelay
from handlers.rights import check_chat_rights
from scheduler import add_planner_job, add_support_jobs, create_scheduler
from scheduler.planner import Planner

logger = logging.getLogger(__name__)

MAX_WEBHOOK_PATH = "/webhook/max"
MAX_SECRET_HEADER = "X-Max-Bot-Api-Secret"  # noqa: S105 - a header name
CACHE_SIZE = 100_000
# Per person: a burst of 10 messages or presses, then 1.5 a second. A person tapping as
# fast as they read (bursts of a few, about one a second for minutes) never meets it;
# a script sending 10 a second gets 25 of its first 100 through and one "slow down".
FLOOD_BURST = 10.0
FLOOD_RATE = 1.5
# VK users may type a command as a word, without the slash; "Начать" is VK's start button
VK_COMMAND_WORDS: Mapping[str, str] = {name: name for name in PARTNER_COMMANDS} | {
    "начать": "start"
}


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    content_store: ContentStore
    partners: PartnerService
    faq: FaqService
    lessons: LessonService
    creatives: CreativeService
    profile: ProfileService
    privacy: PrivacyService
    support: SupportService
    community: CommunityService
    sales: SalesService
    contests: ContestService
    stats: StatsService
    audit: AuditLog
    migrations: ChatMigrations
    outbox: Outbox
    notices: Notices
    planner: Planner
    announcements: AnnouncementService
    platforms: Platforms
    pacers: Pacers

    async def close(self) -> None:
        await self.pacers.close()
        await self.sales.close()
        await self.faq.close()
        await self.db.close()


async def create_services(
    settings: Settings, clock: Clock | None = None, timer: Timer | None = None
) -> Services:
    """Open the database (migrated to the newest schema) and load the content. `timer`:
    the time the pacing waits on (tests give a virtual one)."""
    clock = clock or SystemClock()
    store = ContentStore(settings.content_dir)
    db = Database.from_url(settings.database_url)
    try:
        await upgrade(db)
    except (OSError, SQLAlchemyError) as exc:
        await db.close()
        reason = getattr(exc, "orig", None) or exc
        raise DatabaseUnreachable(f"{type(reason).__name__}: {reason}".strip()) from None
    partners = PartnerService(db, clock, cache_size=_cache_size(db))
    lessons = LessonService(db, store, clock)
    faq = FaqService(db, store, clock)
    sales = SalesService(db, store, clock)
    support = SupportService(
        db,
        store,
        clock,
        cache=_cache_size(db) > 0,
        write_questions=faq.flush,
        sales=sales,
        zone=settings.tz,
    )
    contests = ContestService(db, store, clock, partners, sales)
    outbox = Outbox(db, store, clock, settings.tz)
    notices = Notices(settings, store, outbox, contests, partners, sales, lessons, clock)
    sales.approved_listeners.append(notices.tell_approved)
    announcements = AnnouncementService(
        db,
        store,
        clock,
        partners,
        contests,
        outbox,
        settings.tz,
        settings.community_chats(),
        managers=settings.managers,
    )
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        content_store=store,
        partners=partners,
        faq=faq,
        lessons=lessons,
        creatives=CreativeService(store),
        profile=ProfileService(store, partners, lessons, support, sales, contests, settings.tz),
        privacy=PrivacyService(partners, faq, support, outbox, db),
        support=support,
        community=CommunityService(store, clock),
        sales=sales,
        contests=contests,
        stats=StatsService(db, store, clock, faq),
        audit=AuditLog(db, clock),
        migrations=ChatMigrations(),
        outbox=outbox,
        notices=notices,
        planner=Planner(
            store, contests, partners, notices, clock, settings.tz, announcements, faq=faq
        ),
        announcements=announcements,
        platforms=Platforms(),
        pacers=Pacers(create_store(settings.redis_url), timer),
    )


def _cache_size(db: Database) -> int:
    """In-memory caches are safe with one process, which is what SQLite means here."""
    return CACHE_SIZE if db.engine.dialect.name == "sqlite" else 0


def create_dispatcher(
    services: Services, *, flood_rate: float = FLOOD_RATE, flood_burst: float = FLOOD_BURST
) -> Dispatcher:
    storage: BaseStorage = DatabaseStorage(services.db, cache_size=_cache_size(services.db))
    # one chat's updates one at a time (its replies in the order it asked), across
    # workers with Redis, in the process without
    isolation: BaseEventIsolation = SimpleEventIsolation()
    if services.settings.redis_url:
        storage, isolation = redis_state(services.settings.redis_url)
    dp = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        settings=services.settings,
        clock=services.clock,
        db=services.db,
        content_store=services.content_store,
        partners=services.partners,
        faq=services.faq,
        lessons=services.lessons,
        creatives=services.creatives,
        profile=services.profile,
        privacy=services.privacy,
        support=services.support,
        community=services.community,
        contests=services.contests,
        stats_service=services.stats,
        relay=TicketRelay(
            services.settings,
            services.support,
            services.partners,
            services.content_store,
            services.migrations,
            services.platforms,
        ),
        audit=services.audit,
        outbox=services.outbox,
        notices=services.notices,
        planner=services.planner,
        announcements=services.announcements,
        platforms=services.platforms,
    )
    dp.update.outer_middleware(VkOriginMiddleware())
    dp.update.outer_middleware(metrics.CountUpdates())
    flood = FloodMiddleware(services.clock, rate=flood_rate, burst=flood_burst)
    partner = PartnerMiddleware(services.content_store, services.partners, services.settings)
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(flood)
        observer.outer_middleware(partner)
    dp.message.outer_middleware(TypedWords())  # menu words and "a person, please" typed
    dp.include_routers(*setup_routers())
    return dp


async def set_commands(bot: Bot, translator: Translator) -> None:
    """The command list in the Telegram menu, per language."""
    for language in LANGUAGES:
        l10n = translator.get(language)
        commands = [
            BotCommand(command=name, description=l10n(f"command-{name}"))
            for name in PARTNER_COMMANDS
        ]
        await bot.set_my_commands(
            commands,
            scope=BotCommandScopeAllPrivateChats(),
            language_code=None if language == "ru" else language,
        )


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
            )
        )
    vk = services.platforms.get("vk")
    if vk is not None:
        workers.append(
            VkDelivery(
                vk,
                services.outbox,
                services.partners,
                services.clock,
                fetch_file=telegram_file_fetcher(telegram),
            )
        )
    max_bot = services.platforms.get("max")
    if max_bot is not None:
        workers.append(
            MaxDelivery(
                max_bot,
                services.outbox,
                services.partners,
                services.clock,
                fetch_file=telegram_file_fetcher(telegram),
            )
        )
    return Background(scheduler, workers)


class TokenRefused(Exception):
    """A platform refused the bot's token at start-up; the message names the variable."""


async def prepare_bot(bot: Bot, services: Services, *, webhook: bool = False) -> None:
    if isinstance(bot.session, MaxSession):
        await prepare_max_bot(bot, bot.session, services, webhook=webhook)
        return
    me = await bot.get_me()
    if platform_of(bot) == "vk":
        logger.info("VK community %s (id %s) ready", me.username, me.id)
        return  # no command menu or webhook on VK; rights are checked on Telegram
    logger.info("bot @%s (id %s) ready", me.username, me.id)
    if not webhook:  # long polling: a webhook left set would take the updates
        await bot.delete_webhook(drop_pending_updates=False)
    await set_commands(bot, services.content_store.live.translator)
    await check_chat_rights(
        bot, services.settings, services.content_store.live.translator.get(None)
    )


async def prepare_max_bot(
    bot: Bot, session: MaxSession, services: Services, *, webhook: bool = False
) -> None:
    """The token checked (`GET /me`: a wrong one stops start-up naming MAX_BOT_TOKEN),
    then the bot's rights in the configured MAX chats. Long polling: a webhook
    subscription left from an earlier run would take the events, so it is removed."""
    try:
        me = await session.me()
    except MaxError as exc:
        if exc.status == 401:
            raise TokenRefused(f"MAX_BOT_TOKEN: MAX refused the token ({exc.code})") from None
        raise
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
            )
        )
    if settings.max_bot_token is not None:
        bots.append(
            create_max_bot(
                settings.max_bot_token.get_secret_value(),
                settings.max_api_url,
                people=settings.manager_ids("max"),
            )
        )
    for bot in bots:
        services.platforms.add(bot)
        if isinstance(bot.session, VkSession):
            bot.session.client.on_rate_limited = metrics.RATE_LIMITED.labels("vk").inc
        if isinstance(bot.session, MaxSession):
            bot.session.client.on_rate_limited = metrics.RATE_LIMITED.labels("max").inc
    return bots


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
    ) -> None:
        self._settings = settings
        self._services = services
        self._dp = dp
        self._pollers = pollers
        self._inbox = inbox
        self._max_inbox = max_inbox
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
        if self._inbox is not None:
            background.scheduler.add_job(
                self._inbox.recover, "interval", seconds=60, id="webhook-recover"
            )
        if self._max_inbox is not None:
            background.scheduler.add_job(
                self._max_inbox.recover, "interval", seconds=60, id="webhook-recover-max"
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
    dp = create_dispatcher(services)
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
            path=urlparse(settings.webhook_url).path or WEBHOOK_PATH,
        )
        inbox.install(app)
    max_inbox = max_webhook_inbox(settings, services, dp)
    if max_inbox is not None:
        max_inbox.install(app)
    pollers = [
        bot
        for bot in bots
        if not (inbox is not None and platform_of(bot) == "tg")
        and not (max_inbox is not None and platform_of(bot) == "max")
    ]
    http = await start_http(app, settings.http_host, settings.http_port, reuse_port=True)
    duties = LeaderDuties(settings, services, dp, pollers, inbox, max_inbox)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    leading = asyncio.create_task(
        Leadership(settings.database_url).run(duties.elected, duties.deposed)
    )
    try:
        for bot in bots:
            by_webhook = (inbox if platform_of(bot) != "max" else max_inbox) is not None
            await prepare_bot(bot, services, webhook=by_webhook)
        await stop.wait()
        logger.info("stopping")
    finally:
        leading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await leading
        await http.cleanup()
        for each in (inbox, max_inbox):
            if each is not None:
                await each.drain()
        for bot in bots:
            await bot.session.close()
        await services.close()


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
