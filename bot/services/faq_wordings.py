"""FAQ wordings as text: what makes two wordings one, which can be learned, teach-file
lines, close entry ids. No database here (bot/services/faq_learned*.py keep the rows)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.clock import as_utc
from bot.names import BIDI_CONTROLS, unformatted
from bot.services import small_talk_phrases
from bot.services.faq_matching import FaqMatcher, words
from bot.services.faq_text import has_a_word

MAX_PHRASING = 500  # a longer wording is not learned (a manager is told; the answer still goes)
NO_MEANING = "no words that carry meaning: it could never match"
SMALL_TALK = "small talk («как дела», «спасибо»): the bot answers it itself, it could never match"


# contact details a partner may type with a question (SPEC §10: learned wordings keep no
# link to who wrote them once approved): an address, a link, a @handle, a phone or card
# number (seven digits or more, however spaced) — nothing a question is matched by. An
# address or a link starts where its run of letters does (from every letter of a long run
# the search read to the end: 4,000 letters, seconds)
_CONTACTS = re.compile(
    r"(?:https?://|www\.)\S+"  # a link
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # an e-mail address
    r"|(?<![\w.-])(?=\w)[\w-]+(?:\.[\w-]+)+/\S*"  # a link without its scheme (t.me/name)
    r"|(?<![\w@])@\w{2,}"  # a @handle
    r"|\+?\d(?:[\s().-]*\d){6,}"  # a phone or card number
)


CONTACTS = (
    "contact details in it (an e-mail, a phone or card number, a @handle, a link): write the"
    " wording without them — what is left of it would be learned"
)


def has_contacts(text: str) -> bool:
    """Contact details (`_CONTACTS`) in the text: a partner's wording with them is not
    learned from "Helped" (what is left reads as garbage — «пишите на или , Ева Петрова» —
    and the name around them stays: the tester of session 20)."""
    return _CONTACTS.search(text) is not None


def without_contacts(text: str) -> str:
    """A wording without the contact details in it (`_CONTACTS`), its spaces tidied."""
    return " ".join(_CONTACTS.sub(" ", text).split())


def phrasing_key(text: str) -> str:
    """Two phrasings that differ only in case, punctuation or spaces are one."""
    return " ".join(words(text))[:400]


def without_controls(text: str) -> str:
    """A wording without Unicode bidi controls, each read as the word break the matcher
    reads it as («по\u202eбабосам» is two words): what `faq teach` stores and `faq learned`
    prints and exports, so an export taught back is the same wording; format characters
    (a zero-width space, a soft hyphen: `names.unformatted`) out."""
    return " ".join(unformatted(BIDI_CONTROLS.sub(" ", text)).split())


def learnable(text: str) -> bool:
    """A wording that may be learned: some word of two or more characters (a lone letter
    carries no meaning), and at most MAX_PHRASING characters (a longer one is a whole
    story, not a wording of one question)."""
    return has_a_word(text) and len(text.strip()) <= MAX_PHRASING


class _KeyTwice(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_key_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a key comes twice (json.loads would keep the last:
    {"q": "когда бабки приходят", "q": "x"} would teach «x»)."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _KeyTwice(key)
        data[key] = value
    return data


def teach_line(line: str, known: set[str]) -> tuple[str, str] | str:
    try:
        data = json.loads(line, object_pairs_hook=_no_key_twice)
    except _KeyTwice as exc:
        return f"{json.dumps(exc.key, ensure_ascii=False)} given twice"
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg}"
    except RecursionError:  # `[[[…]]]` deeper than Python reads
        return "not JSON: nested too deeply"
    if not isinstance(data, dict):
        return 'expected an object {"q": "…", "id": "…"}'
    extra = sorted(set(data) - {"q", "id"})
    if extra:
        return f"unknown key(s): {', '.join(extra)}"
    question, entry_id = data.get("q"), data.get("id")
    if question is not None and not isinstance(question, str):
        return '"q" must be a string'
    if not isinstance(question, str) or not phrasing_key(question):
        return '"q" must be a non-empty question'
    if len(question) > MAX_PHRASING:
        return f'"q" is longer than {MAX_PHRASING} characters'
    if not isinstance(entry_id, str) or not entry_id:
        return '"id" must be an FAQ entry id'
    if entry_id not in known:
        close = similar_ids(entry_id, sorted(known))
        hint = f" (closest: {', '.join(close)})" if close else ""
        return f"unknown FAQ id {entry_id!r}{hint}"
    return question, entry_id


def wording_problem(matcher: FaqMatcher, text: str) -> str | None:
    """Why a wording cannot be learned, read as the matcher reads a question: with no words
    that carry meaning («привет», or chatty words alone: «норм», «ну точно?», which a
    learned wording is compared without) it can never match; with only question words
    («когда») it would have a bare question word answered; small talk («как дела») the bot
    answers itself, before the FAQ. None: it can be learned."""
    units = matcher.question_units(text)
    if not units or not has_a_word(text):
        return NO_MEANING
    if all(unit.question_word for unit in units):
        return "only question words: a bare question would be answered"
    if not any(matcher.meanings(text, units)):
        return NO_MEANING
    if small_talk_phrases.kind(text) is not None:
        return SMALL_TALK
    return None


def owner_elsewhere(matcher: FaqMatcher, text: str, entry_id: str) -> str | None:
    """The entry one of whose own wordings (question, `alt`) `text` reads as, when that is
    not `entry_id` (None otherwise): its own wordings answer that entry whatever is learned
    (`FaqMatcher.own_entries`), so the text is never learned for another one."""
    owners = matcher.own_entries(text)
    return None if not owners or entry_id in owners else owners[0]


def own_wording_problem(matcher: FaqMatcher, text: str, entry_id: str) -> str | None:
    """`faq teach`'s reason to refuse a wording that reads as another entry's own."""
    owner = owner_elsewhere(matcher, text, entry_id)
    if owner is None:
        return None
    question = next((entry.question for entry in matcher.entries if entry.id == owner), "")
    return (
        f"reads the same as a wording of {owner!r} in faq.yaml («{question}»): "
        "an entry's own wordings always answer it"
    )


def similar_ids(wanted: str, ids: Sequence[str], limit: int = 3) -> list[str]:
    """Entry ids spelled like `wanted` (a typo'd id, in any letter case, with stray
    spaces), best first."""
    found = process.extract(
        _id_form(wanted), list(ids), scorer=fuzz.ratio, processor=_id_form, limit=limit
    )
    return [str(item[0]) for item in found if item[1] >= 60]


def one_entry_per_wording(rows: Sequence[Any]) -> list[Any]:
    """Approved rows (id, entry_id, phrasing_key, decided_at), in their order, keeping for
    a wording approved under several entries (stored before one wording answered one
    entry) only the latest decision."""
    latest: dict[str, Any] = {}
    for row in rows:
        seen = latest.get(row.phrasing_key)
        if seen is None or _decided(row) >= _decided(seen):
            latest[row.phrasing_key] = row
    keep = {id(row) for row in latest.values()}
    return [row for row in rows if id(row) in keep]


def _decided(row: Any) -> tuple[datetime, int]:
    moment = row.decided_at if row.decided_at is not None else row.created_at
    return as_utc(moment), int(row.id)


def _id_form(text: str) -> str:
    return "".join(text.split()).casefold()


def read_lines(path: Path) -> list[str | None]:
    """A teach file's lines, each decoded on its own: None for a line that is not UTF-8
    text (refused with its number, the other lines still taught). A UTF-8 BOM at the start
    (Windows Notepad) is no part of the first line."""
    lines: list[str | None] = []
    for number, raw in enumerate(path.read_bytes().splitlines()):
        try:
            lines.append(raw.decode("utf-8-sig" if number == 0 else "utf-8"))
        except UnicodeDecodeError:
            lines.append(None)
    return lines
