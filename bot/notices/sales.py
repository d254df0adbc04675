"""Sale notices (SPEC §6): approved sales told to their partners with the new standing,
and the first, 10th, 50th and 100th sale and a new tier congratulated."""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from bot.content.models import Contest
from bot.i18n import L10n
from bot.notices.base import NoticesBase, private
from bot.services.contest_standings import Boards, Standings, contest_key
from bot.services.contests import ContestService
from bot.services.outbox import Queued
from bot.services.outbox_enqueue import Enqueued, OutMessage
from bot.services.outbox_refresh import Merged, Rewritten
from bot.services.outbox_sales import reached_subject, sales_subject, told_sales
from bot.services.partner import Partner
from bot.services.sales_figures import ApprovalFacts, month_end, month_start
from bot.services.sales_ledger import Approved
from bot.texts import number

# The categories a sale notice reports the place in, best first (the first that places).
SALE_BOARDS: Final = ("most_sales", "top_amount", "first_sales")
# the key of the summary of sales approved before the link: + affiliate:first row:chat
BEFORE_LINK: Final = "sales-before-link:"


class SaleNotices(NoticesBase):
    async def tell_approved(self, approved: list[Approved]) -> None:
        await self.sales_approved(approved)

    async def sales_approved(self, approved: list[Approved]) -> Enqueued:
        """Tell partners about their approved sales (SPEC §6): the new standing, and the
        first, 10th, 50th and 100th sale and a new tier congratulated."""
        by_affiliate: dict[str, list[str]] = defaultdict(list)
        marks: dict[str, int | None] = {}
        for item in approved:
            by_affiliate[item.affiliate_id].append(item.conversion_id)
            marks[item.affiliate_id] = item.mark  # one commit's: the same mark
        linked = await self._partners.linked_to(sorted(by_affiliate))
        messages: list[OutMessage] = []
        boards = _Reading(self._contests)  # every chat told from the same standings
        for affiliate, conversion_ids in by_affiliate.items():
            people = linked.get(affiliate, [])
            if not people:
                continue
            facts = await self._sales.approval(
                affiliate, conversion_ids, self._settings.tz, marks[affiliate]
            )
            if not facts.new:
                continue  # reversed again meanwhile
            # what the messages tell of: checked again when they fall due (`outbox_sales`)
            subject = sales_subject(facts.rows)
            for partner in people:
                l10n = self._l10n(partner.language)
                standing = await self._standing(partner, l10n, facts.occurred, boards)
                lines = [l10n("sale-approved", count=facts.new)]
                if standing:
                    lines.append(standing)
                messages.append(
                    self._sale_message(
                        f"sale:{min(conversion_ids)}:{partner.key}",
                        partner,
                        "\n".join(lines),
                        subject,
                    )
                )
                messages.extend(self._congratulations(partner, l10n, affiliate, facts))
        return await self._outbox.enqueue(messages)

    async def sales_before_link(self, partner: Partner) -> Enqueued:
        """A chat whose /link a manager just approved (`partner`, as it is now) hears once
        of the sales approved for the id that no sale notice told — those that came while
        no chat was linked to it: one message summing them with the place (never one a
        sale), the first (10th, …) sale and a new tier congratulated as after a live one.
        Nothing when another chat of the person was linked already (they were told there),
        and nothing twice: the sales a notice named are left out, and the same summary
        decided twice (the card's button and the command at once) has one key."""
        affiliate = partner.affiliate_id
        nothing = Enqueued(0, 0, 0)
        if affiliate is None or partner.affiliate_status != "linked":
            return nothing
        if await self._partners.twins(partner):
            return nothing
        await self._sales.settle()  # a sale approved just before: its own notice first
        approved = await self._sales.approved_by_postback(affiliate)
        if not approved:
            return nothing
        named = await self._outbox.sales_named({sale.row for sale in approved}, approved[0].at)
        untold = [sale.conversion_id for sale in approved if sale.row not in named]
        if not untold:
            return nothing
        facts = await self._sales.approval(affiliate, untold, self._settings.tz)
        if not facts.new:
            return nothing
        l10n = self._l10n(partner.language)
        lines = [_before_link_text(l10n, affiliate, facts.new)]
        if standing := await self._standing(
            partner, l10n, facts.occurred, _Reading(self._contests)
        ):
            lines.append(standing)
        key = f"{BEFORE_LINK}{affiliate}:{min(facts.rows)}:{partner.key}"
        summary = self._sale_message(key, partner, "\n".join(lines), sales_subject(facts.rows))
        return await self._outbox.enqueue(
            [summary, *self._congratulations(partner, l10n, affiliate, facts)]
        )

    def _congratulations(
        self, partner: Partner, l10n: L10n, affiliate: str, facts: ApprovalFacts
    ) -> list[OutMessage]:
        """The milestones and the new tier these approvals reached, for `partner`: each
        told when due if the affiliate id still has that many sales (`outbox_sales`), and
        once (the key)."""
        messages = []
        for milestone in facts.milestones():
            text = l10n("sale-milestone", count=milestone)
            key = f"milestone:{affiliate}:{milestone}:{partner.key}"
            reached = reached_subject(affiliate, milestone)
            messages.append(self._sale_message(key, partner, text, reached))
        tier = facts.new_tier(self._store.content.program.tiers)
        if tier is not None:
            now, zone = self._clock.now(), self._settings.tz
            this_month = (month_start(now, zone), month_end(now, zone))
            month = now.astimezone(zone).strftime("%Y-%m")  # the month in the zone
            text = l10n("sale-tier", tier=html.escape(tier.title), perk=tier.perk)
            key = f"tier:{month}:{tier.title}:{partner.key}"
            reached = reached_subject(affiliate, tier.monthly_sales, this_month)
            messages.append(self._sale_message(key, partner, text, reached))
        return messages

    async def refresh_sales(self, rows: list[Queued]) -> dict[int, Rewritten | Merged]:
        """Sale notices held until now (the quiet hours, a backlog), or some of whose
        sales were refunded or cancelled before they went (their subjects name the sales
        still counting: `outbox_sales`), written again with the place as it is now. The
        ones to one chat go as one — the first tells of all their sales («Подтверждено 3
        продажи»), the others are `Merged` into it: a morning does not bring a row of
        identical «Продажа подтверждена». A row none of whose sales counts by now is left
        out."""
        told = {row.id: told_sales(row.subject) or set() for row in rows}
        occurred = await self._sales.approved_rows(sorted(set().union(*told.values())))
        people = await self._partners.by_ids(sorted({r.partner_id for r in rows if r.partner_id}))
        carriers: dict[tuple[str, int], Queued] = {}  # per chat: the first row that goes
        sales: dict[int, set[int]] = defaultdict(set)  # per carrier: the sales it tells of
        found: dict[int, Rewritten | Merged] = {}
        boards = _Reading(self._contests)  # every chat told from the same standings
        for row in rows:
            counting = {n for n in told[row.id] if n in occurred}
            if row.partner_id not in people or not counting:
                continue
            carrier = carriers.setdefault((row.platform, row.chat_id), row)
            sales[carrier.id] |= counting
            if carrier is not row:
                found[row.id] = Merged(carrier.id)
        for carrier in carriers.values():
            partner = people[carrier.partner_id or 0]
            moments = tuple(sorted(occurred[n] for n in sales[carrier.id]))
            l10n = self._l10n(partner.language)
            lines = [l10n("sale-approved", count=len(moments))]
            affiliate = _before_link(carrier.key)
            if affiliate is not None and sales[carrier.id] <= told[carrier.id]:
                # the summary of the sales before the link, none other merged into it
                lines = [_before_link_text(l10n, affiliate, len(moments))]
            if standing := await self._standing(partner, l10n, moments, boards):
                lines.append(standing)
            found[carrier.id] = Rewritten("\n".join(lines), sales_subject(sales[carrier.id]))
        return found

    @staticmethod
    def _sale_message(key: str, partner: Partner, text: str, subject: str) -> OutMessage:
        return private(key, "sales", subject, partner, text)

    async def _standing(
        self, partner: Partner, l10n: L10n, occurred: tuple[datetime, ...], boards: _Reading
    ) -> str | None:
        """ "You are #3 in Most sales, 2 behind #2" in the running contest (or the month);
        nothing when none of the sales (`occurred`: when they were made) counts there — a
        backdated sale moved no one in this month's rating, nor one made while the partner
        was in a segment the contest is not for. `boards`: the standings of the
        notices written together, read once."""
        contest = await boards.running(partner.segment)
        if contest is not None:
            # the first board, best first, that places the partner (under a category's
            # threshold «Больше всего продаж» does not: «Первые продажи» may), all of them
            # as of one moment
            read = await boards.contest(contest)
            # none counts there: made outside its dates, or while in another segment
            if not any(read.counts(contest, partner.affiliate_id, at) for at in occurred):
                return None
            kinds = {category.category: category for category in contest.prizes}
            for kind in (k for k in SALE_BOARDS if k in kinds):
                category = kinds[kind]
                entries = read.standings(category)
                if entries.index_of(partner.affiliate_id) is None:
                    continue
                # the contest named: the notice may come before the partner heard it started
                board = l10n(
                    "sale-board-contest",
                    category=l10n(f"category-{kind}"),
                    title=html.escape(contest.title),
                )
                gaps = kind != "first_sales"
                return _place_text(entries, partner.affiliate_id, board, l10n, gaps=gaps)
            return None
        now, zone = self._clock.now(), self._settings.tz
        if not any(month_start(now, zone) <= at < month_end(now, zone) for at in occurred):
            return None
        entries = await boards.month(zone)
        return _place_text(entries, partner.affiliate_id, l10n("sale-board-month"), l10n)


