"""Texts built from several services' data, shared by the handlers and the automated
sends: contest cards and leaderboards. Platform-neutral (HTML of the Telegram subset)."""

from __future__ import annotations

import html
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.charts import leaderboard_png
from bot.config import Settings
from bot.content.models import Contest, PrizeCategory, Program, short_title
from bot.i18n import L10n
from bot.names import greeting_name
from bot.rendering import plain_text
from bot.services.contest_results import FORGOTTEN_WINNER
from bot.services.contest_standings import MyStanding, Placed, Standings
from bot.services.contests import ContestService, value_below
from bot.services.partner import Partner
from bot.services.partners import PartnerService

TOP = 10


def number(value: object, language: str = "ru") -> str:
    """12 500,50 in Russian (12,500.50 in English), or 12 500 for whole numbers."""
    text = f"{value:,.2f}".removesuffix(".00")
    if language == "en":
        return text
    return text.replace(",", " ").replace(".", ",")


def greeting(l10n: L10n, key: str, name: str, **args: object) -> str:
    """The text `key` greeting someone by `name`, or `key`-unnamed (the same without the
    name) when nothing of the name is left to show."""
    shown = greeting_name(name)
    if not shown:
        return l10n(f"{key}-unnamed", **args)
    return l10n(key, name=html.escape(shown), **args)


def shown_name(name: str, code: str, l10n: L10n) -> str:
    """A partner's name wherever it is shown (leaderboards, /me, managers' cards and lists;
    not escaped): the name, or «Партнёр 1234» (the label of those not shown by name, from
    their partner `code`) when nothing of it is left to show - nobody is a «—»."""
    return greeting_name(name) or l10n("top-anonymous", code=code[-4:])


def public_name(partner: Partner | None, key: str, l10n: L10n) -> str:
    if partner is None:  # no longer linked (a /forget the cached standings still count):
        return l10n("top-gone")  # never a piece of the affiliate id (a tester of session 22)
    if partner.public_name == "anonymous":
        return l10n("top-anonymous", code=partner.partner_code[-4:])
    if partner.public_name == "nickname" and partner.username:
        return f"@{partner.username}"
    return shown_name(partner.first_name, partner.partner_code, l10n)


