"""A partner: one chat of a person (`Partner`: platform and user id, onboarding, settings),
whom automated messages of a topic reach (`Partner.receives`, `why_not_reached` when they go,
in SQL `audience_condition`),
and which chats are one person (linked to one affiliate id: `person_key`, `person_column`,
`representative`). `PartnerService` (`bot.services.partners`) stores and changes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from bot.clock import as_utc
from bot.db.tables import partners
from bot.names import display_name

TOPICS: Final = ("news", "contests", "digest", "sales", "lessons")
PUBLIC_NAMES: Final = ("name", "nickname", "anonymous")


def next_public_name(choice: str) -> str:
    """Name → nickname → anonymous → name, on the leaderboards."""
    index = PUBLIC_NAMES.index(choice) if choice in PUBLIC_NAMES else -1
    return PUBLIC_NAMES[(index + 1) % len(PUBLIC_NAMES)]


@dataclass(frozen=True)
class Partner:
    id: int
    platform: str
    user_id: int
    chat_id: int
    first_name: str
    username: str | None
    language: str
    segment: str | None
    answers: dict[str, str]
    onboarded: bool
    consent: bool | None
    subscriptions: dict[str, bool]
    stopped: bool
    referrer_id: int | None
    partner_code: str
    affiliate_id: str | None
    affiliate_status: str
    public_name: str
    unreachable: bool
    created_at: datetime
    last_seen_at: datetime
    preferred_platform: str | None = None  # automated sends only there (same person, 2 chats)
    # when this chat's newsletter choice (consent, /stop, /start, a topic) was last made,
    # in it or for the person in a linked chat (None: before the column, see `chosen`)
    chosen_at: datetime | None = None
    # its own choice while a linked chat's newer one stands in for it (`own_choice`)
    own_choice: dict[str, Any] | None = None
    # another id a linked partner asked for: the linked one counts until it is approved
    requested_affiliate_id: str | None = None

    @property
    def link_pending(self) -> bool:
        """Whether a /link request waits for a manager (a first one, or another id)."""
        return self.affiliate_status == "pending" or self.requested_affiliate_id is not None

    @property
    def requested_id(self) -> str | None:
        """The affiliate id a waiting /link request asks for."""
        if self.requested_affiliate_id is not None:
            return self.requested_affiliate_id
        return self.affiliate_id if self.affiliate_status == "pending" else None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @property
    def who(self) -> str:
        """@username and platform id, for managers' cards."""
        return f"@{self.username}, {self.key}" if self.username else self.key

    @property
    def wants_newsletters(self) -> bool:
        """Whether a topic would reach them but for /stop: they agreed to newsletters and
        left one on. Without (a «no» in onboarding, every topic off) /stop stops nothing
        and /start after it turns nothing on."""
        return bool(self.consent) and any(self.subscriptions.get(t, True) for t in TOPICS)

    def subscribed(self, topic: str) -> bool:
        """Whether automated messages of `topic` may reach this partner."""
        return not self.stopped and bool(self.consent) and self.subscriptions.get(topic, True)

    def receives(self, topic: str) -> bool:
        """Whether an automated message of `topic` goes to this chat: subscribed, and this
        is the platform they chose (when they use two and chose one)."""
        return self.subscribed(topic) and self.preferred_platform in (None, self.platform)

    @classmethod
    def from_row(cls, row: Any) -> Partner:
        data = dict(row._mapping)
        data["first_name"] = display_name(data["first_name"] or "")  # stored before the rule
        data["answers"] = dict(data["answers"] or {})
        data["subscriptions"] = dict(data["subscriptions"] or {})
        data["own_choice"] = dict(data["own_choice"]) if data.get("own_choice") else None
        return cls(**data)

    @property
    def newsletters(self) -> dict[str, Any]:
        """What the chat receives now: consent, /stop and the topics."""
        return {
            "consent": self.consent,
            "stopped": self.stopped,
            "subscriptions": {t: self.subscriptions.get(t, True) for t in TOPICS},
        }

    @property
    def choice(self) -> dict[str, Any]:
        """The chat's own newsletter choice (not one taken from a linked chat)."""
        if self.own_choice is None:
            return self.newsletters
        return {key: self.own_choice[key] for key in ("consent", "stopped", "subscriptions")}

    @property
    def choice_from(self) -> str | None:
        """The platform of the linked chat whose newer choice stands in for this one's."""
        return None if self.own_choice is None else self.own_choice.get("from")

    @property
    def chosen(self) -> datetime:
        return as_utc(self.chosen_at or self.created_at)


def why_not_reached(partner: Partner | None, topic: str) -> str | None:
    """Why an automated private message of `topic` does not reach this chat when it goes
    (None: it does): the partner is gone (/forget) or blocked the bot, or does not receive
    the topic (`Partner.receives`: /stop, no consent, the topic off, another platform
    chosen). The one rule for delivery, which skips the row for it (`bot.delivery.not_for`),
    and for /schedule, which counts only the chats it reaches (scheduler/ahead.py); the SQL
    of the audiences says the same (`audience_condition`)."""
    if partner is None or partner.unreachable:
        return "unreachable or forgotten"
    if not partner.receives(topic):
        return "stopped or unsubscribed"
    return None


