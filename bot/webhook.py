"""Updates by webhook: Telegram's at `POST /webhook/telegram`, MAX's at `POST /webhook/max`
(the same code; a `WebhookReader` says how a platform's body is keyed and read).

An update is written to `webhook_updates` before the 200 goes back (so Telegram never
resends one that is lost here), then handled from there by the process that received
it. The key (platform, update_id) makes an update delivered twice a no-op. Once handled,
only the key and the times are kept (the body, with names and texts, is purged), and
those for `KEEP` only. If a process
dies between the 200 and the end of handling, the leader picks the update up after
`STALE` (a minute): it is handled, late, rather than lost. A long-polled update a stop
cut short is kept here too (`keep`), for the next leader: Telegram's by its number, VK's
and MAX's — numbered anew by each process's long poll — by what they hold (`PolledReader`).
The secret is checked in constant time; a request without it gets 401 and nothing is
stored. A body that is no JSON, or nested deeper than `DEPTH`, is a 400, nothing stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Final, Protocol, cast

import sqlalchemy as sa
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web

from bot.clock import Clock
from bot.config import TELEGRAM_WEBHOOK_PATH
from bot.db.engine import Database, insert
from bot.db.tables import MAX_BIG_ID, webhook_updates
from bot.rendering import whole_characters_in

logger = logging.getLogger(__name__)

PATH: Final = TELEGRAM_WEBHOOK_PATH
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
STALE: Final = timedelta(minutes=1)  # an update taken this long ago and not done: retaken
KEEP: Final = timedelta(days=2)  # a handled update's id, for de-duplication (Telegram retries
# for about a day); its body is purged as soon as it is handled


class BadBody(ValueError):
    """A webhook body refused at the boundary (400, nothing stored); `field` names what
    is wrong, in the platform's own terms."""

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field}: {expected}")
        self.field = field


