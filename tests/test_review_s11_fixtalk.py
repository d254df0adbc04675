"""Session 11 (task fixtalk): small talk of every family («как жизнь», «хорошего дня», «ты
бот?», «спасибо, всё понятно», «ахаха», «ну ок»), in Russian and English, with typos and
punctuation, is never an FAQ question, option or gap; a question after thanks still is;
text in combining marks or full-width letters is read as the letters it shows."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.content.loader import load_content
from bot.content.models import Content
from bot.services import small_talk, small_talk_phrases
from bot.services.faq_matching import FaqMatcher
from bot.services.faq_text import fold, has_a_word
from tests.harness import DEMO_CONTENT, Harness, running_bot

CHATTY = ("greeting", "thanks", "ack", "news", "chat", "bye", "bot")

# the tester's, then more of each family (typos, punctuation, English)
SMALL_TALK = (
    "как жизнь",
    "как жизнь?",
    "хорошего дня",
    "ты бот?",
    "good morning",
    "спасибо за ответ!",
    "спасибо, всё понятно",
    "благодарю, разобралась",
    "ну ок",
    "норм",
    "ахаха",
    "добрый вечер, как ваши дела?",
    "как дела",
    "как ты",
    "как поживаете",
    "что нового",
    "Как дела??",
    "как у вас дела)",
    "Как жызнь",
    "что новенького?",
    "хорошего вечера!",
    "И вам хорошего дня 🙂",
    "всего доброго",
    "вы робот?",
    "я общаюсь с ботом?",
    "спасибо большое за помощь",
    "спасибооо",
    "спосибо!",
    "огромное спасибо, всё ясно",
    "хахаха",
    "ахахахахахахахахахахахахаха",
    "ХАХ)))",
    "лол",
    "ок, понял",
    "нормально",
    "окей, спасибо, хорошего дня",
    "How are you?",
    "how's it going",
    "what's new",
    "have a nice day!",
    "are you a bot?",
    "thanks a lot!",
    "thank you, got it",
    "haha",
    "ok cool",
    "Hi there, how are you doing?",
    "спасибо за совет",
)

QUESTIONS = (  # (question, the entry): real questions, small talk around them
    ("спасибо, а когда выплаты?", "payout-dates"),
    ("Спасибо! Когда выплаты?", "payout-dates"),
    ("привет, как дела? когда выплаты?", "payout-dates"),
    ("ок, а сколько живет кука?", "cookie-lifetime"),
    ("thanks, what is the minimum payout", "payout-minimum"),
)


@pytest.fixture(scope="module")
def demo() -> Content:
    """The demo content, read once for the module's cases (a Content does not change)."""
    return load_content(DEMO_CONTENT)


@pytest.fixture(scope="module")
def matcher(demo: Content) -> FaqMatcher:
    return FaqMatcher(demo.faq)


@pytest.mark.parametrize("text", SMALL_TALK)
def test_small_talk_of_every_family_is_read_as_small_talk(text: str, demo: Content) -> None:
    reading = small_talk.read(text, demo)
    assert reading is not None, text
    assert reading.kind in CHATTY, (text, reading)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("как жизнь", "chat"),
        ("добрый вечер, как ваши дела?", "chat"),
        ("хорошего дня", "bye"),
        ("ты бот?", "bot"),
        ("привет, ты бот?", "bot"),
        ("спасибо, всё понятно", "thanks"),
        ("ахаха", "ack"),
        ("good morning", "greeting"),
        ("что нового", "news"),
        ("привет, что новенького?", "news"),
        ("какие новости?", "news"),
        ("what's new", "news"),
    ],
)
def test_each_family_gets_its_own_answer(text: str, kind: str) -> None:
    assert small_talk.read(text) == small_talk.Reading(kind)


@pytest.mark.parametrize(("text", "entry"), QUESTIONS)
def test_a_question_after_small_talk_still_reaches_the_faq(
    matcher: FaqMatcher, text: str, entry: str
) -> None:
    assert small_talk.read(text) is None
    assert matcher.match(text).entry_id == entry