def audience_condition(topic: str, segments: list[str] | None = None) -> Any:
    """SQL for "onboarded, reachable, agreed to hear about `topic`" (Partner.subscribed)."""
    condition = sa.and_(
        partners.c.onboarded.is_(True),
        partners.c.consent.is_(True),
        partners.c.stopped.is_(False),
        partners.c.unreachable.is_(False),
        sa.func.coalesce(partners.c.subscriptions[topic].as_boolean(), sa.true()).is_(sa.true()),
        sa.or_(
            partners.c.preferred_platform.is_(None),
            partners.c.preferred_platform == partners.c.platform,
        ),
    )
    if segments:
        condition = sa.and_(condition, partners.c.segment.in_(segments))
    return condition


def person_column() -> Any:
    """SQL: who a partner row belongs to (person_key)."""
    linked = sa.and_(partners.c.affiliate_status == "linked", partners.c.affiliate_id.isnot(None))
    # constants inline (not bound parameters): PostgreSQL groups by this expression only
    # when the GROUP BY repeats it exactly
    return sa.case(
        (linked, sa.literal_column("'affiliate:'", sa.String) + partners.c.affiliate_id),
        else_=sa.literal_column("'partner:'", sa.String) + sa.cast(partners.c.id, sa.String),
    )


def person_key(partner_id: int, affiliate_id: str | None, affiliate_status: str) -> str:
    """Who a chat belongs to: chats linked to one affiliate id are one person."""
    if affiliate_status == "linked" and affiliate_id:
        return f"affiliate:{affiliate_id}"
    return f"partner:{partner_id}"


# What a person's chats share (the newsletter choices and the segment): a change in one
# chat is made in all of them.
SHARED: Final = ("stopped", "consent", "subscriptions", "segment", "preferred_platform")


def merged_choice(chats: list[Partner]) -> tuple[dict[str, Any], Partner]:
    """The newsletters of one person's chats (not empty) and the chat whose choice it is:
    the most recent explicit choice (consent in onboarding, /stop, /start, a topic) of
    the chats' own ones decides consent and /stop; a topic a chat that agreed to
    newsletters switched off stays off."""
    onboarded = [chat for chat in chats if chat.onboarded] or chats
    latest = max(onboarded, key=lambda chat: (chat.chosen, chat.id))
    choice = latest.choice
    agreed = [chat.choice for chat in onboarded if chat.choice["consent"]] or [choice]
    subscriptions = {t: all(c["subscriptions"].get(t, True) for c in agreed) for t in TOPICS}
    return {**choice, "subscriptions": subscriptions}, latest


def joined_settings(joining: Partner, person: list[Partner]) -> dict[str, object]:
    """The settings of a person once `joining` is linked to their chats (`person`, not
    empty): the newsletters of `merged_choice`, the segment of the chat used last (the
    joining one included), the chat chosen for automated messages the person's."""
    used_last = max((joining, *person), key=lambda chat: (as_utc(chat.last_seen_at), chat.id))
    current = max(person, key=lambda chat: (as_utc(chat.last_seen_at), chat.id))
    return {
        **merged_choice([joining, *person])[0],
        "segment": used_last.segment or current.segment or joining.segment,
        "preferred_platform": current.preferred_platform,
    }


def taken(
    chat: Partner, settings: dict[str, Any], latest: Partner
) -> tuple[dict[str, Any], str | None]:
    """What `chat` stores to take on a person's settings whose newsletters are `latest`'s
    choice (`merged_choice`): its own choice is kept aside when it gives way; and the
    platform of the chat whose choice it takes (None: its own)."""
    values = dict(settings)
    news = {key: settings[key] for key in ("consent", "stopped", "subscriptions")}
    source = None if chat.id == latest.id else latest.platform
    if news == chat.choice:
        values["own_choice"] = None  # its own choice again
        source = None
    elif news != chat.newsletters or chat.own_choice is not None:
        values["own_choice"] = {**chat.choice, "from": source}
    return values, source


def own_again(partner: Partner) -> dict[str, Any]:
    """A chat leaving a person takes its own newsletter choice back, if another chat's
    stood in for it."""
    if partner.own_choice is None:
        return {}
    return {**partner.choice, "own_choice": None}


def representative(chats: list[Partner]) -> Partner:
    """The chat that speaks for a person (a non-empty list of their linked chats): one that
    asked to stay anonymous if any did, else the one used last."""
    anonymous = [chat for chat in chats if chat.public_name == "anonymous"]
    return max(anonymous or chats, key=lambda chat: (as_utc(chat.last_seen_at), chat.id))
