"""One person's chats: what they share (segment, chosen platform, newsletter choice) kept
the same in every linked chat, a chat joining or leaving the person, a chat forgotten."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.clock import as_utc
from bot.db.tables import partners
from bot.services.partner import (
    SHARED,
    Partner,
    joined_settings,
    merged_choice,
    own_again,
    taken,
)
from bot.services.partner_rows import PartnerRows
from bot.services.segment_history import adopt

# what changed in one chat of a person when another joined or left: before, after, and
# the platform of the chat whose choice the newsletters are now (None: this chat's own)
Changed = tuple[Partner, Partner, str | None]


class PersonChats(PartnerRows):
    """The partners of one person (linked to the same affiliate id) as one."""

    async def twins(self, partner: Partner) -> list[Partner]:
        """The same person's other chats: partners linked to the same affiliate id."""
        if partner.affiliate_id is None or partner.affiliate_status != "linked":
            return []
        linked = await self.linked_to([partner.affiliate_id])
        return [p for p in linked.get(partner.affiliate_id, []) if p.id != partner.id]

    async def _update_person(self, partner: Partner, **values: Any) -> Partner:
        """Change what a person's chats share (`SHARED`) in every one of them."""
        assert set(values) <= set(SHARED), values
        for twin in await self.twins(partner):
            await self._update(twin, **values)
        return await self._update(partner, **values)

    async def _choose(self, partner: Partner, **values: Any) -> Partner:
        """An explicit newsletter choice of the person (a topic, /stop, /start): every chat
        of theirs takes it as its own, made now."""
        assert set(values) <= set(SHARED), values
        values.update(chosen_at=self._clock.now(), own_choice=None)
        for twin in await self.twins(partner):
            await self._update(twin, **values)
        return await self._update(partner, **values)

    async def set_preferred_platform(self, partner: Partner, platform: str | None) -> Partner:
        """Automated messages to one platform only (None: to every chat), for all of the
        person's chats at once."""
        return await self._update_person(partner, preferred_platform=platform)

    async def _fall_back_everywhere(self, leaving: Partner, others: list[Partner]) -> bool:
        """`leaving` (forgotten, unlinked or blocked) no longer receives: if it was the
        person's chosen platform and none of `others` (their remaining chats) can be
        reached there, or a single chat remains, automated messages go everywhere again
        (True: the choice was dropped)."""
        chosen = leaving.preferred_platform
        if chosen is None:
            return False
        still = [o for o in others if o.platform == chosen and not o.unreachable]
        if still and len(others) > 1:
            return False
        for other in others:
            if other.preferred_platform is not None:
                await self._update(other, preferred_platform=None)
        return True

    async def toggle_preferred_platform(self, partner: Partner) -> Partner:
        """Automated messages everywhere → only on this chat's platform → everywhere."""
        chosen = None if partner.preferred_platform else partner.platform
        return await self.set_preferred_platform(partner, chosen)

    async def request_link(self, partner: Partner, affiliate_id: str) -> Partner:
        """The partner says which affiliate id is theirs; a manager approves it. A linked
        partner keeps the linked id (its sales, its place) until then: the new one waits
        apart (`requested_affiliate_id`)."""
        if partner.affiliate_status == "linked":
            return await self._update(partner, requested_affiliate_id=affiliate_id)
        await self._leave_person(partner)
        return await self._update(
            partner,
            affiliate_id=affiliate_id,
            affiliate_status="pending",
            preferred_platform=None,
            last_seen_at=self._clock.now(),  # used now (the segment of the chat used last)
            **own_again(partner),
        )

    async def approve_link(self, partner: Partner) -> Partner:
        """The chat becomes one of the person's (`join`): the chat as it is now."""
        return (await self.join(partner))[0][1]

    async def join(self, partner: Partner) -> list[Changed]:
        """The chat becomes one of the person's: every chat takes on `joined_settings` (the
        newest newsletter choice, the segment of the chat used last); a chat whose own
        choice gives way keeps it aside (`own_choice`) for when the other chat goes.
        Every chat of the person (the joining one first), as it was and is now. A linked
        chat that asked for another id leaves its person for that id's."""
        if partner.requested_affiliate_id is not None:
            await self._leave_person(partner)
            partner = await self._update(
                partner,
                affiliate_id=partner.requested_affiliate_id,
                requested_affiliate_id=None,
                preferred_platform=None,
                **own_again(partner),
            )
        person = await self.twins(replace(partner, affiliate_status="linked"))
        partner = await self._update(partner, affiliate_status="linked")
        if not person:
            return [(partner, partner, None)]
        settings = joined_settings(partner, person)
        latest = merged_choice([partner, *person])[1]
        changed = [await self._take(chat, settings, latest) for chat in (partner, *person)]
        # its segments before are not the person's: it takes their history (contests)
        source = max(person, key=lambda chat: (as_utc(chat.last_seen_at), chat.id))
        async with self._db.write() as conn:
            await adopt(conn, partner.id, source.id)
        return changed

    async def _take(self, chat: Partner, settings: dict[str, Any], latest: Partner) -> Changed:
        """`chat` takes on the person's settings, the newsletters being `latest`'s choice."""
        values, source = taken(chat, settings, latest)
        return chat, await self._update(chat, **values), source

    async def decline_link(self, partner: Partner) -> Partner:
        if partner.requested_affiliate_id is not None:  # the linked id stays
            return await self._update(partner, requested_affiliate_id=None)
        await self._leave_person(partner)
        return await self._update(
            partner,
            affiliate_id=None,
            affiliate_status="none",
            preferred_platform=None,
            **own_again(partner),
        )

    async def _leave_person(self, partner: Partner) -> list[Changed]:
        """This chat stops being one of a person's linked chats: its choice of newsletters
        no longer stands in for the others' (the newest of theirs counts again). The other
        chats whose newsletters changed, as they were and are now."""
        others = await self.twins(partner)
        await self._fall_back_everywhere(partner, others)
        if not any(other.own_choice is not None for other in others):
            return []
        others = await self.twins(partner)  # the choice of a platform may have changed
        news, latest = merged_choice(others)
        changed = []
        for other in others:
            chat, now, source = await self._take(other, news, latest)
            if now.newsletters != chat.newsletters:
                changed.append((chat, now, source))
        return changed

    async def mark_unreachable(self, partner: Partner) -> Partner:
        """The partner blocked the bot (or left): skipped by every send until they return.
        If it was the chat the person chose for automated messages, their other chats get
        them again."""
        partner = await self._update(partner, unreachable=True)
        if partner.preferred_platform != partner.platform:
            return partner
        if await self._fall_back_everywhere(partner, await self.twins(partner)):
            partner = await self._update(partner, preferred_platform=None)
        return partner

    async def forget(self, partner: Partner) -> list[Changed]:
        """Delete the partner and everything personal kept about them (their other chats
        get automated messages again if this was the one chosen for them, and their own
        newsletter choices back if this chat's stood in for them: those are returned)."""
        changed = await self._leave_person(partner)
        async with self._db.write() as conn:
            await conn.execute(
                partners.update()
                .where(partners.c.referrer_id == partner.id)
                .values(referrer_id=None)
            )
            await conn.execute(partners.delete().where(partners.c.id == partner.id))
        self._cache.pop((partner.platform, partner.user_id), None)
        for key, cached in list(self._cache.items()):
            if cached.referrer_id == partner.id:
                self._cache[key] = replace(cached, referrer_id=None)
        return changed
