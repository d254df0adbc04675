"""Pydantic models of the content files (SPEC §4). Unknown keys are errors."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.names import NO_NAME, display_name, without_bidi

# ≤ 32 characters, so an id fits in a button's callback data (64 bytes) with room to spare
ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,31}$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
CONTENT_FILE = {"content_file": True}  # validation context of a content file (source.py)
MESSAGE_LIMIT = 4096  # characters of a message on Telegram and VK


def _at_most(limit: int) -> AfterValidator:
    """A text of a content file no longer than `limit` characters (one message, by
    default): a longer one could not be sent as the one message it is sent as. Texts
    stored before (a manager's contest in the database) load as they are."""

    def check(value: str, info: ValidationInfo) -> str:
        if len(value) > limit and (info.context or {}).get("content_file"):
            raise ValueError(f"has {len(value):,} characters: at most {limit:,}")
        return value

    return AfterValidator(check)


Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), _at_most(MESSAGE_LIMIT)
]
Plain = Annotated[str, _at_most(MESSAGE_LIMIT)]  # an optional text ("" for none)


def _visible(value: str) -> str:
    """A required display text: something visible once bidi controls and zero-width
    characters are gone (bot/names.py), or it is empty («🏆 —» in a list)."""
    if not display_name(value, ""):
        raise ValueError("must not be empty")
    return value


Shown = Annotated[Text, AfterValidator(_visible)]  # a required text the partner sees
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CreativeKind = Literal["landing", "banner", "keywords", "top_products", "description", "video"]
CREATIVE_KINDS: tuple[CreativeKind, ...] = (
    "landing",
    "banner",
    "keywords",
    "top_products",
    "description",
    "video",
)
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# what a partner may be sent as a link: the web, or a Telegram / VK address (review 17)
LINK_SCHEMES = ("http://", "https://", "tg://")


def _check_link(value: str) -> str:
    if not value.lower().startswith(LINK_SCHEMES):
        raise ValueError(f"a link must start with http:// or https:// (or tg://), got {value!r}")
    return value


