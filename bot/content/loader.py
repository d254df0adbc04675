"""Read and validate a content folder; every problem is reported as `file:line: message`."""

from __future__ import annotations

import difflib
import functools
import html
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast
from fluent.syntax.visitor import Visitor
from markdown_it import MarkdownIt
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
from bot.content.render import (
    DOCUMENT_LIMIT,
    creative_message,
    faq_answer_html,
    lesson_html,
)
from bot.i18n import LANGUAGES, shipped_message_ids, shipped_resource, shipped_source
from bot.rendering import CAPTION_LIMIT, TEXT_LIMIT, split_text, utf16_length
from bot.sandbox.emulator import ApiError, parse_html
from bot.vk import convert

VK_TEXT_LIMIT = 4096  # characters of a VK message

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

    def validate_at(self, kind: type[ModelT] | Any, data: Any, index: int) -> ModelT | None:
        """One item of a list document (its problems located under `index`)."""
        adapter: TypeAdapter[ModelT] = TypeAdapter(kind)
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            for error in exc.errors():
                self._report(error, (index,))
            return None

    def _report(self, error: Any, prefix: tuple[int | str, ...] = ()) -> None:
        loc = prefix + tuple(part for part in error["loc"] if not _is_union_tag(part))
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

    # every check runs in one pass; without a valid program.yaml, segments are not checked
    segment_ids = {segment.id for segment in program.segments} if program is not None else None
    _check_refs(root, program, faq, creatives, templates, segment_ids, problems)
    _check_lessons(root, lesson_sources, segment_ids, problems)
    _check_contests(root, contests, segment_ids, problems)
    _check_rendering(root, faq, creatives, lesson_sources, problems)
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
    item_kind = _list_item(kind)
    if item_kind is not None and isinstance(source.data, list) and not source.problems:
        # item by item: an error in one item hides nothing in the others (review 17)
        value: Any = []
        for index, item in enumerate(source.data):
            valid = source.validate_at(item_kind, item, index)
            if valid is not None:
                value.append(valid)
    else:
        value = source.validate(kind)
    problems.extend(source.problems)
    return value


