"""Read and validate a content folder; every problem is reported as `file:line: message`."""

from __future__ import annotations

import html
import re
import stat
import typing
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from bot.content.locales import load_locales
from bot.content.models import (
    LINK_SCHEMES,
    Content,
    Contest,
    Creative,
    FaqEntry,
    Lesson,
    LessonMeta,
    LexiconItem,
    Program,
    Template,
)
from bot.content.references import (
    LIST_FILES,
    KnownContests,
    check_contests,
    check_lessons,
    check_refs,
    check_segments,
    known_segments,
)
from bot.content.render import creative_message, faq_answer_html, lesson_html, messages_of
from bot.content.source import (
    NOT_REGULAR,
    ContentInvalid,
    Problem,
    Source,
    folder_files,
    not_content,
    read_file,
)
from bot.max import markup as max_markup
from bot.rendering import CAPTION_LIMIT, TEXT_LIMIT, split_text, utf16_length
from bot.telegram.html import HtmlRefused, parse_html
from bot.vk import convert

VK_TEXT_LIMIT = 4096  # characters of a VK message
# a lesson is sent in parts (docs/content-checks.md), up to this many
LESSON_MESSAGES = 5
LESSON_LIMIT = LESSON_MESSAGES * TEXT_LIMIT  # characters of its Markdown

# the loader's API: `load_content`, the error it raises, and the sending checks
__all__ = ["ContentInvalid", "load_content", "markdown_problems", "sending_problems"]


def load_content(root: Path, known: KnownContests | None = None) -> Content:
    """Load and validate a content folder, or raise ContentInvalid with every problem.
    `known`: on /reload, the contests the bot has and its clock: a new contest whose
    start has passed is named in `Content.late_contests` (`references.KnownContests`)."""
    problems: list[Problem] = []
    if not root.is_dir():
        raise ContentInvalid([Problem(str(root), 1, "content folder not found")])

    sources: dict[str, Source] = {}  # each YAML file as read, valid or not
    kept: dict[str, list[int]] = {}  # each list file's valid items: their positions
    program = _load_yaml(root, "program.yaml", Program, problems, sources, kept, required=True)
    faq = _load_yaml(root, "faq.yaml", list[FaqEntry], problems, sources, kept, required=True)
    faq = faq or []
    creatives = _load_yaml(root, "creatives.yaml", list[Creative], problems, sources, kept) or []
    templates = _load_yaml(root, "templates.yaml", list[Template], problems, sources, kept) or []
    lexicon = _load_yaml(root, "lexicon.yaml", list[LexiconItem], problems, sources, kept) or []
    one_item_files: list[Source] = []  # lessons' front matter and contests, valid or not
    contests = _load_contests(root, problems, one_item_files)
    lesson_sources = _load_lessons(root, problems, one_item_files)
    lessons = [lesson for lesson, _source in lesson_sources]
    locales = load_locales(root, problems, sending_problems)

    special_files(root, problems)
    _stray_lesson_files(root, lessons, problems)
    # every check runs in one pass, on what each file says even where another of its keys
    # is wrong (an item left out by an error still has its segments checked)
    segment_ids = known_segments(program, sources.get("program.yaml"))
    check_refs(root, sources, segment_ids, problems)
    check_segments([sources[name] for name in LIST_FILES if name in sources],
                   one_item_files, segment_ids, problems)  # fmt: skip
    check_lessons(root, lesson_sources, problems)
    late = check_contests(contests, problems, known)
    _check_rendering(root, faq, creatives, lesson_sources, sources, kept, problems)
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
        late_contests=late,
        lexicon=lexicon,
    )


def _load_yaml(
    root: Path,
    name: str,
    kind: Any,
    problems: list[Problem],
    sources: dict[str, Source],
    kept: dict[str, list[int]],
    *,
    required: bool = False,
) -> Any:
    path = root / name
    if not path.exists():
        if required:
            problems.append(Problem(name, 1, "required file is missing"))
        return None
    text = read_file(path, name, problems)
    if text is None:  # too big, or not UTF-8: said already, and nothing more
        return None
    source = sources[name] = Source(root, path, text)
    if source.data is None and not source.problems:
        if required:
            problems.append(Problem(name, 1, "file is empty"))
        return None
    item_kind = _list_item(kind)
    if item_kind is not None and isinstance(source.data, list) and not source.broken:
        # item by item: an error in one item hides nothing in the others (review 17)
        value: Any = []
        kept[name] = []
        for index, item in enumerate(source.data):
            valid = source.validate_at(item_kind, item, index)
            if valid is not None:
                value.append(valid)
                kept[name].append(index)
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


