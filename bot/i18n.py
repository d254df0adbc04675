"""The bot's texts: Fluent files shipped in the package, overridable from the content folder."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"


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
                text, errors = self._bundle.format_pattern(message.value, args)
                for error in errors:
                    logger.warning("text %s (%s): %s", key, self.language, error)
                return str(text)
        if self._fallback is not None:
            return self._fallback(key, **args)
        logger.error("missing text %s", key)
        return key


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
