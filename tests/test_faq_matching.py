"""FAQ matching: morphology, typos, slang, transliteration, thresholds, the CLI."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.content.loader import load_content
from bot.content.models import FaqEntry, LexiconItem
from bot.services.faq_matching import (
    CLOSE,
    FEATURES,
    SURE,
    TOP_FEATURES,
    Candidate,
    FaqMatcher,
    Match,
    lexicon,
    shipped_model,
    transliterate,
    words,
)
from bot.services.faq_reading import plain_question
from tests.harness import DEMO_CONTENT


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher(load_content(DEMO_CONTENT).faq)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Когда выплаты?", "payout-dates"),  # the question itself
        ("выплаты когда", "payout-dates"),  # word order
        ("когда будут выплаты", "payout-dates"),  # inflection
        ("графиик выплат", "payout-dates"),  # a typo
        ("kogda vyplaty", "payout-dates"),  # transliteration
        ("где моя рефка", "referral-link"),  # slang from keywords
        ("сколько живет кука", "cookie-lifetime"),  # ё/е
        ("ЗАБЫЛ ПАРОЛЬ!!!", "account-login"),  # case and punctuation
    ],
)
def test_answers(matcher: FaqMatcher, question: str, expected: str) -> None:
    match = matcher.match(question)
    assert (match.outcome, match.entry_id) == ("answer", expected)


@pytest.mark.parametrize("question", ["привет", "спасибо большое", "какая сегодня погода", ""])
def test_leaves_small_talk_unanswered(matcher: FaqMatcher, question: str) -> None:
    assert matcher.match(question).outcome == "miss"


def test_middling_match_suggests_options(matcher: FaqMatcher) -> None:
    unsure = matcher.with_model(replace(shipped_model(), answer=1.01))  # never sure enough
    match = unsure.match("what is the minimum payout")
    assert match.outcome == "suggest"
    assert match.entry_id is None
    ids = [candidate.entry_id for candidate in match.suggestions]
    assert ids[0] == "payout-minimum"  # best first
    assert 1 <= len(ids) <= 3
    scores = [candidate.score for candidate in match.suggestions]
    assert scores == sorted(scores, reverse=True)


def test_an_unsure_answer_carries_the_next_probable_entries(matcher: FaqMatcher) -> None:
    # below SURE an answer comes with the next entries that reach the options threshold;
    # from SURE on with those close to it (CLOSE of its probability); with none probable
    # enough, it comes alone
    plain = matcher.with_model(replace(shipped_model(), top_weights=(), answer=0.5, suggest=0.05))
    first, second, third = (Candidate(i, s) for i, s in (("a", 0.6), ("b", 0.2), ("c", 0.01)))
    assert plain.decide([first, second, third]) == Match("answer", "a", 0.6, (second,))
    sure = Candidate("a", SURE)
    assert plain.decide([sure, second, third]) == Match("answer", "a", SURE, (second,))
    fine = matcher.with_model(replace(plain.model, suggest=0.005))
    far = Candidate("b", 0.095)  # over the options threshold; under CLOSE · 0.99, not · 0.9
    surer = Candidate("a", 0.99)
    assert CLOSE * surer.score > far.score >= CLOSE * SURE > fine.model.suggest
    assert fine.decide([surer, far, third]) == Match("answer", "a", 0.99, ())
    assert fine.decide([sure, far, third]) == Match("answer", "a", SURE, (far,))
    assert plain.decide([first, third]) == Match("answer", "a", 0.6, ())
    # under the answer threshold: the options, the first among them
    low = Candidate("a", 0.3)
    assert plain.decide([low, second, third]) == Match("suggest", None, 0.3, (low, second))


def test_an_entry_a_few_percent_likely_is_still_offered(matcher: FaqMatcher) -> None:
    # a blocked account is a login problem; the matcher gives that ~2 %, below the first
    # option: offered all the same, the partner is one tap from the answer
    match = matcher.match("блокировка аккаунта")
    assert match.outcome == "suggest"
    assert "account-login" in [candidate.entry_id for candidate in match.suggestions]
    # while small talk sharing a word with some entry (well under 1 %) is offered nothing
    assert matcher.match("какая сегодня погода").outcome == "miss"


def test_english_and_slang_reach_entries_without_keywords() -> None:
    bare = FaqMatcher(load_content(DEMO_CONTENT).faq, use_keywords=False)
    assert bare.match("what is the minimum payout").entry_id == "payout-minimum"
    assert bare.match("минималка").entry_id == "payout-minimum"
    assert bare.match("выплата не пришла").entry_id == "payout-delay"


def test_a_near_miss_sharing_a_word_stays_unanswered(matcher: FaqMatcher) -> None:
    assert matcher.match("когда у вас корпоратив").outcome != "answer"


def test_chatty_words_do_not_dilute_a_long_question(matcher: FaqMatcher) -> None:
    short = matcher.match("когда выплаты")
    chatty = matcher.match(
        "привет всем! подскажите пожалуйста, очень хочу узнать, когда вообще выплаты?"
    )
    assert (chatty.outcome, chatty.entry_id) == ("answer", "payout-dates")
    assert chatty.score >= short.score - 0.05


def test_a_programs_lexicon_adds_its_words() -> None:
    entries = load_content(DEMO_CONTENT).faq
    plain = FaqMatcher(entries, use_keywords=False)
    own = FaqMatcher(
        entries,
        lexicon([LexiconItem(words=["хрумзики", "khrumziki"], means="выплата")]),
        use_keywords=False,
    )
    # a word of the program's own (a coinage: «зряплата», used here until session 16, the
    # matcher now reads by meaning as the «зарплата» it misspells): the program's word
    # makes the entry the first by far (an answer or the first option: the encoder knows
    # nothing of the word, so how sure it is is the model's)
    without, with_word = plain.match("когда хрумзики"), own.match("когда хрумзики")
    assert without.entry_id is None
    assert (with_word.entry_id or with_word.suggestions[0].entry_id) == "payout-dates"
    assert with_word.score > without.score + 0.4


def test_a_learned_phrasing_is_answered_when_asked_again(matcher: FaqMatcher) -> None:
    question = "шо по бабосам в пятницу"
    assert matcher.match(question).entry_id != "payout-dates"
    taught = matcher.with_learned({"payout-dates": [question], "gone-entry": ["x"]})
    assert taught.match(question) == Match("answer", "payout-dates", 1.0)
    assert taught.learned_count == 1  # a phrasing of an unknown entry is left out


def test_segment_restricted_entries(matcher: FaqMatcher) -> None:
    assert matcher.match("есть yml фид", "webmaster").entry_id == "product-feed"
    assert matcher.match("есть yml фид", "blogger").entry_id != "product-feed"


def test_normalisation_helpers() -> None:
    assert words("Ёлки-палки, КОГДА?!") == ["елки", "палки", "когда"]
    assert transliterate("vyplaty") == "выплаты"
    assert transliterate("shchedro") == "щедро"


def test_empty_faq_matches_nothing() -> None:
    assert FaqMatcher([]).match("когда выплаты").outcome == "miss"


def test_ambiguous_entries_are_not_answered_blindly() -> None:
    # two entries of a real FAQ that differ only in what the question does not say
    demo = load_content(DEMO_CONTENT)
    entries = [
        *demo.faq,
        FaqEntry(id="a", topic="t", question="Какой бонус для новых клиентов?", answer="x"),
        FaqEntry(id="b", topic="t", question="Какой бонус для постоянных клиентов?", answer="y"),
    ]
    match = FaqMatcher(entries, lexicon(demo.lexicon)).match("какой бонус")
    assert match.outcome == "suggest"
    assert {"a", "b"} <= {c.entry_id for c in match.suggestions}


def test_cli_json_single(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "match", "когда выплаты", "--content", str(DEMO_CONTENT), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["id"] == "payout-dates"
    assert 0.5 < result["score"] <= 1


def test_cli_batch_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("где рефка\nпривет\nзабыл пароль\n"))
    assert main(["faq", "match", "--content", str(DEMO_CONTENT), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["referral-link", None, "account-login"]
    # «привет» is read before the FAQ, as the bot reads it
    assert lines[1] == {"id": None, "score": 0.0, "suggestions": [], "not_a_question": "greeting"}


def test_cli_text_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "match", "как дела", "--content", str(DEMO_CONTENT)]) == 0
    assert capsys.readouterr().out.startswith("no match")


def test_words_only_a_learned_wording_brings_do_not_count_as_the_entry_covering_them(
    matcher: FaqMatcher,
) -> None:
    # a long learned question carries words of other entries («промокод», «баннер»): they
    # stay evidence of their own, not coverage that pulls those entries' questions over
    taught = matcher.with_learned(
        {"payout-dates": ["у меня промокод и баннеры на сайте, когда придут деньги за март"]}
    )
    promo = next(c for c in taught.rank("промокод", limit=8) if c.entry_id == "payout-dates")
    assert promo.features[0] == 0.0  # coverage
    assert taught.rank("промокод")[0].entry_id == matcher.rank("промокод")[0].entry_id


def test_english_function_words_are_not_corrected_into_vocabulary_words(
    matcher: FaqMatcher,
) -> None:
    # «each» is one letter from «reach» (a vocabulary word): it is grammar, not a typo
    forms = {
        form
        for unit in matcher.question_units("commission for each customer")
        for form in unit.forms
    }
    assert "reach" not in forms
    assert {"комиссия", "покупатель"} <= forms


def test_a_learned_phrasing_that_reads_as_another_entrys_wording_never_takes_it(
    matcher: FaqMatcher,
) -> None:
    # session 15: an entry's own wordings always answer that entry — the very words of one
    # entry's question learned for another entry (stored before teaching refused them) do
    # not take the question away (they used to: the learned link won)
    question = matcher.entries[0].question
    other = matcher.entries[1].id
    assert matcher.match(question).entry_id == matcher.entries[0].id
    taught = matcher.with_learned({other: [question]})
    found = taught.match(question)
    assert (found.outcome, found.entry_id) == ("answer", matcher.entries[0].id)
    assert taught.rank(question)[0].entry_id == matcher.entries[0].id


# --- learning adds evidence; it never changes how a question reads ---------------------


def test_learning_never_changes_how_a_question_reads(matcher: FaqMatcher) -> None:
    taught = matcher.with_learned(
        {"payout-dates": ["графиик выплатт по пятницам", "kagda babki prihodyat"]}
    )
    for question in ("графиик выплат", "kogda vyplaty", "когда бабки придут", "выплатт"):
        assert taught.question_units(question) == matcher.question_units(question)


def test_teaching_an_entry_never_makes_the_bot_less_sure_of_it() -> None:
    plain = FaqMatcher(load_content(DEMO_CONTENT).faq, use_keywords=False)
    taught = plain.with_learned({"promo-codes": ["промик на скидос дадите для сабов"]})
    for question in ("промик для сабов", "скидос для сабов", "промокод для подписчиков"):
        before = {c.entry_id: c.score for c in plain.rank(question)}
        after = {c.entry_id: c.score for c in taught.rank(question)}
        assert after["promo-codes"] >= before.get("promo-codes", 0.0)
        assert taught.match(question).score >= plain.match(question).score
    model = shipped_model()
    weights = [
        *zip(FEATURES, model.weights, strict=True),
        *zip(TOP_FEATURES, model.top_weights, strict=True),
    ]
    learned = [weight for name, weight in weights if name.startswith("learned_")]
    assert len(learned) == 4
    assert min(learned) >= 0.0


def test_the_same_words_as_a_learned_wording_are_answered(matcher: FaqMatcher) -> None:
    taught = matcher.with_learned(
        {"payout-dates": ["шо по бабосам в пятницу"], "tier-levels": ["когда?"]}
    )
    assert taught.match("по бабосам в пятницу") == Match("answer", "payout-dates", 1.0)
    assert taught.match("шо по бабосам в пятницу???").entry_id == "payout-dates"
    # a learned wording of question words alone reads as no particular question
    assert taught.match("как?").entry_id != "tier-levels"


def test_a_typo_is_a_letter_or_two_not_another_word(matcher: FaqMatcher) -> None:
    # «capital» is not a typo of the wallet «capitalist» the vocabulary knows
    assert all("capitalist" not in u.forms for u in matcher.question_units("capital"))
    assert matcher.match("what's the capital of Australia").outcome == "miss"
    # letters missing, doubled or swapped are still read as the word
    for typo, word in (
        ("графиик", "график"),
        ("выплта", "выплата"),
        ("рефреальная", "реферальный"),
    ):
        forms = {form for unit in matcher.question_units(typo) for form in unit.forms}
        assert word in forms, (typo, forms)


@pytest.mark.parametrize("question", ["1", "2", "100", "  42  ", "1 2 3"])
def test_numbers_alone_are_no_question(matcher: FaqMatcher, question: str) -> None:
    assert matcher.match(question) == Match("miss", None, 0.0)


def test_a_latin_word_an_answer_mentions_is_also_read_as_transliteration() -> None:
    # «osago» is known as written (an answer lists the products in Latin), which used to
    # stop it being read as «осаго», the word the entry's own question uses
    entries = [
        FaqEntry(id="kasko", topic="t", question="Какая комиссия за полис КАСКО?", answer="8 %"),
        FaqEntry(id="osago", topic="t", question="Какая комиссия за полис ОСАГО?", answer="5 %"),
        FaqEntry(
            id="postback",
            topic="t",
            question="Есть ли постбэк?",
            answer="Да, с полем product: osago, kasko или travel.",
        ),
    ]
    ranked = FaqMatcher(entries).rank("komissiya za osago")
    assert ranked[0].entry_id == "osago"


def test_short_english_words_are_not_read_as_typos(matcher: FaqMatcher) -> None:
    """«told» is not «hold», «said» not «paid», «come» not «комиссия» (session 8: the
    vocabulary's short Latin words lie a letter from common English words); longer typos
    and the vocabulary's own misspellings still read as meant."""
    for word in ("told", "said", "come", "stay", "love", "live"):
        (unit,) = matcher.question_units(word)
        assert unit.forms == frozenset({word}), (word, unit.forms)
    for word, meant in (("payuot", "выплата"), ("hlod", "холд")):
        (unit,) = matcher.question_units(word)
        assert meant in unit.forms, (word, unit.forms)


# --- who the question is addressed as (issue 13, session 9) ----------------------------


@pytest.mark.parametrize(
    ("question", "partner", "customer"),
    [
        ("как вернуть товар", 0.0, 1.0),  # a customer's words
        ("приложение не работает, пароль не подходит", 0.0, 1.0),
        ("комиссия за возвращённый заказ", 1.0, 0.0),  # «комиссия»: a partner's question
        ("клиент вернул товар, мне что-то начислят?", 1.0, 1.0),  # both: the model weighs
        ("где моя рефка", 1.0, 0.0),  # the vocabulary's meaning: «реферальная ссылка»
        ("когда выплаты", 1.0, 0.0),
        ("минимальная сумма", 0.0, 0.0),  # neither
    ],
)
def test_the_model_sees_whether_a_partner_or_a_customer_asks(
    matcher: FaqMatcher, question: str, partner: float, customer: float
) -> None:
    first = matcher.rank(question)[0]
    at = FEATURES.index("partner")
    assert first.features[at : at + 2] == (partner, customer)


@pytest.mark.parametrize(
    ("decorated", "plain"),
    [
        ("где взять баннеры??? 😭😭😭", "где взять баннеры???"),
        ("🔥🔥 когда выплаты 🔥🔥", "когда выплаты"),
        ("<b>когда выплаты?</b>", "когда выплаты?"),
        ('<a href="https://x.ru">как получить промокод</a>', "как получить промокод"),
        ("&lt;где взять баннеры&gt;", "где взять баннеры"),
        ("👩\u200d💻 как получить промокод 🇷🇺", "как получить промокод"),
        ("где взять баннеры ✨️", "где взять баннеры"),
    ],
)
def test_tags_and_emoji_are_no_part_of_the_question(
    matcher: FaqMatcher, decorated: str, plain: str
) -> None:
    """The tester's note (session 16): HTML or emoji around a question lowered its
    confidence (an answer crossed below the partners' group's level, or fell to options)."""
    assert plain_question(decorated) == plain
    assert matcher.match(decorated) == matcher.match(plain)
    assert [c.entry_id for c in matcher.rank(decorated)] == [
        c.entry_id for c in matcher.rank(plain)
    ]


@pytest.mark.parametrize("text", ["№ договора где", "3 < 5", "a & b", "скидка 10%", "x <= y"])
def test_plain_question_keeps_the_words(text: str) -> None:
    assert plain_question(text).split()[0] == text.split(maxsplit=1)[0]
    assert "№" in plain_question("№ договора")
    assert "%" in plain_question("10%")


@pytest.mark.parametrize("text", ["🔥🔥🔥", "<b></b>", "&nbsp;", "👍🏻"])
def test_pictures_or_tags_alone_are_no_question(matcher: FaqMatcher, text: str) -> None:
    assert matcher.match(text).outcome == "miss"


_DECORATION = st.sampled_from(
    [
        "<b>",
        "</b>",
        '<a href="x">',
        "</a>",
        "&amp;",
        "&lt;",
        "&gt;",
        "&nbsp;",
        "🔥",
        "👩\u200d💻",
        "🇷🇺",
        "✨️",
        "1️⃣",
        "\u200d",
        "\ufe0f",
        "©",
        "<",
        ">",
        "&",
        "№",
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(
        st.sampled_from(["когда", "выплаты", "промокод", "где", "баннеры"]), max_size=4
    ),
    decoration=st.lists(_DECORATION, max_size=6),
    noise=st.text(max_size=40),
)
def test_plain_question_takes_any_text(
    matcher: FaqMatcher, words: list[str], decoration: list[str], noise: str
) -> None:
    """Whatever surrounds the words — tags, entities, emoji and their joiners, any text —
    the question reads as words: no tag or picture left, the words kept, and the matcher
    answers without failing."""
    text = " ".join([*decoration[:3], *words, *decoration[3:], noise])
    plain = plain_question(text)
    assert "<b>" not in plain
    assert "\u200d" not in plain
    assert "🔥" not in plain
    assert all(word in plain for word in words)
    assert "<" not in plain
    assert ">" not in plain
    matcher.match(text)
