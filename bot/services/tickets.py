"""A support ticket as the service reads it (`Ticket`: times always aware), one found or
made for a request (`OpenedTicket`), and what the managers' card of it shows (`TicketCard`).
The rules: `SupportService` (`bot.services.support`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.services.partner import Partner
from bot.services.sales_figures import MonthStats, RecentSale, TierStanding


@dataclass(frozen=True)
class Ticket:
    id: int
    partner_id: int  # tickets of a forgotten partner (NULL) are never read as Ticket
    status: str
    question: str
    chat_id: int | None
    thread_id: int | None
    created_at: datetime
    waiting_since: datetime | None
    escalations: int
    first_reply_at: datetime | None
    closed_at: datetime | None
    rating: str | None
    earlier_up: int = 0  # ratings given before a reopen
    earlier_down: int = 0
    reopens: int = 0  # times reopened: a /cancel confirmation given before one is stale
    topic_title: str | None = None  # what its forum topic was titled (None: not known)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @classmethod
    def from_row(cls, row: Any) -> Ticket:
        data = {key: _aware(value) for key, value in dict(row._mapping).items()}
        return cls(**data)


@dataclass(frozen=True)
class TicketCard:
    ticket: Ticket
    partner: Partner
    segment_title: str | None
    recent_questions: list[str]
    month: MonthStats | None = None  # None: no linked affiliate id (no sales to show)
    standing: TierStanding | None = None
    recent_sales: tuple[RecentSale, ...] = ()


@dataclass(frozen=True)
class OpenedTicket:
    ticket: Ticket
    created: bool
    reopened: bool


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
