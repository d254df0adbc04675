"""What content items name, checked across files: unique ids, known segments, and files
that exist inside the content folder and the platforms accept."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from bot.content.models import COUNTED, ID_PATTERN, Contest, Lesson, Program
from bot.content.render import DOCUMENT_LIMIT
from bot.content.source import Problem, Source

LIST_FILES: Final = ("faq.yaml", "creatives.yaml")  # list files whose items name segments


def known_segments(program: Program | None, source: Source | None) -> set[str] | None:
    """The segment ids of program.yaml; when it has other errors, the ids its `segments`
    list still names (None: no list to check against)."""
    if program is not None:
        return {segment.id for segment in program.segments}
    data = None if source is None else source.data
    listed = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        return None
    ids = {item.get("id") for item in listed if isinstance(item, dict)}
    return {segment for segment in ids if isinstance(segment, str)} or None


def _named(data: Any) -> list[tuple[int, str]]:
    """The segments an item names as written (an item another error leaves out too)."""
    listed = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        return []
    # a name that is no id at all is reported as such (by the item's validation)
    return [
        (index, name)
        for index, name in enumerate(listed)
        if isinstance(name, str) and re.match(ID_PATTERN, name)
    ]


def check_segments(
    list_files: Sequence[Source],
    item_files: Sequence[Source],
    segment_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    """Every segment an item names is one of program.yaml's: checked on what the files
    say, so an unknown segment is reported with the item's other errors, not after."""
    if segment_ids is None:
        return
    named: list[tuple[Source, tuple[int, ...], Any]] = [
        (source, (index,), item)
        for source in list_files
        if isinstance(source.data, list)
        for index, item in enumerate(source.data)
    ]
    named += [(source, (), source.data) for source in item_files]
    for source, where, item in named:
        for index, segment in _named(item):
            if segment not in segment_ids:
                line = source.line((*where, "segments", index))
                problems.append(Problem(source.name, line, _unknown_segment(segment, segment_ids)))


def _unknown_segment(segment: Any, segment_ids: set[str]) -> str:
    """«unknown segment 'servise' (did you mean 'service'?)», or the segments there are."""
    known = sorted(segment_ids)
    close = difflib.get_close_matches(str(segment), known, n=1)
    if close:
        return f"unknown segment {segment!r} (did you mean {close[0]!r}?)"
    return f"unknown segment {segment!r} (program.yaml has: {', '.join(known) or 'none'})"


def _raw_items(source: Source | None) -> list[tuple[int, dict[str, Any]]]:
    data = None if source is None else source.data
    if not isinstance(data, list):
        return []
    return [(index, item) for index, item in enumerate(data) if isinstance(item, dict)]


