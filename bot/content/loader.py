"""Read and validate a content folder; every problem is reported as `file:line: message`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast
from pydantic import TypeAdapter, ValidationError

from bot.content.models import (
    Content,
    Contest,
    Creative,
    FaqEntry,
    FaqSettings,
    Lesson,
    LessonMeta,
    LexiconItem,
    OnboardingQuestion,
    Postback,
    PrizeCategory,
    Program,
    QuietHours,
    Schedule,
    Segment,
    Template,
    Tier,
    WeeklyMoment,
)
from bot.i18n import LANGUAGES, shipped_message_ids

ModelT = TypeVar("ModelT")
_KNOWN_KEYS = sorted(
    {
        name
        for model in (
            Program,
            Segment,
            OnboardingQuestion,
            Tier,
            Schedule,
            WeeklyMoment,
            QuietHours,
            Postback,
            FaqSettings,
            FaqEntry,
            LexiconItem,
            LessonMeta,
            Creative,
            Template,
            Contest,
            PrizeCategory,
        )
        for name in model.model_fields
    }
)


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ContentInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


Path_ = tuple[int | str, ...]


class _Source:
    """One YAML document with the line of every key and list item."""

    def __init__(self, root: Path, path: Path, text: str, line_offset: int = 0) -> None:
        self.name = path.relative_to(root).as_posix()
        self.lines: dict[Path_, int] = {}
        self.problems: list[Problem] = []
        self._offset = line_offset
        self.data: Any = None
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = (mark.line + 1 if mark else 1) + line_offset
            problem = getattr(exc, "problem", None) or str(exc)
            self.problems.append(Problem(self.name, line, f"invalid YAML: {problem}"))
            return
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: Path_) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1 + self._offset)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1 + self._offset
                if key in seen:
                    self.problems.append(Problem(self.name, line, f"duplicate key {key!r}"))
                seen.add(key)
                self.lines[(*path, key)] = line
                self._walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1 + self._offset
                self._walk(item, (*path, index))

    def line(self, path: Iterable[int | str]) -> int:
        parts = tuple(path)
        while parts and parts not in self.lines:
            parts = parts[:-1]
        return self.lines.get(parts, 1 + self._offset)

    def problem(self, path: Iterable[int | str], message: str) -> None:
        self.problems.append(Problem(self.name, self.line(path), message))

    def validate(self, kind: type[ModelT] | Any) -> ModelT | None:
        if self.problems:
            return None
        adapter: TypeAdapter[ModelT] = TypeAdapter(kind)
        try:
            return adapter.validate_python(self.data)
        except ValidationError as exc:
            for error in exc.errors():
                self._report(error)
            return None

    def _report(self, error: Any) -> None:
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        kind = error["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(loc, f"unknown key {key!r}{hint}")
            return
        where = ".".join(str(part) for part in loc)
        message = str(error["msg"]).removeprefix("Value error, ")
        if kind == "missing":
            self.problem(loc[:-1], f"missing key {str(loc[-1])!r}")
            return
        self.problem(loc, f"{where}: {message}" if where else message)


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and (part.startswith(("list[", "function-")) or "[" in part)


def load_content(root: Path) -> Content:
    """Load and validate a content folder, or raise ContentInvalid with every problem."""
    problems: list[Problem] = []
    if not root.is_dir():
        raise ContentInvalid([Problem(str(root), 1, "content folder not found")])

    program = _load_yaml(root, "program.yaml", Program, problems, required=True)
    faq = _load_yaml(root, "faq.yaml", list[FaqEntry], problems, required=True) or []
    creatives = _load_yaml(root, "creatives.yaml", list[Creative], problems) or []
    templates = _load_yaml(root, "templates.yaml", list[Template], problems) or []
    lexicon = _load_yaml(root, "lexicon.yaml", list[LexiconItem], problems) or []
    contests = _load_contests(root, problems)
    lesson_sources = _load_lessons(root, problems)
    lessons = [lesson for lesson, _source in lesson_sources]
    locales = _load_locales(root, problems)

    if program is not None:
        segment_ids = {segment.id for segment in program.segments}
        _check_refs(root, program, faq, creatives, templates, segment_ids, problems)
        _check_lessons(root, lesson_sources, segment_ids, problems)
        _check_contests(root, contests, segment_ids, problems)
    if problems or program is None:
        raise ContentInvalid(sorted(set(problems)))
    return Content(
        root=root,
        program=program,
        faq=faq,
        lessons=sorted(lessons, key=lambda lesson: (lesson.order, lesson.id)),
        creatives=creatives,
        templates=templates,
        locales=locales,
        contests=[contest for contest, _source in contests],
        lexicon=lexicon,
    )


def _load_yaml(
    root: Path, name: str, kind: Any, problems: list[Problem], *, required: bool = False
) -> Any:
    path = root / name
    if not path.exists():
        if required:
            problems.append(Problem(name, 1, "required file is missing"))
        return None
    source = _Source(root, path, _read(path, name, problems))
    if source.data is None and not source.problems:
        if required:
            problems.append(Problem(name, 1, "file is empty"))
        return None
    value = source.validate(kind)
    problems.extend(source.problems)
    return value


def _read(path: Path, name: str, problems: list[Problem]) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        problems.append(Problem(name, line, "not valid UTF-8"))
        return ""


def _load_contests(root: Path, problems: list[Problem]) -> list[tuple[Contest, _Source]]:
    """`contests/*.yaml`, one contest a file (SPEC §7)."""
    found: list[tuple[Contest, _Source]] = []
    folder = root / "contests"
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.yaml")):
        source = _Source(root, path, _read(path, path.relative_to(root).as_posix(), problems))
        contest: Contest | None = source.validate(Contest)
        problems.extend(source.problems)
        if contest is not None:
            found.append((contest, source))
    return found


def _check_contests(
    root: Path,
    contests: list[tuple[Contest, _Source]],
    segment_ids: set[str],
    problems: list[Problem],
) -> None:
    seen: dict[str, str] = {}
    for contest, source in contests:
        if contest.id in seen:
            source.problem(
                ("id",), f"contest id {contest.id!r} is also used in {seen[contest.id]}"
            )
        seen[contest.id] = source.name
        for index, segment in enumerate(contest.segments):
            if segment not in segment_ids:
                source.problem(("segments", index), f"unknown segment {segment!r}")
        problems.extend(source.problems)


def _load_lessons(root: Path, problems: list[Problem]) -> list[tuple[Lesson, _Source]]:
    lessons: list[tuple[Lesson, _Source]] = []
    folder = root / "lessons"
    if not folder.is_dir():
        return lessons
    for path in sorted(folder.glob("*.md")):
        name = path.relative_to(root).as_posix()
        text = _read(path, name, problems)
        lines = text.split("\n")
        if not lines or lines[0].strip() != "---":
            problems.append(
                Problem(name, 1, "a lesson starts with front matter between --- lines")
            )
            continue
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        except StopIteration:
            problems.append(Problem(name, 1, "front matter is not closed with ---"))
            continue
        source = _Source(root, path, "\n".join(lines[1:end]), line_offset=1)
        meta: LessonMeta | None = source.validate(LessonMeta)
        problems.extend(source.problems)
        body = "\n".join(lines[end + 1 :]).strip()
        if meta is None:
            continue
        if not body:
            problems.append(
                Problem(name, end + 1, "the lesson has no text after the front matter")
            )
            continue
        lessons.append((Lesson(**meta.model_dump(), body=body), source))
    return lessons


def _load_locales(root: Path, problems: list[Problem]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    folder = root / "locales"
    if not folder.is_dir():
        return overrides
    parser = FluentParser()
    for path in sorted(folder.glob("*.ftl")):
        name = path.relative_to(root).as_posix()
        language = path.stem
        if language not in LANGUAGES:
            problems.append(Problem(name, 1, f"unknown language {language!r}; use ru or en"))
            continue
        text = _read(path, name, problems)
        known = shipped_message_ids(language)
        resource = parser.parse(text)
        for entry in resource.body:
            line = _line_of(text, entry.span.start if entry.span else 0)
            if isinstance(entry, fluent_ast.Junk):
                problems.append(Problem(name, line, "not valid Fluent syntax"))
            elif isinstance(entry, fluent_ast.Message) and entry.id.name not in known:
                close = difflib.get_close_matches(entry.id.name, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(Problem(name, line, f"unknown text {entry.id.name!r}{hint}"))
        overrides[language] = text
    return overrides


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _check_refs(
    root: Path,
    program: Program,
    faq: list[FaqEntry],
    creatives: list[Creative],
    templates: list[Template],
    segment_ids: set[str],
    problems: list[Problem],
) -> None:
    def segments_of(name: str, index: int, items: list[str]) -> None:
        for segment in items:
            if segment not in segment_ids:
                problems.append(
                    Problem(name, _item_line(root, name, index), f"unknown segment {segment!r}")
                )

    _unique(root, "program.yaml", [s.id for s in program.segments], "segment", problems)
    _unique(root, "faq.yaml", [entry.id for entry in faq], "FAQ id", problems)
    _unique(root, "creatives.yaml", [item.id for item in creatives], "creative id", problems)
    _unique(root, "templates.yaml", [item.key for item in templates], "template key", problems)
    for index, entry in enumerate(faq):
        segments_of("faq.yaml", index, entry.segments)
    for index, item in enumerate(creatives):
        segments_of("creatives.yaml", index, item.segments)
        if item.file and not (root / item.file).is_file():
            line = _item_line(root, "creatives.yaml", index)
            problems.append(Problem("creatives.yaml", line, f"file not found: {item.file}"))


def _check_lessons(
    root: Path,
    lessons: list[tuple[Lesson, _Source]],
    segment_ids: set[str],
    problems: list[Problem],
) -> None:
    seen: dict[str, str] = {}
    for lesson, source in lessons:
        if lesson.id in seen:
            source.problem(("id",), f"lesson id {lesson.id!r} is also used in {seen[lesson.id]}")
        seen[lesson.id] = source.name
        for index, segment in enumerate(lesson.segments):
            if segment not in segment_ids:
                source.problem(("segments", index), f"unknown segment {segment!r}")
        for index, attachment in enumerate(lesson.attachments):
            is_link = attachment.startswith(("http://", "https://"))
            if not is_link and not (root / attachment).is_file():
                source.problem(("attachments", index), f"attachment not found: {attachment}")
        problems.extend(source.problems)


def _unique(root: Path, name: str, ids: list[str], what: str, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            line = _item_line(root, name, index)
            problems.append(Problem(name, line, f"duplicate {what} {item!r}"))
        seen.add(item)


def _item_line(root: Path, name: str, index: int) -> int:
    path = root / name
    source = _Source(root, path, path.read_text(encoding="utf-8"))
    prefix: tuple[int | str, ...] = ("segments", index) if name == "program.yaml" else (index,)
    return source.line(prefix)
