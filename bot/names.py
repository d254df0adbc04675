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

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

from bot.rendering import plain_text

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


def name_forms(first_name: str, username: str | None = None) -> list[str]:
    """How the bot's posts show a person: their name as shown (`greeting_name`) and their
    @username (the posts' HTML escapes of them: `Naming.written`)."""
    name = greeting_name(first_name)
    return list(dict.fromkeys(([name] if name else []) + ([f"@{username}"] if username else [])))


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


def _wordy(char: str) -> bool:
    """A character a word goes on with: a letter, a digit, a mark (an accent on the letter
    before it) or «_» (of an @username)."""
    return char == "_" or unicodedata.category(char)[0] in "LMN"


# scripts written without spaces between words: a name in them runs into the words around
_UNSPACED: Final = ("CJK ", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


def _word_edge(char: str) -> bool:
    """Whether a word may go on across this end of a name (its first or last character)."""
    return _wordy(char) and not unicodedata.name(char, "").startswith(_UNSPACED)


def _whole_at(text: str, start: int, name: str) -> bool:
    """Whether `name`, found in `text` at `start`, stands there whole: no word goes on
    across either of its ends («Анна» in «1. Анна — 3», not in «Жанна», «Аннабель»,
    «Анна2»; «@anna» not in «@anna_b»).

    Whole-word would be wrong for some of a person's own name forms, so an end asks for
    no boundary where a boundary means nothing there. An end that is no letter, digit or
    mark — an emoji («Анна 🌸»), a bracket or «&» («Зульфия & <Ко>»), the «@» of
    «@anna» — is not part of any word, so what
    stands beside it cannot make the name a piece of a longer one; a name with no letter
    at either end (emoji alone) is found as written, even inside a longer run of emoji.
    And a script written without spaces (Chinese, Japanese, Thai…) runs a name into the
    words around it: «恭喜王伟获胜» names «王伟», so its letters are no word edge either.
    Where it cannot tell, /forget errs towards forgetting."""
    end = start + len(name)
    before = start > 0 and _wordy(text[start - 1]) and _word_edge(name[0])
    after = end < len(text) and _wordy(text[end]) and _word_edge(name[-1])
    return not before and not after


def _places(text: str, name: str) -> list[int]:
    """Where `name` stands whole in `text` (found as written: no pattern, any case kept)."""
    found, start = [], text.find(name)
    while start >= 0:
        if _whole_at(text, start, name):
            found.append(start)
        start = text.find(name, start + 1)
    return found


@dataclass(frozen=True)
class Naming:
    """How the bot's texts name one person — `forms`: their name as shown, their
    @username, their label on the boards — and `others`: other people's names with one of
    those forms inside as a whole word («Анна Петрова» and «Анна-Мария» for «Анна»), where
    the form does not name this person.

    A text is read as its reader sees it (`in_text`): the posts are Telegram HTML, and a
    name is found in what they show, never in their markup — «amp» is not in «Tom &amp;
    Jerry», «quot» or «x27» not in an escaped quote, «href» or «<b>» not in a tag."""

    forms: tuple[str, ...]
    others: tuple[str, ...] = ()

    @property
    def searched(self) -> list[str]:
        """The forms a text is searched for (one character names nobody)."""
        return [form for form in self.forms if len(form) > 1]

    @property
    def written(self) -> list[str]:
        """The searched forms as a post's HTML may have them — as shown, escaped as a name
        in a text («&», «<», «>») and as the boards escape it (quotes too) — for the
        database to narrow the texts to (`in_text` then reads which name the person)."""
        escaped = (
            (form, html.escape(form, quote=False), html.escape(form)) for form in self.searched
        )
        return list(dict.fromkeys(written for forms in escaped for written in forms))

    def also(self, *forms: str) -> Naming:
        return replace(self, forms=tuple(dict.fromkeys((*self.forms, *forms))))

    def contained_in(self, names: Iterable[str]) -> list[str]:
        """Those of `names` one of the forms is a whole word of, the forms themselves not:
        the `others` to keep apart."""
        return [
            name
            for name in dict.fromkeys(names)
            if name not in self.forms and any(_places(name, form) for form in self.searched)
        ]

    def in_text(self, text: str) -> bool:
        """Whether `text` (Telegram HTML) names the person: one of the forms stands whole
        in what it shows — its tags dropped, its entities read («&amp;» is «&») — not as a
        piece of one of the `others` there («1. Анна Петрова — 3» does not name «Анна»).
        Two people of one name cannot be told apart: a text naming the other names both."""
        shown = plain_text(text)
        return any(
            not self._in_another(shown, start, form)
            for form in self.searched
            for start in _places(shown, form)
        )

    def _in_another(self, text: str, start: int, form: str) -> bool:
        for other in self.others:
            inside = other.find(form)
            while inside >= 0:
                at = start - inside
                if at >= 0 and text.startswith(other, at) and _whole_at(text, at, other):
                    return True
                inside = other.find(form, inside + 1)
        return False
