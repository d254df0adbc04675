"""/announce (SPEC §10): a manager's message to an audience, now or at a set time.

The audience is fixed when the manager confirms: one outbox row per recipient is made then
(sent at `send_at`, or when the quiet hours end), with 👍/👎 buttons. The delivery report
(delivered, blocked, failed, uncertain, reactions) comes from the outbox rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock, as_utc
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import announcement_reactions, announcements, conversions, outbox, partners
from bot.services.contests import ContestService
from bot.services.outbox import Outbox
from bot.services.outbox_enqueue import COMMUNITY, OutMessage, community_key, partner_reach
from bot.services.partner import Partner, audience_condition, person_column, person_key
from bot.services.partners import PartnerService
from bot.services.sales_figures import in_month, tier_for


@dataclass(frozen=True)
class Draft:
    text: str  # HTML
    photo: str | None = None  # Telegram file_id
    document: str | None = None


@dataclass(frozen=True)
class Announcement:
    id: int
    created_by: str
    manager_chat_id: int
    text: str
    audience: str
    recipients: int
    send_at: datetime
    status: str
    reported_at: datetime | None

    @property
    def manager_platform(self) -> str:
        """Where the manager who made it is (created_by is their platform id)."""
        platform = self.created_by.partition(":")[0]
        return platform if platform in ("tg", "vk", "max") else "tg"


@dataclass(frozen=True)
class Reach:
    """Whom an announcement reaches if it is confirmed now, as its rows would be made."""

    people: int  # who gets it: a person with linked chats is one, however many get it
    messages: int  # one a chat (a person gets it in each of their chats, unless they chose one)
    capped: int  # people it does not reach: the weekly cap holds every chat of theirs back


@dataclass(frozen=True)
class Report:
    delivered: int
    blocked: int
    failed: int
    skipped: int
    waiting: int
    uncertain: int
    up: int
    down: int


class AnnouncementService:
    def __init__(
        self,
        db: Database,
        store: ContentStore,
        clock: Clock,
        partners: PartnerService,
        contests: ContestService,
        outbox: Outbox,
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
        self._outbox = outbox
        self._zone = zone
        self._community_chats = community_chats  # (platform, chat) of each partners' group

    async def recipients(self, audience: str) -> list[Partner]:
        """Who an audience is right now (partners who agreed to news and can be reached):
        all, segment:ID, tier:ID, contest:ID (partners in its standings), inactive."""
        return await self._members(audience, await self._partners.audience("news"))

    async def reach(self, audience: str) -> Reach:
        """Whom the announcement reaches if confirmed now: the same selection and weekly
        cap as `create` (the community chat: its chats, as people and as messages)."""
        if audience == COMMUNITY:
            chats = len(self._community_chats)
            return Reach(chats, chats, 0)
        return await self._reach(await self._conditions(audience))

    async def _reach(self, conditions: list[Any]) -> Reach:
        """Counted in SQL (100,000 recipients never pass through Python): each condition
        holds whole people (`_conditions`), so the sums count nobody twice."""
        now = self._clock.now()
        cap = self._store.content.program.schedule.max_automated_per_week
        people = reached = messages = 0
        async with self._db.read() as conn:
            for condition in conditions:
                rows = partner_reach("news", condition, now, cap).subquery()
                queued = rows.c.status == "queued"
                query = sa.select(
                    sa.func.count(sa.distinct(rows.c.person)),
                    sa.func.count(sa.distinct(sa.case((queued, rows.c.person)))),
                    sa.func.count(sa.case((queued, 1))),
                )
                counts = (await conn.execute(query)).one()
                people += int(counts[0])
                reached += int(counts[1])
                messages += int(counts[2])
        return Reach(reached, messages, people - reached)

    async def excluded(self, audience: str) -> int:
        """How many partners of an audience it does not reach because of their settings:
        news off, /stop, "no newsletters", the bot blocked, another chat chosen for them."""
        if audience.partition(":")[0] == COMMUNITY:
            return 0
        members = await self._members(audience, await self._partners.onboarded())
        return len(left_out(members, await self.recipients(audience), self._managers))

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
        if kind == "contest":
            contest = await self._contests.contest(ref)
            if contest is None:
                return []
            keys: set[str] = set()
            for category in contest.prizes:
                keys.update(
                    entry.key for entry in await self._contests.standings(contest, category)
                )
            return [
                p for p in everyone if p.affiliate_status == "linked" and p.affiliate_id in keys
            ]
        if kind == "inactive":
            days = self._store.content.program.schedule.inactive_after_days
            since = self._clock.now() - timedelta(days=days)
            active = await self._sold_since(since)
            return [
                p
                for p in everyone
                if not (p.affiliate_status == "linked" and p.affiliate_id in active)
            ]
        raise ValueError(f"unknown audience {audience!r}")

    async def _month_counts(self) -> dict[str, int]:
        query = (
            sa.select(conversions.c.affiliate_id, sa.func.count().label("n"))
            .where(conversions.c.status == "approved", in_month(self._clock.now(), self._zone))
            .group_by(conversions.c.affiliate_id)
        )
        async with self._db.read() as conn:
            return {row.affiliate_id: int(row.n) for row in await conn.execute(query)}

    async def _sold_since(self, since: datetime) -> set[str]:
        query = (
            sa.select(conversions.c.affiliate_id)
            .where(conversions.c.status == "approved", conversions.c.occurred_at >= since)
            .distinct()
        )
        async with self._db.read() as conn:
            return {row.affiliate_id for row in await conn.execute(query)}

    def in_quiet_hours(self, moment: datetime) -> datetime | None:
        """When private sends would really go, if `moment` is in the quiet hours."""
        waking = self._outbox.after_quiet_hours(moment)
        return waking if waking != moment else None

    async def create(
        self,
        draft: Draft,
        audience: str,
        send_at: datetime | None,
        manager: str,
        manager_chat: int,
        buttons_for: Callable[[int], list[list[dict[str, str]]]] | None = None,
    ) -> tuple[Announcement, int]:
        """Fix the audience now and queue a row per recipient; (the announcement, rows)."""
        now = self._clock.now()
        to_community = audience == COMMUNITY
        conditions = await self._conditions(audience)
        recipients = (
            len(self._community_chats) if to_community else (await self._reach(conditions)).people
        )
        async with self._db.write() as conn:
            result = await conn.execute(
                announcements.insert().values(
                    created_by=manager,
                    manager_chat_id=manager_chat,
                    text=draft.text,
                    photo=draft.photo,
                    document=draft.document,
                    audience=audience,
                    recipients=recipients,
                    send_at=send_at or now,
                    status="scheduled",
                    created_at=now,
                )
            )
            number = int(result.inserted_primary_key[0])  # type: ignore[index]
        subject = f"announcement:{number}"
        template = OutMessage(
            key=f"{subject}:community",
            kind="news",
            platform="tg",
            chat_id=0,
            subject=subject,
            text=draft.text,
            photo=draft.photo,
            document=draft.document,
            buttons=buttons_for(number) if buttons_for is not None else None,
            not_before=send_at,
        )
        queued = 0
        if to_community and self._community_chats:
            posts = [
                replace(
                    template,
                    key=community_key(f"{subject}:community", platform),
                    kind=COMMUNITY,
                    platform=platform,
                    chat_id=chat,
                    buttons=None,
                )
                for platform, chat in self._community_chats
            ]
            queued = (await self._outbox.enqueue(posts)).queued
        for condition in conditions:
            queued += await self._outbox.enqueue_for_partners(
                template, f"{subject}:", condition, send_at
            )
        found = await self.get(number)
        assert found is not None
        return found, queued

    async def _conditions(self, audience: str) -> list[Any]:
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

    async def get(self, number: int) -> Announcement | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(sa.select(announcements).where(announcements.c.id == number))
            ).first()
        return None if row is None else _announcement(row)

    async def listing(self, limit: int = 20) -> list[Announcement]:
        query = sa.select(announcements).order_by(announcements.c.id.desc()).limit(limit)
        async with self._db.read() as conn:
            return [_announcement(row) for row in await conn.execute(query)]

    def state(self, item: Announcement, report: Report) -> str:
        """scheduled | sending | sent | cancelled: what a stored status means now."""
        if item.status == "scheduled" and item.send_at <= self._clock.now():
            return "sending" if report.waiting else "sent"
        return item.status

    async def due_by(self, until: datetime) -> list[tuple[datetime, Announcement, int]]:
        """Scheduled announcements (of the last 50) that go after now and by `until`: when
        each really goes (a private one after the quiet hours), and how many still wait for
        it: people, a person with linked chats once (one who used /forget does not)."""
        now = self._clock.now()
        found = []
        for item in await self.listing(50):
            if item.status != "scheduled" or not now < item.send_at <= until:
                continue
            waking = self.in_quiet_hours(item.send_at)
            private = item.audience != COMMUNITY and waking is not None
            count = (
                item.recipients
                if item.audience == COMMUNITY
                else await self._waiting_people(item.id)
            )
            found.append((waking if private and waking is not None else item.send_at, item, count))
        return found

    async def _waiting_people(self, number: int) -> int:
        """The people an announcement's queued rows are for."""
        query = (
            sa.select(sa.func.count(sa.distinct(person_column())))
            .select_from(outbox.join(partners, partners.c.id == outbox.c.partner_id))
            .where(outbox.c.subject == f"announcement:{number}", outbox.c.status == "queued")
        )
        async with self._db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def cancel(self, number: int) -> Report | None:
        """Stop what is not sent yet; the report of what was."""
        found = await self.get(number)
        if found is None or found.status == "cancelled":
            return None
        async with self._db.write() as conn:
            await conn.execute(
                announcements.update()
                .where(announcements.c.id == number)
                .values(status="cancelled")
            )
        await self._outbox.cancel(f"announcement:{number}")
        return await self.report(number)

    async def react(self, number: int, partner: Partner, value: str) -> bool:
        """A partner's 👍/👎 (the last one counts); False for an unknown announcement."""
        if value not in ("up", "down") or await self.get(number) is None:
            return False
        async with self._db.write() as conn:
            await conn.execute(
                announcement_reactions.delete().where(
                    announcement_reactions.c.announcement_id == number,
                    announcement_reactions.c.partner_id == partner.id,
                )
            )
            await conn.execute(
                announcement_reactions.insert().values(
                    announcement_id=number, partner_id=partner.id, value=value
                )
            )
        return True

    async def report(self, number: int) -> Report:
        statuses = await self._outbox.report(f"announcement:{number}")
        uncertain_query = sa.select(sa.func.count()).where(
            outbox.c.subject == f"announcement:{number}", outbox.c.uncertain.is_(True)
        )
        reactions_query = (
            sa.select(announcement_reactions.c.value, sa.func.count().label("n"))
            .where(announcement_reactions.c.announcement_id == number)
            .group_by(announcement_reactions.c.value)
        )
        async with self._db.read() as conn:
            uncertain = int((await conn.execute(uncertain_query)).scalar_one())
            reactions = {row.value: int(row.n) for row in await conn.execute(reactions_query)}
        return Report(
            delivered=statuses.get("sent", 0),
            blocked=statuses.get("blocked", 0),
            failed=statuses.get("failed", 0),
            skipped=statuses.get("skipped", 0) + statuses.get("capped", 0),
            waiting=statuses.get("queued", 0),
            uncertain=uncertain,
            up=reactions.get("up", 0),
            down=reactions.get("down", 0),
        )

    async def finished_unreported(self) -> list[Announcement]:
        """Announcements whose every row is done and whose report was not sent yet."""
        waiting = (
            sa.select(outbox.c.id)
            .where(
                outbox.c.subject
                == sa.literal("announcement:") + sa.cast(announcements.c.id, sa.String),
                outbox.c.status == "queued",
            )
            .exists()
        )
        query = sa.select(announcements).where(
            announcements.c.reported_at.is_(None),
            announcements.c.status == "scheduled",
            announcements.c.send_at <= self._clock.now(),
            ~waiting,
        )
        async with self._db.read() as conn:
            return [_announcement(row) for row in await conn.execute(query)]

    async def mark_reported(self, number: int) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                announcements.update()
                .where(announcements.c.id == number)
                .values(reported_at=self._clock.now())
            )


def _announcement(row: Any) -> Announcement:
    return Announcement(
        id=row.id,
        created_by=row.created_by,
        manager_chat_id=row.manager_chat_id,
        text=row.text,
        audience=row.audience,
        recipients=row.recipients,
        send_at=as_utc(row.send_at),
        status=row.status,
        reported_at=None if row.reported_at is None else as_utc(row.reported_at),
    )


def person(partner: Partner) -> str:
    """Who a chat belongs to: chats linked to one affiliate id are one person."""
    return person_key(partner.id, partner.affiliate_id, partner.affiliate_status)


def left_out(members: list[Partner], reached: list[Partner], managers: frozenset[str]) -> set[str]:
    """The people among `members` none of whose chats is `reached` (managers aside): a
    chat left out because the person chose another one for automated messages is not."""
    got = {person(p) for p in reached}
    return {person(p) for p in members if person(p) not in got and p.key not in managers}