def bad_number(value: Any, ids: frozenset[str] = frozenset(), path: str = "") -> str | None:
    """The path of the first number in a JSON value that the bot cannot take: a whole
    number no 64-bit id column holds (a chat or user id past int64 would fail deep in
    handling), or a field named in `ids` that is not a whole number; else None."""
    if type(value) is int:
        return (path or "body") if not -MAX_BIG_ID <= value <= MAX_BIG_ID else None
    if isinstance(value, dict):
        for name, item in value.items():
            where = f"{path}.{name}" if path else str(name)
            if name in ids and item is not None and type(item) is not int:
                return where
            found = bad_number(item, ids, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = bad_number(item, ids, f"{path}[{index}]")
            if found is not None:
                return found
    return None


DEPTH: Final = 64  # an update nests a dozen levels; a body deeper than this is refused


def too_deep(value: Any, limit: int = DEPTH) -> bool:
    """A JSON value nested more than `limit` arrays/objects deep, walked without recursion
    (Python reads a body about 990 levels deep; walking one that deep recursively is a
    RecursionError, a 500)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            items = item.values() if isinstance(item, dict) else item
            stack.extend((inner, depth + 1) for inner in items)
    return False


class WebhookReader:
    """How one platform's webhook bodies are keyed and turned into aiogram updates
    (Telegram's: by `update_id`, the body is an Update)."""

    platform = "tg"
    secret_header = SECRET_HEADER
    not_json = BadBody("update_id", "expected an integer update id")

    def key(self, body: Any) -> int:
        """The body's unique number; raises BadBody if not one: an integer in range,
        never a float truncated nor a bool (a wrong id would drop the real update with
        that id as a duplicate), and no id in the body out of range."""
        update_id = body.get("update_id") if isinstance(body, dict) else None
        if type(update_id) is not int or not 0 <= update_id <= MAX_BIG_ID:
            raise self.not_json
        big = bad_number(body)
        if big is not None:
            raise BadBody(big, "expected an integer within 64 bits")
        return update_id

    async def updates(self, bot: Bot, body: dict[str, Any]) -> list[Update]:
        return [Update.model_validate(body, context={"bot": bot})]

    def keeping(self, bot: Bot, update: Update) -> tuple[int, dict[str, Any]]:
        """The key and body that keep an update a stop cut short (`WebhookInbox.keep`)."""
        return update.update_id, _dumped(update)


class PolledSession(Protocol):
    """A session whose long poll numbers updates anew in each process (VK, MAX)."""

    def event_key(self, update_id: int) -> str | None:
        """The platform's event behind one of this process's updates, if it has one."""

    def renumber(self, event_key: str | None) -> int:
        """A number of this process for an update kept by another (and its event)."""


class PolledReader(WebhookReader):
    """The updates of VK's or MAX's long poll that a stop cut short: their numbers are
    the process's own, so a kept one is keyed by its platform event (VK's event_id) or by
    what it holds, and handled under a new number of the process that takes it over (its
    VK event too: what it sends again carries the same random_id, and VK drops copies)."""

    def __init__(self, platform: str) -> None:
        self.platform = platform

    def keeping(self, bot: Bot, update: Update) -> tuple[int, dict[str, Any]]:
        session = cast("PolledSession", bot.session)
        dumped = _dumped(update)
        event = session.event_key(update.update_id)
        held = {key: value for key, value in dumped.items() if key != "update_id"}
        identity = event or json.dumps(held, sort_keys=True, ensure_ascii=False)
        digest = hashlib.blake2b(identity.encode("utf-8", "surrogatepass"), digest_size=8)
        return int.from_bytes(digest.digest()) & MAX_BIG_ID, {"update": held, "event": event}

    async def updates(self, bot: Bot, body: dict[str, Any]) -> list[Update]:
        session = cast("PolledSession", bot.session)
        update = {**body["update"], "update_id": session.renumber(body.get("event"))}
        return [Update.model_validate(update, context={"bot": bot})]


def _dumped(update: Update) -> dict[str, Any]:
    return update.model_dump(mode="json", exclude_unset=True, by_alias=True)


class CallbackReader(WebhookReader):
    """A platform whose session reads its own bodies (MAX)."""

    def __init__(
        self,
        platform: str,
        secret_header: str,
        key: Callable[[Any], int],
        updates: Callable[[Bot, list[dict[str, Any]]], Awaitable[list[Update]]],
        *,
        ids: frozenset[str] = frozenset(),
    ) -> None:
        self._ids = ids  # the fields that are ids (whole numbers) in the platform's events
        self.platform = platform
        self.secret_header = secret_header
        self._key = key
        self._updates = updates

    @property
    def not_json(self) -> BadBody:  # type: ignore[override]
        return BadBody("body", f"expected a {self.platform.upper()} event (a JSON object)")

    def key(self, body: Any) -> int:
        if not isinstance(body, dict):
            raise self.not_json
        if not isinstance(body.get("update_type"), str):
            raise BadBody("update_type", "expected the event's type (a string)")
        wrong = bad_number(body, self._ids)
        if wrong is not None:
            raise BadBody(wrong, "expected an integer id within 64 bits")
        try:
            return self._key(body)
        except (AttributeError, KeyError, TypeError, ValueError):  # e.g. "message": true
            raise self.not_json from None

    async def updates(self, bot: Bot, body: dict[str, Any]) -> list[Update]:
        return await self._updates(bot, [body])


class WebhookInbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        dp: Dispatcher,
        bot: Bot,
        secret: str,
        *,
        path: str = PATH,
        reader: WebhookReader | None = None,
    ) -> None:
        self._path = path
        self._reader = reader or WebhookReader()
        self.platform = self._platform = self._reader.platform
        self._db = db
        self._clock = clock
        self._dp = dp
        self._bot = bot
        self._secret = secret.encode()
        self._tasks: set[asyncio.Task[None]] = set()
        self.by_webhook = False  # installed: what it keeps it stored as it came
        self.received = 0
        self.duplicates = 0

    def install(self, app: web.Application) -> None:
        if not self._secret:  # an inbox for `keep` and `recover` only takes no requests
            raise ValueError("a webhook inbox needs its secret")
        app.router.add_post(self._path, self.receive)
        self.by_webhook = True

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(self._reader.secret_header, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.warning("webhook request without the right secret from %s", request.remote)
            return web.json_response({"ok": False, "error": "secret token"}, status=401)
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            return web.json_response(
                {"ok": False, "error": str(self._reader.not_json)}, status=400
            )
        if too_deep(body):
            logger.warning("webhook body refused (nested too deeply)")
            refused = BadBody("body", f"nested more than {DEPTH} levels deep")
            return web.json_response({"ok": False, "error": str(refused)}, status=400)
        try:
            update_id = self._reader.key(body)
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            refused = exc if isinstance(exc, BadBody) else self._reader.not_json
            logger.warning("webhook body refused (%s)", refused)
            return web.json_response({"ok": False, "error": str(refused)}, status=400)
        assert isinstance(body, dict)
        body = whole_characters_in(body)  # a half-character never gets in
        if not await self._store(update_id, body):
            self.duplicates += 1
            return web.json_response({"ok": True})  # had it already
        self.received += 1
        task = asyncio.create_task(self._handle(update_id, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"ok": True})

    async def _store(self, update_id: int, body: dict[str, Any], *, stale: bool = False) -> bool:
        """Keep an update (not there yet: True); `stale`: as if taken long ago, for the
        next `recover` to take at once."""
        now = self._clock.now()
        values = {
            "platform": self._platform,
            "update_id": update_id,
            "body": body,
            "received_at": now,
            "taken_at": now - 2 * STALE if stale else now,
        }
        store = (
            insert(self._db.engine.dialect.name, webhook_updates)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["platform", "update_id"])
            .returning(webhook_updates.c.update_id)
        )
        async with self._db.write() as conn:
            return (await conn.execute(store)).first() is not None

    async def _handle(self, update_id: int, body: dict[str, Any]) -> None:
        try:
            # an empty body was purged by /forget before it was handled
            for update in await self._reader.updates(self._bot, body) if body else []:
                await self._dp.feed_update(self._bot, update)
        except Exception:
            logger.exception("webhook update %s failed", update_id)
        async with self._db.write() as conn:
            await conn.execute(
                webhook_updates.update()
                .where(
                    webhook_updates.c.platform == self._platform,
                    webhook_updates.c.update_id == update_id,
                )
                .values(handled_at=self._clock.now(), body={})  # personal data: purged
            )

    async def recover(self) -> int:
        """Handle the updates a process took and never finished (it died): the leader
        calls this every minute. The number taken over."""
        now = self._clock.now()
        stale = (
            sa.select(webhook_updates.c.update_id)
            .where(
                webhook_updates.c.platform == self._platform,
                webhook_updates.c.handled_at.is_(None),
                webhook_updates.c.taken_at < now - STALE,
            )
            .limit(100)
            .with_for_update(skip_locked=True)
        )
        take = (
            webhook_updates.update()
            .where(
                webhook_updates.c.platform == self._platform,
                # a CTE run once (as in Outbox.claim: a rescanned subquery takes more)
                webhook_updates.c.update_id.in_(
                    sa.select(stale.cte("stale").prefix_with("MATERIALIZED").c.update_id)
                ),
            )
            .values(taken_at=now)
            .returning(webhook_updates.c.update_id, webhook_updates.c.body)
        )
        forgotten = webhook_updates.delete().where(  # this inbox's own (MAX's stayed for ever)
            webhook_updates.c.platform == self._platform,
            webhook_updates.c.handled_at < now - KEEP,
        )
        async with self._db.write() as conn:
            rows = list(await conn.execute(take))
            await conn.execute(forgotten)
        for row in sorted(rows, key=lambda r: int(r.update_id)):
            logger.warning("webhook update %s was not finished; handling it now", row.update_id)
            await self._handle(int(row.update_id), dict(row.body))
        return len(rows)

    async def keep(self, update: Update) -> None:
        """An update whose handling a stop cut short (`bot.updates_in_hand`), kept for the
        next leader's first `recover`; a polled one would be lost otherwise (the poll
        after it confirmed it). One received here is kept already: nothing changes."""
        key, body = self._reader.keeping(self._bot, update)
        await self._store(key, body, stale=True)

    async def drain(self) -> None:
        """Wait for the updates being handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
