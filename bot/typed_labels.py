"""What the bot reads a partner's free text as before the FAQ (`read`, shared by the bot's
handlers and `partnerbot faq match`), and which texts are the bot's own button labels.

The labels are found in the handlers' code, not listed: every text of the locales that a
keyboard shows — `builder.button(text=l10n("key"))`, `InlineKeyboardButton(text=…)`, a
keyboard row's `(l10n("key"), SomeCb(…))` (or any callback data), `{"text": …}`, through a
local name, a conditional or a helper's parameter, `l10n(f"menu-{item}")` as every key it
can name — so a new button is covered by itself (tests/test_review_s14_fixlabels.py checks
that every button's label is either found here or comes from the content). Typed as text,
a partner's own label does what its button does or gets a short answer
(bot/services/label_reading.py: `LABELS`); any other label (a manager's «✅ Подтвердить»,
«Всё равно эту дату», the partner's «Да, отозвать») is told it is a button's label — never
an FAQ question, option, logged question or gap."""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from bot.content.models import Content
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, shipped_message_ids
from bot.services import label_reading, small_talk

_LONGEST: Final = 64  # a button's label is one short line


@cache
def _handlers_dir() -> Path:
    spec = importlib.util.find_spec("handlers")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the handlers package is not importable")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def scan() -> tuple[frozenset[str], tuple[str, ...]]:
    """The locale keys the handlers show as button labels, and where a label names no
    locale key (`path:line: expression`: the content's titles, questions, options)."""
    known = shipped_message_ids("ru") | shipped_message_ids("en")
    root = _handlers_dir()
    trees = {
        path.relative_to(root.parent).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(root.rglob("*.py"))
    }
    scopes = {path: [tree, *_scopes(tree)] for path, tree in trees.items()}
    nodes = {id(scope): list(_own_nodes(scope)) for each in scopes.values() for scope in each}
    calls = [
        (node, scope)
        for each in scopes.values()
        for scope in each
        for node in nodes[id(scope)]
        if isinstance(node, ast.Call)
    ]
    functions: dict[str, list[ast.AST]] = {}
    for each in scopes.values():
        for scope in each[1:]:
            assert isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef)
            functions.setdefault(scope.name, []).append(scope)
    code = _Code(calls, nodes, known, functions)
    keys: set[str] = set()
    unnamed: set[str] = set()
    for path, each in scopes.items():
        for scope in each[1:]:
            for label in _labels_in(nodes[id(scope)]):
                found = _keys(label, scope, code, depth=0)
                keys |= found
                if not found:
                    unnamed.add(f"{path}:{label.lineno}: {ast.unparse(label)}")
    return frozenset(keys), tuple(sorted(unnamed))


@dataclass(frozen=True)
class _Code:
    calls: list[tuple[ast.Call, ast.AST]]  # every call, with the function it is in
    nodes: dict[int, list[ast.AST]]  # a function's own nodes, by id
    known: frozenset[str]  # the locale keys
    functions: dict[str, list[ast.AST]]  # the functions of a name


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    """The module's functions (innermost code read with its enclosing function's names)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function, without those of the functions defined in it."""
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield child
        yield from _own_nodes(child)


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _labels_in(nodes: list[ast.AST]) -> Iterator[ast.expr]:
    """The expressions a function (its own nodes) puts on buttons."""
    in_rows = {
        id(element) for node in nodes if isinstance(node, ast.List) for element in node.elts
    }
    for node in nodes:
        if isinstance(node, ast.Call) and _callee(node) in ("button", "InlineKeyboardButton"):
            yield from (word.value for word in node.keywords if word.arg == "text")
        elif isinstance(node, ast.Dict):
            names = {key.value for key in node.keys if isinstance(key, ast.Constant)}
            if names & {"callback_data", "url", "payload"}:
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in ("text", "label"):
                        yield value
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            data = node.elts[1]
            if id(node) in in_rows or (
                isinstance(data, ast.Call) and _callee(data).endswith(("Cb", "data"))
            ):
                yield node.elts[0]  # a (label, callback data) pair, or a keyboard row's


