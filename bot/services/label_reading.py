"""The bot's own button labels typed instead of pressed («Спросить менеджера», «👍 Помогло»,
«Нет, другое», «Следующий урок →»), and a partner's reaction to an answer that missed («не
то», «не понял»): `typed_label` reads them, with the labels of the locales in effect (both
languages): a partner's own key with what typing it does (`LABELS`), every other button's
(bot/typed_labels.py finds them all) "that is a button". Moved out of own_intents.py
(questions about the bot's own functions) in session 16, unchanged."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from bot.content.models import CREATIVE_KINDS
from bot.names import unformatted
from bot.services.faq_text import parse
from bot.services.own_intents import Intent
from bot.services.partner import TOPICS

_MENU: Final = ("faq", "lessons", "creatives", "me", "settings")  # handlers/partner/menu.py
_HELPED: Final = Intent("say", "helped")
_NOT_HELPED: Final = Intent("say", "not-helped")
_NEGATIONS: Final = ("не", "not", "nothing")
# a partner's reaction to an answer that missed: no question to look up (the tester of
# session 16: «не то» got three unrelated options and became a gap, «не понял» an answer)
_NOT_IT: Final = (
    "не то",
    "это не то",
    "не то спрашивал",
    "не то спрашивала",
    "я не то спрашивал",
    "я не то спрашивала",
    "не это",
    "не о том",
    "не тот ответ",
    "мимо",
    "другое",
    "что-то другое",
    "не то имел в виду",
    "не то имела в виду",
    "не понял",
    "не поняла",
    "я не понял",
    "я не поняла",
    "не понятно",
    "непонятно",
    "ничего не понял",
    "ничего не поняла",
    "not it",
    "not this",
    "wrong answer",
    "that's not it",
    "i don't understand",
    "didn't understand",
    "i didn't get it",
)
# a label's locale key → what typing it does: "menu" opens the command, "person" is
# /support, "say" answers the small-talk text named (it needs the context the button had)
LABELS: Final[dict[str, Intent]] = {
    **{f"menu-{item}": Intent("menu", item) for item in _MENU},
    **{f"command-{item}": Intent("menu", item) for item in ("help", *_MENU)},
    "button-back": Intent("menu", "help"),
    "community-open-bot": Intent("menu", "help"),
    "lessons-done-next": Intent("menu", "lessons"),
    "lessons-next": Intent("menu", "lessons"),
    "lessons-to-list": Intent("menu", "lessons"),
    **{f"creative-kind-{kind}": Intent("menu", "creatives") for kind in CREATIVE_KINDS},
    **{f"topic-{topic}": Intent("menu", "settings") for topic in TOPICS},
    "topic-contests": Intent("menu", "contests"),
    "faq-ask-manager": Intent("person"),
    "community-ask-manager": Intent("person"),
    "faq-helped": _HELPED,
    "support-rate-up": _HELPED,
    "support-close-button": Intent("say", "thanks"),
    "support-rate-down": _NOT_HELPED,
    "faq-none-of-these": _NOT_HELPED,
    "onboarding-consent-yes": Intent("say", "consent"),
    "onboarding-consent-no": Intent("say", "consent"),
    "forget-confirm": Intent("say", "forget"),
    "forget-cancel": Intent("say", "ack"),
    "support-cancel-yes": Intent("say", "withdraw"),
    "support-cancel-no": Intent("say", "ack"),
    **dict.fromkeys(
        ("settings-language", "settings-segment", "settings-public-name", "settings-platform"),
        Intent("menu", "settings"),
    ),
}
# small talk around a label: «спасибо, помогло!», «помогло, хорошего дня»
_FRAMES: Final = ("thanks", "ack", "greeting", "bye")
_MOST_WORDS = 8
_FRAME_WORDS = 3  # «спасибо большое», «добрый день»


def _plain_words(text: str) -> list[str]:
    words = re.sub(r"[^\w\s-]", " ", unformatted(text).casefold().replace("ё", "е")).split()
    return [word.strip("-") for word in words if word.strip("-")]


_AS_WRITTEN: Final = frozenset(("VERB", "INFN", "GRND"))  # «помогите» is not «помогло»


def _label_key(words: Iterable[str]) -> str:
    """A label's words, a noun or adjective as its lemma («Материалы», «материал»), a
    verb as written: «помогите» asks for help, «помогло» says it came."""
    return " ".join(
        word if (parsed := parse(word))[1] in _AS_WRITTEN else parsed[0] for word in words
    )


BUTTON: Final = Intent("say", "button")  # any other label: "that is a button"
BLANK: Final = "zzblankzz"  # a label's variable, as `label_table` is given it
TextOf = Callable[[str], str]  # a locale key → its text ("" for none), variables as BLANK
_BLANKS: Final = r"\w+(?: \w+)?"  # a label's variable typed: a word or two («09 00»)


@dataclass(frozen=True)
class LabelTable:
    exact: Mapping[str, Intent]  # a label's words (lemmas) → what typing it does
    patterns: tuple[tuple[re.Pattern[str], Intent], ...] = ()  # labels with a variable
    most_words: int = _MOST_WORDS  # a longer text is no label (small talk around it too)
    marked: Mapping[str, Intent] = field(default_factory=dict)  # «✏ приз»: with its mark


def label_table(languages: Iterable[TextOf], keys: Iterable[str] = ()) -> LabelTable:
    """Each label of `LABELS` and of `keys` (every other button's: `BUTTON`) in each
    language (a function: locale key → text), read as lemmas → what typing it does; a
    label with a variable («Язык: { $language }») as a pattern, when its fixed part has a
    word. A label without a letter is left out."""
    exact: dict[str, Intent] = {}
    patterns: dict[str, Intent] = {}
    marked: dict[str, Intent] = {}
    every = {**LABELS, **dict.fromkeys(sorted(set(keys) - LABELS.keys()), BUTTON)}
    for text_of in languages:
        for key, intent in every.items():
            text = text_of(key)
            words = _plain_words(text)
            if not words:
                continue
            label = _label_key(words)
            if label in exact:  # a partner's own label first: «← Назад» is the menu
                continue
            if intent == BUTTON and len(words) == 1 and (mark := _mark(text)):
                # someone else's one-word label counts with its mark only: «✏️ Призы» is
                # a button's, «призы» a partner's question
                marked.setdefault(f"{mark} {label}", intent)
                continue
            if BLANK in words:
                fixed = [word for word in words if word != BLANK]
                if any(len(word) > 1 and word.isalpha() for word in fixed):
                    parts = (re.escape(part) for part in label.split(BLANK))
                    patterns.setdefault(_BLANKS.join(parts), intent)
                continue
            exact.setdefault(label, intent)
            if intent == _HELPED:  # «не помогло», «not helped»: the button it lacks
                for negation in _NEGATIONS:
                    exact.setdefault(f"{negation} {label}", _NOT_HELPED)
    for reaction in _NOT_IT:  # «не то», «не понял»: what «Нет, другое» says
        exact.setdefault(_label_key(_plain_words(reaction)), _NOT_HELPED)
    compiled = tuple((re.compile(pattern), intent) for pattern, intent in patterns.items())
    longest = max((len(label.split()) for label in exact), default=0)
    return LabelTable(exact, compiled, max(_MOST_WORDS, longest + _FRAME_WORDS), marked)


def _mark(text: str) -> str:
    """A label's symbols (emoji, arrows), as typed: «✏️ Призы» → «✏»."""
    return "".join(char for char in text if unicodedata.category(char) in ("So", "Sm", "Sk"))


@lru_cache(maxsize=50_000)
def _frame(part: str) -> str | None:
    """The small-talk kind of up to three words around a label, or None (read once: the
    first and last words of messages recur, «когда», «как», «спасибо»)."""
    from bot.services import small_talk

    reading = small_talk.read(part)
    return reading.kind if reading is not None and reading.kind in _FRAMES else None


def typed_label(text: str, table: LabelTable) -> Intent | None:
    """What a message typed as one of the bot's labels does, alone or with small talk
    around it («спасибо, помогло!», «ок, назад»), a number it shows aside («Видео (3)»);
    small talk alone in several parts («ок, спасибо») is thanks or an acknowledgement.
    None: not a label."""
    words = _plain_words(text)
    if not words or len(words) > table.most_words:
        return None
    if (mark := _mark(text)) and (found := table.marked.get(f"{mark} {_label_key(words)}")):
        return found
    found = _label_in(words, table)
    if found is None:
        letters = [word for word in words if not word.isdigit()]
        if letters and len(letters) < len(words):
            found = _label_in(letters, table)
    return found


def _label_in(words: list[str], table: LabelTable) -> Intent | None:

    def frame(part: list[str]) -> str | None:
        """ "" for nothing, the small-talk kind of a part, or None: not small talk."""
        if not part:
            return ""
        if len(part) > _FRAME_WORDS:
            return None
        return _frame(" ".join(part))

    whole = _label_key(words)
    for pattern, intent in table.patterns:
        if pattern.fullmatch(whole):
            return intent
    count = len(words)
    before = [frame(words[:i]) for i in range(count + 1)]
    after = [frame(words[j:]) for j in range(count + 1)]
    for size in range(count, 0, -1):  # the longest label first
        for start in range(count - size + 1):
            end = start + size
            if before[start] is None or after[end] is None:
                continue
            labelled = table.exact.get(_label_key(words[start:end]))
            if labelled is not None:
                return labelled
    for cut in range(1, count):  # small talk alone: «ок, спасибо», «привет, спасибо»
        kinds = (before[cut], after[cut])
        if None not in kinds:
            return Intent("say", "thanks" if "thanks" in kinds else kinds[0] or "ack")
    return None
