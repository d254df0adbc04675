"""Partners stored, found and changed: first contact, onboarding, subscriptions, linked
affiliate ids (one person's chats), privacy choices (`Partner`: `bot.services.partner`).
Stored and found: bot/services/partner_rows.py; one person's chats:
bot/services/partner_person.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.db.tables import partners
from bot.services.onboarding import ANSWER_LIMIT
from bot.services.partner import PUBLIC_NAMES, TOPICS, Partner, next_public_name, person_key
from bot.services.partner_person import Changed, PersonChats

__all__ = ["Changed", "PartnerService"]


class PartnerService(PersonChats):
    """Partners by platform id. With `cache_size` > 0 (one process, SQLite) partners are
    kept in memory and written through, so a message costs no database read."""

    async def record_referrer(self, partner: Partner, code: str) -> bool:
        """Remember who invited a new partner; only once, never oneself."""
        if partner.referrer_id is not None or partner.onboarded:
            return False
        referrer = await self.by_code(code)
        if referrer is None or referrer.id == partner.id:
            return False
        await self._update(partner, referrer_id=referrer.id)
        return True

    async def set_segment(self, partner: Partner, segment: str) -> Partner:
        """The segment of the person (every linked chat)."""
        return await self._update_person(partner, segment=segment)

    async def save_answer(self, partner: Partner, question_id: str, answer: str) -> Partner:
        answers = {**partner.answers, question_id: answer[:ANSWER_LIMIT]}
        return await self._update(partner, answers=answers)

    async def finish_onboarding(self, partner: Partner, consent: bool) -> Partner:
        return await self._update(
            partner,
            onboarded=True,
            consent=consent,
            stopped=False,
            chosen_at=self._clock.now(),
            own_choice=None,
        )

    async def set_subscription(self, partner: Partner, topic: str, on: bool) -> Partner:
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        subscriptions = {**partner.subscriptions, topic: on}
        if on and (partner.stopped or not partner.consent):
            # every topic showed off (no consent, or /stop): only this one comes on
            subscriptions = {other: other == topic for other in TOPICS}
        changes: dict[str, Any] = {"subscriptions": subscriptions}
        if on:  # turning a topic on is consent to hear about it
            changes.update(consent=True, stopped=False)
        return await self._choose(partner, **changes)

    async def set_language(self, partner: Partner, language: str) -> Partner:
        return await self._update(partner, language=language)

    async def next_public_name(self, partner: Partner) -> Partner:
        """Name → nickname → anonymous → name, on the leaderboards."""
        return await self.set_public_name(partner, next_public_name(partner.public_name))

    async def set_public_name(self, partner: Partner, choice: str) -> Partner:
        """How the person is named on leaderboards, for all of their chats at once."""
        if choice not in PUBLIC_NAMES:
            raise ValueError(f"unknown public name choice {choice!r}")
        for twin in await self.twins(partner):
            await self._update(twin, public_name=choice)
        return await self._update(partner, public_name=choice)

    async def mark_reachable(self, partner: Partner) -> Partner:
        """The partner unblocked the bot."""
        return await self._update(partner, unreachable=False)

    async def stop(self, partner: Partner) -> Partner:
        """Every newsletter, digest and reminder off at once, in every chat of the person
        (what is already queued for them is skipped when it comes up)."""
        return await self._choose(partner, stopped=True)

    async def resume(self, partner: Partner) -> Partner:
        """/start after /stop (in any chat of the person): the topics as they were before
        it. A partner who said no to newsletters in onboarding still has none (they switch
        topics on in /settings)."""
        return await self._choose(partner, stopped=False)

    async def names_with(self, parts: Sequence[str], besides: int) -> list[str]:
        """The names (as typed) of the partners but `besides` with one of `parts` in them,
        found as written (LIKE with its wildcards escaped; the parts bound)."""
        if not parts:
            return []
        query = (
            sa.select(partners.c.first_name)
            .where(
                partners.c.id != besides,
                sa.or_(*(partners.c.first_name.contains(part, autoescape=True) for part in parts)),
            )
            .distinct()
        )
        async with self._db.read() as conn:
            return [str(row.first_name) for row in await conn.execute(query)]

    async def referrals_count(self, partner: Partner) -> int:
        """How many people the person invited, from any of their chats: one's own other
        chats are never a recruit, and a recruit's linked chats are one person."""
        own = [partner.id, *(twin.id for twin in await self.twins(partner))]
        query = sa.select(
            partners.c.id, partners.c.affiliate_id, partners.c.affiliate_status
        ).where(partners.c.referrer_id.in_(own))
        async with self._db.read() as conn:
            rows = list(await conn.execute(query))
        me = person_key(partner.id, partner.affiliate_id, partner.affiliate_status)
        recruits = {person_key(row.id, row.affiliate_id, row.affiliate_status) for row in rows}
        recruits.discard(me)
        return len(recruits)