def _load_contests(
    root: Path, problems: list[Problem], read: list[Source]
) -> list[tuple[Contest, Source]]:
    """`contests/*.yaml`, one contest a file (SPEC §7)."""
    found: list[tuple[Contest, Source]] = []
    folder = root / "contests"
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.yaml")):
        if not_content(path.name):
            continue
        text = read_file(path, path.relative_to(root).as_posix(), problems)
        if text is None:
            continue
        source = Source(root, path, text)
        read.append(source)
        contest: Contest | None = source.validate(Contest)
        problems.extend(source.problems)
        if contest is not None:
            found.append((contest, source))
    return found


def _load_lessons(
    root: Path, problems: list[Problem], read: list[Source]
) -> list[tuple[Lesson, Source]]:
    lessons: list[tuple[Lesson, Source]] = []
    folder = root / "lessons"
    if not folder.is_dir():
        return lessons
    for path in sorted(folder.glob("*.md")):
        if not_content(path.name):  # «.#01-start.md»: Emacs's lock, a dangling link
            continue
        name = path.relative_to(root).as_posix()
        text = read_file(path, name, problems)
        if text is None:
            continue
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
        source = Source(root, path, "\n".join(lines[1:end]), line_offset=1)
        read.append(source)
        meta: LessonMeta | None = source.validate(LessonMeta)
        problems.extend(source.problems)
        body = "\n".join(lines[end + 1 :]).strip()
        if not body:
            problems.append(
                Problem(name, end + 1, "the lesson has no text after the front matter")
            )
        if meta is None or not body:
            continue
        lessons.append((Lesson(**meta.model_dump(), body=body), source))
    return lessons


def _stray_lesson_files(root: Path, lessons: list[Lesson], problems: list[Problem]) -> None:
    """What lessons/ holds that no lesson is read from — a folder, `06-UP.MD`, `notes.txt`
    (not an attachment of a lesson) — is named: it passed `content check` unread, and its
    author thought it a lesson. Hidden files (`.DS_Store`, an editor's) and editors' backups
    (`01-start.md~`, `#01-start.md#`, `.bak`, `.orig`, `.swp`, `.tmp`) are left alone, as
    `contests/` and the folder's other files leave them."""
    folder = root / "lessons"
    if not folder.is_dir():
        return
    attached = {item for lesson in lessons for item in lesson.attachments}
    for path in sorted(folder.iterdir()):
        name = path.relative_to(root).as_posix()
        if not_content(path.name) or name in attached or path.suffix == ".md":
            continue
        if path.is_dir():
            problems.append(
                Problem(name, 1, "a folder in lessons/ is not read: a lesson is lessons/NAME.md")
            )
            continue
        rename = (
            f": rename it {path.stem}.md" if path.suffix.lower() in (".md", ".markdown") else ""
        )
        problems.append(
            Problem(
                name,
                1,
                f"not a lesson (a lesson is lessons/NAME.md{rename}; a lesson's file is named"
                " in its attachments)",
            )
        )


