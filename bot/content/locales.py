"""Locale overrides in the content folder (SPEC §4): known texts only, no argument the bot
never gives, and markup the platforms accept once rendered."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast
from fluent.syntax.visitor import Visitor

from bot.content.source import Problem, read_file
from bot.i18n import LANGUAGES, shipped_message_ids, shipped_resource, shipped_source

# Why a text would be refused when sent (`loader.sending_problems`).
SendingCheck = Callable[[str], list[str]]


def load_locales(
    root: Path, problems: list[Problem], sending_problems: SendingCheck
) -> dict[str, str]:
    """The override of each language, its problems added to `problems`."""
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
        text = read_file(path, name, problems)
        if text is None:
            continue
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
                for wrong in _override_problems(
                    entry, shipped[entry.id.name], overridden, sending_problems
                ):
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
    entry: fluent_ast.Message,
    original: fluent_ast.Message,
    bundle: FluentBundle,
    sending_problems: SendingCheck,
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
