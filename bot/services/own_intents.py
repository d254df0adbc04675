"""Questions about the bot's own functions («как отписаться от рассылки», «где моя
статистика», «my rank»), read before the FAQ: the partner gets the bot's own answer, not
a program's FAQ entry that happens to share a word («рассылки» as a traffic source).

The rule (docs/faq.md, "Questions about the bot itself"): a message is such a question
only when **every** word of it is known here — a word of the intent, a first-person or
possessive word («мой», «у меня», «я», «my»), or a filler («где», «как», «посмотреть»,
«please») — and it carries the intent's cue:

- unsubscribe: a verb of unsubscribing («отписаться», «unsubscribe»), or a verb of
  stopping / a negated verb of receiving / «меньше», «реже», «too many» together with
  what the bot sends («рассылки», «уведомления», «messages»);
- the partner's own figures, rank or contests: a first-person or possessive word together
  with a word for them («моя статистика», «сколько я заработал», «моё место в рейтинге»);
- where to see one's statistics, sales or earnings: a cue of seeing («где», «посмотреть»,
  «where», «see») with such a word, no possessive needed («где посмотреть статистику
  продаж», «где статистика по продажам»); the program's cabinet («в личном кабинете») is
  known here too: the bot's /me answers unless the program's FAQ asks the same.

Any other word («делать», «подписчиков», «товары», «получаю с продажи») leaves the message
to the FAQ, so a program's entry about e-mail «рассылки» still answers «можно ли делать
email рассылки», and «где моя реф ссылка» is still a question about the link.

A word matches with its endings (a stem) and with one typo in words of five letters or
more («статистка», «расылки»). A typo that touches the stem's last letter, or a whole
word's, or a word's first three letters, counts only in a word the dictionary does not
know: «конкурентов» is another word, not a misspelt «конкурсов» (the stem «конкурс» with
«е» for «с»), «мечта» is not «места», «описания» is not «отписаться».

The bot's own button labels typed instead of pressed («Спросить менеджера», «👍 Помогло»,
«Нет, другое», «Следующий урок →») are read here too (`typed_label`): the labels come from
the locales in effect (both languages); a partner's own key with what typing it does
(`LABELS`), every other button's (bot/typed_labels.py finds them all) "that is a button"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, NamedTuple

from bot.content.models import CREATIVE_KINDS
from bot.names import unformatted
from bot.services.faq_text import parse
from bot.services.partner import TOPICS

# A pattern ending in "*" is a stem (any ending); otherwise the whole word.
_MINE: Final = frozenset(
    """
    мой моя мою мое мои моих моей моим моими моем моему свой своя свою свое свои своих своей
    своим я мне меня my mine i me im
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_FILLER: Final = frozenset(
    """
    где как какой какая какое какие каком какую сколько что посмотреть смотреть увидеть
    глянуть узнать проверить покажи покажите показать открыть открой открыть найти хочу хотел
    хотела бы сделайте сделай сделать можно ли там тут здесь сейчас теперь сегодня за этот
    этом эту этой этих этого
    месяц месяце неделю у в на по от из все всех всего вообще пожалуйста плиз подскажите
    скажите подскажи скажи а и же ну бот бота боте вашего ваших ваши вашей твоих
    where how what whats is are am do does did can could see show check view find the a an
    of much many have has this month week please get to from all your these those any in
    on at with for
    """.split()  # noqa: SIM905
)

_UNSUBSCRIBE: Final = ("отпис*", "unsubscrib*", "unsub", "отписк*")
_STOP: Final = (
    "отключ*", "выключ*", "останов*", "прекрат*", "отмен*", "отказ*", "убер*", "убрать",
    "хватит", "стоп", "stop*", "cancel*", "disabl*", "mute", "turn", "off", "opt", "out",
)  # fmt: skip
_NOT: Final = ("не", "dont", "don", "t", "not", "no")
_RECEIVE: Final = (
    "получать", "присылать", "присылайте", "присылай", "слать", "шлите", "пишите", "писать",
    "спамить", "спамьте", "receive", "receiving", "send", "sending", "get", "getting", "want",
)  # fmt: skip
_FEWER: Final = ("меньше", "реже", "слишком", "много", "fewer", "less", "too", "many", "so")
_SENT: Final = (
    "рассылк*", "уведомлен*", "сообщени*", "оповещени*", "напоминани*", "дайджест*",
    "подписк*", "спам*", "notification*", "messag*", "newsletter*", "mailing*", "digest*",
    "reminder*", "subscription*", "spam*", "updates",
)  # fmt: skip

_FIGURES: Final = (
    "статистик*", "стат", "статы", "стату", "статка", "статку", "stat", "stats", "statistic*",
    "продаж*", "sales", "заработ*", "earn", "earned", "earning*",
    "баланс*", "balanc*", "уровень", "уровня", "level", "tier", "результат*", "result*",
    "показател*",
)  # fmt: skip
_RANK: Final = (
    "рейтинг*", "место", "места", "месте", "позици*", "топ", "топе", "rank*", "place",
    "position", "leaderboard*", "top",
)  # fmt: skip
_CONTESTS: Final = ("конкурс*", "contest*", "соревновани*", "competition*")

