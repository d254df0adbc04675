"""Small talk by families of phrases, in Russian and English: greetings, how are you, what's
new (told where the program's news is), have a nice day / goodbye, am I talking to a bot,
thanks (with what for and a short acknowledgement after), laughter, ok-words. A text is
small talk when it is nothing but such phrases (and fillers: «ну», «а», «и вам»), whatever
the punctuation, emoji, letter case or repeated letters («спасибооо»), with a typo in a
longer word («спосибо», «жызнь»).
One word of anything else («спасибо, а когда выплаты?») and it is a question.

Used before the FAQ (bot/services/small_talk.py) and by the FAQ itself
(bot/services/faq_matching.py: small talk is no question, so `faq match` agrees)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.services.faq_text import fold, transliterate

# (kind, phrases): each a regular expression over lower-case words joined by one space,
# written as plain words, groups, `|` and `?` only (its words are the vocabulary typos
# are corrected to); <you> is any «you». The first family that reads a part names it.
FAMILIES: Final[tuple[tuple[str, str], ...]] = (
    (
        "bot",
        "((ты|вы|это) (что |же )?(бот|робот|чат бот|чатбот|ии|нейросеть|человек|живой|"
        "живой человек|настоящий человек|автоответчик)|я (говорю|общаюсь|разговариваю|"
        "переписываюсь) с (ботом|роботом|человеком|ии)|с кем я (говорю|общаюсь|разговариваю|"
        "переписываюсь)|кто (ты|вы)( такой| такая| такие)?|(ты|вы) кто( такой| такая| такие)?|"
        "бот|робот|who are (you|u)|who (is|s) this|what are (you|u)|"
        "are (you|u) (a )?(bot|robot|human|real|real person|ai|"
        "machine|chatbot)|is this (a )?(bot|robot|human|real person|chatbot)|am i (talking|"
        "chatting|speaking) (to|with) (a )?(bot|robot|human|real person|chatbot)|bot|robot)",
    ),
    (
        "news",
        "((что|че|чо|чего|что там|какие|есть|есть какие) (нового|новенького|новенькое|слышно|"
        "новости|новости есть)( у <you>)?|какие (у <you> )?новости|новости есть|"
        "(what s|whats|what is) new|any news|anything new)",
    ),
    (
        "chat",
        "(как (у <you> )?(дела|делишки|жизнь|житуха|поживаешь|поживаете|настроение|сам|"
        "сама|сами|ты|вы|оно|успехи)( у <you>)?|как (твои|ваши) (дела|делишки|успехи)|"
        "как (твое|ваше) (настроение|ничего)|(дела|жизнь|настроение) как|(че|чо) как|как оно|"
        "как сам|как сама|how are (you|u|ya|things)( doing| today)?|how r u|how (is|s) it going|"
        "hows it going|how (do|have) you (do|been)|how you doing|(what s|whats|what is) up|"
        "wassup|sup|how (is|s) (your|ur) day( going)?)",
    ),
    (
        "thanks",
        "((спасибо|спасибки|спасибочки|спс|пасиб|пасибо|пасибки|сенкс|благодарю|"
        "благодарствую|мерси|thanks|thank you|thank u|thankyou|thanx|thnx|tnx|thx|ty|tysm|"
        "many thanks)( <you>)?( (большое|огромное|большущее|огромнейшее|преогромное|"
        "так|so much|a lot|very much|a bunch|again|еще раз))*( (за (ответ|ответы|помощь|"
        "информацию|инфу|инфо|разъяснение|разъяснения|объяснение|подсказку|совет|советы|"
        "поддержку|оперативность|быстрый ответ|все)|for (the |your )?(answer|help|info|"
        "information|reply|quick reply|tip|advice|everything)))?|(большое|огромное|"
        "большущее) спасибо|much appreciated|appreciate it|(вы|ты) (очень )?(помогли|помог|"
        "помогла))",
    ),
    (
        "bye",
        "((хорошего|отличного|приятного|удачного|прекрасного|чудесного|хорошей|отличной|"
        "удачной|спокойной|приятной|продуктивного|продуктивной)( <you>)? (дня|вечера|"
        "выходных|недели|ночи|работы)|всего (доброго|хорошего|наилучшего)|удачи|пока|"
        "до свидания|до встречи|до завтра|до связи|увидимся|бывай|have a (nice|good|great|"
        "lovely) (day|evening|weekend|one|night)|good night|goodnight|bye|goodbye|"
        "see (you|ya|u)( later| soon)?|take care|cheers)( (и )?<you>)?( тоже| too)?",
    ),
    (
        "greeting",
        "(привет|приветик|приветики|приветствую|здравствуйте|здравствуй|здрасте|здрасьте|"
        "здорово|хай|салют|ку|добрый (день|вечер)|доброе утро|доброй ночи|доброго (дня|утра|"
        "вечера|времени суток)|hi|hello|hey|hiya|yo|good (morning|afternoon|evening|day)|"
        "morning|greetings)( (всем|all|everyone|there|guys|ребята|друзья|коллеги))?",
    ),
    (
        "ack",
        "(ок|окей|оки|окс|ok|okay|okey|kk|k|хорошо|харашо|хорош|ладно|ладушки|лады|понятно|"
        "понятненько|ясно|ясненько|ага|угу|норм|нормально|нормалек|отлично|супер|круто|"
        "класс|классно|пон|понял|поняла|поняли|понял вас|поняла вас|понял тебя|поняла тебя|"
        "принято|принял|приняла|услышал|услышала|разобрался|разобралась|разобрались|"
        "(все|теперь|теперь все|вроде|вроде все) (понятно|ясно|хорошо|ок|норм|отлично|супер|"
        "получилось)|получилось|договорились|добро|да|хаха|все|got it|cool|great|nice|fine|"
        "yes|yep|yeah|alright|all right|sure|sounds good|good|perfect|awesome|understood|"
        "i see|makes sense|no problem|np|fair enough|lol)",
    ),
)
_FILLER: Final = re.compile(
    "(ну|а|и|вот|так|же|ж|тоже|уже|ой|ах|ох|эх|оу|мм|хм|oh|ah|well|and|so|then|too|"
    "и вам|и тебе|вам|тебе|вам тоже|you too|to you|все|всем)"
)
# «ахаха», «хахах», «хех», «хи-хи», «lol», «lmao», «ха»: one word of laughter
_LAUGHTER: Final = re.compile(
    r"а?(х[аеиыу]){1,}х?|хе+х*|хи+|ах+а+|a?(h[aeiu]){2,}h?|"
    r"lol|lmao|lmfao|rofl|лол|кек|хд|xd|ржу|ржака|ору"
)
_YOU: Final = "(тебя|вас|тебе|вам|ты|вы)"
_COMPILED: Final = tuple(
    (family, re.compile(phrases.replace("<you>", _YOU))) for family, phrases in FAMILIES
)
# the first present names it
KINDS: Final = ("bot", "news", "chat", "thanks", "bye", "greeting", "ack")
MOST_WORDS: Final = 16  # a longer text is a question, whatever its words
MOST_LETTERS: Final = 24
_VOCABULARY: Final = frozenset(
    word
    for source in (*(pattern.pattern for _family, pattern in _COMPILED), _FILLER.pattern, "хаха")
    for word in re.findall(r"[a-zа-я]+", source)
)
_LONG_WORDS: Final = tuple(sorted(word for word in _VOCABULARY if len(word) >= 5))
_RUNS_OF_3: Final = re.compile(r"(\w)\1{2,}")
_RUNS_OF_2: Final = re.compile(r"(\w)\1+")


def plain_words(text: str) -> list[str]:
    """Lower case, ё as е, letters only (punctuation, emoji and marks out)."""
    folded = fold(text).casefold().replace("ё", "е").replace("'", "").replace("’", "")
    return re.sub(r"[^\w]|_|\d", " ", folded).split()


@lru_cache(maxsize=4096)
def _word(word: str) -> str:
    """A word as the families spell it: laughter as «хаха», repeated letters one or two,
    a typo in a word of five letters or more corrected."""
    if _LAUGHTER.fullmatch(word):
        return "хаха"
    for candidate in (word, _RUNS_OF_3.sub(r"\1\1", word), _RUNS_OF_2.sub(r"\1", word)):
        if candidate in _VOCABULARY:
            return candidate
    if len(word) >= 5:
        found = process.extractOne(word, _LONG_WORDS, scorer=OSA.distance, score_cutoff=1)
        if found is not None:
            return str(found[0])
    return word


def kind(text: str) -> str | None:
    """The small-talk kind of a text (bot, chat, thanks, bye, greeting, ack), or None: not
    small talk alone (a question, or no words: bot/services/small_talk.py tells those)."""
    raw = plain_words(text)
    if not raw or len(raw) > MOST_WORDS:
        return None
    if any(
        len(word) > MOST_LETTERS
        and (len(word) > 10 * MOST_LETTERS or not _LAUGHTER.fullmatch(word))
        for word in raw
    ):
        return None  # no small-talk word is that long, but for «ахахахаха…»
    spelled = tuple(_spell(word) for word in raw)
    if not all(word in _VOCABULARY for word in spelled):
        return None  # a word of no small talk: a question
    found = _parts(spelled)
    if found is None:
        return None
    kinds = found - {""}
    return next((each for each in KINDS if each in kinds), "ack")


def _spell(word: str) -> str:
    """`_word`, and a Latin word no family knows read as transliteration («kak dela»,
    «spasibo», «horoshego dnya»), as the FAQ reads it."""
    spelled = _word(word)
    if spelled in _VOCABULARY or not word.isascii():
        return spelled
    cyrillic = transliterate(word)
    for candidate in (cyrillic, cyrillic + "ь"):  # a soft sign is seldom typed: «zhizn»
        if _word(candidate) in _VOCABULARY:
            return _word(candidate)
    return spelled


def _parts(words: tuple[str, ...]) -> frozenset[str] | None:
    """The kinds of the phrases the words are made of ("" for a filler), or None."""
    count = len(words)
    reached: list[frozenset[str] | None] = [frozenset()] + [None] * count
    for start in range(count):
        before = reached[start]
        if before is None:
            continue
        for end in range(start + 1, count + 1):
            piece = " ".join(words[start:end])
            found = _kind_of(piece)
            if found is None:
                continue
            so_far = reached[end]
            reached[end] = before | {found} if so_far is None else so_far | before | {found}
    return reached[count]


def _kind_of(piece: str) -> str | None:
    for family, pattern in _COMPILED:
        if pattern.fullmatch(piece):
            return family
    return "" if _FILLER.fullmatch(piece) else None


COURTESY: Final = frozenset(("greeting", "thanks", "bye"))
_SENTENCES: Final = re.compile(r"(?<=[.!?…])\s+|\n+")


def without_courtesy(text: str) -> str:
    """The question without its sentences that only greet, thank or take leave
    («Здравствуйте! Когда выплата? Спасибо большое за ответ.» asks «Когда выплата?»):
    polite partners wrap a short question in them, and the whole text's meaning then
    drowned the question (the tester of session 24: two greetings and two thanks around
    «Когда выплата?» left it unanswered). The text as it is when it is one sentence, when
    none is courtesy, or when nothing else is left."""
    parts = [part for part in _SENTENCES.split(text) if part.strip()]
    if len(parts) < 2:
        return text
    kept = [part for part in parts if kind(part) not in COURTESY]
    return " ".join(kept) if kept and len(kept) < len(parts) else text
