"""Contests (SPEC §7): who takes part, the standings per prize category, the results.

Only approved conversions count (a reversal re-ranks by itself: the status changed);
pending ones are shown apart. Ties go to whoever reached the value first. Only linked
affiliate ids take part (a conversion for an unknown id counts once the partner links it),
and only partners of the contest's segments, when it names any. The standings are
computed in bot/services/contest_standings.py; a finished contest's results, and the
places kept when a winner uses /forget, in bot/services/contest_results.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from bot.clock import Clock, as_utc
from bot.content.models import Contest, PrizeCategory
from bot.content.store import ContentStore
from bot.db.engine import Database, insert
from bot.db.tables import contest_mentions
from bot.db.tables import contests as contests_table
from bot.services.contest_results import (
    congratulated,
    decided,
    forgotten,
    forgotten_keys,
    kept,
    kept_places,
    placed,
)
from bot.services.contest_standings import MyStanding, Placed, Ranking, Standings
from bot.services.partner import Partner
from bot.services.partners import PartnerService
from bot.services.sales import SalesService


@dataclass(frozen=True)
class Managed:
    """A contest's state kept in the database: made with /contest_new, or a file contest
    that was announced or cancelled."""

    contest: Contest
    source: str  # manager | file
    status: str  # active | cancelled
    announced_at: datetime | None


@dataclass(frozen=True)
class Moment:
    """What to send to whom for one moment of a contest (SPEC §7); the schedule and the
    delivery decide when and how."""

    name: str  # announcement | reminder | started | standings | last_day | results | cancelled
    # | rescheduled | changed
    contest: Contest
    partners: list[Partner]  # private recipients
    community: bool  # also a post in the community chat
    tag: str = ""  # which one of a repeated moment: days before the start, the week
    results: list[list[Placed]] = field(default_factory=list)
    winners: dict[int, list[tuple[PrizeCategory, Placed]]] = field(default_factory=dict)
    unannounced: bool = False  # results of a contest the partners never heard of

    @property
    def key(self) -> str:
        suffix = f":{self.tag}" if self.tag else ""
        return f"contest:{self.contest.id}:{self.name}{suffix}"


@dataclass(frozen=True)
class SegmentMove:
    """What a partner's move to another segment does in the running contests: those whose
    segments they came into (with whether they had been in them during it before: their
    sales made then count again) and those whose segments they left (docs/partners.md,
    "Contests and segments")."""

    entered: list[tuple[Contest, bool]]
    left: list[Contest]


class ContestRefused(Exception):
    """A contest change that is not allowed (it started, it was cancelled, unknown id)."""


class ContestService(Ranking):
    def __init__(
        self,
        db: Database,
        store: ContentStore,
        clock: Clock,
        partners: PartnerService,
        sales: SalesService,
    ) -> None:
        super().__init__(db, clock, sales)
        self._store = store
        self._partners = partners

    async def managed(self) -> dict[str, Managed]:
        """Every contest the database knows, by id (file contests only once announced or
        cancelled)."""
        async with self._db.read() as conn:
            rows = list(await conn.execute(sa.select(contests_table)))
        files = {contest.id: contest for contest in self._store.content.contests}
        result = {}
        for row in rows:
            if row.definition is not None:
                contest = Contest.model_validate(row.definition)
            elif row.id in files:
                contest = files[row.id]
            else:
                continue  # its file was removed
            announced = None if row.announced_at is None else as_utc(row.announced_at)
            result[row.id] = Managed(contest, row.source, row.status, announced)
        return result

    async def all(self) -> list[Managed]:
        """File contests and managers' contests, cancelled ones included, by start."""
        known = await self.managed()
        for contest in self._store.content.contests:
            known.setdefault(contest.id, Managed(contest, "file", "active", None))
        return sorted(known.values(), key=lambda item: (item.contest.starts_at, item.contest.id))

    async def find(self, contest_id: str) -> Managed | None:
        """A contest by id, cancelled or not, from a file or the database."""
        return next((item for item in await self.all() if item.contest.id == contest_id), None)

    async def active(self) -> list[Contest]:
        return [item.contest for item in await self.all() if item.status == "active"]

    async def contest(self, contest_id: str) -> Contest | None:
        return next((c for c in await self.active() if c.id == contest_id), None)

    async def running(self, segment: str | None) -> Contest | None:
        """The contest running now for this segment that ends first (a sale's notice and
        /me name one)."""
        live = await self.all_running(segment)
        return live[0] if live else None

    async def all_running(self, segment: str | None) -> list[Contest]:
        """Every contest running now for this segment, the one that ends first first
        (/top and the weekly leaderboard show them all: two at once showed only one)."""
        now = self._clock.now()
        live = [c for c in await self.eligible(segment) if c.starts_at <= now]
        return sorted(live, key=lambda contest: (contest.ends_at, contest.starts_at, contest.id))

    async def eligible(self, segment: str | None) -> list[Contest]:
        """Upcoming and running contests this segment takes part in, soonest first, once
        announced (`current`)."""
        return [contest for contest in await self.current() if contest.visible_to(segment)]

    async def listed(self, segment: str | None) -> list[Contest]:
        """What /contests lists: the running contests in /top's order (`all_running`: the
        one that ends first first), then the upcoming ones, soonest first."""
        running = await self.all_running(segment)
        return running + [c for c in await self.eligible(segment) if c not in running]

    def started(self, contest: Contest) -> bool:
        return contest.starts_at <= self._clock.now()

    async def current(self) -> list[Contest]:
        """Upcoming and running contests, whatever their segments — once announced. A
        contest nobody announced (a file contest too close to its start to announce
        itself, or first seen after it: it waits for a manager's «📣 Объявить») is shown
        to no partner, before its start or after it (/contests, /top, the boards, the
        weekly leaderboard, sale notices, /me, the digest): partners never heard of it
        (the tester of session 28). Announced after its start, it is a running contest
        like any other, its sales counted from its start."""
        now = self._clock.now()
        return [
            item.contest
            for item in await self.all()
            if item.status == "active"
            and item.contest.ends_at > now
            and item.announced_at is not None
        ]

    def is_running(self, contest: Contest) -> bool:
        return contest.starts_at <= self._clock.now() < contest.ends_at

    def lead_days(self) -> int:
        return self._store.content.program.schedule.announce_lead_days

    def short_notice(self, starts_at: datetime) -> bool:
        """A contest starting then, announced now, gives less than `announce_lead_days`."""
        return starts_at - self._clock.now() < timedelta(days=self.lead_days())

    def too_soon_after_announcement(self, item: Managed, starts_at: datetime) -> bool:
        """Moving an announced contest's start sooner, to less than `announce_lead_days`
        after its announcement (refused: cancel and make a new one to start sooner). The
        same start or a later one is never refused: a contest announced on a short notice
        (confirmed) could not have its end or a later start changed (a tester of session
        22)."""
        if item.announced_at is None or starts_at >= item.contest.starts_at:
            return False
        return starts_at - item.announced_at < timedelta(days=self.lead_days())

    def problems(self, contest: Contest, short_confirmed: bool) -> list[str]:
        """Why this contest cannot be saved as it is (keys of texts; `days` is the lead):
        a start in the past, unknown segments, or a short notice not confirmed."""
        found = []
        if contest.starts_at <= self._clock.now():
            found.append("contest-error-start-past")
        segments = {segment.id for segment in self._store.content.program.segments}
        if any(segment not in segments for segment in contest.segments):
            found.append("contest-error-segments")
        if not found and self.short_notice(contest.starts_at) and not short_confirmed:
            found.append("draft-short-unconfirmed")
        return found

    async def create(self, contest: Contest, by: str) -> None:
        """Save a manager's contest; its id must be new."""
        known = {item.contest.id for item in await self.all()}
        if contest.id in known:
            raise ContestRefused(f"a contest {contest.id} exists")
        async with self._db.write() as conn:
            await conn.execute(
                contests_table.insert().values(
                    id=contest.id,
                    source="manager",
                    definition=contest.model_dump(mode="json"),
                    status="active",
                    created_by=by,
                    created_at=self._clock.now(),
                )
            )

    async def update(self, contest: Contest) -> None:
        """Replace a manager's contest before it starts (dates, prizes, texts)."""
        current = (await self.managed()).get(contest.id)
        if current is None or current.source != "manager":
            raise ContestRefused("only contests made with /contest_new are edited here")
        if current.status != "active" or current.contest.starts_at <= self._clock.now():
            raise ContestRefused("it has started or was cancelled")
        async with self._db.write() as conn:
            await conn.execute(
                contests_table.update()
                .where(contests_table.c.id == contest.id)
                .values(definition=contest.model_dump(mode="json"))
            )

    @staticmethod
    def changed(item: Managed, **changes: Any) -> Contest:
        """The contest with `changes` (dates, prizes, texts), not saved; ContestRefused when
        the result is not a valid contest."""
        try:  # validated whole (a model_copy would keep the prizes as plain dicts)
            return Contest.model_validate(item.contest.model_dump() | changes)
        except ValidationError as exc:
            raise ContestRefused("the changed contest is not valid") from exc

    async def edit(self, item: Managed, **changes: Any) -> Contest:
        """A manager's contest with `changes` (dates, prizes, texts), saved; ContestRefused
        when the result is not a valid contest or the contest can no longer change."""
        contest = self.changed(item, **changes)
        await self.update(contest)
        return contest

    async def mark_announced(self, contest: Contest) -> None:
        await self._set_state(contest, announced_at=self._clock.now())

    async def cancel(self, contest: Contest) -> None:
        await self._set_state(contest, status="cancelled", cancelled_at=self._clock.now())

    async def mention(self, contest_ids: list[str], partner_id: int) -> None:
        """The partner was told of these contests in a reply (the end of onboarding): a
        cancel or new dates reach them too."""
        if not contest_ids:
            return
        now = self._clock.now()
        rows = [
            {"contest_id": c, "partner_id": partner_id, "created_at": now} for c in contest_ids
        ]
        query = insert(self._db.engine.dialect.name, contest_mentions).on_conflict_do_nothing()
        async with self._db.write() as conn:
            await conn.execute(query, rows)

    async def unheard(
        self, partner_id: int, before: str | None, segment: str | None
    ) -> list[Contest]:
        """The contests a partner moving from segment `before` to `segment` has not heard
        of: open to the new segment, not to the old one, and not told to them in a reply
        (`mention`) — a move away and back names a contest once."""
        had = {contest.id for contest in await self.eligible(before)}
        return [
            contest
            for contest in await self.eligible(segment)
            if contest.id not in had and partner_id not in await self.mentioned(contest.id)
        ]

    async def segment_move(
        self, partner_id: int, before: str | None, segment: str | None
    ) -> SegmentMove:
        """The running contests a chat that moved from segment `before` to `segment` (just
        now: its switch is kept) came into or left."""
        entered = []
        for contest in await self.all_running(segment):
            if not contest.visible_to(before):
                counted = await self.chat_counted(contest, partner_id, segment)
                entered.append((contest, counted is not None and counted.breaks))
        left = [c for c in await self.all_running(before) if not c.visible_to(segment)]
        return SegmentMove(entered, left)

    async def mentioned(self, contest_id: str) -> list[int]:
        """The partners told of a contest in a reply (`mention`)."""
        query = sa.select(contest_mentions.c.partner_id).where(
            contest_mentions.c.contest_id == contest_id
        )
        async with self._db.read() as conn:
            return [int(row.partner_id) for row in await conn.execute(query)]

    async def _set_state(self, contest: Contest, **values: Any) -> None:
        """Set a contest's state; a file contest gets its row the first time (an upsert:
        two processes, or two planner runs, may do it at once)."""
        upsert = (
            insert(self._db.engine.dialect.name, contests_table)
            .values(
                {
                    "id": contest.id,
                    "source": "file",
                    "status": "active",
                    "created_at": self._clock.now(),
                }
                | values
            )
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )
        async with self._db.write() as conn:
            await conn.execute(upsert)

    # The moments of a contest (SPEC §7): what to send to whom.

    async def audience(self, contest: Contest) -> list[Partner]:
        """Partners who hear about the contest: its segments, subscribed to contests."""
        return await self._partners.audience("contests", contest.segments or None)

    async def moment(self, name: str, contest: Contest, tag: str = "") -> Moment:
        """announcement, reminder (tag: days before), started, last_day: everyone eligible
        and the community chat; standings (tag: the week): the community chat."""
        if name == "standings":
            return Moment(name, contest, [], community=True, tag=tag)
        return Moment(name, contest, await self.audience(contest), community=True, tag=tag)

    async def results_moment(self, contest: Contest) -> Moment:
        """The results in the community chat, and a congratulation to each winner."""
        results = await self.results(contest)
        people, winners = await congratulated(self._partners, contest, results)
        return Moment("results", contest, people, community=True, results=results, winners=winners)

    async def cancellation(self, contest: Contest, told: list[int]) -> Moment:
        """A cancel reaches every partner who was told about the contest (and the chat)."""
        people = [p for p in [await self._partners.get(i) for i in told] if p is not None]
        return Moment("cancelled", contest, people, community=True)

    async def rescheduling(self, contest: Contest, told: list[int]) -> Moment:
        """New dates reach every partner who was told the old ones (and the chat); the tag
        is the new dates, so a second change is a second message."""
        people = [p for p in [await self._partners.get(i) for i in told] if p is not None]
        tag = f"{contest.starts_at:%Y%m%d%H%M}-{contest.ends_at:%Y%m%d%H%M}"
        return Moment("rescheduled", contest, people, community=True, tag=tag)

    async def changing(self, contest: Contest, told: list[int], tag: str) -> Moment:
        """New prizes (categories, places, thresholds) reach every partner who was told
        about the contest (and the chat); `tag` names the change, so each is said once."""
        people = [p for p in [await self._partners.get(i) for i in told] if p is not None]
        return Moment("changed", contest, people, community=True, tag=tag)

    async def reannouncement(
        self, contest: Contest, held: list[int], community: bool, tag: str
    ) -> Moment:
        """The announcement again, as the contest is now, for those whose first one was
        still waiting (quiet hours) when the contest changed; `tag` names the change."""
        people = [p for p in [await self._partners.get(i) for i in held] if p is not None]
        return Moment("announcement", contest, people, community=community, tag=tag)

    async def keep_places(self, partner: Partner) -> None:
        """/forget, while the partner's data is still there (docs/privacy.md): each
        contest whose results are decided and name them keeps its places as they are,
        theirs held by `FORGOTTEN_WINNER` (bot/services/contest_results.py says why).
        Nothing to keep while another chat of theirs keeps the affiliate id linked."""
        keys = await forgotten_keys(self._partners, partner)
        if not keys:
            return
        now = self._clock.now()
        for item in await self.all():
            if not decided(item.contest, item.status, now):
                continue
            places = forgotten(await self.results(item.contest), keys)
            if places is not None:
                await self._set_state(item.contest, results=kept(item.contest, places))

    async def results(self, contest: Contest) -> list[list[Placed]]:
        """The winners of each prize category, in the contest's order of categories;
        with `one_prize_per_partner`, a contestant who already won is passed over. The
        places kept when a winner used /forget (`keep_places`), once there are some."""
        stored = await kept_places(self._db, contest)
        return stored if stored is not None else await placed(contest, self.standings)


