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
  with a word for them («моя статистика», «сколько я заработал», «моё место в рейтинге»).

Any other word («делать», «подписчиков», «товары», «получаю с продажи») leaves the message
to the FAQ, so a program's entry about e-mail «рассылки» still answers «можно ли делать
email рассылки», and «где моя реф ссылка» is still a question about the link.

A word matches with its endings (a stem) and with one typo in words of five letters or
more («статистка», «расылки»)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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


def _matches(word: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        stem = pattern.rstrip("*")
        if pattern.endswith("*"):
            if word.startswith(stem):
                return True
            if len(stem) >= 5 and any(
                _typo(word[:cut], stem) for cut in (len(stem) - 1, len(stem), len(stem) + 1)
            ):
                return True
        elif word == stem or (len(stem) >= 5 and _typo(word, stem)):
            return True
    return False


@dataclass(frozen=True)
class Intent:
    kind: str  # unsubscribe | menu
    command: str = ""  # for menu: the partner command that answers it


def read(words: list[str]) -> Intent | None:
    """The built-in intent of a message (its words: lower case, ё as е, no punctuation),
    or None: a question for the FAQ."""
    if not words or len(words) > 10:
        return None
    unsubscribe = stop = negated = receive = fewer = sent = False
    mine = figures = rank = contests = False
    for word in words:
        known = False
        if word in _MINE:
            mine = known = True
        if word in _FILLER:
            known = True
        if _matches(word, _UNSUBSCRIBE):
            unsubscribe = known = True
        if _matches(word, _STOP):
            stop = known = True
        if word in _NOT:
            negated = known = True
        if word in _RECEIVE:
            receive = known = True
        if word in _FEWER:
            fewer = known = True
        if _matches(word, _SENT):
            sent = known = True
        if _matches(word, _FIGURES):
            figures = known = True
        if _matches(word, _RANK):
            rank = known = True
        if _matches(word, _CONTESTS):
            contests = known = True
        if not known:
            return None
    if unsubscribe or (sent and (stop or (negated and receive) or fewer)):
        return Intent("unsubscribe")
    if not mine:
        return None
    if contests:
        return Intent("menu", "contests")
    if rank:
        return Intent("menu", "top")
    if figures:
        return Intent("menu", "me")
    return None