@pytest.mark.parametrize(
    "text",
    [
        "как дела с выплатами",
        "что нового в программе",
        "как ты считаешь комиссию",
        "спасибо, а где ссылка",
        "бот не отвечает на вопрос про выплаты",
    ],
)
def test_a_question_that_begins_like_small_talk_is_a_question(text: str) -> None:
    assert small_talk.read(text) is None


@pytest.mark.parametrize("text", SMALL_TALK)
def test_the_faq_itself_gives_small_talk_no_answer_and_no_options(
    matcher: FaqMatcher, text: str
) -> None:
    match = matcher.match(text)
    assert (match.outcome, match.suggestions) == ("miss", ()), text


def test_faq_match_agrees_with_the_bot_on_small_talk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    for text, expected in (("good morning", None), ("как жизнь", None), ("Когда выплаты?", "x")):
        code = main(["faq", "match", text, "--content", str(DEMO_CONTENT), "--json"])
        assert code == 0
        found = json.loads(capsys.readouterr().out)
        if expected is None:
            assert (found["id"], found["suggestions"]) == (None, []), text
        else:
            assert found["id"] == "payout-dates"


# --- combining marks and full-width letters ---

ZALGO = "к\u0301\u0330о\u0352г\u0308\u0324д\u0489а в\u0336ы\u0337п\u035cл\u0303а\u0361т\u0317ы"


def test_combining_marks_are_no_letters_of_their_own(matcher: FaqMatcher) -> None:
    assert fold(ZALGO) == "когда выплаты"  # «к» with an acute is no «ќ»
    assert has_a_word(ZALGO)
    assert small_talk.read(ZALGO) is None
    assert matcher.match(ZALGO).entry_id == "payout-dates"


def test_full_width_letters_are_read_as_letters(matcher: FaqMatcher) -> None:
    assert fold("ｋｏｇｄａ ｖｙｐｌａｔｙ") == "kogda vyplaty"
    assert matcher.match("ｋｏｇｄａ ｖｙｐｌａｔｙ").entry_id == "payout-dates"


def test_folding_keeps_short_i_and_yo() -> None:
    decomposed = unicodedata.normalize("NFD", "йЙёЁ")
    assert len(decomposed) == 8
    assert fold(decomposed) == "йЙёЁ"
    assert fold("йогурт, ёлка") == "йогурт, ёлка"
    assert fold("й\u0330ё\u0301") == "йё"  # marks on them too: still «й», «ё»
    assert small_talk.read(unicodedata.normalize("NFD", "спасибо, всё понятно")) is not None


# --- property tests ---

_PREFIXES = st.sampled_from(
    [
        "спасибо",
        "Спасибо!",
        "спосибо)",
        "привет",
        "Привет,",
        "ок",
        "ну ок,",
        "добрый день.",
        "как дела?",
        "ахаха",
        "спасибо за ответ!",
        "thanks,",
        "hi",
        "how are you?",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300))
def test_the_recognizer_never_crashes(text: str) -> None:
    reading = small_talk.read(text)
    assert reading is None or isinstance(reading.kind, str)
    fold(text)
    has_a_word(text)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    prefix=_PREFIXES,
    question=st.sampled_from(
        [
            ("Когда выплаты?", "payout-dates"),
            ("сколько живет кука", "cookie-lifetime"),
            ("какая минимальная сумма выплаты", "payout-minimum"),
            ("где моя реферальная ссылка", "referral-link"),
        ]
    ),
    glue=st.sampled_from([" ", ", ", "! ", ". ", " а "]),
)
def test_a_question_with_a_small_talk_prefix_is_still_matched(
    matcher: FaqMatcher, prefix: str, question: tuple[str, str], glue: str
) -> None:
    text = prefix + glue + question[0]
    assert small_talk.read(text) is None, text
    assert matcher.match(text).entry_id == question[1], text


# --- in the bot: no FAQ answer, no options, no gap, on every platform ---


