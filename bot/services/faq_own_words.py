"""A program's own words (`content/lexicon.yaml`) as the sentence encoder reads them.

The lexical matcher reads «зч» as the «деталь» the lexicon says it means; the sentence
encoder (faq_vectors.py) knows Russian and English, not a program's slang, and read «зч на
гранту есть?» as nothing like «Какие запчасти продаются?» (its closest entry by meaning was
another one, so the right one was not even offered: the tester of session 20). So before a
partner's question is encoded, each of the program's own words and phrases in it that is no
dictionary word («зч», «з/ч», «запчастя»: one pymorphy3 does not know, or a lone letter) is
replaced by what it `means`. A word the encoder knows («запчасти») stays: «деталь» read
the FAQ's «Какие запчасти продаются?» less close than the word itself. The FAQ's own
wordings are encoded as the author wrote them («Какие деталь продаются на магазин?» read
worse than either). The shipped vocabulary is not spelled out this way: the encoder was
measured with its words as typed (BENCHMARKS.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from bot.content.models import LexiconItem
from bot.services.faq_morphology import analyzer
from bot.services.faq_text import fold


class OwnWords:
    """Replaces a program's own words in a text by what they mean (the identity without)."""

    def __init__(self, items: Sequence[LexiconItem]) -> None:
        self._pattern, self._means = _compiled(
            tuple((tuple(item.words), item.means) for item in items)
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        means = self._means  # a match the key misses (case rules differ) stays as typed
        return self._pattern.sub(
            lambda found: means.get(_key(found.group(0)), found.group(0)), fold(text)
        )


def _in_the_dictionary(phrase: str) -> bool:
    """Every word of it is one pymorphy3 knows, of two letters or more."""
    parts = re.findall(r"\w+", phrase)
    return bool(parts) and all(len(part) >= 2 and analyzer().word_is_known(part) for part in parts)


def _key(word: str) -> str:
    return " ".join(fold(word).casefold().replace("ё", "е").split())


@lru_cache(maxsize=8)
def _compiled(
    items: tuple[tuple[tuple[str, ...], str], ...],
) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    means: dict[str, str] = {}
    for words, meaning in items:
        for word in words:
            key = _key(word)
            if key and key != _key(meaning) and not _in_the_dictionary(key):
                means.setdefault(key, meaning)
    if not means:
        return None, means
    # the longest first: a phrase before the word it starts with; any spacing inside
    spelled = (
        r"\s+".join(re.escape(part).replace("е", "[её]") for part in key.split())
        for key in sorted(means, key=len, reverse=True)
    )
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(spelled)})(?!\w)", re.IGNORECASE)
    return pattern, means
