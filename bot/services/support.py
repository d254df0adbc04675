"""Support tickets: when one opens, reopens or closes, where it lives, who waits for whom.

Only bookkeeping and rules; moving the messages themselves is the relay's job (handlers).
What a ticket and its card are: `bot.services.tickets`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import Clock
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.db.tables import faq_questions, partners, ticket_messages, tickets
from bot.names import display_name
from bot.services.partner import Partner
from bot.services.presses import PressedOnce
from bot.services.sales import SalesService
from bot.services.sales_figures import RecentSale
from bot.services.tickets import OpenedTicket, Ticket, TicketCard

SECOND_ESCALATION_AFTER = timedelta(hours=24)
UTC_ZONE = ZoneInfo("UTC")


class SupportService:
    """With `cache` (one process, SQLite) the service remembers which partners have no
    open ticket, so a partner's ordinary question costs no extra database read."""

    def __init__(
        self,
        db: Database,
        store: ContentStore,
        clock: Clock,
        *,
        cache: bool = False,
        write_questions: Callable[[], Awaitable[None]] | None = None,
        sales: SalesService | None = None,
        zone: ZoneInfo = UTC_ZONE,
    ) -> None:
        self._sales = sales  # the card's tier and recent sales
        self._zone = zone
        self._write_questions = write_questions  # the FAQ log is written in batches
        self._db = db
        self._store = store
        self._clock = clock
        self._cache = cache
        self._open: dict[int, int | None] = {}  # partner id -> open ticket id (or None)
        self.presses = PressedOnce(db, clock)  # the /faq_link picker acts once

    def _note_open(self, partner_id: int, ticket_id: int | None) -> None:
        if self._cache:
            if len(self._open) > 100_000:
                self._open.clear()
            self._open[partner_id] = ticket_id

    @property
    def sla(self) -> timedelta:
        return timedelta(hours=self._store.content.program.schedule.ticket_sla_hours)

    @property
    def reopen_window(self) -> timedelta:
        return timedelta(hours=self._store.content.program.schedule.ticket_reopen_hours)

    async def _one(self, query: sa.Select[Any], *, forgotten: bool = False) -> Ticket | None:
        """The ticket `query` finds: not a forgotten partner's (/forget) — or, `forgotten`,
        only such a one (to tell a manager who replies in it that nothing reaches them)."""
        partner = tickets.c.partner_id
        query = query.where(partner.is_(None) if forgotten else partner.is_not(None))
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else Ticket.from_row(row)

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self._one(sa.select(tickets).where(tickets.c.id == ticket_id))

    async def current(self, partner: Partner) -> Ticket | None:
        """The partner's open ticket, if any."""
        if self._cache and partner.id in self._open and self._open[partner.id] is None:
            return None
        ticket = await self._one(
            sa.select(tickets).where(
                tickets.c.partner_id == partner.id, tickets.c.status == "open"
            )
        )
        self._note_open(partner.id, None if ticket is None else ticket.id)
        return ticket

    async def open_for(self, partner: Partner, question: str) -> OpenedTicket:
        """The ticket a support request goes to: the open one, the one closed within
        `ticket_reopen_hours` (reopened), or a new one."""
        now = self._clock.now()
        current = await self.current(partner)
        if current is not None:
            return OpenedTicket(current, created=False, reopened=False)
        last = await self._one(
            sa.select(tickets)
            .where(tickets.c.partner_id == partner.id, tickets.c.status == "closed")
            .order_by(tickets.c.closed_at.desc())
            .limit(1)
        )
        if last is not None and last.closed_at and now - last.closed_at <= self.reopen_window:
            # the rating of the close is kept when the ticket opens again
            reopened = await self._update(
                last,
                status="open",
                closed_at=None,
                rating=None,
                earlier_up=last.earlier_up + (last.rating == "up"),
                earlier_down=last.earlier_down + (last.rating == "down"),
                reopens=last.reopens + 1,
            )
            self._note_open(partner.id, reopened.id)
            return OpenedTicket(reopened, created=False, reopened=True)
        async with self._db.write() as conn:
            result = await conn.execute(
                tickets.insert().values(
                    partner_id=partner.id,
                    status="open",
                    question=question,  # whole (the card shows it shortened)
                    created_at=now,
                    escalations=0,
                )
            )
            ticket_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        ticket = await self.get(ticket_id)
        assert ticket is not None
        self._note_open(partner.id, ticket.id)
        return OpenedTicket(ticket, created=True, reopened=False)

    async def _update(self, ticket: Ticket, **values: Any) -> Ticket:
        async with self._db.write() as conn:
            await conn.execute(tickets.update().where(tickets.c.id == ticket.id).values(**values))
        return replace(ticket, **values)

    async def place(
        self,
        ticket: Ticket,
        chat_id: int | None,
        thread_id: int | None,
        topic_title: str | None = None,
    ) -> Ticket:
        """Where the managers see the ticket (a chat, and a forum topic in it, titled)."""
        return await self._update(
            ticket, chat_id=chat_id, thread_id=thread_id, topic_title=topic_title
        )

    async def titled(self, ticket: Ticket, topic_title: str) -> Ticket:
        """The ticket's forum topic was given this title."""
        return await self._update(ticket, topic_title=topic_title)

    async def by_topic(
        self, chat_id: int, thread_id: int, *, forgotten: bool = False
    ) -> Ticket | None:
        return await self._one(
            sa.select(tickets)
            .where(tickets.c.chat_id == chat_id, tickets.c.thread_id == thread_id)
            .order_by(tickets.c.id.desc())
            .limit(1),
            forgotten=forgotten,
        )

    async def by_message(
        self, chat_id: int, message_id: int, platform: str = "tg", *, forgotten: bool = False
    ) -> Ticket | None:
        """The ticket a message in the managers' chat (or a manager's private chat) is of.
        A message id is one chat's on one platform, but it may come again: a VK
        conversation numbers its messages anew when the bot moves to another community
        (the sandbox's emulator at every start) while the database keeps the old ones.
        The newest message with the id is the one the manager sees: it wins."""
        query = (
            sa.select(tickets)
            .join(ticket_messages, ticket_messages.c.ticket_id == tickets.c.id)
            .where(
                ticket_messages.c.chat_id == chat_id,
                ticket_messages.c.message_id == message_id,
                ticket_messages.c.platform == platform,
            )
            .order_by(ticket_messages.c.id.desc())
            .limit(1)
        )
        return await self._one(query, forgotten=forgotten)

    async def is_partner_message(
        self, ticket: Ticket, chat_id: int, message_id: int, platform: str = "tg"
    ) -> bool:
        """Whether a message the managers see is the copy of one of the ticket's partner's
        messages (not its card, a note, or a manager's reply)."""
        return await self._is(ticket, chat_id, message_id, platform, "in")

    async def is_note(
        self, ticket: Ticket, chat_id: int, message_id: int, platform: str = "tg"
    ) -> bool:
        """Whether a message the managers see is one of the bot's notes on the ticket
        (reopened, closed, the intro of the partner's words): it stands for no words."""
        return await self._is(ticket, chat_id, message_id, platform, "note")

    async def _is(
        self, ticket: Ticket, chat_id: int, message_id: int, platform: str, direction: str
    ) -> bool:
        """Whether the message is kept as `direction`: its newest row (an id that came
        again, see `by_message`, stands for the newest message)."""
        query = (
            sa.select(ticket_messages.c.direction)
            .where(
                ticket_messages.c.ticket_id == ticket.id,
                ticket_messages.c.chat_id == chat_id,
                ticket_messages.c.message_id == message_id,
                ticket_messages.c.platform == platform,
            )
            .order_by(ticket_messages.c.id.desc())
            .limit(1)
        )
        async with self._db.read() as conn:
            return await conn.scalar(query) == direction

    async def card_message(self, ticket: Ticket, chat_id: int, platform: str = "tg") -> int | None:
        query = sa.select(ticket_messages.c.message_id).where(
            ticket_messages.c.ticket_id == ticket.id,
            ticket_messages.c.chat_id == chat_id,
            ticket_messages.c.platform == platform,
            ticket_messages.c.direction == "card",
        )
        async with self._db.read() as conn:
            found = (await conn.execute(query.order_by(ticket_messages.c.id.desc()))).first()
        return None if found is None else int(found.message_id)

    async def remember(
        self,
        ticket: Ticket,
        direction: str,
        chat_id: int,
        message_id: int,
        partner_message_id: int | None = None,
        *,
        platform: str = "tg",
    ) -> None:
        """Keep a pair (partner's message ↔ managers' message), so replies find their way
        after a restart too."""
        async with self._db.write() as conn:
            await conn.execute(
                ticket_messages.insert().values(
                    ticket_id=ticket.id,
                    direction=direction,
                    partner_message_id=partner_message_id,
                    chat_id=chat_id,
                    message_id=message_id,
                    platform=platform,
                    created_at=self._clock.now(),
                )
            )

    async def partner_wrote(self, ticket: Ticket) -> Ticket:
        if ticket.waiting_since is not None:
            return ticket
        return await self._update(ticket, waiting_since=self._clock.now(), escalations=0)

    async def manager_replied(self, ticket: Ticket) -> Ticket:
        now = self._clock.now()
        return await self._update(
            ticket,
            waiting_since=None,
            escalations=0,
            first_reply_at=ticket.first_reply_at or now,
        )

    async def close(self, ticket: Ticket) -> Ticket:
        closed = await self._update(
            ticket, status="closed", closed_at=self._clock.now(), waiting_since=None
        )
        self._note_open(ticket.partner_id, None)
        return closed

    async def rate(self, partner: Partner, ticket_id: int, rating: str) -> Ticket | None:
        ticket = await self.get(ticket_id)
        if ticket is None or ticket.partner_id != partner.id or rating not in ("up", "down"):
            return None
        if ticket.is_open or ticket.rating is not None:
            return None  # rated once per closing: an open one, or a second press, is refused
        return await self._update(ticket, rating=rating)

    async def open_tickets(self) -> list[tuple[Ticket, str, str, str]]:
        """Open tickets, oldest first, with the partner's name, partner code and chat
        (`tg:700001`: two Аннas, or one on two messengers, told apart)."""
        query = (
            sa.select(
                tickets,
                partners.c.first_name.label("partner_name"),
                partners.c.partner_code.label("partner_code"),
                partners.c.platform.label("partner_platform"),
                partners.c.user_id.label("partner_user"),
            )
            .join(partners, partners.c.id == tickets.c.partner_id)
            .where(tickets.c.status == "open")
            .order_by(tickets.c.created_at, tickets.c.id)
        )
        async with self._db.read() as conn:
            rows = list(await conn.execute(query))
        return [
            (
                Ticket.from_row(
                    _without(
                        row, "partner_name", "partner_code", "partner_platform", "partner_user"
                    )
                ),
                display_name(str(row.partner_name)),
                str(row.partner_code),
                f"{row.partner_platform}:{row.partner_user}",
            )
            for row in rows
        ]

    async def overdue(self) -> list[Ticket]:
        """Open tickets whose partner has waited past the SLA (and again 24 h later)."""
        now = self._clock.now()
        query = sa.select(tickets).where(
            tickets.c.status == "open", tickets.c.waiting_since.is_not(None)
        )
        async with self._db.read() as conn:
            candidates = [Ticket.from_row(row) for row in await conn.execute(query)]
        due = []
        for ticket in candidates:
            assert ticket.waiting_since is not None
            deadline = ticket.waiting_since + self.sla
            deadline += SECOND_ESCALATION_AFTER * ticket.escalations
            if ticket.escalations < 2 and now >= deadline:
                due.append(ticket)
        return sorted(due, key=lambda ticket: ticket.id)

    async def escalated(self, ticket: Ticket) -> Ticket:
        return await self._update(ticket, escalations=ticket.escalations + 1)

    async def forget(self, partner: Partner) -> None:
        """/forget: the partner's tickets stay for the program's numbers (ticket numbers
        go on, response times and ratings still count) with nothing personal left: no
        partner, no question, no topic title (it named them), no id of a message in the
        partner's chat; an open one is closed."""
        mine = sa.select(tickets.c.id).where(tickets.c.partner_id == partner.id)
        async with self._db.write() as conn:
            # the ids of the messages in the managers' chat stay (nothing of the partner's:
            # a manager who replies to one is told the partner left); the partner's own go
            await conn.execute(
                ticket_messages.update()
                .where(ticket_messages.c.ticket_id.in_(mine))
                .values(partner_message_id=None)
            )
            await conn.execute(
                tickets.update()
                .where(tickets.c.partner_id == partner.id)
                .values(
                    partner_id=None,
                    question="",
                    topic_title=None,  # it named them: the topic is renamed (handlers)
                    status="closed",
                    waiting_since=None,
                    closed_at=sa.func.coalesce(tickets.c.closed_at, self._clock.now()),
                )
            )
        self._open.pop(partner.id, None)

    async def recent_questions(self, partner: Partner, limit: int = 5) -> list[str]:
        """The FAQ questions the partner asked last, newest first, each once (the same
        words asked again, or logged twice, show once)."""
        if self._write_questions is not None:
            await self._write_questions()  # the latest ones too
        query = (
            sa.select(faq_questions.c.question)
            .where(faq_questions.c.partner_id == partner.id)
            .order_by(faq_questions.c.id.desc())
            .limit(limit * 5)
        )
        async with self._db.read() as conn:
            rows = [row.question for row in await conn.execute(query)]
        seen: set[str] = set()
        found: list[str] = []
        for question in rows:
            same = " ".join(question.casefold().split()).strip(" ?!.")
            if same and same not in seen:
                seen.add(same)
                found.append(question)
        return found[:limit]

    async def history(self, partner: Partner) -> list[Ticket]:
        query = sa.select(tickets).where(tickets.c.partner_id == partner.id).order_by(tickets.c.id)
        async with self._db.read() as conn:
            return [Ticket.from_row(row) for row in await conn.execute(query)]

    async def card(self, ticket: Ticket, partner: Partner) -> TicketCard:
        month = standing = None
        recent: list[RecentSale] = []
        linked = partner.affiliate_id if partner.affiliate_status == "linked" else None
        if self._sales is not None and linked:
            month = await self._sales.month(linked, self._zone)
            standing = self._sales.tier(month.approved)
            recent = await self._sales.recent(linked)
        return TicketCard(
            ticket=ticket,
            partner=partner,
            segment_title=self._store.content.program.segment_title(partner.segment),
            recent_questions=await self.recent_questions(partner),
            month=month,
            standing=standing,
            recent_sales=tuple(recent),
        )

    def hours_since(self, moment: datetime) -> float:
        return (self._clock.now() - moment).total_seconds() / 3600


class _Row:
    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping


def _without(row: Any, *names: str) -> _Row:
    return _Row({key: value for key, value in row._mapping.items() if key not in names})
