"""Reading a partner's typed onboarding answers (SPEC §5): an option typed instead of
pressed, and a consent typed as a word."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from bot.content.models import Program
from bot.names import unformatted
from bot.services.faq_text import transliterate

LATIN_WORD: Final = re.compile("[a-z]+")

# a typed answer to an onboarding question (one phrase): longer is refused, saying so
ANSWER_LIMIT: Final = 200
YES_WORDS: Final = frozenset(("да", "ага", "конечно", "давайте", "yes", "sure", "ok", "ок"))
NO_WORDS: Final = frozenset(("нет", "не надо", "не нужно", "no", "no thanks"))


# an answer longer than this is not read for amounts and spans (the patterns that read them
# cost steps growing with the square of a run of digits: 4,000 of them, seconds)
NUMBERS_UP_TO: Final = 200


def matching_option(text: str, options: Sequence[str]) -> int | None:
    """The option a typed answer means: the same words, or the only option that starts
    with them (at least 3 letters), or the only option that has each word typed, read by
    its stem and in either alphabet («телеграм канал» is «Владелец Telegram-канала»);
    failing those, the same with numbers written out («больше 10к» is «Больше 10 000»);
    None when it fits none, or several."""
    typed = " ".join(unformatted(text).casefold().replace("ё", "е").split()).strip(" .!")
    if not typed:
        return None
    names = [" ".join(option.casefold().replace("ё", "е").split()) for option in options]
    chosen = _chosen(typed, names)
    if len(typed) > NUMBERS_UP_TO:  # numbers are read in an answer, not in a wall of text
        return chosen
    if chosen is None and any(map(str.isdigit, typed)):  # «больше 10к»: «Больше 10 000»
        chosen = _chosen(_numbers(typed), [_numbers(name) for name in names])
    if chosen is None:  # «5 лет» is «Больше года», «15000» «Больше 10 000»
        chosen = _by_value(typed, names)
    return chosen


# a span of time as people write it, in months: «5 лет», «лет 5», «2 года», «полгода»,
# «3 мес.»; an option's unit alone is one of it («До года»: up to 12 months)
_MONTHS: Final = (
    (re.compile(r"(?<!\w)(?:год|года|лет|г\.)(?!\w)"), 12),
    (re.compile(r"(?<!\w)(?:месяц|месяца|месяцев|мес\.?)(?!\w)"), 1),
    (re.compile(r"(?<!\w)(?:недел[яиьюь]|недель|нед\.?)(?!\w)"), 0.25),
)
_HALF_YEAR: Final = re.compile(r"(?<!\w)(?:полгода|пол года)(?!\w)")
_BOUND: Final = re.compile(r"^(до|больше|от|свыше|более|менее|меньше)(?!\w)")
_A_NUMBER: Final = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w])")


def _value(text: str) -> tuple[str, float] | None:
    """(unit, value) of the one amount or span of time `text` names: («months», 60) for
    «лет 5 уже», («», 15000) for «15к»; None for none, or several."""
    if _HALF_YEAR.search(text):
        return "months", 6.0
    text = _numbers(text)
    found = _A_NUMBER.findall(text)
    units = [months for word, months in _MONTHS if word.search(text)]
    if len(found) > 1 or len(units) > 1:
        return None
    number = float(found[0].replace(",", ".")) if found else None
    if units:
        return "months", (1.0 if number is None else number) * units[0]
    return None if number is None else ("", number)


def _by_value(typed: str, names: list[str]) -> int | None:
    """The only option whose bound holds the amount or span typed: «До года» takes
    «полгода» and «3 месяца», «Больше года» «лет 5 уже», «Больше 10 000» «15к» (an answer
    with «до» or «больше» of its own was read as words already)."""
    if _BOUND.match(typed):
        return None
    value = _value(typed)
    if value is None:
        return None
    if value[0] == "" and not _SCALED.search(typed) and any(map(_SCALED.search, names)):
        return None  # «10» among «до 10 тыс.», «10–50 тыс.»: ten, or ten thousand?
    fits = [index for index, name in enumerate(names) if _holds(name, *value)]
    return fits[0] if len(fits) == 1 else None


_SCALED: Final = re.compile(r"\d\s?(?:к|k|тыс|млн|m)(?!\w)|(?<!\w)(?:тыс|млн)")
_SPAN: Final = re.compile(r"(\d+(?:[.,]\d+)?)\s*[–—-]\s*(.+)")


def _holds(name: str, unit: str, value: float) -> bool:
    """Whether the option `name` («До года», «Больше 10 000», «1 000–10 000») holds a
    `value` in `unit`."""
    bound = _BOUND.match(name)
    if bound is not None:
        limit = _value(name[bound.end() :])
        if limit is None or limit[0] != unit:
            return False
        below = bound.group(1) in ("до", "менее", "меньше")
        return value <= limit[1] if below else value > limit[1]
    span = _SPAN.fullmatch(_numbers(name))
    high = _value(span.group(2)) if span else None
    if span is None or high is None or high[0] != unit:
        return False
    low = float(span.group(1).replace(",", ".")) * (high[1] / _plain(span.group(2)))
    return low <= value <= high[1]


def _plain(text: str) -> float:
    """The number written in `text` (1 when only a unit is: «года»)."""
    found = _A_NUMBER.findall(_numbers(text))
    return float(found[0].replace(",", ".")) if found else 1.0


def _chosen(typed: str, names: list[str]) -> int | None:
    if typed in names:
        return names.index(typed)
    starting = [i for i, name in enumerate(names) if len(typed) >= 3 and name.startswith(typed)]
    if starting:
        return starting[0] if len(starting) == 1 else None
    asked = _stems(typed)
    having = [i for i, name in enumerate(names) if asked and asked <= _stems(name)]
    return having[0] if len(having) == 1 else None


# a number as people write it: «10 000», «10к», «10 тыс.», «1,5 млн», «10k»
_NUMBER: Final = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?)"
    r"(?:[ \u00a0]?(к|k|тыс(?:яч[аи]?)?\.?|млн\.?|m)(?![\w]))?"
)
# «10–50 тыс.»: the first number is thousands too
_RANGE: Final = re.compile(
    r"(\d+(?:[.,]\d+)?)(\s*[–—-]\s*|\s+до\s+)(?=\d+(?:[.,]\d+)?[ \u00a0]?(к|k|тыс|млн|m)(?!\w))"
)
# «более 10 тыс.», «свыше 10к», «> 10000» as «больше …»; «меньше», «менее», «<» as «до»
_SAME_AS: Final = (
    (re.compile(r"(?<!\w)(?:более|свыше)(?!\w)|>\s*(?=\d)"), "больше "),
    (re.compile(r"(?<!\w)(?:менее|меньше)(?!\w)|<\s*(?=\d)"), "до "),
)
_MORE_PLUS: Final = re.compile(r"(\d[\d \u00a0\u202f.,]*\s?(?:к|k|тыс\.?|млн\.?)?)\s*\+")
_TIMES: Final = {"к": 1000, "k": 1000, "тыс": 1000, "млн": 1_000_000, "m": 1_000_000}


def _numbers(text: str) -> str:
    """The text with each number written out in digits («больше 10к» is «больше 10000», as
    is the option «Больше 10 000»)."""

    text = _RANGE.sub(lambda found: found.group(1) + found.group(3) + found.group(2), text)
    text = _MORE_PLUS.sub(lambda found: "больше " + found.group(1), text)  # «10 000+»
    for word, same in _SAME_AS:
        text = " ".join(word.sub(same, text).split())

    def digits(found: re.Match[str]) -> str:
        number = found.group(1).replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
        suffix = (found.group(2) or "").rstrip(".")
        times = next((value for key, value in _TIMES.items() if suffix.startswith(key)), 1)
        if times == 1:
            return number
        value = float(number.replace(",", ".")) * times
        return str(int(value)) if value.is_integer() else found.group(0)

    return _NUMBER.sub(digits, text)


STEM: Final = 5  # letters of a word compared: «канал» and «канала», «блогер» and «блогеры»


def _stems(text: str) -> set[str]:
    """The text's words of two letters or more (digits too), Latin read as Cyrillic,
    each cut to its first `STEM` letters."""
    words = re.findall(r"[^\W_]{2,}", text)
    return {(transliterate(word) if LATIN_WORD.fullmatch(word) else word)[:STEM] for word in words}


def read_consent(text: str, yes: str, no: str) -> bool | None:
    """A consent typed instead of pressed: a yes or no word, or a button's label (`yes`,
    `no`); None for anything else."""
    typed = " ".join(unformatted(text).casefold().split()).strip(" .!")
    chosen = matching_option(typed, (yes, no))
    if typed in YES_WORDS or chosen == 0:
        return True
    if typed in NO_WORDS or chosen == 1:
        return False
    return None


def unfinished_step(segment: str | None, answers: Mapping[str, str], program: Program) -> int:
    """Where a partner who has not finished onboarding is, by what is saved: -1 for the
    segment (none, or one the program no longer has), the index of the first question
    without an answer, or the number of questions for the consent."""
    if segment is None or program.segment_title(segment) is None:
        return -1
    for index, question in enumerate(program.onboarding_questions):
        if question.id not in answers:
            return index
    return len(program.onboarding_questions)
