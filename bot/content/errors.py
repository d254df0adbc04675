"""A validation error in a content file, worded for the person who edits it: the field as
its YAML path without the leading list index (the `file:line` points at that item already)
and a plain reason instead of pydantic's ("words: must not be empty", not "1.words: List
should have at least 1 item after validation, not 0"); a YAML syntax error likewise, at the
line where the problem starts (`yaml_problem`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

from bot.content.models import ID_PATTERN

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def field_path(loc: Sequence[int | str]) -> str:
    """`(11, "kind")` → `kind`; `("tiers", 0, "id")` → `tiers.id`; `(2, "words", 1)` →
    `words item 2`: list indices go (the line points at the item), a last one is told as
    the item's number counted from 1."""
    parts = list(loc)
    while parts and isinstance(parts[0], int):
        parts.pop(0)
    names = [str(part) for part in parts if not isinstance(part, int)]
    path = ".".join(names)
    if parts and isinstance(parts[-1], int):
        return f"{path} item {parts[-1] + 1}" if path else f"item {parts[-1] + 1}"
    return path


def _given(error: Mapping[str, Any]) -> str:
    """` (got 'photo')`: the value given, short, when it is a plain one."""
    value = error.get("input")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    text = repr(value) if isinstance(value, str) else str(value)
    return f" (got {text[:40]}{'…' if len(text) > 40 else ''})"


def _choices(error: Mapping[str, Any]) -> str:
    expected = str((error.get("ctx") or {}).get("expected", ""))
    options = _QUOTED.findall(expected) or [expected]
    return "must be one of " + ", ".join(options) + _given(error)


def _count(n: object, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _ctx(error: Mapping[str, Any], key: str) -> object:
    return (error.get("ctx") or {}).get(key)


def _pattern(error: Mapping[str, Any]) -> str:
    pattern = str(_ctx(error, "pattern"))
    if pattern == ID_PATTERN:
        return (
            "must be an id: lowercase Latin letters, digits and _ . - (starting with a letter "
            "or a digit, up to 32 characters)" + _given(error)
        )
    return f"must match {pattern}" + _given(error)


def _text(error: Mapping[str, Any]) -> str:
    value = error.get("input")
    if isinstance(value, list):
        return "must be text, not a list"
    if isinstance(value, dict):
        return "must be text, not a mapping"
    if value is None:  # `text:` with nothing after it: YAML reads null
        return "must not be empty"
    return "must be text (put it in quotes)"  # a number, a date, yes/no as YAML reads them


_WHOLE = "must be a whole number"
_DATE_ = "must be a date like 2026-12-01"
_MOMENT_ = "must be a date and time with its zone, like 2026-12-01T10:00:00+03:00"


def _when(expected: str) -> Callable[[Mapping[str, Any]], str]:
    """A date or a moment that is none, with the value given and, when a part of it is
    out of range (2026-13-14, 2026-02-30, 25:00), which part."""

    def told(error: Mapping[str, Any]) -> str:
        why = str(_ctx(error, "error") or "")
        part = f": {why}" if "range" in why else ""
        given = _given(error)
        return expected + (given[:-1] + part + ")" if given else "")

    return told


_DATE = _when(_DATE_)
_MOMENT = _when(_MOMENT_)
_REASONS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "too_short": lambda e: (
        "must not be empty"
        if _ctx(e, "min_length") == 1
        else f"needs at least {_count(_ctx(e, 'min_length'), 'item', 'items')}"
    ),
    "too_long": lambda e: f"may have at most {_count(_ctx(e, 'max_length'), 'item', 'items')}",
    "string_too_short": lambda e: (
        "must not be empty"
        if _ctx(e, "min_length") == 1
        else f"needs at least {_count(_ctx(e, 'min_length'), 'character', 'characters')}"
    ),
    "string_too_long": lambda e: (
        f"may have at most {_count(_ctx(e, 'max_length'), 'character', 'characters')}"
    ),
    "string_pattern_mismatch": _pattern,
    "string_type": _text,
    "literal_error": _choices,
    "enum": _choices,
    "int_parsing": lambda e: _WHOLE + _given(e),
    "int_type": lambda e: _WHOLE + _given(e),
    "int_from_float": lambda e: _WHOLE + _given(e),
    "float_parsing": lambda e: "must be a number" + _given(e),
    "float_type": lambda e: "must be a number" + _given(e),
    "decimal_parsing": lambda e: "must be a number" + _given(e),
    "decimal_type": lambda e: "must be a number" + _given(e),
    "bool_parsing": lambda e: "must be true or false" + _given(e),
    "bool_type": lambda e: "must be true or false" + _given(e),
    "greater_than_equal": lambda e: f"must be at least {_ctx(e, 'ge')}" + _given(e),
    "greater_than": lambda e: f"must be more than {_ctx(e, 'gt')}" + _given(e),
    "less_than_equal": lambda e: f"must be at most {_ctx(e, 'le')}" + _given(e),
    "less_than": lambda e: f"must be less than {_ctx(e, 'lt')}" + _given(e),
    "list_type": lambda e: "must be a list (one `- item` a line, or [a, b])",
    "dict_type": lambda e: "must be a mapping of `key: value` lines",
    "model_type": lambda e: "must be a mapping of `key: value` lines",
    "model_attributes_type": lambda e: "must be a mapping of `key: value` lines",
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "date_type": _DATE,
    "datetime_parsing": _MOMENT,
    "datetime_from_date_parsing": _MOMENT,
    "datetime_type": _MOMENT,
    "url_parsing": lambda e: "must be a link such as https://example.com/page" + _given(e),
    "url_scheme": lambda e: "must be a link starting with http:// or https://" + _given(e),
    "url_type": lambda e: "must be a link such as https://example.com/page",
    "url_too_long": lambda e: "is too long for a link",
}


