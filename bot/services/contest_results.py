"""A finished contest's results (SPEC §7): the winners of each prize category, whom the
results congratulate, and the places kept as decided when a winner uses /forget.

A contest's live standings count only linked affiliate ids, so after a winner's /forget
they would drop the winner and move the others up (a tester of session 25: «никто не
выполнил условия» on the card). Once the results are decided (`decided`), a contest that
names them keeps its places in the `contests.results` column as they are, theirs held by
`FORGOTTEN_WINNER` (nothing of them kept; docs/privacy.md). `ContestService` (`results`,
`results_moment`, `keep_places`) reads and writes them through this module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from bot.content.models import Contest, PrizeCategory
from bot.db.engine import Database
from bot.db.tables import contests
from bot.services.contest_standings import Entry, Placed, Standings
from bot.services.partner import Partner
from bot.services.partners import PartnerService

# a kept place whose winner used /forget (never an affiliate id: those have no «/»)
FORGOTTEN_WINNER: Final = "/forget"

# by partner id, the places a winner's congratulation names
Winners = dict[int, list[tuple[PrizeCategory, Placed]]]


def decided(contest: Contest, status: str, now: datetime) -> bool:
    """Whether a contest's results are decided: it was not cancelled and its hold is over."""
    return status == "active" and now >= contest.ends_at + timedelta(days=contest.hold_days)


async def placed(
    contest: Contest, standings: Callable[[Contest, PrizeCategory], Awaitable[Standings]]
) -> list[list[Placed]]:
    """The winners of each prize category from its `standings`, in the contest's order of
    categories; with `one_prize_per_partner`, a contestant who already won is passed over."""
    winners: set[str] = set()
    results: list[list[Placed]] = []
    for category in contest.prizes:
        places: list[Placed] = []
        for entry in await standings(contest, category):
            if len(places) == len(category.places):
                break
            if contest.one_prize_per_partner and entry.key in winners:
                continue
            places.append(Placed(len(places) + 1, entry, category.places[len(places)]))
            winners.add(entry.key)
        results.append(places)
    return results


async def congratulated(
    partners: PartnerService, contest: Contest, results: list[list[Placed]]
) -> tuple[list[Partner], Winners]:
    """The chats the results congratulate (every chat linked to a winning affiliate id),
    and by partner id the places each congratulation names."""
    keys = {placed.entry.key for category in results for placed in category}
    linked = await partners.linked_to(sorted(keys))
    winners: Winners = {}
    for category, placed_list in zip(contest.prizes, results, strict=True):
        for placed in placed_list:
            for partner in linked.get(placed.entry.key, []):
                winners.setdefault(partner.id, []).append((category, placed))
    people = [p for group in linked.values() for p in group if p.id in winners]
    return people, winners


async def forgotten_keys(partners: PartnerService, partner: Partner) -> set[str]:
    """The keys a partner using /forget holds places by: `partner:ID` (a referrer with no
    affiliate id) and their linked affiliate id; none while another chat of theirs keeps
    the affiliate id linked (those places are still theirs)."""
    keys = {f"partner:{partner.id}"}
    if partner.affiliate_id and partner.affiliate_status == "linked":
        chats = await partners.linked_to([partner.affiliate_id])
        if any(chat.id != partner.id for chat in chats.get(partner.affiliate_id, [])):
            return set()
        keys.add(partner.affiliate_id)
    return keys


def forgotten(results: list[list[Placed]], keys: set[str]) -> list[list[Placed]] | None:
    """The places with those held by `keys` held by `FORGOTTEN_WINNER`; None when `keys`
    hold none of them (nothing to keep)."""
    if not any(placed.entry.key in keys for places in results for placed in places):
        return None
    return [
        [
            replace(placed, entry=replace(placed.entry, key=FORGOTTEN_WINNER))
            if placed.entry.key in keys
            else placed
            for placed in category
        ]
        for category in results
    ]


def kept(contest: Contest, results: list[list[Placed]]) -> dict[str, Any]:
    """A contest's places as JSON, to keep (`ContestService.keep_places`), with the prize
    categories they are for."""
    places = [
        [
            {
                "place": placed.place,
                "key": placed.entry.key,
                "value": str(placed.entry.value),
                "reached_at": placed.entry.reached_at.isoformat(),
                "pending": placed.entry.pending,
                "prize": placed.prize,
                "joined": None if placed.entry.joined is None else placed.entry.joined.isoformat(),
                "breaks": placed.entry.breaks,
            }
            for placed in places
        ]
        for places in results
    ]
    return {"categories": [category.category for category in contest.prizes], "places": places}


async def kept_places(db: Database, contest: Contest) -> list[list[Placed]] | None:
    """The places `kept` for the contest; None when none were kept, or for other prize
    categories than the contest's."""
    async with db.read() as conn:
        stored = await conn.scalar(
            sa.select(contests.c.results).where(contests.c.id == contest.id)
        )
    if not isinstance(stored, dict) or stored.get("categories") != [
        category.category for category in contest.prizes
    ]:
        return None
    return [
        [
            Placed(
                int(item["place"]),
                Entry(
                    str(item["key"]),
                    Decimal(str(item["value"])),
                    datetime.fromisoformat(str(item["reached_at"])),
                    int(item["pending"]),
                    # kept before session 28: nobody marked as joined mid-contest
                    datetime.fromisoformat(str(item["joined"])) if item.get("joined") else None,
                    bool(item.get("breaks", False)),
                ),
                str(item["prize"]),
            )
            for item in places
        ]
        for places in stored["places"]
    ]
