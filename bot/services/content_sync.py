"""One content for every worker: a /reload in one process reaches all of them.

A worker that loads the content folder and finds it valid (start-up, /reload) publishes
the folder's fingerprint in the database (`counters`, the way learned FAQ phrasings reach
every worker). Every worker reads it at most once a second — before handling an update,
before a planner tick, and in a loop of its own — and, when it moved, loads the folder
again and swaps it in if the folder still reads to that fingerprint. So an invalid folder
changes nothing anywhere (nothing is published), and no worker ever serves a state of the
folder that nobody validated: a folder edited again after the /reload is followed only
after the next /reload.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final

import sqlalchemy as sa
from pydantic import BaseModel

from bot.clock import Clock
from bot.content.loader import ContentInvalid
from bot.content.references import KnownContests
from bot.content.source import Problem
from bot.content.store import ContentStore, Loaded, Signature, folder_signature
from bot.db.engine import Database, insert
from bot.db.tables import contests, counters
from bot.services.audit import AuditLog
from bot.services.faq_thread import beside_loop

logger = logging.getLogger(__name__)


class ReloadHeld(Exception):
    """A valid folder a manager is asked to confirm before it goes live (`reload`'s
    `hold`): nothing changed."""

    def __init__(self, sections: list[str]) -> None:
        super().__init__(", ".join(sections))
        self.sections = sections


COUNTER: Final = "content"


async def published_content(db: Database) -> int:
    """The fingerprint of the content last validated by any worker (0: none yet)."""
    async with db.read() as conn:
        value = await conn.scalar(sa.select(counters.c.value).where(counters.c.name == COUNTER))
    return int(value or 0)


class ContentSync:
    CHECK_SECONDS: Final = 1.0

    def __init__(self, db: Database, store: ContentStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()
        # a published fingerprint this folder did not read to, and the folder's state then
        self._missed: tuple[int, Signature] | None = None

    @property
    def shared(self) -> bool:
        """Several workers can run (PostgreSQL); with SQLite the bot is one process."""
        return self._db.engine.dialect.name != "sqlite"

    async def published(self) -> int:
        """The fingerprint of the content last validated by any worker (0: none yet)."""
        return await published_content(self._db)

    async def publish(self, fingerprint: int | None = None) -> None:
        """This worker's content (or the one of `fingerprint`) is what every worker serves
        (start-up, /reload)."""
        if fingerprint is None:
            fingerprint = self._store.fingerprint
        async with self._db.write() as conn:
            statement = insert(conn.dialect.name, counters).values(name=COUNTER, value=fingerprint)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["name"], set_={"value": fingerprint}
                )
            )

    async def reload(
        self, hold: Callable[[Loaded], Awaitable[None]] | None = None
    ) -> list[Problem]:
        """/reload: validate the folder; a valid one is swapped in here and published for
        every other worker, an invalid one changes nothing (its problems returned). `hold`
        may stop a valid one before anything changes (it raises `ReloadHeld`)."""
        async with self._lock:
            known = await self._known_contests()
            try:
                # in the FAQ's thread: building the FAQ's index encodes new texts (seconds
                # for a new FAQ with e5), and the loop goes on meanwhile; there it is never
                # beside a match (bot/services/faq_thread.py)
                loaded = await beside_loop(self._store.load, known)
            except ContentInvalid as exc:  # the problems too: the log had only their number
                logger.warning(
                    "content reload refused: %d problem(s):\n%s", len(exc.problems), exc
                )
                return exc.problems
            if hold is not None:
                await hold(loaded)
            # published first: if the database fails, no worker changes anything
            await self.publish(loaded.fingerprint)
            self._store.swap(loaded)
            self._missed = None
        return []

    async def _known_contests(self) -> KnownContests:
        """The contests this bot has — the live content's and every one the database
        knows (announced, cancelled, made with /contest_new: a file taken out and put back
        keeps loading) — and now: a new contest whose start has passed is named."""
        async with self._db.read() as conn:
            stored = {str(row.id) for row in await conn.execute(sa.select(contests.c.id))}
        live = {contest.id for contest in self._store.content.contests}
        return KnownContests(frozenset(live | stored), self._clock.now())

    async def refresh(self) -> bool:
        """Follow a reload made in another worker; the database is read at most once a
        second. True when the content was swapped."""
        now = self._clock.monotonic()
        if now - self._checked_at < self.CHECK_SECONDS:
            return False
        self._checked_at = now
        wanted = await self.published()
        if wanted in (0, self._store.fingerprint):
            return False
        async with self._lock:
            if wanted == self._store.fingerprint:  # reloaded here meanwhile
                return False
            signature = await asyncio.to_thread(folder_signature, self._store.root)
            if self._missed == (wanted, signature):  # nothing changed since the last try
                return False
            loaded = await beside_loop(self._store.load_validated, wanted)  # as `reload`
            if loaded is None:
                if self._missed is None or self._missed[0] != wanted:
                    logger.warning(
                        "content: another worker reloaded %s, but the folder has changed "
                        "since; keeping the current content until the next /reload",
                        self._store.root,
                    )
                self._missed = (wanted, signature)
                return False
            self._store.swap(loaded)
            self._missed = None
        logger.info("content: followed a reload made in another worker")
        return True

    async def run(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Every worker's own loop (until cancelled), so that what no update reaches — the
        postback endpoint, the delivery workers, the scheduler's jobs — follows too."""
        failing = False  # told once: a minute's outage logged a traceback every second
        while True:
            try:
                await self.refresh()
            except Exception:  # the database away a moment: serve what we have, try again
                if not failing:
                    logger.exception(
                        "content: could not check for a reload elsewhere; trying again every"
                        " second (said once until it works)"
                    )
                failing = True
            else:
                if failing:
                    logger.info("content: checking for a reload elsewhere works again")
                failing = False
            await sleep(self.CHECK_SECONDS)


