"""The course: which lessons a partner sees, what they finished, what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from bot.clock import Clock, as_utc
from bot.content.models import Lesson
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import lesson_progress, partners
from bot.services.partner import Partner, person_key


@dataclass(frozen=True)
class Course:
    lessons: list[Lesson]
    done: frozenset[str]

    @property
    def finished(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.id in self.done)

    def next_after(self, lesson_id: str | None) -> Lesson | None:
        """The first unfinished lesson after `lesson_id` (or from the start)."""
        ids = [lesson.id for lesson in self.lessons]
        start = ids.index(lesson_id) + 1 if lesson_id in ids else 0
        for lesson in self.lessons[start:] + self.lessons[:start]:
            if lesson.id not in self.done:
                return lesson
        return None


class LessonService:
    def __init__(self, db: Database, store: ContentStore, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._clock = clock

    def files(self, lesson: Lesson) -> list[Path]:
        return [self._store.content.root / name for name in lesson.files]

    def lesson(self, lesson_id: str, segment: str | None) -> Lesson | None:
        lesson = self._store.content.lesson(lesson_id)
        return lesson if lesson is not None and lesson.visible_to(segment) else None

    async def course(self, partner: Partner) -> Course:
        return (await self.courses([partner]))[partner.id]

    async def courses(self, people: list[Partner]) -> dict[int, Course]:
        """`course` of many partners (by partner id): the lessons finished in any chat of
        the person (chats linked to one affiliate id, docs/one-person.md) count in each,
        read in one query per 500 partners or affiliate ids."""
        done: dict[str, set[str]] = {}  # by person_key
        ids = sorted({partner.id for partner in people})
        affiliates = sorted(
            {p.affiliate_id for p in people if p.affiliate_id and p.affiliate_status == "linked"}
        )
        chats = sa.select(
            lesson_progress.c.lesson_id,
            partners.c.id,
            partners.c.affiliate_id,
            partners.c.affiliate_status,
        ).join(partners, partners.c.id == lesson_progress.c.partner_id)
        wanted: list[sa.ColumnElement[bool]]
        wanted = [partners.c.id.in_(ids[n : n + 500]) for n in range(0, len(ids), 500)]
        wanted += [
            sa.and_(
                partners.c.affiliate_id.in_(affiliates[n : n + 500]),
                partners.c.affiliate_status == "linked",
            )
            for n in range(0, len(affiliates), 500)
        ]
        async with self._db.read() as conn:
            for condition in wanted:
                for row in await conn.execute(chats.where(condition)):
                    key = person_key(row.id, row.affiliate_id, row.affiliate_status)
                    done.setdefault(key, set()).add(row.lesson_id)
        lessons = self._store.content.lessons
        return {
            partner.id: Course(
                [lesson for lesson in lessons if lesson.visible_to(partner.segment)],
                frozenset(done.get(_person(partner), ())),
            )
            for partner in people
        }

    async def finished_before(self, moment: datetime) -> dict[int, str]:
        return await finished_before(self._db, moment)

    async def latest_finished(self) -> dict[int, tuple[str, datetime]]:
        """Each partner's latest finished lesson and when (the next one drips
        `lesson_drip_days` later)."""
        return await latest_finished(self._db)

    async def complete(self, partner: Partner, lesson_id: str) -> Course:
        return (await self.finish(partner, lesson_id))[0]

    async def finish(self, partner: Partner, lesson_id: str) -> tuple[Course, bool]:
        """The lesson marked done; whether it was not done before (a second press of
        «✅ Готово, дальше» finds it done)."""
        async with self._db.write() as conn:
            exists = await conn.execute(
                sa.select(lesson_progress.c.lesson_id).where(
                    lesson_progress.c.partner_id == partner.id,
                    lesson_progress.c.lesson_id == lesson_id,
                )
            )
            new = exists.first() is None
            if new:
                await conn.execute(
                    lesson_progress.insert().values(
                        partner_id=partner.id, lesson_id=lesson_id, completed_at=self._clock.now()
                    )
                )
        return await self.course(partner), new


def _person(partner: Partner) -> str:
    """The person a chat belongs to (`person_key`)."""
    return person_key(partner.id, partner.affiliate_id, partner.affiliate_status)


def _latest_per_partner() -> sa.Subquery:
    """When each partner last finished a lesson."""
    return (
        sa.select(
            lesson_progress.c.partner_id,
            sa.func.max(lesson_progress.c.completed_at).label("at"),
        )
        .group_by(lesson_progress.c.partner_id)
        .subquery()
    )


async def finished_before(db: Database, moment: datetime) -> dict[int, str]:
    """Partners whose latest finished lesson was finished at or before `moment`, with it."""
    latest = _latest_per_partner()
    query = (
        sa.select(lesson_progress.c.partner_id, lesson_progress.c.lesson_id)
        .join(
            latest,
            sa.and_(
                latest.c.partner_id == lesson_progress.c.partner_id,
                latest.c.at == lesson_progress.c.completed_at,
            ),
        )
        .where(latest.c.at <= moment)
    )
    async with db.read() as conn:
        return {row.partner_id: row.lesson_id for row in await conn.execute(query)}


async def latest_finished(db: Database) -> dict[int, tuple[str, datetime]]:
    """Each partner's latest finished lesson and when."""
    latest = _latest_per_partner()
    query = sa.select(lesson_progress.c.partner_id, lesson_progress.c.lesson_id, latest.c.at).join(
        latest,
        sa.and_(
            latest.c.partner_id == lesson_progress.c.partner_id,
            latest.c.at == lesson_progress.c.completed_at,
        ),
    )
    async with db.read() as conn:
        return {
            row.partner_id: (row.lesson_id, as_utc(row.at)) for row in await conn.execute(query)
        }