def check_refs(
    root: Path,
    sources: dict[str, Source],
    segment_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    """Ids used once per file and the creatives' files, on what the files say (each at
    its item's own line, whatever other items are wrong)."""
    check_program(sources.get("program.yaml"), problems)
    for name, key, what in (
        ("faq.yaml", "id", "FAQ id"),
        ("creatives.yaml", "id", "creative id"),
        ("templates.yaml", "key", "template key"),
    ):
        source = sources.get(name)
        seen: set[str] = set()
        for index, item in _raw_items(source):
            value = item.get(key)
            if not isinstance(value, str):
                continue
            if value in seen and source is not None:
                problems.append(
                    Problem(name, source.line((index,)), f"duplicate {what} {value!r}")
                )
            seen.add(value)
    _check_lexicon(sources.get("lexicon.yaml"), problems)
    _check_wordings(sources.get("faq.yaml"), problems)
    creatives = sources.get("creatives.yaml")
    for index, item in _raw_items(creatives):
        file = item.get("file")
        if isinstance(file, str) and file and creatives is not None:
            wrong = content_file_problem(root, file)
            if wrong is not None:
                problems.append(Problem(creatives.name, creatives.line((index, "file")), wrong))


def _check_lexicon(source: Source | None, problems: list[Problem]) -> None:
    """A word given two meanings in lexicon.yaml («кэшбек» as «вознаграждение» and as
    «доставка»: the matcher read it as both) is named at its second place."""
    if source is None:
        return
    meant: dict[str, tuple[str, int]] = {}  # a word → what it means, and where
    for index, item in _raw_items(source):
        means, words = item.get("means"), item.get("words")
        if not isinstance(means, str) or not isinstance(words, list):
            continue
        for number, word in enumerate(words):
            if not isinstance(word, str) or not word.strip():
                continue
            key = " ".join(word.lower().replace("ё", "е").split())
            line = source.line((index, "words", number))
            first = meant.setdefault(key, (means.strip(), line))
            if first[0].lower() != means.strip().lower():
                problems.append(
                    Problem(
                        source.name,
                        line,
                        f"{word!r} already means {first[0]!r} (line {first[1]}): a word has"
                        " one meaning",
                    )
                )


def _check_wordings(source: Source | None, problems: list[Problem]) -> None:
    """An FAQ question or paraphrase with no letter or digit («?») can never be matched."""
    if source is None:
        return
    for index, item in _raw_items(source):
        wordings: list[tuple[str, int | None, Any]] = [("question", None, item.get("question"))]
        alt = item.get("alt")
        if isinstance(alt, list):
            wordings += [("alt", number, text) for number, text in enumerate(alt)]
        for key, number, text in wordings:
            if isinstance(text, str) and text.strip() and not any(c.isalnum() for c in text):
                where = (index, key) if number is None else (index, key, number)
                problems.append(
                    Problem(
                        source.name,
                        source.line(where),
                        f"{key}: {text.strip()!r} has no word to match a question by",
                    )
                )


def check_lessons(
    root: Path, lessons: list[tuple[Lesson, Source]], problems: list[Problem]
) -> None:
    _check_ids(lessons, "lesson")
    _check_order(lessons)
    for lesson, source in lessons:
        for index, attachment in enumerate(lesson.attachments):
            is_link = attachment.startswith(("http://", "https://"))
            wrong = None if is_link else content_file_problem(root, attachment)
            if wrong is not None:
                source.problem(("attachments", index), wrong.replace("file", "attachment", 1))
        problems.extend(source.problems)


def content_file_problem(root: Path, relative: str) -> str | None:
    """What is wrong with a file a content item names (None: nothing): it must be a file
    inside the content folder (no absolute path, no `..` or symlink leading out) that the
    platforms accept in size."""
    given = Path(relative)
    if given.is_absolute() or relative.startswith("~"):
        return f"file {relative}: outside the content folder (give a path inside it)"
    try:
        resolved = (root / given).resolve(strict=False)
        inside = resolved.is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        return f"file {relative}: outside the content folder (.. or a symlink leading out)"
    if resolved.is_dir():
        return f"file {relative}: a folder, not a file"
    if not resolved.is_file():
        return f"file not found: {relative}"
    size = resolved.stat().st_size
    if size > DOCUMENT_LIMIT:
        megabytes = size / 1024 / 1024
        return (
            f"file {relative}: {megabytes:.1f} MB, over the {DOCUMENT_LIMIT // 1024 // 1024} MB"
            " a bot may upload to Telegram (VK: 200 MB)"
        )
    return None


# A contest's card (its announcement, /contests) is one message: with the dialog's limits
# on the title and description (models.py), its other texts are held so the whole card,
# with its dates, prize names and a partner's place, stays well under 4,096 characters.
CARD_TEXTS_LIMIT = 2800  # the title, description, restrictions and prizes together
CARD_CATEGORIES_LIMIT = 4
CARD_PLACES_LIMIT = 10  # prizes of one category


@dataclass(frozen=True)
class KnownContests:
    """What /reload checks the contest files against: the contests the bot has (the live
    content's and the database's ids) and its clock's now. A new contest whose start has
    passed is named (`check_contests`), not refused: nobody was told of it, so it waits
    for a manager, as a file first seen after its start always has (docs/managers.md)."""

    ids: frozenset[str]
    now: datetime


def check_contests(
    contests: list[tuple[Contest, Source]],
    problems: list[Problem],
    known: KnownContests | None = None,
) -> dict[str, str]:
    """The contest files' problems (in `problems`); with `known` (/reload), the new
    contests whose start has passed, by id, each with the place of its `starts_at`
    («contests/x.yaml:4»), for the reply to say."""
    _check_ids(contests, "contest")
    late = {}
    for contest, source in contests:
        _check_card(contest, source)
        _check_prizes(contest, source)
        problems.extend(source.problems)
        if known is not None and contest.id not in known.ids and contest.starts_at <= known.now:
            late[contest.id] = f"{source.name}:{source.line(('starts_at',))}"
    return late


def _check_prizes(contest: Contest, source: Source) -> None:
    """As /contest_new takes the prizes (bot/services/contest_drafts.py): a category
    once, and the threshold of one that counts (sales, partners) a whole number."""
    first: dict[str, int] = {}  # a category → its first position
    for index, category in enumerate(contest.prizes):
        kind = category.category
        if kind in first:
            line = source.line(("prizes", first[kind], "category"))
            source.problem(
                ("prizes", index, "category"),
                f"prizes.category: {kind} is given twice (first at line {line}):"
                " a category once, with all its places",
            )
        first.setdefault(kind, index)
        minimum = category.min_value
        if kind in COUNTED and minimum != minimum.to_integral_value():
            source.problem(
                ("prizes", index, "min_value"),
                f"prizes.min_value: {kind} counts {COUNTED[kind]}, so its threshold is a"
                f" whole number (got {minimum})",
            )


def _check_card(contest: Contest, source: Source) -> None:
    """What a contest's card (one message) can carry."""
    if len(contest.prizes) > CARD_CATEGORIES_LIMIT:
        source.problem(
            ("prizes", CARD_CATEGORIES_LIMIT),
            f"prizes: at most {CARD_CATEGORIES_LIMIT} categories (the card is one message)",
        )
    for index, category in enumerate(contest.prizes):
        if len(category.places) > CARD_PLACES_LIMIT:
            source.problem(
                ("prizes", index, "places"),
                f"prizes.places: at most {CARD_PLACES_LIMIT} places (the card is one message)",
            )
    texts = [contest.title, contest.description, contest.restrictions]
    texts += [place for category in contest.prizes for place in category.places]
    total = sum(len(text) for text in texts)
    if total > CARD_TEXTS_LIMIT:
        source.problem(
            ("description",),
            f"the title, description, restrictions and prizes have {total:,} characters"
            f" together: at most {CARD_TEXTS_LIMIT:,}, so the card fits one message",
        )


def _check_order(lessons: list[tuple[Lesson, Source]]) -> None:
    """Two lessons one partner would both get never share an `order` (which would come
    first is left to chance, and «Урок 3 из 5» is said twice): a lesson for all partners,
    or two whose segments overlap. Lessons for different segments may (the demo's 3)."""
    for number, (lesson, source) in enumerate(lessons):
        for other, other_source in lessons[:number]:
            if other.order != lesson.order:
                continue
            shared = not lesson.segments or not other.segments
            if shared or set(lesson.segments) & set(other.segments):
                source.problem(
                    ("order",),
                    f"order {lesson.order} is also the order of lesson {other.id!r}"
                    f" ({other_source.name}), for the same partners",
                )
                break


def _check_ids(items: Sequence[tuple[Lesson | Contest, Source]], what: str) -> None:
    """Items of one file each (lessons, contests): an id used once across the files (the
    problems go to each item's source)."""
    seen: dict[str, str] = {}
    for item, source in items:
        if item.id in seen:
            source.problem(("id",), f"{what} id {item.id!r} is also used in {seen[item.id]}")
        seen[item.id] = source.name


def _listed(data: Any, *path: str) -> list[tuple[int, Any]]:
    """The items of the list at `path` in a document as written ([] when it is none)."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return list(enumerate(data)) if isinstance(data, list) else []


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_program(source: Source | None, problems: list[Problem]) -> None:
    """What program.yaml's lists must be as a whole, on what it says (each problem at its
    item's line, whatever else is wrong): ids used once; tiers from the lowest to the
    highest, each asking for more sales than the one before (a partner's tier is the last
    one reached, and «N more sales to the next» counts to the next in the file);
    reminders between a contest's announcement and its start."""
    if source is None:
        return
    data = source.data
    for key, what in (
        ("segments", "segment"),
        ("onboarding_questions", "onboarding question id"),
        ("tiers", "tier id"),
    ):
        seen: set[str] = set()
        for index, item in _listed(data, key):
            value = item.get("id") if isinstance(item, dict) else None
            if isinstance(value, str) and value in seen:
                source_problem(source, problems, (key, index, "id"), f"duplicate {what} {value!r}")
            if isinstance(value, str):
                seen.add(value)
    before: tuple[int, str] | None = None
    for index, item in _listed(data, "tiers"):
        sales = _number(item.get("monthly_sales")) if isinstance(item, dict) else None
        if sales is None:
            continue
        if before is not None and sales <= before[0]:
            source_problem(
                source,
                problems,
                ("tiers", index, "monthly_sales"),
                f"tiers.monthly_sales: must be more than {before[0]} (tier {before[1]!r} before"
                f" it): tiers go from the lowest to the highest (got {sales})",
            )
        before = (sales, str(item.get("id")))
    schedule = data.get("schedule") if isinstance(data, dict) else None
    lead = _number(schedule.get("announce_lead_days", 7)) if isinstance(schedule, dict) else 7
    if lead is None or lead < 0:
        return  # reported as the field's own problem
    for index, days in _listed(data, "schedule", "reminder_days_before"):
        number = _number(days)
        if number is not None and not 0 <= number <= lead:
            source_problem(
                source,
                problems,
                ("schedule", "reminder_days_before", index),
                f"schedule.reminder_days_before item {index + 1}: must be from 0 to"
                f" announce_lead_days ({lead}): a reminder goes between a contest's"
                f" announcement and its start (got {number})",
            )


def source_problem(
    source: Source, problems: list[Problem], path: tuple[int | str, ...], message: str
) -> None:
    problems.append(Problem(source.name, source.line(path), message))