Link = Annotated[Text, AfterValidator(_check_link)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_time(value: str) -> str:
    if not _TIME.match(value):
        raise ValueError(f"expected a time like 09:30, got {value!r}")
    return value


def short_title(title: str) -> str:
    """A segment's title without its explanation in brackets («Блогер (соцсети, YouTube)»
    is «Блогер»): for lists and buttons."""
    return title.split(" (", maxsplit=1)[0]


class Segment(Strict):
    id: Id
    title: Shown


class OnboardingQuestion(Strict):
    id: Id
    text: Text
    options: list[Text] | None = None


class Tier(Strict):
    id: Id
    title: Shown
    monthly_sales: int = Field(ge=0)
    perk: Plain = ""


class WeeklyMoment(Strict):
    weekday: Weekday
    time: str

    _time = field_validator("time")(_check_time)


class QuietHours(Strict):
    start: str = "22:00"
    end: str = "09:00"

    _times = field_validator("start", "end")(_check_time)


class Schedule(Strict):
    announce_lead_days: int = Field(default=7, ge=0)
    reminder_days_before: list[int] = Field(default_factory=lambda: [3, 1])
    leaderboard: WeeklyMoment = WeeklyMoment(weekday="mon", time="10:00")
    digest: WeeklyMoment = WeeklyMoment(weekday="fri", time="12:00")
    inactive_after_days: int = Field(default=30, ge=1)
    ticket_sla_hours: int = Field(default=4, ge=1)
    ticket_reopen_hours: int = Field(default=72, ge=0)
    lesson_drip_days: int = Field(default=2, ge=0)
    quiet_hours: QuietHours = QuietHours()
    max_automated_per_week: int = Field(default=5, ge=0)


class Postback(Strict):
    status_map: dict[str, Literal["pending", "approved", "declined"]] = Field(default_factory=dict)
    # the one currency sales are counted in: a conversion in another is refused
    currency: str = "RUB"

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise ValueError(f"expected an ISO code such as RUB, got {value!r}")
        return value.upper()


class FaqSettings(Strict):
    # a phrasing confirmed by this many different partners is learned without review
    # (0: a manager reviews every one)
    auto_approve_after: int = Field(default=2, ge=0)


class Program(Strict):
    name: Text
    support_contact: Text
    rules: Plain = ""
    welcome: Plain = ""
    segments: list[Segment] = Field(min_length=1)
    onboarding_questions: list[OnboardingQuestion] = Field(default_factory=list)
    tiers: list[Tier] = Field(default_factory=list)
    schedule: Schedule = Schedule()
    postback: Postback = Postback()
    faq: FaqSettings = FaqSettings()

    def segment_title(self, segment_id: str | None) -> str | None:
        for segment in self.segments:
            if segment.id == segment_id:
                return segment.title
        return None


class FaqEntry(Strict):
    id: Id
    topic: Shown
    question: Shown
    answer: Shown
    alt: list[Text] = Field(default_factory=list)
    keywords: list[Text] = Field(default_factory=list)
    segments: list[Id] = Field(default_factory=list)

    def visible_to(self, segment: str | None) -> bool:
        return not self.segments or segment in self.segments


# the FAQ reader's words (bot/services/faq_text.py `words`) and its longest vocabulary phrase
_LEXICON_WORD = re.compile(r"[a-zа-я0-9]+|[%$₽]")
LEXICON_MAX_PHRASE = 3


def _check_phrase(value: str) -> str:
    count = len(_LEXICON_WORD.findall(value.lower().replace("ё", "е")))
    if count > LEXICON_MAX_PHRASE:
        raise ValueError(
            f"{value!r} has {count} words: a phrase may have up to {LEXICON_MAX_PHRASE} "
            "(a longer one would never be used); split it or keep its telling words"
        )
    return value


class LexiconItem(Strict):
    """A program's own words for the FAQ matcher: `words` mean `means`."""

    words: list[Annotated[Text, AfterValidator(_check_phrase)]] = Field(min_length=1)
    means: Text


class LessonMeta(Strict):
    id: Id
    title: Shown
    order: int
    segments: list[Id] = Field(default_factory=list)
    attachments: list[Text] = Field(default_factory=list)


class Lesson(Strict):
    id: str
    title: str
    order: int
    segments: list[str]
    attachments: list[str]
    body: str

    def visible_to(self, segment: str | None) -> bool:
        return not self.segments or segment in self.segments

    @property
    def links(self) -> list[str]:
        return [item for item in self.attachments if item.startswith(("http://", "https://"))]

    @property
    def files(self) -> list[str]:
        """Attachments that are files in the content folder (relative paths)."""
        return [item for item in self.attachments if item not in self.links]


class Creative(Strict):
    id: Id
    kind: CreativeKind
    title: Shown
    file: Text | None = None
    url: Link | None = None
    text: Text | None = None
    segments: list[Id] = Field(default_factory=list)
    added: date | None = None  # when it appeared: the weekly digest lists the week's new ones

    @model_validator(mode="after")
    def _one_source(self) -> Creative:
        """One of file or url, with an optional text (the caption, the words under the
        link); or a text alone (a keyword list, a description)."""
        if self.file is not None and self.url is not None:
            raise ValueError("give file or url, not both (text may go beside either)")
        if self.file is None and self.url is None and self.text is None:
            raise ValueError("give one of file, url or text")
        return self

    def visible_to(self, segment: str | None) -> bool:
        return not self.segments or segment in self.segments


PrizeKind = Literal["first_sales", "most_sales", "top_amount", "most_referrals"]
PRIZE_KINDS: tuple[PrizeKind, ...] = ("first_sales", "most_sales", "top_amount", "most_referrals")
# categories that count (sales, partners), not sum: their `min_value` is a whole number,
# in a contest file as in /contest_new — the thing each counts
COUNTED: dict[str, str] = {"most_sales": "sales", "most_referrals": "partners"}


# the highest threshold a prize category may ask for (sales, roubles or referrals): any
# real one is far below; a bigger number is a typo that would print hundreds of digits
MAX_PRIZE_MINIMUM = Decimal(1_000_000_000)
MAX_HOLD_DAYS = 90
MAX_CONTEST_DAYS = 365  # a contest runs at most a year (in a file or /contest_new)


def _shown_text(value: object, info: ValidationInfo) -> object:
    """A contest's text (from a file, a manager's dialog or the database) without bidi
    controls, which would turn around the lines it is shown on (/contests_admin, lists,
    /schedule); letters of right-to-left scripts stay. In a content file, one with nothing
    visible is empty; from the database (stored before this rule) it becomes «—» rather
    than failing to load."""
    if not isinstance(value, str):
        return value
    if (info.context or {}).get("content_file") and value.strip() and not display_name(value, ""):
        raise ValueError("must not be empty")
    cleaned = without_bidi(value)
    return cleaned if cleaned.strip() or cleaned == value else NO_NAME


class PrizeCategory(Strict):
    category: PrizeKind
    # the prize text for each place
    places: list[Annotated[Text, BeforeValidator(_shown_text)]] = Field(min_length=1)
    min_value: Decimal = Field(
        default=Decimal(0), ge=0, le=MAX_PRIZE_MINIMUM
    )  # to qualify (sales, ₽, referrals)


# as /contest_new takes them (bot/services/contest_drafts.py)
CONTEST_TITLE_LIMIT = 100
CONTEST_TEXT_LIMIT = 1500  # a description, the restrictions
CONTEST_YEARS = (2000, 2100)  # a contest file's moments


class Contest(Strict):
    id: Id
    title: Annotated[Text, _at_most(CONTEST_TITLE_LIMIT)]
    description: Annotated[Text, _at_most(CONTEST_TEXT_LIMIT)]
    starts_at: datetime
    ends_at: datetime
    segments: list[Id] = Field(default_factory=list)
    restrictions: Annotated[str, _at_most(CONTEST_TEXT_LIMIT)] = ""
    prizes: list[PrizeCategory] = Field(min_length=1)
    hold_days: int = Field(default=0, ge=0, le=MAX_HOLD_DAYS)
    one_prize_per_partner: bool = False

    _texts_shown = field_validator("title", "description", "restrictions", mode="before")(
        _shown_text
    )

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime, info: ValidationInfo) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the time zone, e.g. 2026-12-01T10:00:00+03:00")
        if (info.context or {}).get("content_file") and not (
            CONTEST_YEARS[0] <= value.year <= CONTEST_YEARS[1]
        ):  # the year 9999 would overflow the reminders' and results' times
            raise ValueError(
                f"must be in the years {CONTEST_YEARS[0]} to {CONTEST_YEARS[1]} (got {value.year})"
            )
        return value

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at")
        if isinstance(starts, datetime) and value <= starts:
            raise ValueError("must be after starts_at")
        if isinstance(starts, datetime) and (value - starts).days >= MAX_CONTEST_DAYS:
            raise ValueError(f"a contest runs at most {MAX_CONTEST_DAYS} days")
        return value

    def visible_to(self, segment: str | None) -> bool:
        return not self.segments or segment in self.segments


class Template(Strict):
    key: Id
    text: Text


class Content(Strict):
    """A whole, validated content folder."""

    root: Path
    program: Program
    faq: list[FaqEntry]
    lessons: list[Lesson]
    creatives: list[Creative]
    templates: list[Template]
    locales: dict[str, str]  # language -> Fluent source overriding the shipped texts
    contests: list[Contest] = Field(default_factory=list)
    lexicon: list[LexiconItem] = Field(default_factory=list)
    # read by /reload: the new contests whose start had passed, by id, each with the place
    # of its `starts_at` (bot.content.references.check_contests)
    late_contests: dict[str, str] = Field(default_factory=dict)

    def faq_entry(self, entry_id: str) -> FaqEntry | None:
        return next((entry for entry in self.faq if entry.id == entry_id), None)

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def creative(self, creative_id: str) -> Creative | None:
        return next((item for item in self.creatives if item.id == creative_id), None)