def _list_item(kind: Any) -> Any:
    """X of a `list[X]` (None for anything else)."""
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind)
        return item
    return None


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
    segment_ids: set[str] | None,
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
            if segment_ids is not None and segment not in segment_ids:
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
        shipped = {
            entry.id.name: entry
            for entry in shipped_resource(language).body
            if isinstance(entry, fluent_ast.Message)
        }
        overridden = _bundle_of(language, text)
        for entry in resource.body:
            line = _line_of(text, entry.span.start if entry.span else 0)
            if isinstance(entry, fluent_ast.Junk):
                problems.append(Problem(name, line, "not valid Fluent syntax"))
            elif isinstance(entry, fluent_ast.Message) and entry.id.name not in known:
                close = difflib.get_close_matches(entry.id.name, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(Problem(name, line, f"unknown text {entry.id.name!r}{hint}"))
            elif isinstance(entry, fluent_ast.Message):
                for wrong in _override_problems(entry, shipped[entry.id.name], overridden):
                    problems.append(Problem(name, line, f"the text {entry.id.name!r} {wrong}"))
        overrides[language] = text
    return overrides


class _Variables(Visitor):
    """The $variables a Fluent message uses."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_VariableReference(self, node: fluent_ast.VariableReference) -> None:  # noqa: N802
        self.names.add(node.id.name)
        self.generic_visit(node)


def _variables(entry: fluent_ast.Message) -> set[str]:
    found = _Variables()
    found.visit(entry)
    return found.names


def _bundle_of(language: str, text: str) -> FluentBundle:
    bundle = FluentBundle([language], use_isolating=False)
    bundle.add_resource(FluentResource(text))
    return bundle


def _override_problems(
    entry: fluent_ast.Message, original: fluent_ast.Message, bundle: FluentBundle
) -> list[str]:
    """What an overriding text does wrong (review 2): an argument the bot never gives it,
    or markup Telegram would refuse once rendered (checked with sample arguments, for
    the texts whose shipped version passes the same check: the HTML ones)."""
    given = _variables(original)
    found = [
        f"uses {{ ${name} }}, which it is never given"
        for name in sorted(_variables(entry) - given)
    ]
    pattern = (
        bundle.get_message(entry.id.name).value if bundle.has_message(entry.id.name) else None
    )
    if pattern is None:
        return found
    samples = dict.fromkeys(given | _variables(entry), 1)
    rendered, _errors = bundle.format_pattern(pattern, samples)
    shipped = _shipped_bundle(bundle.locales[0])
    if shipped.has_message(original.id.name):
        value = shipped.get_message(original.id.name).value
        if value is not None and sending_problems(str(shipped.format_pattern(value, samples)[0])):
            return found  # not sent as HTML (a button, a plain notice): nothing to check
    return found + sending_problems(str(rendered))


@functools.cache
def _shipped_bundle(language: str) -> FluentBundle:
    return _bundle_of(language, shipped_source(language))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _check_refs(
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
                    Problem(name, _item_line(root, name, index), f"unknown segment {segment!r}")
                )

    if program is not None:
        _unique(root, "program.yaml", [s.id for s in program.segments], "segment", problems)
    _unique(root, "faq.yaml", [entry.id for entry in faq], "FAQ id", problems)
    _unique(root, "creatives.yaml", [item.id for item in creatives], "creative id", problems)
    _unique(root, "templates.yaml", [item.key for item in templates], "template key", problems)
    for index, entry in enumerate(faq):
        segments_of("faq.yaml", index, entry.segments)
    for index, item in enumerate(creatives):
        segments_of("creatives.yaml", index, item.segments)
        if item.file:
            wrong = content_file_problem(root, item.file)
            if wrong is not None:
                line = _item_line(root, "creatives.yaml", index, "file")
                problems.append(Problem("creatives.yaml", line, wrong))


def _check_lessons(
    root: Path,
    lessons: list[tuple[Lesson, _Source]],
    segment_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    seen: dict[str, str] = {}
    for lesson, source in lessons:
        if lesson.id in seen:
            source.problem(("id",), f"lesson id {lesson.id!r} is also used in {seen[lesson.id]}")
        seen[lesson.id] = source.name
        for index, segment in enumerate(lesson.segments):
            if segment_ids is not None and segment not in segment_ids:
                source.problem(("segments", index), f"unknown segment {segment!r}")
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


def _check_rendering(
    root: Path,
    faq: list[FaqEntry],
    creatives: list[Creative],
    lessons: list[tuple[Lesson, _Source]],
    problems: list[Problem],
) -> None:
    """Every lesson, FAQ answer and creative rendered exactly as it is sent, on Telegram
    (HTML, checked as the Bot API parses it, in UTF-16 units) and on VK (plain text)."""
    for lesson, source in lessons:
        body_line = _body_line(root / source.name)
        for line, message in markdown_problems(lesson.body):
            problems.append(Problem(source.name, body_line + line, message))
        header = f"<b>Урок 99 из 99. {html.escape(lesson.title)}</b>"
        for wrong in sending_problems(lesson_html(lesson, header)):
            problems.append(Problem(source.name, body_line, f"the lesson {wrong}"))
    for index, entry in enumerate(faq):
        for wrong in sending_problems(faq_answer_html(entry)):
            line = _item_line(root, "faq.yaml", index)
            problems.append(Problem("faq.yaml", line, f"the answer {entry.id!r} {wrong}"))
    for index, item in enumerate(creatives):
        sent = creative_message(item)
        wrong_parts = []
        if sent.caption is not None:
            wrong_parts += sending_problems(sent.caption, CAPTION_LIMIT, "caption")
        if sent.text is not None:
            wrong_parts += sending_problems(sent.text)
        for wrong in wrong_parts:
            line = _item_line(root, "creatives.yaml", index)
            problems.append(Problem("creatives.yaml", line, f"the creative {item.id!r} {wrong}"))


def sending_problems(text: str, limit: int = TEXT_LIMIT, what: str = "message") -> list[str]:
    """Why `text` would be refused when sent (as its parts, on Telegram and on VK)."""
    found: list[str] = []
    parts = split_text(text, limit) if what == "message" else [text]
    for number, part in enumerate(parts, start=1):
        try:
            visible = parse_html(part)
        except ApiError as exc:
            found.append(f"would be refused by Telegram (part {number}): {exc.description}")
            continue
        if utf16_length(visible) > limit:
            found.append(f"{what} is too long for Telegram: {utf16_length(visible)} > {limit}")
    for part in split_text(convert.plain(text), VK_TEXT_LIMIT, html_mode=False):
        if len(part) > VK_TEXT_LIMIT:
            found.append(f"is too long for VK: {len(part)} > {VK_TEXT_LIMIT}")
    return found


def markdown_problems(body: str) -> list[tuple[int, str]]:
    """HTML in a lesson's Markdown: not sent as markup (Telegram takes a few inline tags
    only, VK none), so it is reported with its line (0 = the body's first) instead of
    being dropped or shown as text without a word."""
    found: list[tuple[int, str]] = []
    for token in MarkdownIt("commonmark").parse(body):
        line = token.map[0] if token.map else 0
        if token.type == "html_block":
            tag = token.content.strip().split("\n", 1)[0][:40]
            found.append((line, f"unsupported HTML block {tag!r}: use Markdown instead"))
        for child in token.children or []:
            if child.type == "html_inline":
                found.append(
                    (line, f"unsupported HTML {child.content[:40]!r}: it would show as text")
                )
    return found


def _body_line(path: Path) -> int:
    """The line a lesson's body starts on (after its front matter)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    return closing + 2


def _unique(root: Path, name: str, ids: list[str], what: str, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            line = _item_line(root, name, index)
            problems.append(Problem(name, line, f"duplicate {what} {item!r}"))
        seen.add(item)


def _item_line(root: Path, name: str, index: int, key: str | None = None) -> int:
    """The line of a list item (or of its `key`)."""
    path = root / name
    source = _Source(root, path, path.read_text(encoding="utf-8"))
    prefix: tuple[int | str, ...] = ("segments", index) if name == "program.yaml" else (index,)
    return source.line((*prefix, key) if key else prefix)