async def my_standings(
    service: ContestService, contest: Contest, affiliate_id: str | None
) -> list[MyStanding]:
    """The partner's place in each prize category of a contest; under a category's
    threshold, their value below it (`below`)."""
    result = []
    for category in contest.prizes:
        standings = await service.standings(contest, category) if affiliate_id else Standings()
        index = standings.index_of(affiliate_id) if affiliate_id else None
        entry = standings[index] if index is not None else None
        below = None
        if index is None:
            below = await value_below(service, contest, category, affiliate_id)
        result.append(MyStanding(category, None if index is None else index + 1, entry, below))
    return result


async def value_below(
    service: Ranking, contest: Contest, category: PrizeCategory, affiliate_id: str | None
) -> Decimal | None:
    """What a partner who is not in a category's standings has towards its `min_value`
    (0 with nothing counted yet), for «нужно от 3, у вас 2 — осталось 1» in /top and
    /contests alike; None when the category has no threshold, there is no linked id, or
    they are in the standings."""
    if not category.min_value or affiliate_id is None:
        return None
    if (await service.standings(contest, category)).index_of(affiliate_id) is not None:
        return None
    everyone = category.model_copy(update={"min_value": Decimal(0)})
    counted = await service.standings(contest, everyone)  # under the threshold too
    index = counted.index_of(affiliate_id)
    return counted[index].value if index is not None else Decimal(0)