async def _stats(harness: Harness) -> str:
    await harness.services.faq.flush()
    manager = harness.manager()
    await manager.send("/start")
    return (await manager.send("/stats"))[0].plain


async def test_small_talk_gets_a_friendly_word_and_no_gap_on_telegram(harness: Harness) -> None:
    anna = harness.user(9801, "Анна")
    await anna.onboard()
    for text in SMALL_TALK:
        said = (await anna.send(text))[-1]
        assert "Пока не знаю ответа" not in said.plain, text
        assert "Вы имели в виду" not in said.plain, text
        assert said.button_labels == [], text
    assert (await anna.send("как жизнь?"))[-1].plain.startswith("Всё хорошо")
    assert (await anna.send("ты бот?"))[-1].plain.startswith("Я бот")
    assert (await anna.send("хорошего дня"))[-1].plain.startswith("Спасибо, и вам")
    news = (await anna.send("что нового?"))[-1].plain  # where the news is, not «Всё хорошо»
    assert news.startswith("Новости программы"), news
    assert "/contests" in news, news
    assert (await anna.send("/faq как дела"))[-1].plain.startswith("Всё хорошо")
    # a button's label with small talk around it is still the label
    assert (await anna.send("помогло, хорошего дня!"))[-1].plain.startswith("Рад, что помогло")
    stats = await _stats(harness)
    assert "без ответа 0" in stats
    assert "Чаще всего без прямого ответа" not in stats


async def test_small_talk_gets_its_answer_in_english(harness: Harness) -> None:
    john = harness.user(9804, "John", language="en")
    await john.onboard_in_english()
    for text, expected in (
        ("how are you?", "All good"),
        ("are you a bot?", "I am a bot"),
        ("have a nice day!", "Thank you, same to you"),
        ("what's new?", "The program's news"),
        ("thanks a lot, got it", "You are welcome"),
    ):
        said = (await john.send(text))[-1]
        assert said.plain.startswith(expected), (text, said.plain)
        assert said.button_labels == [], text


async def test_small_talk_gets_a_friendly_word_and_no_gap_on_vk(tmp_path: Path) -> None:
    async with running_bot(tmp_path, vk=True) as harness:
        vera = harness.vk_user(9802)
        await vera.onboard("Вебмастер")
        for text in ("как жизнь?", "хорошего дня", "ты бот?", "спасибо за ответ!", "ахаха"):
            said = (await vera.send(text))[-1]
            assert "записал" not in said.text, text
            assert "Пока не знаю" not in said.text, text
        stats = await _stats(harness)
        assert "без ответа 0" in stats


async def test_small_talk_logged_before_is_no_gap(harness: Harness) -> None:
    anna = harness.user(9803, "Анна")
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 9803)
    assert partner is not None
    for text in ("спасибо за ответ!", "ахаха", "как дела", "есть ли доставка в казахстан"):
        await harness.services.faq.ask(partner, text)  # stored by an older bot
    stats = await _stats(harness)
    assert "1. есть ли доставка в казахстан — 1 партнёр" in stats
    assert "\n2." not in stats


# --- the re-check: small talk in transliteration, as the FAQ reads a Latin word ---


@pytest.mark.parametrize(
    "text", ["kak zhizn", "horoshego dnya", "kak dela?", "spasibo za otvet", "chto novogo"]
)
def test_transliterated_small_talk_is_small_talk(text: str) -> None:
    assert small_talk_phrases.kind(text) is not None
    match = FaqMatcher(load_content(DEMO_CONTENT).faq).match(text)
    assert (match.outcome, match.suggestions) == ("miss", ())


@pytest.mark.parametrize("text", ["kogda vyplaty", "kak vyvesti dengi", "kak dela s vyplatami"])
def test_a_transliterated_question_is_still_a_question(text: str) -> None:
    assert small_talk_phrases.kind(text) is None
    assert FaqMatcher(load_content(DEMO_CONTENT).faq).match(text).outcome != "miss"
