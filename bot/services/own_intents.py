"""Questions about the bot's own functions («как отписаться от рассылки», «где моя
статистика», «my rank»), read before the FAQ: the partner gets the bot's own answer, not
a program's FAQ entry that happens to share a word («рассылки» as a traffic source).

The rule (docs/faq.md, "Questions about the bot itself"): a message is such a question
only when **every** word of it is known here — a word of the intent, a first-person or
possessive word («мой», «у меня», «я», «my»), or a filler («где», «как», «посмотреть»,
«please») — and it carries the intent's cue:

- unsubscribe: a verb of unsubscribing («отписаться», «unsubscribe»), or a verb of
  stopping / a negated verb of receiving / «меньше», «реже», «too many» together with
  what the bot sends («рассылки», «уведомления», «messages»), or a word of stopping alone
  («стоп», «хватит», «stop»: answered with how to stop, nothing stopped unasked);
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
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple

from bot.services.faq_text import parse

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
# a message of these alone («стоп», «Хватит!», «stop»): what SMS and mailing lists read as
# "unsubscribe" — answered with how to stop (/stop, /settings), never stopped unasked
_ALONE_STOP: Final = ("стоп", "stop", "хватит", "останов*", "прекрат*")
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
    alone_stop: bool  # a word of `_ALONE_STOP`
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
        alone_stop=stop and _matches(word, _ALONE_STOP),
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
    lone_stop = all(word.alone_stop for word in read_words)
    if (
        said.unsubscribe
        or lone_stop
        or (said.sent and (said.stop or (said.negated and said.receive) or said.fewer))
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


_CUES: Final = (_FIGURES, _SEEN, _RANK, _CONTESTS, _UNSUBSCRIBE, _STOP, _SENT, _RECEIVE)


@lru_cache(maxsize=50_000)
def _cues(word: str) -> frozenset[str]:
    """The stems and words of an intent's cues the word matches (with its typos), and
    «mine» / «see» for a first-person word and a cue of seeing."""
    found = {pattern for patterns in _CUES for pattern in patterns if _matches(word, (pattern,))}
    if word in _MINE:
        found.add("mine")
    if word in _SEE:
        found.add("see")
    return frozenset(found)


@lru_cache(maxsize=50_000)
def word_keys(word: str) -> frozenset[str]:
    """What makes two words alike here: the same lemma (the same word too), or a cue
    they share (`_cues`). Two words are alike when their keys meet."""
    return frozenset({"lemma:" + parse(word)[0], *("cue:" + cue for cue in _cues(word))})


def where_asked(question: list[str]) -> list[str] | None:
    """The words a wording must have alike to ask what a where-to-see question asks (every
    word but its fillers; a cue of seeing and a first-person word are no fillers here), or
    None when the question asks no «где» / «посмотреть»."""
    if not any(word in _SEE for word in question):
        return None
    return [word for word in question if word not in _FILLER or word in _SEE or word in _MINE]


def asked_within(question: list[str], wording: list[str]) -> bool:
    """Whether an FAQ wording asks where to see what the question asks where to see: the
    question has a cue of seeing («где», «посмотреть»), and every word of it but its
    fillers («как», «можно», «пожалуйста»; a cue of seeing and a first-person word are no
    fillers here) has a word of the wording alike — the same word, lemma, or cue
    («посмотреть» and «смотреть», «статистику» and «статистики»). «где посмотреть
    статистику продаж» is within «Где смотреть статистику переходов и продаж?»: the
    program's entry answers it, not the bot's /me (the tester of session 18). Other
    questions are the FAQ's only when a wording reads as the same question: «сколько я
    заработал» is the partner's /me beside «Сколько я заработаю с одного клиента?»."""
    asked = where_asked(question)
    if asked is None:
        return False
    keys = set().union(*map(word_keys, wording))
    return all(word_keys(word) & keys for word in asked)
