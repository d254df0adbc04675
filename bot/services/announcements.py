"""/announce (SPEC §10): a manager's message to an audience, now or at a set time.

The audience is fixed when the manager confirms: one outbox row per recipient is made then
(sent at `send_at`, or when the quiet hours end), with 👍/👎 buttons. The delivery report
(delivered, blocked, failed, uncertain, reactions) comes from the outbox rows. Who an
audience is, and whom it reaches: `bot.services.audiences`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.clock import Clock, as_utc
from bot.db.engine import Database
from bot.db.tables import announcement_reactions, announcements, outbox
from bot.services.audiences import Audiences, Reach
from bot.services.outbox import Outbox
from bot.services.outbox_enqueue import COMMUNITY, OutMessage, community_key
from bot.services.partner import Partner


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
class Report:
    delivered: int
    blocked: int
    failed: int
    skipped: int
    waiting: int
    uncertain: int
    up: int
    down: int
    first_sent: datetime | None = None  # when its first private message went
    forgotten: int = 0  # chats that used /forget before it reached them (rows cancelled)


class AnnouncementService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        audiences: Audiences,
        community_chats: list[tuple[str, int]],
    ) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._audiences = audiences
        self._community_chats = community_chats  # (platform, chat) of each partners' group

    async def known(self, audience: str) -> bool:
        """Whether an audience exists (`Audiences.known`)."""
        return await self._audiences.known(audience)

    async def recipients(self, audience: str) -> list[Partner]:
        """Who an audience is right now (`Audiences.recipients`)."""
        return await self._audiences.recipients(audience)

    async def reach(self, audience: str, at: datetime | None = None) -> Reach:
        """Whom the announcement reaches if confirmed now, going at `at` (`Audiences.reach`)."""
        return await self._audiences.reach(audience, at)

    async def excluded(self, audience: str) -> int:
        """How many of an audience their settings leave out (`Audiences.excluded`)."""
        return await self._audiences.excluded(audience)

    def in_quiet_hours(self, moment: datetime | None = None) -> datetime | None:
        """When private sends would really go, if `moment` (None: now, «Сейчас») is in
        the quiet hours."""
        moment = self._clock.now() if moment is None else moment
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
        conditions = await self._audiences.conditions(audience)
        recipients = (
            len(self._community_chats)
            if to_community
            else (await self._audiences.reach_of(conditions)).people
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

    async def held_until(self, item: Announcement) -> datetime | None:
        """When a scheduled announcement's private messages go, if they wait for the end
        of the quiet hours its time fell in (as its preview said, and /schedule lists
        them); None otherwise."""
        if item.status != "scheduled" or item.audience == COMMUNITY:
            return None
        return await self._outbox.held_for_quiet_hours(f"announcement:{item.id}", item.send_at)

    def state(self, item: Announcement, report: Report, held_until: datetime | None = None) -> str:
        """scheduled | sending | sent | cancelled: what a stored status means now (held
        for the end of the quiet hours with nothing sent yet: still scheduled)."""
        if held_until is not None and not report.delivered:
            return item.status
        if item.status == "scheduled" and item.send_at <= self._clock.now():
            return "sending" if report.waiting else "sent"
        return item.status

    async def due_by(self, until: datetime) -> list[tuple[datetime, Announcement, int]]:
        """Scheduled announcements to the partners' chat (of the last 50) that go after now
        and by `until`, with their chats. A private one's rows wait in the outbox: /schedule
        lists them from there (`Outbox.held`), as they will go."""
        now = self._clock.now()
        return [
            (item.send_at, item, item.recipients)
            for item in await self.listing(50)
            if item.status == "scheduled"
            and item.audience == COMMUNITY
            and now < item.send_at <= until
        ]

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
        """A partner's 👍/👎 (the last one counts); False for an unknown announcement, or
        one that was not sent to this chat (a forged press: a partner who sent /stop before
        it went reacted to it, and the report counted them)."""
        if value not in ("up", "down") or await self.get(number) is None:
            return False
        got = sa.select(outbox.c.id).where(
            outbox.c.subject == f"announcement:{number}",
            outbox.c.partner_id == partner.id,
            sa.or_(outbox.c.status == "sent", outbox.c.uncertain.is_(True)),
        )
        async with self._db.read() as conn:
            if (await conn.execute(got.limit(1))).first() is None:
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
        first_query = sa.select(sa.func.min(outbox.c.sent_at)).where(
            outbox.c.subject == f"announcement:{number}", outbox.c.status == "sent"
        )
        forgotten_query = sa.select(sa.func.count()).where(  # `Outbox.forget`'s rows
            outbox.c.subject == f"announcement:{number}",
            outbox.c.status == "cancelled",
            outbox.c.key.startswith("forgotten:"),
        )
        async with self._db.read() as conn:
            uncertain = int((await conn.execute(uncertain_query)).scalar_one())
            reactions = {row.value: int(row.n) for row in await conn.execute(reactions_query)}
            first_sent = await conn.scalar(first_query)
            forgotten = int((await conn.execute(forgotten_query)).scalar_one())
        return Report(
            delivered=statuses.get("sent", 0),
            blocked=statuses.get("blocked", 0),
            failed=statuses.get("failed", 0),
            skipped=statuses.get("skipped", 0) + statuses.get("capped", 0),
            waiting=statuses.get("queued", 0),
            uncertain=uncertain,
            up=reactions.get("up", 0),
            down=reactions.get("down", 0),
            first_sent=first_sent,
            forgotten=forgotten,
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
