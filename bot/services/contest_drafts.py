"""What a manager types in /contest_new and /contests_admin, read into contest fields.

Each reader returns the value or raises `DraftError` with the key of the text that says
what is wrong; the dialog shows it and asks the same step again.
"""

from __future__ import annotations

import calendar
import re
import secrets
from datetime import MINYEAR, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.content.models import (
    CONTEST_TEXT_LIMIT,
    CONTEST_TITLE_LIMIT,
    COUNTED,
    MAX_CONTEST_DAYS,
    MAX_HOLD_DAYS,
    MAX_PRIZE_MINIMUM,
    PRIZE_KINDS,
    Contest,
    Program,
    short_title,
)
from bot.content.references import CARD_PLACES_LIMIT, CARD_TEXTS_LIMIT
from bot.names import display_name, without_bidi
from bot.services.onboarding import matching_option

TITLE_LIMIT: Final = CONTEST_TITLE_LIMIT  # as a contest file's (models.py)
DESCRIPTION_LIMIT: Final = CONTEST_TEXT_LIMIT
MAX_AHEAD_DAYS: Final = 365  # an announcement or a contest's start: at most a year ahead
# Russian names a manager may type instead of the category ids
CATEGORY_NAMES: Final = {
    "первые продажи": "first_sales",
    "первые": "first_sales",
    "больше продаж": "most_sales",
    "больше всего продаж": "most_sales",
    "продажи": "most_sales",
    "сумма": "top_amount",
    "сумма продаж": "top_amount",
    "рефералы": "most_referrals",
    "приглашённые": "most_referrals",
    "приглашенные": "most_referrals",
}
# ASCII digits only, as every number a manager types (`only_ascii_digits`)
_MOMENT = re.compile(
    r"^\s*([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})(?:\s+([0-9]{1,2}):([0-9]{2}))?\s*$"
)
_PLAIN_NUMBER: Final = re.compile(r"[0-9]+(?:[.,][0-9]+)?")  # as conversions._amount
_NONE_WORDS: Final = frozenset({"-", "—", "нет", "no", "none", "все", "all"})
_EVERYONE_WORDS: Final = frozenset({"все", "всем", "all", "everyone"})


class DraftError(Exception):
    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


def only_ascii_digits(text: str) -> None:
    """Numbers are typed with 0–9: other scripts' digits («٢٠», full-width «２０») are
    refused saying so (dates, hold days; a threshold's refusal names its line and 0–9)."""
    if any(char.isdigit() and not char.isascii() for char in text):
        raise DraftError("draft-error-digits")


def read_text(text: str, limit: int) -> str:
    """A title or a description, without bidi controls (they would turn the lines it is
    shown on around; letters of right-to-left scripts stay)."""
    value = without_bidi(text).strip()
    if not display_name(value, ""):  # nothing visible (zero-width, blank-looking)
        raise DraftError("draft-error-empty")
    if len(value) > limit:
        raise DraftError("draft-error-too-long", limit=limit, length=len(value))
    return value


def read_moment(
    text: str, zone: ZoneInfo, *, end_of_day: bool = False, time_needed: bool = False
) -> datetime:
    """DD.MM.YYYY [HH:MM] in the program's time zone; a bare date is its start (or, for an
    end, its last minute), or refused asking for the time too (`time_needed`: a moment,
    not a day — midnight is in the quiet hours). A date not in the calendar is refused
    saying what is wrong with it, and with the time too when that is wrong as well
    («99.99.9999 99:99»)."""
    only_ascii_digits(text)
    match = _MOMENT.match(text)
    if match is None:
        raise DraftError("draft-error-date-format")
    day, month, year = (int(part) for part in match.groups()[:3])
    hour = None if match[4] is None else int(match[4])
    minute = None if match[5] is None else int(match[5])
    time_wrong = hour is not None and minute is not None and (hour > 23 or minute > 59)
    wrong, days = _date_problem(day, month, year)
    if wrong:
        raise DraftError("draft-error-date-invalid", what=wrong, days=days, time=int(time_wrong))
    if time_wrong:  # «25:00» is a bad time, not a bad date
        raise DraftError("draft-error-time-invalid")
    if hour is None and time_needed:
        raise DraftError("draft-error-time-needed", date=f"{day:02d}.{month:02d}.{year:04d}")
    moment = datetime(year, month, day, hour or 0, minute or 0, tzinfo=zone)
    if hour is None and end_of_day:
        moment += timedelta(days=1, minutes=-1)
    return moment


