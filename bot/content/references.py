"""What content items name, checked across files: unique ids, known segments, and files
that exist inside the content folder and the platforms accept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.content.models import Contest, Creative, FaqEntry, Lesson, Program, Template
from bot.content.render import DOCUMENT_LIMIT
from bot.content.source import Problem, Source, item_line


def check_refs(
    root: Path,
    program: Program | None,
    faq: list[FaqEntry],
    creatives: list[Creative],
    templates: list[Template],
    segment_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    def segments_of(name: str, index: int, items: list[str]) -> None:
        for segment in items:
            if segment_ids is not None and segment not in segment_ids:
                problems.append(
                    Problem(name, item_line(root, name, index), f"unknown segment {segment!r}")
                )

    if program is not None:
        unique(root, "program.yaml", [s.id for s in program.segments], "segment", problems)
    unique(root, "faq.yaml", [entry.id for entry in faq], "FAQ id", problems)
    unique(root, "creatives.yaml", [item.id for item in creatives], "creative id", problems)
    unique(root, "templates.yaml", [item.key for item in templates], "template key", problems)
    for index, entry in enumerate(faq):
        segments_of("faq.yaml", index, entry.segments)
    for index, item in enumerate(creatives):
        segments_of("creatives.yaml", index, item.segments)
        if item.file:
            wrong = content_file_problem(root, item.file)
            if wrong is not None:
                line = item_line(root, "creatives.yaml", index, "file")
                problems.append(Problem("creatives.yaml", line, wrong))


def check_lessons(
    root: Path,
    lessons: list[tuple[Lesson, Source]],
    segment_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    _check_ids_and_segments(lessons, "lesson", segment_ids)
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


def check_contests(
    root: Path,
    contests: list[tuple[Contest, Source]],
    segment_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    _check_ids_and_segments(contests, "contest", segment_ids)
    for _contest, source in contests:
        problems.extend(source.problems)


def _check_ids_and_segments(
    items: Sequence[tuple[Lesson | Contest, Source]], what: str, segment_ids: set[str] | None
) -> None:
    """Items of one file each (lessons, contests): an id used once across the files, and
    only known segments (the problems go to each item's source)."""
    seen: dict[str, str] = {}
    for item, source in items:
        if item.id in seen:
            source.problem(("id",), f"{what} id {item.id!r} is also used in {seen[item.id]}")
        seen[item.id] = source.name
        for index, segment in enumerate(item.segments):
            if segment_ids is not None and segment not in segment_ids:
                source.problem(("segments", index), f"unknown segment {segment!r}")


def unique(root: Path, name: str, ids: list[str], what: str, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            line = item_line(root, name, index)
            problems.append(Problem(name, line, f"duplicate {what} {item!r}"))
        seen.add(item)
