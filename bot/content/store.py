"""The live content and what is built from it; swapped only for a valid folder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.content.loader import ContentInvalid, load_content
from bot.content.models import Content
from bot.content.source import Problem
from bot.i18n import Translator
from bot.services.faq_matching import FaqMatcher, lexicon

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveContent:
    content: Content
    matcher: FaqMatcher
    translator: Translator


class ContentStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._live = self._build(load_content(root))

    @staticmethod
    def _build(content: Content) -> LiveContent:
        matcher = FaqMatcher(content.faq, lexicon(content.lexicon))
        return LiveContent(content, matcher, Translator(content.locales))

    @property
    def live(self) -> LiveContent:
        return self._live

    @property
    def content(self) -> Content:
        return self._live.content

    def reload(self) -> list[Problem]:
        """Load the folder again; on any problem keep the old content and return them."""
        try:
            content = load_content(self.root)
        except ContentInvalid as exc:
            logger.warning("content reload refused: %d problem(s)", len(exc.problems))
            return exc.problems
        self._live = self._build(content)
        logger.info("content reloaded from %s", self.root)
        return []