def _check_rendering(
    root: Path,
    faq: list[FaqEntry],
    creatives: list[Creative],
    lessons: list[tuple[Lesson, Source]],
    sources: dict[str, Source],
    kept: dict[str, list[int]],
    problems: list[Problem],
) -> None:
    """Every lesson, FAQ answer and creative rendered exactly as it is sent, on Telegram
    (HTML, checked as the Bot API parses it, in UTF-16 units) and on VK (plain text)."""
    for lesson, source in lessons:
        body_line = _body_line(root / source.name)
        if len(lesson.body) > LESSON_LIMIT:  # not rendered: it would take seconds
            problems.append(
                Problem(
                    source.name,
                    body_line,
                    f"the lesson has {len(lesson.body):,} characters: at most"
                    f" {LESSON_LIMIT:,} ({LESSON_MESSAGES} messages)",
                )
            )
            continue
        for line, message in markdown_problems(lesson.body):
            problems.append(Problem(source.name, body_line + line, message))
        header = f"<b>Урок 99 из 99. {html.escape(lesson.title)}</b>"
        for wrong in sending_problems(lesson_html(lesson, header)):
            problems.append(Problem(source.name, body_line, f"the lesson {wrong}"))
    for index, entry in zip(kept.get("faq.yaml", []), faq, strict=True):
        answer = faq_answer_html(entry)
        wrong_parts = sending_problems(answer)
        parts = len(messages_of(answer))
        on_max = max_markup.sent_length(max_markup.html(answer))  # as written, if markup
        if parts > 1:  # the answer goes as one message, its buttons under it
            wrong_parts.append(
                f"does not fit one message with its question: it would go as {parts} (at"
                f" most {TEXT_LIMIT:,} characters on Telegram; shorten it or split the entry)"
            )
        elif on_max > max_markup.TEXT_LIMIT:
            wrong_parts.append(
                f"does not fit one message with its question on MAX: {on_max:,} characters"
                f" with its markup, at most {max_markup.TEXT_LIMIT:,} (shorten it or split"
                " the entry)"
            )
        for wrong in wrong_parts:
            line = sources["faq.yaml"].line((index,))
            problems.append(Problem("faq.yaml", line, f"the answer {entry.id!r} {wrong}"))
    for index, item in zip(kept.get("creatives.yaml", []), creatives, strict=True):
        sent = creative_message(item)
        wrong_parts = []
        if sent.caption is not None:
            wrong_parts += sending_problems(sent.caption, CAPTION_LIMIT, "caption")
        if sent.text is not None:
            wrong_parts += sending_problems(sent.text)
        source = sources["creatives.yaml"]
        for wrong in wrong_parts:
            line = source.line((index,))
            problems.append(Problem("creatives.yaml", line, f"the creative {item.id!r} {wrong}"))
        for key in ("title", "text"):  # sent as written (partners copy it): tags show as text
            tag = _TAG.search(getattr(item, key) or "")
            if tag is not None:
                said = f"the creative {item.id!r} {key} has HTML {tag.group(0)[:40]!r}"
                problems.append(
                    Problem(
                        "creatives.yaml",
                        source.line((index, key)),
                        f"{said}: it would show as text",
                    )
                )


def sending_problems(text: str, limit: int = TEXT_LIMIT, what: str = "message") -> list[str]:
    """Why `text` would be refused when sent (as its parts, on Telegram and on VK)."""
    found: list[str] = []
    parts = split_text(text, limit) if what == "message" else [text]
    for number, part in enumerate(parts, start=1):
        try:
            visible = parse_html(part)
        except HtmlRefused as exc:
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
            if child.type in ("softbreak", "hardbreak"):
                line += 1  # the paragraph's next line
            elif child.type == "html_inline":
                found.append(
                    (line, f"unsupported HTML {child.content[:40]!r}: it would show as text")
                )
            elif child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                if not href.lower().startswith(LINK_SCHEMES):
                    found.append((line, f"link {href[:60]!r}: {_LINK_RULE}"))
            elif child.type == "text":
                # a link Markdown refused to make («javascript:», «file:»): shown as text
                for refused in _REFUSED_LINK.finditer(child.content):
                    found.append((line, f"link {refused.group(1)[:60]!r}: {_LINK_RULE}"))
    return found


# formatting an author may mean as markup (not «<3», «<имя>», «<education>»)
_TAG = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|a|code|pre|br|p|span|div|blockquote|tg-spoiler)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_LINK_RULE = "a link must start with http:// or https:// (or tg://)"
_REFUSED_LINK = re.compile(r"\]\(\s*<?([^\s>]+)\)")  # to the last «)»: «alert(1)» whole


def _body_line(path: Path) -> int:
    """The line a lesson's body starts on (after its front matter)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    return closing + 2


def special_files(root: Path, problems: list[Problem]) -> None:
    """A FIFO, a device or a socket in the folder, or a symlink to one (a FIFO's open()
    waits for a writer, /dev/zero never ends): refused with its name, never opened — by
    the content files read here or by the folder's fingerprint."""
    for path in folder_files(root):
        try:
            mode = path.stat().st_mode
        except OSError:  # a dangling symlink: an item naming it is told "not found"
            continue
        if not stat.S_ISREG(mode):
            problems.append(Problem(path.relative_to(root).as_posix(), 1, NOT_REGULAR))
