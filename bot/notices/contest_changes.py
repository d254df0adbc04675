"""Contest notices a manager's action makes (SPEC §7): a contest announced now, cancelled,
or changed before its start (new dates, new prizes, a new text of the rules) — told to
whoever heard of it, through the moments `ContestNotices` writes and queues; and what the
manager is told it reached (people: linked chats are one person)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.content.models import Contest
from bot.notices.contests import ContestNotices
from bot.services.contests import Moment
from bot.services.outbox_enqueue import Enqueued
from bot.services.partner import Partner, person_key


@dataclass(frozen=True)
class Announced:
    partners: int  # people it reaches (linked chats are one person)
    community: bool
    enqueued: Enqueued
    capped: int = 0  # people the weekly cap left out (SPEC §11)
    held_until: datetime | None = None  # the private rows wait for the quiet hours' end


@dataclass(frozen=True)
class Changed:
    told: int  # people who hear the change (linked chats are one person)
    renewed: int  # people whose waiting announcement goes as the contest is now
    dropped: int
    held_until: datetime | None = None  # what it sends waits for the quiet hours' end
    group: bool = False  # the partners' group hears the change too


@dataclass(frozen=True)
class Cancelled:
    told: int  # people who hear it (linked chats are one person)
    dropped: int
    group: bool = False  # the partners' group hears it too


def people(partners: Sequence[Partner]) -> int:
    """How many people these chats are (linked chats are one person): what a manager is
    told, as /announce's preview counts."""
    return len({person_key(p.id, p.affiliate_id, p.affiliate_status) for p in partners})


def change_tag(contest: Contest, now: datetime) -> str:
    """Names one change of a contest (its outbox keys): the moment and the new contest."""
    digest = hashlib.sha256(contest.model_dump_json().encode()).hexdigest()[:8]
    return f"{now:%Y%m%d%H%M%S}-{digest}"


class ContestChangeNotices(ContestNotices):
    async def announce_contest(self, contest: Contest) -> Announced:
        """Announce a contest now: every eligible partner with the contests topic on and
        the partners' chat; the contest is marked announced."""
        moment = await self._contests.moment("announcement", contest)
        result = await self.contest_moment(moment)
        await self._contests.mark_announced(contest)
        # the announcement is the first thing sent about a contest: its rows are all there
        # are (a person's chats share one status: the cap counts the person)
        subject = f"contest:{contest.id}"
        capped = (await self._outbox.people(subject, status="capped")).get("capped", 0)
        reached = people(moment.partners) - capped
        community = moment.community and self.has_community
        held_until = await self._outbox.held_for_quiet_hours(subject, self._clock.now())
        return Announced(reached, community, result, capped, held_until)

    async def cancel_contest(self, contest: Contest) -> Cancelled:
        """Cancel a contest: what was not sent about it yet is dropped, and everyone who was
        told about it (partners, and the chat if it was) hears it is cancelled."""
        subject = f"contest:{contest.id}"
        await self._contests.cancel(contest)
        dropped = await self._outbox.cancel(subject)
        told = await self._outbox.told(subject)
        # told at the end of onboarding (no outbox row): as if sent to their chat
        told += [("", 0, partner) for partner in await self._contests.mentioned(contest.id)]
        return await self._tell_again(self._contests.cancellation, contest, told, dropped)

    async def contest_changed(self, contest: Contest, what: str) -> Changed:
        """A contest changed before its start (`what`: dates | prizes | text). An
        announcement still waiting (say, for the end of the quiet hours) is replaced by one
        of the contest as it is now; whoever was told about it hears the change once — new
        dates (what else waited about it carried the old ones and is dropped) or new
        prizes; a new text of the rules is not told again. Through the outbox with its
        usual rules (quiet hours, the weekly cap, /stop and the contests topic)."""
        subject = f"contest:{contest.id}"
        announcement = f"{subject}:announcement"
        waiting = await self._outbox.waiting(subject)
        # what carries the old contest: an announcement; with new dates also what names
        # them (a reminder, earlier news of dates) — news of prizes stays
        stale = [
            (key, partner)
            for key, partner in waiting
            if key.startswith(announcement) or (what == "dates" and ":changed:" not in key)
        ]
        dropped = await self._outbox.cancel(subject, [key for key, _partner in stale])
        told = {partner for _platform, _chat, partner in await self._outbox.told(subject)}
        told |= set(await self._contests.mentioned(contest.id))  # at the end of onboarding
        held = {partner for key, partner in stale if key.startswith(announcement)}
        told |= {partner for _key, partner in stale if partner not in held}
        held -= told
        tag = change_tag(contest, self._clock.now())
        renewed = await self._contests.reannouncement(
            contest, sorted(p for p in held if p is not None), None in held, tag
        )
        if renewed.partners or renewed.community:
            await self.contest_moment(renewed)
        if what not in ("dates", "prizes"):
            held_until = await self._outbox.held_for_quiet_hours(subject, self._clock.now())
            return Changed(0, people(renewed.partners), dropped, held_until)
        partner_ids = sorted(p for p in told if p is not None)
        if what == "dates":
            moment = await self._contests.rescheduling(contest, partner_ids)
        else:
            moment = await self._contests.changing(contest, partner_ids, tag)
        if None not in told:
            moment = replace(moment, community=False)
        await self.contest_moment(moment)
        held_until = await self._outbox.held_for_quiet_hours(subject, self._clock.now())
        group = moment.community and bool(self._settings.community_chats())
        return Changed(
            people(moment.partners), people(renewed.partners), dropped, held_until, group
        )

    async def _tell_again(
        self,
        moment_for: Callable[[Contest, list[int]], Awaitable[Moment]],
        contest: Contest,
        told: list[tuple[str, int, int | None]],
        dropped: int,
    ) -> Cancelled:
        """The moment `moment_for` makes, sent to the partners who were told about the
        contest (`told`), and to the chat only if it was told too."""
        partner_ids = sorted({partner for _platform, _chat, partner in told if partner})
        moment = await moment_for(contest, partner_ids)
        if not any(partner is None for _platform, _chat, partner in told):
            moment = replace(moment, community=False)
        await self.contest_moment(moment)  # each chat that was told, once (its key)
        group = moment.community and bool(self._settings.community_chats())
        return Cancelled(people(moment.partners), dropped, group)  # people, as announced
