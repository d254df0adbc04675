"""A conversion as it comes in (SPEC §6): a postback's or a CSV row's fields validated into
a `ConversionIn`, and the one rule of what it does to the stored conversion (`decide`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

STATUSES: Final = ("pending", "approved", "declined")
ALLOWED: Final = frozenset(
    {("pending", "approved"), ("pending", "declined"), ("approved", "declined")}
)
FIELDS: Final = ("partner", "conversion_id", "status", "amount", "currency", "ts")
MAX_AMOUNT: Final = Decimal("9999999999.99")
DEFAULT_CURRENCY: Final = "RUB"  # program.yaml postback.currency when not given
MAX_AHEAD: Final = timedelta(days=1)  # a sale's ts may be this far ahead of our clock
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)  # and not before this (0 is a mistake)
_UNIX = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_BASIC_DATE = re.compile(r"[0-9]{8}")  # 20261104: a date, not unix seconds of 1970
_AFFILIATE = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
_CONVERSION = re.compile(r"^[\x21-\x7e]{1,128}$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
# the two patterns above in words: a refusal states the rule that refused it
PARTNER_RULE: Final = "Latin letters, digits and _ . : @ - only (no spaces), at most 64 characters"
CONVERSION_RULE: Final = (
    "Latin letters, digits and ASCII punctuation only (no spaces), at most 128 characters"
)

Result = Literal["inserted", "updated", "unchanged"]


class InvalidConversion(Exception):
    """A postback or CSV row that cannot be stored; names the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


class TransitionRefused(Exception):
    """A status change that is not allowed (declined → approved, approved → pending)."""

    field = "status"

    def __init__(self, conversion_id: str, old: str, new: str) -> None:
        super().__init__(f"conversion {conversion_id}: {old} → {new} is not allowed")
        self.old = old
        self.new = new


class OtherPartnersConversion(TransitionRefused):
    """A conversion id already stored for another affiliate id: never an edit of someone
    else's sale (the other id is not told)."""

    field = "partner"

    def __init__(self, conversion_id: str) -> None:
        Exception.__init__(
            self, f"conversion {conversion_id} belongs to another partner; nothing changed"
        )
        self.old = self.new = ""


@dataclass(frozen=True)
class ConversionIn:
    affiliate_id: str
    conversion_id: str
    status: str
    amount: Decimal
    currency: str | None
    occurred_at: datetime | None


def valid_affiliate_id(text: str) -> bool:
    return bool(_AFFILIATE.match(text))


def parse_conversion(
    raw: Mapping[str, str],
    status_map: Mapping[str, str],
    now: datetime | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> ConversionIn:
    """Validate one postback or CSV row; the first bad field raises InvalidConversion.
    With `now`, a `ts` more than a day after it is refused (a wrong year, a wrong zone).
    The program counts in one `currency` (program.yaml `postback.currency`): a conversion
    in another is refused, never added to the sums as if it were in this one."""

    def value(name: str) -> str:
        return (raw.get(name) or "").strip()

    affiliate = value("partner")
    if not affiliate:
        raise InvalidConversion("partner", "required")
    if not _AFFILIATE.match(affiliate):
        raise InvalidConversion("partner", PARTNER_RULE)
    conversion_id = value("conversion_id")
    if not conversion_id:
        raise InvalidConversion("conversion_id", "required")
    if not _CONVERSION.match(conversion_id):
        raise InvalidConversion("conversion_id", CONVERSION_RULE)
    raw_status = value("status")
    if not raw_status:
        raise InvalidConversion("status", "required")
    status = status_map.get(raw_status) or status_map.get(raw_status.lower()) or raw_status.lower()
    if status not in STATUSES:
        raise InvalidConversion("status", f"unknown status {raw_status!r}")
    return ConversionIn(
        affiliate_id=affiliate,
        conversion_id=conversion_id,
        status=status,
        amount=_amount(value("amount")),
        currency=_currency(value("currency"), currency),
        occurred_at=_moment(value("ts"), now),
    )


_PLAIN_DECIMAL: Final = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def _amount(text: str) -> Decimal:
    """A plain decimal: ASCII digits with one `.` or `,` (no exponent, `_`, spaces, other
    scripts' digits, `+`); a `-` is read, then refused as below zero (minus zero too)."""
    if not text:
        raise InvalidConversion("amount", "required")
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise InvalidConversion("amount", f"not a plain decimal number: {text[:40]!r}")
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidConversion("amount", f"not a number: {text[:40]!r}") from None
    if not amount.is_finite() or amount.is_signed():
        raise InvalidConversion("amount", "a decimal ≥ 0")
    if amount > MAX_AMOUNT:
        raise InvalidConversion("amount", f"too large (at most {MAX_AMOUNT})")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidConversion("amount", "at most 2 decimal places")
    return amount.quantize(Decimal("0.01"))


def _currency(text: str, program: str) -> str | None:
    if not text:
        return None
    if not _CURRENCY.match(text):
        raise InvalidConversion("currency", "three Latin letters, an ISO code such as RUB")
    if text.upper() != program:
        raise InvalidConversion(
            "currency",
            f"{text.upper()}: the program counts sales in {program} only (postback.currency"
            f" in program.yaml); send the amount converted to {program}",
        )
    return text.upper()


def _moment(text: str, now: datetime | None) -> datetime | None:
    """An ISO 8601 moment (with its offset; none: UTC) or unix seconds (a number, except
    eight digits: an ISO date such as 20261104), in UTC, not before 2000-01-01 and —
    with `now` — at most a day after it."""
    if not text:
        return None
    if not (text.isascii() and text.isprintable()):  # «…T05:00:00\x00» read as the moment
        raise InvalidConversion("ts", "ISO 8601 or unix seconds")
    if _UNIX.fullmatch(text) and not _ISO_BASIC_DATE.fullmatch(text):
        seconds = Decimal(text)
        if seconds < Decimal(int(EARLIEST.timestamp())):
            raise InvalidConversion("ts", f"not before {EARLIEST.date().isoformat()}")
        try:
            moment = datetime.fromtimestamp(float(seconds), UTC)
        except (ValueError, OverflowError, OSError):  # beyond the year 9999
            raise InvalidConversion("ts", "more than a day in the future") from None
    else:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):
            raise InvalidConversion("ts", "ISO 8601 or unix seconds") from None
    if moment < EARLIEST:
        raise InvalidConversion("ts", f"not before {EARLIEST.date().isoformat()}")
    if now is not None and moment > now + MAX_AHEAD:
        raise InvalidConversion("ts", "more than a day in the future")
    return moment


def decide(current: Mapping[str, Any] | None, item: ConversionIn) -> Result:
    """What a conversion does to the stored one (a row's status, amount and currency):
    inserted, updated, unchanged; or TransitionRefused. The one rule for both paths."""
    if current is None:
        return "inserted"
    if current["affiliate_id"] != item.affiliate_id:
        raise OtherPartnersConversion(item.conversion_id)
    same_status = current["status"] == item.status
    if (
        same_status
        and current["amount"] == item.amount
        and (item.currency is None or current["currency"] == item.currency)
    ):
        return "unchanged"
    if not same_status and (current["status"], item.status) not in ALLOWED:
        raise TransitionRefused(item.conversion_id, current["status"], item.status)
    return "updated"
