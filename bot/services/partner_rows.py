"""Partners stored and found: the first contact, lookups by platform id, code, affiliate id
and audience, and the write-through cache (`PartnerService`: bot/services/partners.py)."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import replace
from datetime import timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock, as_utc
from bot.db.engine import Database, insert
from bot.db.tables import MAX_BIG_ID, partner_names, partners
from bot.names import display_name, name_forms
from bot.services.partner import TOPICS, Partner, audience_condition, representative
from bot.services.segment_history import record_left

_CODE_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SEEN_EVERY: Final = timedelta(minutes=5)


class PartnerRows:
    """Partners by platform id. With `cache_size` > 0 (one process, SQLite) partners are
    kept in memory and written through, so a message costs no database read."""

    def __init__(self, db: Database, clock: Clock, cache_size: int = 0) -> None:
        self._db = db
        self._clock = clock
        self._cache: OrderedDict[tuple[str, int], Partner] = OrderedDict()
        self._cache_size = cache_size

    def _remember(self, partner: Partner) -> Partner:
        if self._cache_size:
            key = (partner.platform, partner.user_id)
            self._cache[key] = partner
            self._cache.move_to_end(key)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return partner

    async def touch(
        self,
        platform: str,
        user_id: int,
        chat_id: int,
        first_name: str,
        username: str | None,
        language: str,
    ) -> Partner:
        """The partner behind an update, created on first contact; last-seen kept fresh."""
        first_name = display_name(first_name)
        partner = await self.touch_known(platform, user_id, first_name, username)
        if partner is None:
            return await self._create(platform, user_id, chat_id, first_name, username, language)
        return partner

    async def touch_known(
        self, platform: str, user_id: int, first_name: str, username: str | None
    ) -> Partner | None:
        """The partner behind an update if they are known (None: nobody is created)."""
        first_name = display_name(first_name)
        now = self._clock.now()
        partner = await self.by_user(platform, user_id)
        if partner is None:
            return None
        changes: dict[str, Any] = {}
        if now - as_utc(partner.last_seen_at) >= _SEEN_EVERY:
            changes["last_seen_at"] = now
        if partner.first_name != first_name[:128] or partner.username != username:
            # seen now: the chat with the newest name speaks for the person on leaderboards
            changes.update(first_name=first_name[:128], username=username, last_seen_at=now)
        if partner.unreachable:
            changes["unreachable"] = False
        if changes:
            partner = await self._update(partner, **changes)
        return partner

    async def renamed(
        self, platform: str, user_id: int, first_name: str, username: str | None
    ) -> Partner | None:
        """A known partner's name and @username as their update from elsewhere than their
        chat with the bot shows them (a message in the partners' group): the boards name
        them by it at once. Not a visit to the bot: when they were last seen stays, and so
        does whether their chat is reachable."""
        first_name = display_name(first_name)[:128]
        partner = await self.by_user(platform, user_id)
        if partner is None or (partner.first_name, partner.username) == (first_name, username):
            return partner
        return await self._update(partner, first_name=first_name, username=username)

    async def _create(
        self,
        platform: str,
        user_id: int,
        chat_id: int,
        first_name: str,
        username: str | None,
        language: str,
    ) -> Partner:
        now = self._clock.now()
        for _attempt in range(5):
            values = {
                "platform": platform,
                "user_id": user_id,
                "chat_id": chat_id,
                "first_name": first_name[:128],
                "username": username,
                "language": language,
                "answers": {},
                "subscriptions": dict.fromkeys(TOPICS, True),
                "partner_code": "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6)),
                "created_at": now,
                "last_seen_at": now,
            }
            try:
                async with self._db.write() as conn:
                    await conn.execute(partners.insert().values(**values))
            except IntegrityError:
                existing = await self.by_user(platform, user_id)
                if existing is not None:  # created by a concurrent update
                    return existing
                continue  # a partner code collision: draw another
            created = await self.by_user(platform, user_id)
            assert created is not None
            return self._remember(created)
        raise RuntimeError("could not allocate a unique partner code")

    async def by_user(self, platform: str, user_id: int) -> Partner | None:
        cached = self._cache.get((platform, user_id))
        if cached is not None:
            return cached
        query = sa.select(partners).where(
            partners.c.platform == platform, partners.c.user_id == user_id
        )
        partner = await self._one(query)
        return None if partner is None else self._remember(partner)

    async def by_code(self, code: str) -> Partner | None:
        return await self._one(sa.select(partners).where(partners.c.partner_code == code.upper()))

    async def find(self, query: str) -> Partner | None:
        """A partner by platform id (tg:123), partner code or affiliate id."""
        query = query.strip()
        platform, _, number = query.partition(":")
        if (
            platform in ("tg", "vk", "max")
            and number.lstrip("-").isascii()
            and number.lstrip("-").isdigit()
        ):
            user_id = int(number)
            if abs(user_id) > MAX_BIG_ID:
                return None  # no platform has such an id
            return await self.by_user(platform, user_id)
        by_code = await self.by_code(query)
        if by_code is not None:
            return by_code
        return await self._one(
            sa.select(partners)
            .where(
                sa.or_(
                    partners.c.affiliate_id == query, partners.c.requested_affiliate_id == query
                )
            )
            .order_by(partners.c.requested_affiliate_id.is_(None))  # a request first
            .limit(1)
        )

    async def by_affiliates(
        self, affiliate_ids: list[str], without: int | None = None
    ) -> dict[str, Partner]:
        """One linked partner per affiliate id (for leaderboards): the person's chat used
        last (its name is the current one), or one asking to stay anonymous if any does.
        `without`: a chat left out (one using /forget: the person's other chat, if any,
        names them)."""
        found = {
            key: [person for person in people if person.id != without]
            for key, people in (await self.linked_to(affiliate_ids)).items()
        }
        return {key: representative(people) for key, people in found.items() if people}

    async def linked_to(self, affiliate_ids: list[str]) -> dict[str, list[Partner]]:
        """Every partner linked to each affiliate id (one person may use Telegram and VK)."""
        found: dict[str, list[Partner]] = {}
        for start in range(0, len(affiliate_ids), 500):
            query = sa.select(partners).where(
                partners.c.affiliate_id.in_(affiliate_ids[start : start + 500]),
                partners.c.affiliate_status == "linked",
            )
            async with self._db.read() as conn:
                for row in await conn.execute(query):
                    partner = Partner.from_row(row)
                    found.setdefault(partner.affiliate_id or "", []).append(partner)
        return found

    async def audience(self, topic: str, segments: list[str] | None = None) -> list[Partner]:
        """Onboarded, reachable partners who agreed to hear about `topic` (of `segments`)."""
        query = sa.select(partners).where(audience_condition(topic, segments))
        async with self._db.read() as conn:
            found = [Partner.from_row(row) for row in await conn.execute(query)]
        return [partner for partner in found if partner.receives(topic)]

    async def audience_ids(self, topic: str) -> set[int]:
        """The ids of `audience(topic)`, without loading the partners."""
        query = sa.select(partners.c.id).where(audience_condition(topic))
        async with self._db.read() as conn:
            return {int(row.id) for row in await conn.execute(query)}

    async def onboarded(self) -> list[Partner]:
        """Every onboarded partner, whatever their settings (who an audience would be)."""
        query = sa.select(partners).where(partners.c.onboarded.is_(True))
        async with self._db.read() as conn:
            return [Partner.from_row(row) for row in await conn.execute(query)]

    async def by_ids(self, ids: list[int]) -> dict[int, Partner]:
        found: dict[int, Partner] = {}
        for start in range(0, len(ids), 500):
            query = sa.select(partners).where(partners.c.id.in_(ids[start : start + 500]))
            async with self._db.read() as conn:
                for row in await conn.execute(query):
                    partner = Partner.from_row(row)
                    found[partner.id] = partner
        return found

    async def get(self, partner_id: int) -> Partner | None:
        return await self._one(sa.select(partners).where(partners.c.id == partner_id))

    async def _one(self, query: sa.Select[Any]) -> Partner | None:
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else Partner.from_row(row)

    async def _update(self, partner: Partner, **values: Any) -> Partner:
        """The partner's row changed; a name or @username it leaves is kept aside
        (`partner_names`: /forget looks for every name the posts may have given them)."""
        new = replace(partner, **values)
        before = name_forms(partner.first_name, partner.username)
        left = [form for form in before if form not in name_forms(new.first_name, new.username)]
        async with self._db.write() as conn:
            if "segment" in values:  # the one it leaves is kept, with when (contests)
                segment_before = await conn.scalar(
                    sa.select(partners.c.segment).where(partners.c.id == partner.id)
                )
                if segment_before is not None and segment_before != values["segment"]:
                    await record_left(conn, partner.id, segment_before, self._clock.now())
            if left:
                await conn.execute(
                    insert(conn.dialect.name, partner_names)
                    .values([{"partner_id": partner.id, "form": form} for form in left])
                    .on_conflict_do_nothing()
                )
            await conn.execute(
                partners.update().where(partners.c.id == partner.id).values(**values)
            )
        return self._remember(new)

    async def former_names(self, partner_id: int) -> list[str]:
        """The names and @usernames (as the posts show them) the partner's chat went by
        before its current ones."""
        query = sa.select(partner_names.c.form).where(partner_names.c.partner_id == partner_id)
        async with self._db.read() as conn:
            return sorted(str(row.form) for row in await conn.execute(query))
