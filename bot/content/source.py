"""A content file as a YAML document that knows the line of every key and list item, and
the problems found in it, reported as `file:line: message`."""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError
from yaml.constructor import SafeConstructor

from bot.content.errors import field_path, reason, yaml_problem
from bot.content.models import (
    CONTENT_FILE,
    Contest,
    Creative,
    FaqEntry,
    FaqSettings,
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


class Source:
    """One YAML document with the line of every key and list item."""

    def __init__(self, root: Path, path: Path, text: str, line_offset: int = 0) -> None:
        self.name = path.relative_to(root).as_posix()
        self.lines: dict[Path_, int] = {}
        self.problems: list[Problem] = []
        self._offset = line_offset
        self._text = text
        self.data: Any = None
        self.broken = False  # not YAML, or refused as too deep or with aliases
        try:
            node = _compose(text)
        except yaml.YAMLError as exc:
            line, problem = yaml_problem(exc, text)  # worded for an editor: errors.py
            self._refuse(line, problem)
            return
        except RecursionError:  # deeper than libyaml (or Python) goes
            self._refuse(1, f"nested more than {MAX_DEPTH} levels deep")
            return
        if node is None:
            return
        self._seen: set[int] = set()
        self._walk(node, (), 0)
        if self.broken:
            return
        try:
            self.data = _construct(node)
        except yaml.YAMLError as exc:  # an unknown tag (!x), an unhashable key
            self._refuse(*yaml_problem(exc, text))

    def _refuse(self, line: int, message: str) -> None:
        """The document is not read on: nothing of it is validated."""
        self.broken = True
        self.problems.append(Problem(self.name, line + self._offset, message))

    def _walk(self, node: yaml.Node, path: Path_, depth: int) -> None:
        """Every node's line; an alias (a node met twice) or a nesting deeper than any
        content file needs refuses the document (a few lines of aliases would otherwise
        expand to gigabytes: "billion laughs")."""
        if self.broken:
            return
        if id(node) in self._seen:
            self._refuse(_first_alias_line(self._text), ALIASES_REFUSED)
            return
        self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self._refuse(node.start_mark.line + 1, f"nested more than {MAX_DEPTH} levels deep")
            return
        self.lines.setdefault(path, node.start_mark.line + 1 + self._offset)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1 + self._offset
                if key in seen:
                    self.problems.append(
                        Problem(self.name, line, f"the key {key!r} is given twice")
                    )
                seen.add(key)
                self.lines[(*path, key)] = line
                self._walk(value_node, (*path, key), depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1 + self._offset
                self._walk(item, (*path, index), depth + 1)

    def line(self, path: Iterable[int | str]) -> int:
        parts = tuple(path)
        while parts and parts not in self.lines:
            parts = parts[:-1]
        return self.lines.get(parts, 1 + self._offset)

    def problem(self, path: Iterable[int | str], message: str) -> None:
        self.problems.append(Problem(self.name, self.line(path), message))

    def validate(self, kind: type[ModelT] | Any) -> ModelT | None:
        """The document as `kind`, or None with its problems (a key given twice does not
        hide the others: every problem of a file in one run)."""
        if self.broken:
            return None
        adapter: TypeAdapter[ModelT] = _adapter(kind)
        try:
            return adapter.validate_python(self.data, context=CONTENT_FILE)
        except ValidationError as exc:
            for error in exc.errors():
                self._report(error)
            return None

    def validate_at(self, kind: type[ModelT] | Any, data: Any, index: int) -> ModelT | None:
        """One item of a list document (its problems located under `index`)."""
        adapter: TypeAdapter[ModelT] = _adapter(kind)
        try:
            return adapter.validate_python(data, context=CONTENT_FILE)
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
            if key in _KNOWN_KEYS:  # a key of other items (a creative's `added` in a lesson)
                hint = " (not a key of this item)"
            else:
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(loc, f"unknown key {key!r}{hint}")
            return
        if kind == "missing":
            self.problem(loc[:-1], f"missing key {str(loc[-1])!r}")
            return
        where, message = field_path(loc), reason(error)  # worded for an editor: errors.py
        self.problem(loc, f"{where}: {message}" if where else message)


# A content file is small: a bigger one is a mistake (a pasted export, a runaway script)
# that would take seconds to read and be sent in hundreds of messages (docs/content.md)
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 20  # levels of nesting; a content file needs five
ALIASES_REFUSED = "YAML aliases (*name) are not allowed in content files: write the value out"


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    """A date or time YAML reads as one, or, when it is none (2026-13-14, 2026-02-30,
    25:00), the text as written: the field's validation then says what is wrong, with
    its line, instead of PyYAML's ValueError ending the whole check."""
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


class _Constructor(SafeConstructor):
    """PyYAML's safe constructor, with `_timestamp` (it needs no parser: it builds the
    data of a composed node tree)."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

# libyaml's parser when PyYAML was built with it: the same nodes (lines, values), ten
# times faster than the pure-Python one (a content folder: 7 ms instead of 78)
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    """The document's node tree (for the lines). A text libyaml refuses is parsed again
    by PyYAML's own parser, whose error the problem is worded from (`yaml_problem`)."""
    if _FAST_LOADER is not None:
        try:
            loader = _FAST_LOADER(text)  # ValueError: a character libyaml cannot encode
        except ValueError:
            loader = None
        if loader is not None:
            try:
                node: yaml.Node | None = loader.get_single_node()
                return node
            except yaml.YAMLError as exc:
                if "nesting depth" in str(getattr(exc, "problem", "")):
                    raise RecursionError from exc  # PyYAML's parser would take seconds
            finally:
                loader.dispose()
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _construct(node: yaml.Node) -> Any:
    """The data of a composed document."""
    return _Constructor().construct_document(node)


def _first_alias_line(text: str) -> int:
    """The line (from 1) of the document's first alias."""
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER or yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
                return event.start_mark.line + 1
    except yaml.YAMLError:  # pragma: no cover - the text was composed already
        pass
    return 1


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    """One validator per kind (building one was most of a small document's validation)."""
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(kind)
    return found


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and (part.startswith(("list[", "function-")) or "[" in part)


_BACKUPS = (".bak", ".orig", ".swp", ".swo", ".tmp", ".save", ".old", ".backup", ".kate-swp")


def not_content(name: str) -> bool:
    """A file name that is never content: hidden (`.DS_Store`, Emacs's lock `.#01-start.md`,
    a dangling link), an editor's backup or swap file (`01-start.md~`, `#01-start.md#`,
    `.bak`, `.orig`, `.swp`, `.swo`, `.tmp`, nano's `.save`, `.old`, `.backup`, Kate's
    `.kate-swp`) or an office suite's lock (`~$01-start.md`)."""
    return (
        name.startswith((".", "~$"))
        or name.endswith("~")
        or (name.startswith("#") and name.endswith("#"))
        or name.lower().endswith(_BACKUPS)
    )


def folder_files(root: Path) -> list[Path]:
    """Every file of a content folder, by name; hidden ones (`.git`, editors' swap files)
    and backups (`not_content`) are not content."""
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory, name) for name in files if not not_content(name))
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


