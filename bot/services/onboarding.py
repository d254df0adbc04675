"""Reading a partner's typed onboarding answers (SPEC §5): an option typed instead of
pressed, and a consent typed as a word."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.names import unformatted

# a typed answer to an onboarding question (one phrase): longer is refused, saying so
ANSWER_LIMIT: Final = 200
YES_WORDS: Final = frozenset(("да", "ага", "конечно", "давайте", "yes", "sure", "ok", "ок"))
NO_WORDS: Final = frozenset(("нет", "не надо", "не нужно", "no", "no thanks"))


def matching_option(text: str, options: Sequence[str]) -> int | None:
    """The option a typed answer means: the same words, or the only option that starts
    with them (at least 3 letters); None when it fits none, or several."""
    typed = " ".join(unformatted(text).casefold().replace("ё", "е").split()).strip(" .!")
    if not typed:
        return None
    names = [" ".join(option.casefold().replace("ё", "е").split()) for option in options]
    if typed in names:
        return names.index(typed)
    starting = [i for i, name in enumerate(names) if len(typed) >= 3 and name.startswith(typed)]
    return starting[0] if len(starting) == 1 else None


def read_consent(text: str, yes: str, no: str) -> bool | None:
    """A consent typed instead of pressed: a yes or no word, or a button's label (`yes`,
    `no`); None for anything else."""
    typed = " ".join(unformatted(text).casefold().split()).strip(" .!")
    chosen = matching_option(typed, (yes, no))
    if typed in YES_WORDS or chosen == 0:
        return True
    if typed in NO_WORDS or chosen == 1:
        return False
    return None