def _date_problem(day: int, month: int, year: int) -> tuple[str, int]:
    """What is wrong with a date ("" when nothing): the month (and the day, when it is past
    any month's), the year (0000), or the day for that month; and that month's days."""
    if not 1 <= month <= 12:
        return ("month" if 1 <= day <= 31 else "month-day"), 31
    if year < MINYEAR:
        return "year", 31
    days = calendar.monthrange(year, month)[1]
    return ("" if 1 <= day <= days else "day"), days


def read_future(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """A moment after `now` and at most MAX_AHEAD_DAYS ahead: an announcement's time, a
    contest's start (review 7: «01.01.9999» is a typo, not a plan); with its time (a
    bare date is refused, never read as midnight)."""
    moment = read_moment(text, zone, time_needed=True)
    if moment <= now:
        raise DraftError("draft-error-date-past")
    if moment > now + timedelta(days=MAX_AHEAD_DAYS):
        raise DraftError("draft-error-date-too-far", days=MAX_AHEAD_DAYS)
    return moment


def read_start(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    return read_future(text, zone, now)


def read_end(text: str, zone: ZoneInfo, starts_at: datetime) -> datetime:
    moment = read_moment(text, zone, end_of_day=True)
    if moment <= starts_at:
        raise DraftError("draft-error-end-before-start")
    if moment - starts_at > timedelta(days=MAX_CONTEST_DAYS):
        raise DraftError("draft-error-contest-too-long", days=MAX_CONTEST_DAYS)
    return moment


def read_dates(text: str, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """ "start — end" in one answer (editing a contest's dates)."""
    # a dash with or without spaces around it («10:00-12.01.2027»): a date has none
    parts = re.split(r"\s*[—–-]\s*", text.strip())
    if len(parts) != 2:
        raise DraftError("draft-error-dates-pair")
    starts_at = read_start(parts[0], zone, now)
    return starts_at, read_end(parts[1], zone, starts_at)


def read_segments(text: str, program: Program) -> list[str]:
    """'все' (everyone), or segment ids or titles separated by commas."""
    if text.strip().lower() in _NONE_WORDS:
        return []
    known = {segment.id.lower(): segment.id for segment in program.segments}
    known.update({_short(segment.title): segment.id for segment in program.segments})
    chosen: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[,;\n]+", without_bidi(text)):
        name = part.strip()
        if not name:
            continue
        segment = known.get(name) or known.get(_fold(name)) or _by_stem(_fold(name), known)
        if segment is None:  # its own words, as onboarding reads a typed option
            typed = matching_option(name, [each.title for each in program.segments])
            segment = program.segments[typed].id if typed is not None else None
        if segment is None and name.lower() in _EVERYONE_WORDS:
            raise DraftError("draft-error-segments-everyone")  # "все" beside segments
        if segment is None:
            unknown.append(name)
        elif segment not in chosen:
            chosen.append(segment)
    if unknown or not chosen:
        titles = ", ".join(short_title(segment.title) for segment in program.segments)
        raise DraftError("draft-error-segments", unknown=", ".join(unknown) or "—", known=titles)
    return chosen


def read_prizes(text: str) -> list[dict[str, Any]]:
    """One category a line: `category: prize 1; prize 2 | from 3`."""
    prizes: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = without_bidi(raw).strip()
        if not line:
            continue
        name, colon, rest = line.partition(":")
        kind = _category(name)
        if kind is None or not colon:
            raise DraftError(
                "draft-error-category", line=number, name=name.strip() or line, known=_kinds()
            )
        places_text, _bar, minimum_text = rest.partition("|")
        places = [place.strip() for place in places_text.split(";") if place.strip()]
        if not places:
            raise DraftError("draft-error-no-places", line=number, name=name.strip())
        if len(places) > CARD_PLACES_LIMIT:  # the card is one message (content-checks.md)
            raise DraftError(
                "draft-error-too-many-places",
                line=number, name=name.strip(), count=len(places), limit=CARD_PLACES_LIMIT,
            )  # fmt: skip
        minimum = _minimum(minimum_text, number)
        if kind in COUNTED and minimum != minimum.to_integral_value():
            # a number of sales or referrals is whole («от 3,5» is no threshold of a count)
            raise DraftError("draft-error-minimum-whole", line=number, name=name.strip())
        if any(prize["category"] == kind for prize in prizes):
            raise DraftError("draft-error-category-twice", line=number, name=name.strip())
        prizes.append({"category": kind, "places": places, "min_value": str(minimum)})
    if not prizes:
        raise DraftError("draft-error-no-prizes")
    return prizes


def check_card(
    title: str, description: str, restrictions: str, prizes: list[dict[str, Any]]
) -> None:
    """A contest's card (its announcement, /contests, a change of prizes told) is one
    message: its texts together at most CARD_TEXTS_LIMIT characters, as a contest file's
    (bot/content/references.py) — else DraftError naming how many there are."""
    places = [place for prize in prizes for place in prize["places"]]
    total = sum(len(text) for text in (title, description, restrictions, *places))
    if total > CARD_TEXTS_LIMIT:
        raise DraftError("draft-error-card-too-long", count=total, limit=CARD_TEXTS_LIMIT)


def read_hold_days(text: str) -> int:
    value = text.strip()
    only_ascii_digits(value)
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_HOLD_DAYS:
        raise DraftError("draft-error-hold", limit=MAX_HOLD_DAYS)
    return int(value)


def read_restrictions(text: str) -> str:
    value = without_bidi(text).strip()
    return "" if value.lower() in _NONE_WORDS else read_text(value, DESCRIPTION_LIMIT)


def _short(title: str) -> str:
    """A segment's title without its explanation in brackets, lowercase (ё as е)."""
    return _fold(short_title(title))


def _fold(name: str) -> str:
    return " ".join(name.lower().replace("ё", "е").split())


def _by_stem(name: str, known: dict[str, str]) -> str | None:
    """The one segment whose id or short title `name` is another form of, word by word
    («блогеры», «вебмастера», «дизайнеры интерьера»): each word the same but for an
    ending of at most two letters, on a stem of at least four."""
    words = name.split()

    def same(word: str, other: str) -> bool:
        stem = 0
        while stem < min(len(word), len(other)) and word[stem] == other[stem]:
            stem += 1
        return stem >= 4 and len(word) - stem <= 2 and len(other) - stem <= 2

    found = {
        segment
        for title, segment in known.items()
        if len(title.split()) == len(words)
        and all(same(w, t) for w, t in zip(words, title.split(), strict=True))
    }
    return found.pop() if len(found) == 1 else None


def _category(name: str) -> str | None:
    key = name.strip().lower()
    if key in PRIZE_KINDS:
        return key
    return CATEGORY_NAMES.get(key)


def _kinds() -> str:
    return ", ".join(PRIZE_KINDS)


def _minimum(text: str, line: int) -> Decimal:
    """A threshold: ASCII digits with one `.` or `,`, spaces may group thousands (unlike
    the sales CSV and postbacks, a person types it); no exponent («1e9»), sign, `_` or
    other scripts' digits."""
    cleaned = re.sub(r"^\s*(от|from|min)\s*", "", text.strip(), flags=re.IGNORECASE)
    cleaned = re.sub(r"[ \u00a0\u202f]", "", cleaned)  # 5 000, with a (narrow) no-break space too
    if not cleaned:
        return Decimal(0)
    if not _PLAIN_NUMBER.fullmatch(cleaned):
        raise DraftError("draft-error-minimum", line=line, typed=_as_typed(text))
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise DraftError("draft-error-minimum", line=line, typed=_as_typed(text)) from exc
    if value > MAX_PRIZE_MINIMUM:
        raise DraftError("draft-error-minimum-too-big", line=line, limit=int(MAX_PRIZE_MINIMUM))
    return value


def _as_typed(text: str, limit: int = 40) -> str:
    """What was typed, to quote in a refusal: trimmed, at most `limit` characters."""
    value = text.strip()
    return value if len(value) <= limit else value[:limit] + "…"


def new_id(starts_at: datetime) -> str:
    """A short id for a manager's contest, e.g. c261214-4f2a."""
    return f"c{starts_at:%y%m%d}-{secrets.token_hex(2)}"


def build(data: dict[str, Any]) -> Contest:
    """The contest from the dialog's collected fields (ISO dates, as stored in the FSM)."""
    try:
        return Contest.model_validate(
            {
                "id": data["id"],
                "title": data["title"],
                "description": data["description"],
                "starts_at": data["starts_at"],
                "ends_at": data["ends_at"],
                "segments": data.get("segments", []),
                "restrictions": data.get("restrictions", ""),
                "prizes": data["prizes"],
                "hold_days": data.get("hold_days", 0),
                "one_prize_per_partner": data.get("one_prize_per_partner", False),
            }
        )
    except (KeyError, ValidationError) as exc:
        raise DraftError("draft-error-incomplete") from exc
