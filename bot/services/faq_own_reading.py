"""The content's own wordings as the FAQ matcher reads them against what was learned (a mixin
of `FaqMatcher`, as `LearnedReading` is): an entry's own wording (question, `alt`), read in
the words as typed, answers that entry, never what another entry learned in the same words;
and a short learned wording does not pull away a question an entry's own wording matches
better (docs/faq.md, "How it learns")."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content.models import FaqEntry
from bot.services.faq_index import IndexBuilding
from bot.services.faq_learned_reading import Meanings
from bot.services.faq_text import Unit, fold


class OwnReadings:
    """The content's own wordings read as learned wordings are (`OwnReading._read_own`):
    built at the first question, shared by every matcher of one content."""

    def __init__(self) -> None:
        self.by_meaning: tuple[dict[tuple[str, ...], set[int]], ...] | None = None


def sees(entry: FaqEntry, segment: str | None) -> bool:
    """Whether a partner of `segment` (None: anyone) sees the entry."""
    return segment is None or entry.visible_to(segment)


class OwnReading(IndexBuilding):
    """The own-wording side of one FAQ's matcher."""

    _own_readings: OwnReadings

    def own_entries(self, text: str, segment: str | None = None) -> list[str]:
        """The entries one of whose own wordings (question, `alt`) reads as `text` (the
        same words, question and chatty words aside, as a learned wording is compared):
        such a text is theirs, whatever was learned."""
        text = fold(text)
        units = self.question_units(text)
        return self._own_ids(self._own_same(self.meanings(text, units)), segment)

    def _own_same(self, meaning: Meanings) -> set[int]:
        """The entries with an own wording of this meaning (read either way)."""
        if self._own_readings.by_meaning is None:
            self._own_readings.by_meaning = self._read_own()
        found: set[int] = set()
        for mine, theirs in zip(meaning, self._own_readings.by_meaning, strict=True):
            if mine:
                found.update(theirs.get(mine, ()))
        return found

    def _read_own(self) -> tuple[dict[tuple[str, ...], set[int]], ...]:
        """Each entry's question and `alt`s read as a learned wording is (once a content)."""
        joined: dict[tuple[str, ...], set[int]] = {}
        apart: dict[tuple[str, ...], set[int]] = {}
        for index, entry in enumerate(self.entries):
            for wording in (entry.question, *entry.alt):
                text = fold(wording)
                meaning = self.meanings(text, self.question_units(text))
                for found, key in zip((joined, apart), meaning, strict=True):
                    if key:
                        found.setdefault(key, set()).add(index)
        return joined, apart

    def _own_ids(self, own: set[int], segment: str | None) -> list[str]:
        return [
            self.entries[index].id for index in sorted(own) if sees(self.entries[index], segment)
        ]

    def _own_read(
        self, question: str, units: Sequence[Unit], meaning: Meanings, segment: str | None
    ) -> set[int]:
        own = {index for index in self._own_same(meaning) if sees(self.entries[index], segment)}
        return set() if own and self._guessed(question, units) else own

    def _guessed(self, question: str, units: Sequence[Unit]) -> bool:
        """Whether a word of the question was read as a typo of another (its forms not
        the written word's, nor a superset: a transliteration adds, a correction replaces)."""
        written = self.read(question)
        return len(written) != len(units) or any(
            not unit.forms >= word.forms for word, unit in zip(written, units, strict=True)
        )

    def _learned_answers(
        self, index: int, own: set[int], visible: Sequence[int], every_form: set[str]
    ) -> bool:
        """Whether a learned wording of `index` read as the question answers it: not when
        the question reads as another entry's own wording (`own`), nor when another
        entry's own wording shares with the question every word the learned wordings of
        `index` share, and more («когда выплаты» is «Когда приходят выплаты?»'s, not a
        learned «выплаты»'s: a short learned wording does not pull away a question an
        entry's own wording matches better)."""
        if own and index not in own:
            return False
        shared: set[str] = set()
        wordings = self._wordings[index]
        for variant in wordings.variants[wordings.own :]:
            shared.update(form for form in variant if form in every_form)
        for other in visible:
            content = self._content[other]
            if other != index and any(
                {form for form in variant if form in every_form} > shared
                for variant in content.variants[: content.own]
            ):
                return False
        return True
