"""What every kind of automated message shares: the services it reads, the recipient's
language, and the shape of a private message and of a leaderboard post."""

from __future__ import annotations

from datetime import datetime

from bot.clock import Clock
from bot.config import PLATFORMS, Settings
from bot.content.store import ContentStore
from bot.i18n import L10n
from bot.services.contests import ContestService
from bot.services.lessons import LessonService
from bot.services.outbox import Outbox
from bot.services.outbox_ahead import Foreseen
from bot.services.outbox_enqueue import COMMUNITY, OutMessage, community_key
from bot.services.partner import Partner, person_key
from bot.services.partners import PartnerService
from bot.services.sales import SalesService
from bot.texts import Board


class NoticesBase:
    def __init__(
        self,
        settings: Settings,
        store: ContentStore,
        outbox: Outbox,
        contests: ContestService,
        partners: PartnerService,
        sales: SalesService,
        lessons: LessonService,
        clock: Clock,
    ) -> None:
        self._lessons = lessons
        self._settings = settings
        self._clock = clock
        self._store = store
        self._outbox = outbox
        self._contests = contests
        self._partners = partners
        self._sales = sales

    async def under_cap(
        self,
        chats: list[Partner],
        kind: str,
        subject: str | None,
        at: datetime,
        foreseen: Foreseen | None = None,
    ) -> list[Partner]:
        """The chats an automated private message made at `at` would still go to under the
        weekly cap (counted as the outbox will count it then, with the sends `foreseen`
        before it): for /schedule."""
        if not chats:
            return []
        ids = [chat.id for chat in chats]
        people = await self._outbox.under_cap(ids, kind, subject, at, foreseen)
        return [
            chat
            for chat in chats
            if person_key(chat.id, chat.affiliate_id, chat.affiliate_status) in people
        ]

    @property
    def has_community(self) -> bool:
        """Whether community-chat posts have somewhere to go."""
        return bool(self._settings.community_chats())

    def manager_targets(self) -> list[tuple[str, int]]:
        """Where a report to managers goes: the managers' chat (chosen as for tickets:
        Telegram's, else VK's, else MAX's), or each manager in private when none is set."""
        for platform in PLATFORMS:
            chat = self._settings.managers_chat(platform)
            if chat is not None:
                return [(platform, chat)]
        places = [manager.partition(":") for manager in self._settings.managers]
        return [(p, int(n)) for p, _, n in places if p in PLATFORMS and n.lstrip("-").isdigit()]

    def _l10n(self, language: str | None) -> L10n:
        return self._store.live.translator.get(language)


def private(key: str, kind: str, subject: str | None, partner: Partner, text: str) -> OutMessage:
    """A message to a partner's private chat; `kind` is the topic it belongs to."""
    return OutMessage(
        key=key,
        kind=kind,
        platform=partner.platform,
        chat_id=partner.chat_id,
        partner_id=partner.id,
        subject=subject,
        text=text,
    )


def board_post(
    key: str, platform: str, chat: int, subject: str, board: Board, header: str = ""
) -> OutMessage:
    """A leaderboard post in the partners' chat, with its picture."""
    return OutMessage(
        key=community_key(f"{key}:community", platform),
        kind=COMMUNITY,
        platform=platform,
        chat_id=chat,
        text=header + board.text,
        subject=subject,
        picture=board.picture(),
    )
