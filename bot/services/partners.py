"""Partners stored, found and changed: first contact, onboarding, subscriptions, linked
affiliate ids (one person's chats), privacy choices (`Partner`: `bot.services.partner`)."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import replace
from datetime import timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock, as_utc
from bot.db.engine import Database
from bot.db.tables import MAX_BIG_ID, partners
from bot.names import display_name
from bot.services.onboarding import ANSWER_LIMIT
from bot.services.partner import (
    PUBLIC_NAMES,
    SHARED,
    TOPICS,
    Partner,
    audience_condition,
    joined_settings,
    merged_choice,
    own_again,
    person_key,
    representative,
    taken,
)

# what changed in one chat of a person when another joined or left: before, after, and
# the platform of the chat whose choice the newsletters are now (None: this chat's own)
Changed = tuple[Partner, Partner, str | None]

_CODE_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SEEN_EVERY: Final = timedelta(minutes=5)


class PartnerService:
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
            sa.select(partners).where(partners.c.affiliate_id == query).limit(1)
        )

    async def by_affiliates(self, affiliate_ids: list[str]) -> dict[str, Partner]:
        """One linked partner per affiliate id (for leaderboards): the person's chat used
        last (its name is the current one), or one asking to stay anonymous if any does."""
        return {
            key: representative(people)
            for key, people in (await self.linked_to(affiliate_ids)).items()
        }

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
        async with self._db.write() as conn:
            await conn.execute(
                partners.update().where(partners.c.id == partner.id).values(**values)
            )
        return self._remember(replace(partner, **values))

    async def _update_person(self, partner: Partner, **values: Any) -> Partner:
        """Change what a person's chats share (`SHARED`) in every one of them."""
        assert set(values) <= set(SHARED), values
        for twin in await self.twins(partner):
            await self._update(twin, **values)
        return await self._update(partner, **values)

    async def twins(self, partner: Partner) -> list[Partner]:
        """The same person's other chats: partners linked to the same affiliate id."""
        if partner.affiliate_id is None or partner.affiliate_status != "linked":
            return []
        linked = await self.linked_to([partner.affiliate_id])
        return [p for p in linked.get(partner.affiliate_id, []) if p.id != partner.id]

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

    async def _choose(self, partner: Partner, **values: Any) -> Partner:
        """An explicit newsletter choice of the person (a topic, /stop, /start): every chat
        of theirs takes it as its own, made now."""
        assert set(values) <= set(SHARED), values
        values.update(chosen_at=self._clock.now(), own_choice=None)
        for twin in await self.twins(partner):
            await self._update(twin, **values)
        return await self._update(partner, **values)

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
        index = (
            PUBLIC_NAMES.index(partner.public_name) if partner.public_name in PUBLIC_NAMES else -1
        )
        return await self.set_public_name(partner, PUBLIC_NAMES[(index + 1) % len(PUBLIC_NAMES)])

    async def set_public_name(self, partner: Partner, choice: str) -> Partner:
        """How the person is named on leaderboards, for all of their chats at once."""
        if choice not in PUBLIC_NAMES:
            raise ValueError(f"unknown public name choice {choice!r}")
        for twin in await self.twins(partner):
            await self._update(twin, public_name=choice)
        return await self._update(partner, public_name=choice)

    async def request_link(self, partner: Partner, affiliate_id: str) -> Partner:
        """The partner says which affiliate id is theirs; a manager approves it."""
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
        Every chat of the person (the joining one first), as it was and is now."""
        person = await self.twins(replace(partner, affiliate_status="linked"))
        partner = await self._update(partner, affiliate_status="linked")
        if not person:
            return [(partner, partner, None)]
        settings = joined_settings(partner, person)
        latest = merged_choice([partner, *person])[1]
        return [await self._take(chat, settings, latest) for chat in (partner, *person)]

    async def _take(self, chat: Partner, settings: dict[str, Any], latest: Partner) -> Changed:
        """`chat` takes on the person's settings, the newsletters being `latest`'s choice."""
        values, source = taken(chat, settings, latest)
        return chat, await self._update(chat, **values), source

    async def decline_link(self, partner: Partner) -> Partner:
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