def board_text(
    header: str,
    entries: Standings,
    people: dict[str, Partner],
    me: str | None,
    l10n: L10n,
    *,
    gaps: bool = True,
    personal: bool = True,
    minimum: Decimal = Decimal(0),
    below: Decimal | None = None,
    referrals: bool = False,
) -> str:
    """`minimum`: the category's threshold; `below`: the partner's value under it (they
    are told what is left to it); `referrals`: a board of recruits (its first place is a
    recruit who sells, not a sale of one's own)."""
    language = l10n.language
    short = None
    if personal and below is not None and minimum:
        short = l10n(
            "top-me-below",
            min=number(minimum, language),
            value=number(below, language),
            left=number(minimum - below, language),
        )
    if not entries:
        if not minimum:
            return f"{header}\n{l10n('top-empty-referrals' if referrals else 'top-empty')}"
        empty = l10n("top-empty-min", min=number(minimum, language))
        return "\n".join(line for line in (header, empty, short) if line)
    lines = [header]
    for place, entry in enumerate(entries[:TOP], start=1):
        name = html.escape(public_name(people.get(entry.key), entry.key, l10n))
        lines.append(
            l10n("top-row", place=place, name=name, value=number(entry.value, l10n.language))
        )
    if not personal:  # in the group: no "you"
        return "\n".join(lines)
    mine = entries.index_of(me)
    if me is None or mine is None:
        lines.append(short or l10n("top-me-none"))
    elif mine == 0 or not gaps:
        lines.append(
            l10n("top-me", place=mine + 1, value=number(entries[mine].value, l10n.language))
        )
    elif entries[mine - 1].value == entries[mine].value:  # a tie: «до №1 — 0» said nothing
        lines.append(
            l10n(
                "top-me-tie",
                place=mine + 1,
                value=number(entries[mine].value, l10n.language),
                above=mine,
            )
        )
    else:
        gap = entries[mine - 1].value - entries[mine].value
        lines.append(
            l10n(
                "top-me-gap",
                place=mine + 1,
                value=number(entries[mine].value, l10n.language),
                above=mine,
                gap=number(gap, l10n.language),
            )
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Board:
    """One leaderboard: as text, and as the rows of its picture; `key` says which
    («CONTEST:N», the contest's Nth prize category, or «month»)."""

    text: str
    title: str
    subtitle: str
    rows: list[tuple[int, str, str]]
    key: str = "month"

    def picture(self) -> bytes | None:
        """The board as a PNG, or None when nobody is on it yet."""
        return leaderboard_png(self.title, self.subtitle, self.rows) if self.rows else None


async def leaderboards(
    partner: Partner | None,
    partners: PartnerService,
    contests: ContestService,
    settings: Settings,
    l10n: L10n,
    *,
    forgotten: int | None = None,
    leave_out: Collection[str] = (),
) -> list[Board]:
    """The boards of every running contest (one per category; the one that ends first
    first), or the month's when none runs; `partner` None means the group: contests for
    everyone, and no personal line. `forgotten`: a partner using /forget, not named
    (`contest_boards`); `leave_out`: ids of contests whose boards are not wanted (the
    weekly leaderboard beside a contest's own standings post)."""
    running = await contests.all_running(partner.segment if partner else None)
    if not running:
        return await contest_boards(
            None, partner, partners, contests, settings, l10n, forgotten=forgotten
        )
    boards = []
    for contest in running:
        if contest.id not in leave_out:
            boards += await contest_boards(
                contest, partner, partners, contests, settings, l10n, forgotten=forgotten
            )
    return boards


async def contest_boards(
    contest: Contest | None,
    partner: Partner | None,
    partners: PartnerService,
    contests: ContestService,
    settings: Settings,
    l10n: L10n,
    *,
    forgotten: int | None = None,
) -> list[Board]:
    """A contest's boards, one per prize category (None: the month's leaderboard).
    `forgotten`: a partner using /forget — still counted, but shown as one no longer
    linked («Партнёр»: `public_name`), unless another chat of theirs names them."""
    me = partner.affiliate_id if partner and partner.affiliate_status == "linked" else None
    boards: list[tuple[str, PrizeCategory | None, Standings]]
    if contest is None:
        boards = [(l10n("top-month"), None, await contests.month_leaderboard(settings.tz))]
        keys = ["month"]
    else:
        keys = [f"{contest.id}:{number}" for number in range(len(contest.prizes))]
        boards = [
            (
                l10n(
                    "top-contest",
                    title=html.escape(contest.title),
                    category=l10n(f"category-{category.category}"),
                ),
                category,
                await contests.standings(contest, category),
            )
            for category in contest.prizes
        ]
    result = []
    for key, (header, category, entries) in zip(keys, boards, strict=True):
        kind = category.category if category else None
        minimum = category.min_value if category else Decimal(0)
        below = None
        if contest and category:  # what is left to the threshold, as /contests says it
            below = await value_below(contests, contest, category, me)
        people = await partners.by_affiliates([e.key for e in entries[:TOP]], forgotten)
        text = board_text(
            header,
            entries,
            people,
            me,
            l10n,
            gaps=kind != "first_sales",
            personal=partner is not None,
            minimum=minimum,
            below=below,
            referrals=kind == "most_referrals",
        )
        rows = [
            (
                place,
                public_name(people.get(entry.key), entry.key, l10n),
                number(entry.value, l10n.language),
            )
            for place, entry in enumerate(entries[:TOP], start=1)
        ]
        plain = plain_text(header).removeprefix("🏆 ")
        title, _, subtitle = plain.partition(" — ")
        result.append(Board(text, title, subtitle, rows, key))
    return result


def contest_text(
    contest: Contest,
    mine: list[MyStanding] | None,
    running: bool,
    zone: ZoneInfo,
    l10n: L10n,
    *,
    personal: bool = True,
    ended: bool = False,
    open_to: str | None = None,
) -> str:
    """A contest's card; `personal` adds the partner's place (or how to take part);
    `running` / `ended` say it runs / ran instead of when it starts; `open_to`: the
    segments that take part, for a card everyone reads (the partners' group)."""
    start = contest.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
    end = contest.ends_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
    lines = [
        l10n("contest-title", title=html.escape(contest.title)),
        l10n(
            "contest-ended" if ended else "contest-running" if running else "contest-upcoming",
            start=start,
            end=end,
        ),
        html.escape(contest.description.strip()),
    ]
    if open_to:
        lines.append(l10n("contest-open-to", segments=html.escape(open_to)))
    if contest.restrictions.strip():
        lines.append(l10n("contest-restrictions", text=html.escape(contest.restrictions.strip())))
    lines.append(l10n("contest-prizes"))
    lines.extend(prize_lines(contest, l10n))
    if not personal:
        pass
    elif mine is None:
        lines.append(l10n("contest-link-first"))
    elif running:
        lines.append(l10n("contest-mine"))
        lines.extend(standing_lines(mine, l10n))
    return "\n".join(lines)


def prize_lines(contest: Contest, l10n: L10n) -> list[str]:
    """A line per prize category: its name, its threshold, the prize of each place."""
    lines = []
    for category in contest.prizes:
        places = "; ".join(
            l10n("contest-place", place=n, prize=html.escape(prize))
            for n, prize in enumerate(category.places, start=1)
        )
        minimum = number(category.min_value, l10n.language) if category.min_value else 0
        name = l10n(f"category-{category.category}")
        lines.append(l10n("contest-category", name=name, min=minimum, places=places))
    return lines


def standing_lines(mine: list[MyStanding], l10n: L10n) -> list[str]:
    """A partner's place in each prize category of a running contest."""
    lines = []
    for standing in mine:
        name = l10n(f"category-{standing.category.category}")
        if standing.below is not None:  # as /top says it (`value_below`)
            minimum = standing.category.min_value
            lines.append(
                l10n(
                    "contest-mine-below",
                    name=name,
                    min=number(minimum, l10n.language),
                    value=number(standing.below, l10n.language),
                    left=number(minimum - standing.below, l10n.language),
                )
            )
            continue
        if standing.place is None or standing.entry is None:
            lines.append(l10n("contest-mine-none", name=name))
            continue
        lines.append(
            l10n(
                "contest-mine-row",
                name=name,
                place=standing.place,
                value=number(standing.entry.value, l10n.language),
                pending=standing.entry.pending,
            )
        )
    return lines


async def winners_text(
    header: str,
    contest: Contest,
    results: list[list[Placed]],
    partners: PartnerService,
    l10n: L10n,
    zone: ZoneInfo,
) -> str:
    """The winners of each prize category for managers, who hand out the prizes: the
    partner's name (never hidden from managers), @username and chat, affiliate id, value
    and prize, and when they came into the contest's segments if that was after its start
    (their sales count since); `header` escaped by the caller."""
    keys = [placed.entry.key for places in results for placed in places]
    linked = await partners.linked_to([key for key in keys if not key.startswith("partner:")])
    lines = [header]
    for category, places in zip(contest.prizes, results, strict=True):
        lines.append(l10n("moment-results-category", name=l10n(f"category-{category.category}")))
        if not places:
            lines.append(l10n("moment-results-nobody"))
        for placed in places:
            key = placed.entry.key
            people = linked.get(key, [])
            if key.startswith("partner:") and key.removeprefix("partner:").isdigit():
                found = await partners.get(int(key.removeprefix("partner:")))
                people = [found] if found is not None else []
            shared = {
                "place": placed.place,
                "value": number(placed.entry.value, l10n.language),
                "prize": html.escape(placed.prize),
            }
            if key == FORGOTTEN_WINNER:  # kept as decided; nothing of them stays
                lines.append(l10n("contest-winners-forgotten", **shared))
                continue
            if not people:
                lines.append(l10n("contest-winners-gone", affiliate=html.escape(key), **shared))
                continue
            first = people[0]
            row = l10n(
                "contest-winners-row",
                name=html.escape(shown_name(first.first_name, first.partner_code, l10n)),
                who=html.escape("; ".join(person.who for person in people)),
                affiliate=html.escape(first.affiliate_id or "—"),
                **shared,
            )
            if placed.entry.joined is not None:
                since = placed.entry.joined.astimezone(zone).strftime("%d.%m %H:%M")
                key = (
                    "contest-winners-joined-breaks"
                    if placed.entry.breaks
                    else "contest-winners-joined"
                )
                row += " · " + l10n(key, since=since)
            lines.append(row)
    return "\n".join(lines)


def segments_of(contest: Contest, program: Program) -> str | None:
    """The segments a contest is for, by their titles (None: everyone)."""
    if not contest.segments:
        return None
    titles = [program.segment_title(segment) or segment for segment in contest.segments]
    return ", ".join(short_title(title) for title in titles)
