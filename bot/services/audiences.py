"""Who an announcement reaches (SPEC §10): an audience (all, segment:ID, tier:ID,
contest:ID, inactive, the community chat) as partners, as SQL conditions holding whole
people, counted the way the outbox rows would be made (the weekly cap), and who of it
their settings leave out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import conversions, partners
from bot.services.contests import ContestService
from bot.services.inactivity import inactive
from bot.services.outbox_enqueue import COMMUNITY, RESERVED_SLOTS, partner_reach
from bot.services.partner import Partner, audience_condition, person_key
from bot.services.partners import PartnerService
from bot.services.sales_figures import in_month, tier_for


@dataclass(frozen=True)
class Reach:
    """Whom an announcement reaches if it is confirmed now, as its rows would be made."""

    people: int  # who gets it: a person with linked chats is one, however many get it
    messages: int  # one a chat (a person gets it in each of their chats, unless they chose one)
    capped: int  # people it does not reach: the weekly cap holds every chat of theirs back
    # people it reaches for whom it is the last automated message the weekly cap lets
    # through (counting what is queued for them, as the cap does): nothing automated after
    filling: int = 0
    # people it reaches for whom it leaves only the slot kept for contests and
    # announcements (`RESERVED_SLOTS`): no digest, nudge or lesson reminder after it
    crowding: int = 0


class Audiences:
    """The audiences of `AnnouncementService` (its `recipients`, `reach`, `excluded` and
    `create` come here)."""

    def __init__(
        self,
        db: Database,
        store: ContentStore,
        clock: Clock,
        partners: PartnerService,
        contests: ContestService,
        zone: ZoneInfo,
        community_chats: list[tuple[str, int]],
        managers: Sequence[str] = (),
    ) -> None:
        self._db = db
        self._managers = frozenset(managers)  # MANAGERS: people, not partners left out
        self._store = store
        self._clock = clock
        self._partners = partners
        self._contests = contests
        self._zone = zone
        self._community_chats = community_chats  # (platform, chat) of each partners' group

    async def recipients(self, audience: str) -> list[Partner]:
        """Who an audience is right now (partners who agreed to news and can be reached):
        all, segment:ID, tier:ID, contest:ID (partners of its segments), inactive."""
        return await self._members(audience, await self._partners.audience("news"))

    async def reach(self, audience: str, at: datetime | None = None) -> Reach:
        """Whom the announcement reaches if confirmed now, its private messages going at
        `at` (now when None): the same selection and weekly cap — of the week up to `at`
        — as `AnnouncementService.create` (the community chat: its chats, as people and
        as messages)."""
        if audience == COMMUNITY:
            chats = len(self._community_chats)
            return Reach(chats, chats, 0)
        return await self.reach_of(await self.conditions(audience), at)

    async def reach_of(self, conditions: list[Any], at: datetime | None = None) -> Reach:
        """Counted in SQL (100,000 recipients never pass through Python): each condition
        holds whole people (`conditions`), so the sums count nobody twice."""
        now = max(at, self._clock.now()) if at is not None else self._clock.now()
        cap = self._store.content.program.schedule.max_automated_per_week
        people = reached = messages = filling = crowding = 0
        async with self._db.read() as conn:
            for condition in conditions:
                rows = partner_reach("news", condition, now, cap).subquery()
                queued = rows.c.status == "queued"
                last = sa.and_(queued, rows.c.n + 1 >= cap)  # this one brings them to the cap
                low = sa.and_(queued, rows.c.n + 1 >= cap - RESERVED_SLOTS, rows.c.n + 1 < cap)
                query = sa.select(
                    sa.func.count(sa.distinct(rows.c.person)),
                    sa.func.count(sa.distinct(sa.case((queued, rows.c.person)))),
                    sa.func.count(sa.case((queued, 1))),
                    sa.func.count(sa.distinct(sa.case((last, rows.c.person)))),
                    sa.func.count(sa.distinct(sa.case((low, rows.c.person)))),
                )
                counts = (await conn.execute(query)).one()
                people += int(counts[0])
                reached += int(counts[1])
                messages += int(counts[2])
                filling += int(counts[3])
                crowding += int(counts[4])
        return Reach(reached, messages, people - reached, filling, crowding)

    async def excluded(self, audience: str) -> int:
        """How many partners of an audience it does not reach because of their settings:
        news off, /stop, "no newsletters", the bot blocked, another chat chosen for them."""
        if audience.partition(":")[0] == COMMUNITY:
            return 0
        members = await self._members(audience, await self._partners.onboarded())
        return len(left_out(members, await self.recipients(audience), self._managers))

    async def known(self, audience: str) -> bool:
        """Whether an audience names something that exists: everyone, the inactive, the
        partners' group, a segment or tier of program.yaml, a contest (a forged button's
        «segment:../x» or a contest that never was is no audience, not an empty one)."""
        kind, _, ref = audience.partition(":")
        program = self._store.content.program
        if kind in ("all", "inactive", COMMUNITY):
            return not ref
        if kind == "segment":
            return program.segment_title(ref) is not None
        if kind == "tier":
            return any(tier.id == ref for tier in program.tiers)
        if kind == "contest":
            return await self._contests.contest(ref) is not None
        return False

    async def _members(self, audience: str, everyone: list[Partner]) -> list[Partner]:
        """The partners of `everyone` in an audience."""
        kind, _, ref = audience.partition(":")
        if kind == COMMUNITY:
            return []
        if kind == "segment":
            return [p for p in everyone if p.segment == ref]
        if kind == "all":
            return everyone
        if kind == "tier":
            counts = await self._month_counts()
            tiers = self._store.content.program.tiers
            return [
                p
                for p in everyone
                if (tier := tier_for(tiers, counts.get(p.affiliate_id or "", 0)).tier) is not None
                and tier.id == ref
                and p.affiliate_status == "linked"
            ]
        if kind == "contest":  # the partners it is open to: its segments (docs/managers.md)
            contest = await self._contests.contest(ref)
            if contest is None:
                return []
            return [p for p in everyone if contest.visible_to(p.segment)]
        if kind == "inactive":
            days = self._store.content.program.schedule.inactive_after_days
            quiet = await inactive(self._db, everyone, self._clock.now(), days)
            return [chat.partner for chat in quiet]  # the nudge's definition
        raise ValueError(f"unknown audience {audience!r}")

    async def _month_counts(self) -> dict[str, int]:
        query = (
            sa.select(conversions.c.affiliate_id, sa.func.count().label("n"))
            .where(conversions.c.status == "approved", in_month(self._clock.now(), self._zone))
            .group_by(conversions.c.affiliate_id)
        )
        async with self._db.read() as conn:
            return {row.affiliate_id: int(row.n) for row in await conn.execute(query)}

    async def conditions(self, audience: str) -> list[Any]:
        """SQL conditions selecting the audience's partners: one for everyone or a segment
        (100,000 recipients never pass through Python), else their ids in chunks (each
        person's chats in one chunk)."""
        kind, _, ref = audience.partition(":")
        if kind == COMMUNITY:
            return []
        if kind in ("all", "segment"):
            return [audience_condition("news", [ref] if kind == "segment" else None)]
        people: dict[str, list[int]] = {}
        for partner in await self.recipients(audience):
            people.setdefault(person(partner), []).append(partner.id)
        chunks: list[list[int]] = []
        for ids in people.values():  # chunks of about 500 ids, a person's chats in one
            if not chunks or len(chunks[-1]) + len(ids) > 500:
                chunks.append([])
            chunks[-1].extend(ids)
        return [partners.c.id.in_(chunk) for chunk in chunks]


def person(partner: Partner) -> str:
    """Who a chat belongs to: chats linked to one affiliate id are one person."""
    return person_key(partner.id, partner.affiliate_id, partner.affiliate_status)


def left_out(members: list[Partner], reached: list[Partner], managers: frozenset[str]) -> set[str]:
    """The people among `members` none of whose chats is `reached` (managers aside): a
    chat left out because the person chose another one for automated messages is not."""
    got = {person(p) for p in reached}
    return {person(p) for p in members if person(p) not in got and p.key not in managers}