# a FIFO, a device or a socket in the content folder (or a symlink to one): never opened
NOT_REGULAR = "not a regular file (a FIFO, a device or a socket): remove it from the folder"


def read_file(path: Path, name: str, problems: list[Problem]) -> str | None:
    """A content file's text, or None with its problem (too big to be content, or not
    UTF-8): nothing more is said of that file."""
    try:
        status = path.stat()
        if path.is_dir():
            raise IsADirectoryError(21, "a folder, not a file")
    except OSError as exc:  # a folder named x.yaml, a dangling symlink, no permission
        problems.append(Problem(name, 1, f"cannot be read: {exc.strerror or exc}"))
        return None
    if not stat.S_ISREG(status.st_mode):  # a FIFO would wait for a writer, /dev/zero never end
        problems.append(Problem(name, 1, NOT_REGULAR))
        return None
    too_big = Problem(
        name,
        1,
        f"the file is {status.st_size / 1024 / 1024:.1f} MB: a content file may have at most "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB",
    )
    if status.st_size > MAX_FILE_BYTES:
        problems.append(too_big)
        return None
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)  # it may have grown since
    except OSError as exc:
        problems.append(Problem(name, 1, f"cannot be read: {exc.strerror or exc}"))
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.append(too_big)
        return None
    try:  # newlines as read_text gives them (\r\n and \r read as \n)
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(name, line, "not valid UTF-8"))
        return None
