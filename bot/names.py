"""People's names as the bot shows them.

A name is whatever a person typed into their profile, so it may carry Unicode's bidi
controls: an unclosed RIGHT-TO-LEFT OVERRIDE (U+202E) in a name turns everything after
it on the line around - the @username and the platform id on a manager's ticket card,
the rest of a welcome - which lets a name pass for someone else's. Those controls have
no use in a name, so they are removed where a name enters the bot (the partner's record,
the chat's welcome); letters of right-to-left scripts are kept, and with no override
left they cannot reorder what follows the name.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# LRM, RLM, ALM; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI
BIDI_CONTROLS: Final = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def without_bidi(text: str) -> str:
    """A partner's text (a question, a phrasing) as shown to managers: without bidi
    controls, which could turn around the card's lines after it. What is stored stays as
    the partner wrote it."""
    return BIDI_CONTROLS.sub("", text)


NO_NAME: Final = "—"  # stored for a name with nothing left in it (bot/texts.py shown_name
# shows «Партнёр 1234» instead)

# Characters that show nothing, kept inside a name or a text (joiners shape emoji and some
# scripts, fillers and spaces separate words) but a name or a required text of nothing else
# is none: ZERO WIDTH SPACE, NON-JOINER, JOINER; WORD JOINER; ZERO WIDTH NO-BREAK SPACE
# (BOM); and the blank-looking ones people pick to pass for a name: HANGUL FILLER (U+3164),
# HANGUL CHOSEONG/JUNGSEONG FILLER (U+115F, U+1160), HALFWIDTH HANGUL FILLER (U+FFA0),
# BRAILLE PATTERN BLANK (U+2800), COMBINING GRAPHEME JOINER (U+034F), MONGOLIAN VOWEL
# SEPARATOR (U+180E), the spaces U+2000-U+200A, U+205F, U+3000, NO-BREAK SPACE (U+00A0)
# and SOFT HYPHEN (U+00AD). The one set for names and content texts (content/models.py).
BLANK_LOOKING: Final = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff"
    "\u3164\u115f\u1160\uffa0\u2800\u034f\u180e"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u205f\u3000\u00a0\u00ad"
)


def display_name(name: str, fallback: str = NO_NAME) -> str:
    """`name` without bidi controls (and the blanks they leave at its ends); `fallback`
    when nothing visible is left (blanks and `BLANK_LOOKING` characters are not)."""
    shown = BIDI_CONTROLS.sub("", name).strip()
    return shown if _shows_something(shown) else fallback


# what shows nothing besides `BLANK_LOOKING`: format characters (tags U+E0020…, the musical
# U+1D173…), controls, surrogates, private use and unassigned code points, separators,
# and marks with nothing to sit on (variation selectors U+FE0F, a lone accent) — a
# «/support» of two tag spaces opened a ticket with an empty question (a tester of
# session 22)
_NOTHING_SHOWN: Final = frozenset(("Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"))


def _shows_something(text: str) -> bool:
    return any(
        not char.isspace()
        and char not in BLANK_LOOKING
        and unicodedata.category(char) not in _NOTHING_SHOWN
        for char in text
    )


def shows_nothing(text: str) -> bool:
    """Whether `text` would look empty (blanks, bidi controls and `BLANK_LOOKING` only):
    no question to pass on, nothing to reopen a ticket for."""
    return not display_name(text, "")


def greeting_name(name: str) -> str:
    """`name` for a greeting, or "" when nothing of it is left to show (a greeting then
    goes without it: «Здравствуйте!», not «Здравствуйте, —!»). A stored name that was
    empty is already `NO_NAME`."""
    shown = display_name(name, "")
    return "" if shown == NO_NAME else shown


# Unicode's format characters (category Cf) but the bidi controls above: SOFT HYPHEN,
# ZERO WIDTH SPACE, NON-JOINER, JOINER, WORD JOINER, the invisible operators, BOM, the
# Arabic and other number and text marks, tags. A text pasted from a web page carries them
# inside words («вы\u00adпла\u00adты», «к\u200bо\u200bг\u200bд\u200bа»). The bidi
# controls stay word breaks where text is read (an override turns the letters after it
# around: they are not shown in the order typed; `BIDI_CONTROLS`).
FORMAT_CHARACTERS: Final = re.compile(
    "[\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200d\u2060-\u2065"
    "\u206a-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_ZWJ: Final = "\u200d"
_BLACK_FLAG: Final = "\U0001f3f4"  # tag characters after it spell a flag (🏴 + «gbeng»)


def _pictured(char: str) -> bool:
    """A symbol an emoji sequence joins: an emoji (So), a skin tone (Sk), VS16."""
    return bool(char) and (char == "\ufe0f" or unicodedata.category(char) in ("So", "Sk"))


def _format_kept(found: re.Match[str]) -> str:
    char, text, at = found.group(), found.string, found.start()
    before = text[at - 1] if at else ""
    if char == _ZWJ and _pictured(before) and _pictured(text[at + 1 : at + 2]):
        return char  # 👩‍💻 is one picture
    if "\U000e0020" <= char <= "\U000e007f" and (
        before == _BLACK_FLAG or "\U000e0020" <= before <= "\U000e007f"
    ):
        return char  # a flag's tags
    return ""


def unformatted(text: str) -> str:
    """A person's text as the letters it shows, for reading its meaning (FAQ questions,
    menu words, commands' arguments, learned and taught wordings): without format
    characters (`FORMAT_CHARACTERS`), so «вы\u00adпла\u00adты» is «выплаты». A joiner
    inside an emoji sequence (👩‍💻) and a flag's tags are kept: they draw one picture.
    What is shown back to people (names, relayed texts) stays as typed."""
    if text.isascii() or not FORMAT_CHARACTERS.search(text):
        return text
    return FORMAT_CHARACTERS.sub(_format_kept, text)