def _keys(expr: ast.AST, scope: ast.AST, code: _Code, depth: int) -> set[str]:
    """The locale keys an expression's text may come from (names followed through the
    function's assignments and, for a parameter, every call's argument)."""
    if depth > 4:
        return set()
    if isinstance(expr, ast.Call):
        first = expr.args[0] if expr.args else None
        arguments = [word.value for word in expr.keywords]
        if isinstance(first, ast.Constant) and first.value in code.known:
            named = {first.value}
        elif isinstance(first, ast.JoinedStr):
            named = _f_keys(first, code.known)
        else:
            named = set()
        if named:  # and, when it has no word of its own, the texts its variables show:
            # «Видео» of «{ $kind } ({ $count })»; «Язык: { $language }» is read whole
            wordless = all(not _has_word(key) for key in named)
            parts: list[ast.AST] = [
                value for value in arguments if wordless and isinstance(value, ast.Call | ast.Name)
            ]
        else:  # a helper's text: the text it is given first, and what it returns
            parts = list(expr.args[:1])
            for scope_of in code.functions.get(_callee(expr), ()):
                parts_of = [
                    node.value
                    for node in code.nodes[id(scope_of)]
                    if isinstance(node, ast.Return) and node.value is not None
                ]
                for value in parts_of:
                    named |= _keys(value, scope_of, code, depth + 1)
    elif isinstance(expr, ast.Name):
        return _name_keys(expr.id, scope, code, depth)
    elif isinstance(expr, ast.JoinedStr):
        parts = [value.value for value in expr.values if isinstance(value, ast.FormattedValue)]
    elif isinstance(expr, ast.IfExp):
        parts = [expr.body, expr.orelse]
    elif isinstance(expr, ast.BoolOp):
        parts = list(expr.values)
    elif isinstance(expr, ast.BinOp):
        parts = [expr.left, expr.right]
    elif isinstance(expr, ast.Subscript):
        parts = [expr.value]
    else:
        return set()
    found: set[str] = set(named) if isinstance(expr, ast.Call) else set()
    for part in parts:
        found |= _keys(part, scope, code, depth + 1)
    return found


def _has_word(key: str) -> bool:
    """The shipped Russian text of `key`, its variables aside, has a word."""
    text = _SHIPPED.get(DEFAULT_LANGUAGE).blanked(key, "") or ""
    return any(len(word) > 1 for word in re.findall(r"[^\W\d_]+", text))


_SHIPPED: Final = Translator()


def _f_keys(template: ast.JoinedStr, known: frozenset[str]) -> set[str]:
    """The keys `l10n(f"menu-{item}")` can name."""
    parts = [
        re.escape(str(part.value)) if isinstance(part, ast.Constant) else ".+"
        for part in template.values
    ]
    if not any(isinstance(part, ast.Constant) for part in template.values):
        return set()
    pattern = re.compile("".join(parts))
    return {key for key in known if pattern.fullmatch(key)}


def _name_keys(name: str, scope: ast.AST, code: _Code, depth: int) -> set[str]:
    found: set[str] = set()
    for node in code.nodes.get(id(scope), ()):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            found |= _keys(node.value, scope, code, depth + 1)
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        params = [arg.arg for arg in (*scope.args.posonlyargs, *scope.args.args)]
        if name in params or name in (arg.arg for arg in scope.args.kwonlyargs):
            position = params.index(name) if name in params else None
            for call, caller in code.calls:
                if _callee(call) != scope.name:
                    continue
                given = [word.value for word in call.keywords if word.arg == name]
                if position is not None and position < len(call.args):
                    given.append(call.args[position])
                for value in given:
                    found |= _keys(value, caller, code, depth + 1)
    return found


# --- the table of labels, per translator (the texts in effect) --------------------------

_TABLES: list[tuple[Translator, label_reading.LabelTable]] = []


def labels(translator: Translator) -> label_reading.LabelTable:
    """Every label in every language of the texts in effect, with what typing it does."""
    if not _TABLES or _TABLES[0][0] is not translator:
        keys, _unnamed = scan()
        shown = [_shown(translator, language, blank=label_reading.BLANK) for language in LANGUAGES]
        _TABLES[:] = [(translator, label_reading.label_table(shown, keys))]
    return _TABLES[0][1]


def _shown(translator: Translator, language: str, blank: str) -> label_reading.TextOf:
    l10n = translator.get(language)

    def text_of(key: str) -> str:
        text = l10n.blanked(key, blank) or ""
        return "" if "\n" in text or len(text) > _LONGEST else text

    return text_of


def read(text: str, content: Content | None, translator: Translator) -> small_talk.Reading | None:
    """What a partner's text is before the FAQ (None: a question for it): a menu word,
    asking for a person, a question about the bot itself, a number, small talk
    (bot/services/small_talk.py), or one of the bot's button labels — "say" with the
    small-talk answer it gets, "menu" or "person" for what its button opens."""
    reading = small_talk.read(text, content)
    if reading is None:
        label = label_reading.typed_label(text, labels(translator))
        if label is not None:
            reading = small_talk.Reading(label.kind, label.command)
    return reading


def described(reading: small_talk.Reading) -> str:
    """A reading in a word or two for `faq match`: «menu /settings», «say consent», «ack»."""
    if reading.kind == "menu":
        return f"menu /{reading.command}"
    if reading.kind == "person":
        return "person /support"
    return f"say {reading.command}" if reading.kind == "say" else reading.kind
