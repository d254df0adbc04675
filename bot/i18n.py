"""The bot's texts: Fluent files shipped in the package, overridable from the content folder."""

from __future__ import annotations

import html
import logging
import re
from functools import cache
from pathlib import Path
from typing import Any, Final

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast
from fluent.syntax.visitor import Visitor

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
# Fluent refuses a string argument over 2,500 characters (the whole text becomes «{???}»):
# a longer one is cut to this many, with «…» (`fitted`), so no text can fail that way
ARG_LIMIT: Final = 2000
# Telegram HTML as tokens: a tag, an entity, or one character (as bot.rendering splits)
_TOKEN = re.compile(r"<[^<>]*>|&(?:[A-Za-z]{1,8}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});|.", re.S)
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")
_CLOSING_ROOM: Final = 100  # for the tags a cut leaves open, closed after the «…»
ECHO_LIMIT: Final = 200  # what a person typed, quoted back in an answer (`echo`)


@cache
def shipped_source(language: str) -> str:
    return (LOCALES_DIR / f"{language}.ftl").read_text(encoding="utf-8")


@cache
def shipped_resource(language: str) -> fluent_ast.Resource:
    """The shipped file parsed once (a tenth of a second each): bundles only read it."""
    return FluentParser().parse(shipped_source(language))


@cache
def shipped_message_ids(language: str) -> frozenset[str]:
    return frozenset(
        entry.id.name
        for entry in shipped_resource(language).body
        if isinstance(entry, fluent_ast.Message)
    )


def fitted(value: str, limit: int = ARG_LIMIT) -> str:
    """`value` as it is when at most `limit` characters, else cut with «…» to fit in
    `limit`: never inside a tag or an entity, and the tags left open are closed after it."""
    if len(value) <= limit:
        return value
    kept: list[str] = []
    open_tags: list[str] = []
    size = 0
    for token in _TOKEN.findall(value):
        if size + len(token) > limit - 1 - _CLOSING_ROOM:
            break
        kept.append(token)
        size += len(token)
        tag = _TAG.match(token) if len(token) > 1 and token.startswith("<") else None
        if tag is None or token.endswith("/>"):
            continue
        name = tag.group(2).lower()
        if not tag.group(1):
            open_tags.append(name)
        elif name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name)]
    closing = "".join(f"</{name}>" for name in reversed(open_tags))
    return "".join(kept) + "…" + closing


def echo(typed: str, limit: int = ECHO_LIMIT) -> str:
    """What a person typed, quoted back in an answer («Партнёр «…» не найден»): at most
    `limit` characters of it (cut with «…»), escaped for HTML."""
    if len(typed) > limit:
        typed = typed[: limit - 1].rstrip() + "…"
    return html.escape(typed)


def pick_language(code: str | None) -> str:
    """Russian is the default; a client whose language is English gets English."""
    if code and code.lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


class L10n:
    """Texts of one language, with the Russian texts as the fallback."""

    def __init__(self, language: str, bundle: FluentBundle, fallback: L10n | None) -> None:
        self.language = language
        self._bundle = bundle
        self._fallback = fallback

    def __call__(self, key: str, /, **args: Any) -> str:
        if self._bundle.has_message(key):
            message = self._bundle.get_message(key)
            if message.value is not None:
                fitting = {
                    name: fitted(value) if isinstance(value, str) else value
                    for name, value in args.items()
                }
                text, errors = self._bundle.format_pattern(message.value, fitting)
                for error in errors:
                    logger.warning("text %s (%s): %s", key, self.language, error)
                return str(text)
        if self._fallback is not None:
            return self._fallback(key, **args)
        logger.error("missing text %s", key)
        return key

    def blanked(self, key: str, blank: str) -> str | None:
        """The text of `key` with each of its variables as `blank` (a select shows its
        default variant), or None when there is no such text."""
        if not self._bundle.has_message(key):
            return None if self._fallback is None else self._fallback.blanked(key, blank)
        message = self._bundle.get_message(key)
        if message.value is None:
            return None
        names = _Variables()
        names.visit(message.value)
        text, _errors = self._bundle.format_pattern(
            message.value, dict.fromkeys(names.found, blank)
        )
        return str(text)


class _Variables(Visitor):
    """The variables a pattern names."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_VariableReference(self, node: fluent_ast.VariableReference) -> None:  # noqa: N802
        self.found.add(node.id.name)


class Translator:
    """All languages; rebuilt when the content folder's overrides change."""

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        overrides = overrides or {}
        russian = L10n(DEFAULT_LANGUAGE, _bundle(DEFAULT_LANGUAGE, overrides), None)
        self._by_language = {DEFAULT_LANGUAGE: russian}
        for language in LANGUAGES:
            if language != DEFAULT_LANGUAGE:
                self._by_language[language] = L10n(language, _bundle(language, overrides), russian)

    def get(self, language: str | None) -> L10n:
        return self._by_language.get(language or DEFAULT_LANGUAGE, self._by_language["ru"])


def _bundle(language: str, overrides: dict[str, str]) -> FluentBundle:
    bundle = FluentBundle([language], use_isolating=False)
    bundle.add_resource(shipped_resource(language))
    if language in overrides:
        bundle.add_resource(FluentResource(overrides[language]), allow_overrides=True)
    return bundle