class _Reading:
    """The standings sale notices written together are told from — every chat of a
    person, every partner of one commit, the notices to one chat merged in the morning —
    each read once, when first needed, as of the last change (`fresh`): one sale's notice
    says the same in every chat even when another sale is committed while it is written
    (Telegram's told the place after two sales, MAX's after three: a tester of session
    27). The running contest is looked up once a segment for the same reason."""

    def __init__(self, contests: ContestService) -> None:
        self._contests = contests
        self._running: dict[str | None, Contest | None] = {}
        self._boards: dict[tuple[object, ...], Boards] = {}
        self._month: dict[ZoneInfo, Standings] = {}

    async def running(self, segment: str | None) -> Contest | None:
        if segment not in self._running:
            self._running[segment] = await self._contests.running(segment)
        return self._running[segment]

    async def contest(self, contest: Contest) -> Boards:
        key = contest_key(contest)
        if key not in self._boards:
            self._boards[key] = await self._contests.boards(contest, fresh=True)
        return self._boards[key]

    async def month(self, zone: ZoneInfo) -> Standings:
        if zone not in self._month:
            self._month[zone] = await self._contests.month_leaderboard(zone, fresh=True)
        return self._month[zone]


def _before_link(key: str) -> str | None:
    """The affiliate id of a summary of the sales before its link (by its key), or None."""
    if not key.startswith(BEFORE_LINK):
        return None
    parts = key[len(BEFORE_LINK) :].rsplit(":", 3)  # the id may hold ":": the rest do not
    return parts[0] if len(parts) == 4 else None


def _before_link_text(l10n: L10n, affiliate: str, count: int) -> str:
    return l10n("sale-approved-before-link", affiliate=html.escape(affiliate), count=count)


def _place_text(
    entries: Standings, me: str | None, board: str, l10n: L10n, *, gaps: bool = True
) -> str | None:
    place = entries.index_of(me)
    if place is None:
        return None
    if place == 0 or not gaps:
        return l10n("sale-place", place=place + 1, board=board)
    gap = entries[place - 1].value - entries[place].value
    if gap <= 0:  # level with the one above, who got there first: not "0 behind"
        return l10n("sale-place-tie", place=place + 1, board=board, above=place)
    return l10n(
        "sale-place-gap", place=place + 1, board=board, above=place, gap=number(gap, l10n.language)
    )