def reason(error: Mapping[str, Any]) -> str:
    """What is wrong, in plain words (a validator's own message as it is)."""
    kind = str(error.get("type", ""))
    if kind in _REASONS:
        return _REASONS[kind](error)
    return (
        str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    )


UNCLOSED_QUOTE = "the text in quotes is not closed (a \" or ' is missing)"
_INDENT = "a line is indented wrongly (the keys of one item start in the same column)"
_SPECIAL = "a text starting with * & ! % @ or ` must be in quotes"


def yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """A YAML syntax error as (line from 1, plain words): PyYAML's common problems told
    for an editor, at the line where they start (a quote left open on line 21 is found
    only on line 22, where PyYAML stops)."""
    problem = str(getattr(exc, "problem", None) or "")
    context = str(getattr(exc, "context", None) or "")
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    mark = problem_mark or context_mark
    line = mark.line + 1 if mark else 1
    if "quoted scalar" in context and "escape" in problem:
        return line, "a \\ inside \"double quotes\": write \\\\ or use 'single quotes'"
    if "quoted scalar" in context and context_mark is not None:  # open to the file's end
        return context_mark.line + 1, UNCLOSED_QUOTE
    opened = _unclosed_quote(text, problem_mark.line) if problem_mark is not None else None
    if opened is not None:
        return opened, UNCLOSED_QUOTE
    if "'\\t'" in problem:
        return line, "a tab character: indent with spaces only"
    if "cannot start any token" in problem or "undefined alias" in problem:
        return line, _SPECIAL
    if "mapping values are not allowed" in problem:
        return line, (
            'a ":" inside a text that is not in quotes (put the whole text in quotes), '
            "or a line indented too far"
        )
    if context.startswith("while parsing a flow") and context_mark is not None:
        return context_mark.line + 1, "a [ or { is not closed, or a line is indented wrongly"
    if "found '<block mapping start>'" in problem or "found '<block sequence start>'" in problem:
        return line, _INDENT
    if "found '-'" in problem:
        return line, 'a list item ("- ") where a key was expected, or a line indented wrongly'
    if "found '<scalar>'" in problem:
        return line, (
            "text after a closing quote (put the whole text in quotes), "
            "or a line is indented wrongly"
        )
    return line, f"not valid YAML ({problem or context or exc})"


def _unclosed_quote(text: str, stop: int) -> int | None:
    """The line (from 1) of a quoted text that runs over a line break and closes on line
    `stop` (from 0): a quote left open, closed by the next line's opening quote."""
    found = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.line > stop:
                break
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in ('"', "'")
                and token.start_mark.line < token.end_mark.line == stop
            ):
                found = token.start_mark.line + 1
    except yaml.YAMLError:
        pass
    return found
