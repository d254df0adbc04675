"""The application assembled: its services (the database migrated, the content loaded,
the rules that use them) and the aiogram dispatcher every platform's bot feeds."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot import metrics
from bot.clock import Clock, SystemClock
from bot.config import Settings, apply_faq_vectors
from bot.content.loader import ContentInvalid
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.fsm import DatabaseStorage
from bot.db.migrate import open_migrated
from bot.names import Naming
from bot.notices import Notices
from bot.pacing import Pacers, Timer
from bot.pacing_store import create_store
from bot.platforms import Platforms
from bot.press_answers import TrackPresses
from bot.redis_state import redis_state
from bot.services.announcements import AnnouncementService
from bot.services.audiences import Audiences
from bot.services.audit import AuditLog
from bot.services.community import CommunityService
from bot.services.content_sync import ContentSync, published_content
from bot.services.contests import ContestService
from bot.services.creatives import CreativeService
from bot.services.faq import FaqService
from bot.services.faq_semantic import cache_root
from bot.services.lessons import LessonService
from bot.services.outbox import Outbox
from bot.services.outbox_sales import PREFIX
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.services.privacy import PrivacyService
from bot.services.profile import ProfileService
from bot.services.sales import SalesService
from bot.services.stats import StatsService
from bot.services.support import SupportService
from bot.telegram.session import ChatMigrations
from bot.updates_in_hand import UpdatesInHand
from handlers import COMMAND_NAMES, setup_routers
from handlers.middlewares import (
    ContentFollower,
    FloodMiddleware,
    PartnerMiddleware,
    TypedWords,
    VkOriginMiddleware,
)
from handlers.partner.onboarding_resume import ResumeOnboarding
from handlers.relay import TicketRelay
from scheduler.planner import Planner

CACHE_SIZE = 100_000
# Per person: a burst of 10 messages or presses, then 1.5 a second. A person tapping as
# fast as they read (bursts of a few, about one a second for minutes) never meets it;
# a script sending 10 a second gets 25 of its first 100 through and one "slow down".
FLOOD_BURST = 10.0
FLOOD_RATE = 1.5

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    content_store: ContentStore
    content_sync: ContentSync
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


async def _last_valid(
    db: Database, root: Path, kept_in: Path, refused: ContentInvalid
) -> ContentStore:
    """The folder does not validate: the content every worker served before (its kept
    copy, `bot.content.kept`), its problems logged — or `refused` raised (the CLI names
    them) when there is no such copy (a first start, another machine)."""
    store = ContentStore.last_valid(root, await published_content(db), kept_in)
    if store is None:
        await db.close()
        raise refused
    logger.error(
        "the content folder %s is invalid; serving the last valid content (%016x) until it "
        "is fixed and /reload:\n%s",
        root,
        store.fingerprint,
        refused,
    )
    return store


async def create_services(
    settings: Settings, clock: Clock | None = None, timer: Timer | None = None
) -> Services:
    """Open the database (migrated to the newest schema) and load the content. `timer`:
    the time the pacing waits on (tests give a virtual one)."""
    clock = clock or SystemClock()
    apply_faq_vectors(settings)
    kept_in = settings.content_kept_dir or cache_root() / "content-valid"
    try:
        loaded: ContentStore | ContentInvalid = ContentStore(settings.content_dir, kept_in)
    except ContentInvalid as exc:
        loaded = exc
    db = await open_migrated(settings.database_url)  # DatabaseUnreachable: the CLI says so
    store = (
        loaded
        if isinstance(loaded, ContentStore)
        else await _last_valid(db, settings.content_dir, kept_in, loaded)
    )
    content_sync = ContentSync(db, store, clock)
    if store.kept_from is None:
        await content_sync.publish()  # a worker that starts serves its folder; the others follow
    partners = PartnerService(db, clock, cache_size=_cache_size(db))
    lessons = LessonService(db, store, clock)
    faq = FaqService(db, store, clock, managers=settings.managers, commands=COMMAND_NAMES)
    await faq.learning.sync(store.content)  # phrasings of entries that left or came back
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
    await outbox.follow_quiet_hours()  # program.yaml's quiet hours changed while stopped
    notices = Notices(settings, store, outbox, contests, partners, sales, lessons, clock)
    if isinstance(loaded, ContentInvalid):  # serving the kept copy: the managers hear it
        problems = [str(problem) for problem in loaded.problems]
        await notices.content_kept(str(settings.content_dir), problems, store.fingerprint)
    sales.approved_listeners.append(notices.tell_approved)
    # what a partner gets is true when it is sent (bot/services/outbox_refresh.py)
    outbox.refreshers.update(
        {
            "digest": notices.refresh_digests,
            "nudge": notices.refresh_nudges,
            "lesson": notices.refresh_drips,
            PREFIX: notices.refresh_sales,
        }
    )
    audiences = Audiences(
        db,
        store,
        clock,
        partners,
        contests,
        settings.tz,
        settings.community_chats(),
        managers=settings.managers,
    )
    announcements = AnnouncementService(db, clock, outbox, audiences, settings.community_chats())
    privacy = PrivacyService(partners, faq, support, outbox, db)

    async def keep_places(partner: Partner, _naming: Naming) -> None:
        await contests.keep_places(partner)

    privacy.forgetting.append(keep_places)  # a finished contest's places, as decided
    privacy.forgetting.append(notices.forget_in_posts)  # the group's posts still waiting

    async def left_standings(_partner: Partner) -> None:
        await sales.someone_left()

    privacy.forgotten.append(left_standings)  # the cached standings, in every process
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        content_store=store,
        content_sync=content_sync,
        partners=partners,
        faq=faq,
        lessons=lessons,
        creatives=CreativeService(store),
        profile=ProfileService(store, partners, lessons, support, sales, contests, settings.tz),
        privacy=privacy,
        support=support,
        community=CommunityService(store, clock, faq.matcher),
        sales=sales,
        contests=contests,
        stats=StatsService(db, store, clock, faq),
        audit=AuditLog(db, clock),
        migrations=ChatMigrations(),
        outbox=outbox,
        notices=notices,
        planner=Planner(
            store,
            contests,
            partners,
            notices,
            clock,
            settings.tz,
            announcements,
            faq=faq,
            content_sync=content_sync,
        ),
        announcements=announcements,
        platforms=Platforms(),
        pacers=Pacers(create_store(settings.redis_url), timer),
    )


def _cache_size(db: Database) -> int:
    """In-memory caches are safe with one process, which is what SQLite means here."""
    return CACHE_SIZE if db.engine.dialect.name == "sqlite" else 0


def create_dispatcher(
    services: Services,
    *,
    flood_rate: float = FLOOD_RATE,
    flood_burst: float = FLOOD_BURST,
    routers: Sequence[Router] | None = None,
    in_hand: UpdatesInHand | None = None,
) -> Dispatcher:
    """`routers`: handlers.setup_routers() built beforehand and attached to no other
    dispatcher (the tests reuse a set once its dispatcher stopped); new ones by default.
    `in_hand`: told of every update from its arrival (`bot.updates_in_hand`)."""
    storage: BaseStorage = DatabaseStorage(services.db, cache_size=_cache_size(services.db))
    # one chat's updates one at a time (its replies in the order it asked), across
    # workers with Redis, in the process without
    isolation: BaseEventIsolation = SimpleEventIsolation()
    if services.settings.redis_url:
        storage, isolation = redis_state(services.settings.redis_url, DatabaseStorage(services.db))
    dp = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        settings=services.settings,
        clock=services.clock,
        db=services.db,
        content_store=services.content_store,
        content_sync=services.content_sync,
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
    # flood protection counts an update as it arrives: before the chat's lock (its updates
    # one at a time), or a burst would be counted as the chat's replies drain it — on
    # Telegram, about one a second, never meeting the limit — while MAX met it at once
    dp.update.outer_middleware.unregister(dp.fsm)
    if in_hand is not None:
        dp.update.outer_middleware(in_hand)
    dp.update.outer_middleware(metrics.CountUpdates())
    dp.update.outer_middleware(VkOriginMiddleware())
    dp.update.outer_middleware(FloodMiddleware(services.clock, rate=flood_rate, burst=flood_burst))
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(ContentFollower(services.content_sync))
    dp.update.outer_middleware(TrackPresses())  # the error handler answers a press only once
    partner = PartnerMiddleware(services.content_store, services.partners, services.settings)
    resume = ResumeOnboarding(services.settings)  # the dialog's state lost: from the database
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(partner)
        observer.outer_middleware(resume)
    dp.message.outer_middleware(TypedWords())  # menu words and "a person, please" typed
    dp.include_routers(*(setup_routers() if routers is None else routers))
    return dp