CONFIRM_WITHIN: Final = timedelta(minutes=10)  # a second /reload of the same folder confirms


def written(model: BaseModel, prefix: str = "") -> set[str]:
    """The keys a content file gave `model` as dotted paths («schedule», «schedule.digest»,
    «postback.statuses.sale»): its sections', their nested sections' and mappings' keys
    (not a list's items: a tier taken out is an edit, not a file cut short)."""
    found: set[str] = set()
    for name in model.model_fields_set:
        path = f"{prefix}{name}"
        found.add(path)
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found |= written(value, f"{path}.")
        elif isinstance(value, dict):
            found |= {f"{path}.{key}" for key in value}
    return found


def lost(before: set[str], after: set[str]) -> list[str]:
    """The keys of `before` (`written`) that `after` lacks, a section once (not its keys
    too)."""
    gone = before - after
    return sorted(path for path in gone if not any(path.startswith(f"{other}.") for other in gone))


def sections_kept(
    sections: set[str], audit: AuditLog, who: str, clock: Clock
) -> Callable[[Loaded], Awaitable[None]]:
    """A folder whose program.yaml lost sections or keys the live one has (`written`; a
    file saved in part: valid, but the postback's status map, the schedule… would fall
    back to their defaults) is held until a manager sends /reload again for the same
    folder within CONFIRM_WITHIN — any manager, in any worker (the audit log remembers)."""

    async def hold(loaded: Loaded) -> None:
        dropped = lost(sections, written(loaded.live.content.program))
        if not dropped:
            return
        folder = f"{loaded.fingerprint:016x}"
        since = clock.now() - CONFIRM_WITHIN
        held = await audit.latest("reload-held", since, folder)
        if held is not None and await audit.latest("reload", since, after=held) is None:
            return  # the second /reload of this folder, none applied since the first
        await audit.record(who, "reload-held", target=folder, details=", ".join(dropped))
        raise ReloadHeld(dropped)

    return hold
