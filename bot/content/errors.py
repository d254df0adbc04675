"""A validation error in a content file, worded for the person who edits it: the field as
its YAML path without the leading list index (the `file:line` points at that item already)
and a plain reason instead of pydantic's ("words: must not be empty", not "1.words: List
should have at least 1 item after validation, not 0")."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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
    return "must be text (put it in quotes)"  # a number, a date, yes/no as YAML reads them


_WHOLE = "must be a whole number"
_DATE = "must be a date like 2026-12-01"
_MOMENT = "must be a date and time with its zone, like 2026-12-01T10:00:00+03:00"
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
    "date_parsing": lambda e: _DATE + _given(e),
    "date_from_datetime_parsing": lambda e: _DATE + _given(e),
    "date_from_datetime_inexact": lambda e: _DATE + _given(e),
    "date_type": lambda e: _DATE + _given(e),
    "datetime_parsing": lambda e: _MOMENT + _given(e),
    "datetime_from_date_parsing": lambda e: _MOMENT + _given(e),
    "datetime_type": lambda e: _MOMENT + _given(e),
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