# where to see: with statistics, sales or earnings, the /me question without a possessive
_SEE: Final = frozenset(
    """
    где посмотреть смотреть просмотреть увидеть глянуть проверить покажи покажите показать
    открыть открой найти where see show view check find
    """.split()  # noqa: SIM905
)
_SEEN: Final = (
    "статистик*", "стат", "статы", "стату", "статка", "статку", "stat", "stats", "statistic*",
    "продаж*", "sales", "заработ*", "доход*", "earn", "earned", "earning*", "income",
)  # fmt: skip
# the program's cabinet, where a partner may look for them: known to the /me question only
_CABINET: Final = frozenset(
    """
    личный личном личного личным кабинет кабинете кабинета кабинетом лк аккаунт аккаунте
    account dashboard cabinet
    """.split()  # noqa: SIM905
)


def _typo(word: str, form: str) -> bool:
    """One letter wrong, missing, extra, or two neighbours swapped."""
    if abs(len(word) - len(form)) > 1 or word == form:
        return word == form
    if len(word) == len(form):
        diff = [i for i, (a, b) in enumerate(zip(word, form, strict=True)) if a != b]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == form[diff[1]]
            and word[diff[1]] == form[diff[0]]
        )
    short, long = sorted((word, form), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _real(word: str) -> bool:
    """A word the dictionary knows (Cyrillic only): then it is not a misspelling."""
    return parse(word)[2]


def _matches(word: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        stem = pattern.rstrip("*")
        if pattern.endswith("*"):
            if word.startswith(stem):
                return True
            if (
                len(stem) >= 5
                and any(
                    _typo(word[:cut], stem)
                    # the stem's last letter in place: the typo is inside it; otherwise the
                    # word may go on as another word («конкуре|нтов» is not «конкурс»); and
                    # a real word keeps the stem's first three letters («описания» is no
                    # misspelt «отписаться», «статистка» may be «статистика»)
                    and ((word[cut - 1] == stem[-1] and word[:3] == stem[:3]) or not _real(word))
                    for cut in (len(stem) - 1, len(stem), len(stem) + 1)
                    if cut <= len(word)
                )
            ):
                return True
        elif word == stem or (len(stem) >= 5 and _typo(word, stem) and not _real(word)):
            return True
    return False


@dataclass(frozen=True)
class Intent:
    kind: str  # unsubscribe | menu
    command: str = ""  # for menu: the partner command that answers it


class _Word(NamedTuple):
    """What one word tells `read` (`known` False: a word of no intent here)."""

    known: bool
    for_me: bool  # a word the /me question knows
    mine: bool
    see: bool
    seen: bool
    cabinet: bool
    unsubscribe: bool
    stop: bool
    negated: bool
    receive: bool
    fewer: bool
    sent: bool
    figures: bool
    rank: bool
    contests: bool


@lru_cache(maxsize=50_000)
def _word(word: str) -> _Word:
    """A word read once: the stems and typos are matched for each word, and partners'
    words recur (as `parse` of bot/services/faq_text.py, a bounded cache)."""
    mine = word in _MINE
    filler = word in _FILLER
    see = word in _SEE
    seen = _matches(word, _SEEN)
    cabinet = word in _CABINET
    unsubscribe = _matches(word, _UNSUBSCRIBE)
    stop = _matches(word, _STOP)
    negated = word in _NOT
    receive = word in _RECEIVE
    fewer = word in _FEWER
    sent = _matches(word, _SENT)
    figures = _matches(word, _FIGURES)
    rank = _matches(word, _RANK)
    contests = _matches(word, _CONTESTS)
    for_me = mine or filler or see or seen or cabinet or figures
    others = (unsubscribe, stop, negated, receive, fewer, sent, rank, contests)
    return _Word(
        known=for_me or any(others),
        for_me=for_me,
        mine=mine,
        see=see,
        seen=seen,
        cabinet=cabinet,
        unsubscribe=unsubscribe,
        stop=stop,
        negated=negated,
        receive=receive,
        fewer=fewer,
        sent=sent,
        figures=figures,
        rank=rank,
        contests=contests,
    )


def read(words: list[str]) -> Intent | None:
    """The built-in intent of a message (its words: lower case, ё as е, no punctuation),
    or None: a question for the FAQ."""
    if not words or len(words) > 10:
        return None
    read_words = [_word(each) for each in words]
    if not all(word.known for word in read_words):
        return None
    said = _Word(*map(any, zip(*read_words, strict=True)))  # what any word of it says
    elsewhere = not all(word.for_me for word in read_words)  # a word only another intent knows
    if said.cabinet and (elsewhere or not (said.seen and (said.mine or said.see))):
        return None  # the cabinet is known to the /me question only
    if said.unsubscribe or (
        said.sent and (said.stop or (said.negated and said.receive) or said.fewer)
    ):
        return Intent("unsubscribe")
    if said.see and said.seen and not elsewhere:
        return Intent("menu", "me")
    if not said.mine:
        return None
    if said.contests:
        return Intent("menu", "contests")
    if said.rank:
        return Intent("menu", "top")
    if said.figures:
        return Intent("menu", "me")
    return None


# --- the bot's button labels typed as text ---------------------------------------------

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
