"""The matcher with sentence vectors on and off (bot/services/faq_vectors.py): meaning
brings in an entry that shares no word with the question; off, the bot reads words only,
with the model fitted for that."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bot.content.models import FaqEntry
from bot.services import faq_semantic, faq_vectors
from bot.services.faq_matching import FaqMatcher
from bot.services.faq_model import Model, model_file
from bot.services.faq_space import Space, suffix
from bot.services.faq_vectors import EntryVectors, readable

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis

FLOWERS = [
    FaqEntry(
        id="delivery",
        topic="t",
        question="Сколько стоит доставка цветов?",
        answer="Доставка по городу бесплатная при заказе от 3000 рублей.",
    ),
    FaqEntry(
        id="returns",
        topic="t",
        question="Можно ли вернуть букет?",
        answer="Вернуть букет можно в течение суток, если он завял.",
    ),
    FaqEntry(
        id="courier",
        topic="t",
        question="Как стать курьером?",
        answer="Заполните анкету на сайте, мы перезвоним.",
    ),
    FaqEntry(
        id="reward",
        topic="t",
        question="Когда партнёру начисляется вознаграждение?",
        answer="Вознаграждение начисляется после оплаты заказа клиентом.",
    ),
]


@pytest.fixture
def vectors(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    faq_semantic.reset()
    yield monkeypatch
    monkeypatch.delenv("FAQ_VECTORS", raising=False)
    faq_semantic.reset()


def _matcher(mode: str, monkeypatch: pytest.MonkeyPatch) -> FaqMatcher:
    monkeypatch.setenv("FAQ_VECTORS", mode)
    faq_semantic.reset()
    return FaqMatcher(FLOWERS, model=Model.shipped())


def test_meaning_offers_an_entry_that_shares_no_word(vectors: pytest.MonkeyPatch) -> None:
    # «привезут розы» shares no word with «доставка цветов»: only the vectors see it
    question = "за сколько привезут розы"
    on = _matcher("on", vectors)
    assert model_file() == f"faq_model{suffix()}.json"
    match = on.match(question)
    assert "delivery" in [c.entry_id for c in match.suggestions]
    closest = on.rank(question, limit=10)
    assert "delivery" in [c.entry_id for c in closest]

    off = _matcher("off", vectors)
    assert model_file() == "faq_model_lexical.json"
    assert "delivery" not in [c.entry_id for c in off.rank(question, limit=10)]


def test_vectors_off_gives_zero_meaning_signals(vectors: pytest.MonkeyPatch) -> None:
    off = _matcher("off", vectors)
    (first, *_) = off.rank("когда начислят вознаграждение партнёру")
    assert first.entry_id == "reward"
    assert first.features[-4:] == (0.0, 0.0, 0.0, 0.0)

    on = _matcher("on", vectors)
    (first, *_) = on.rank("когда начислят вознаграждение партнёру")
    assert first.entry_id == "reward"
    meaning, lead, answer, scope = first.features[-4:]
    assert 0.3 < meaning <= 1.0
    assert lead > 0
    assert answer > 0
    assert -1.0 <= scope <= 1.0


def test_the_scope_feature_reads_the_question_not_the_entry(vectors: pytest.MonkeyPatch) -> None:
    # one number per question (its vector through the scope weights), the same for every
    # candidate; given weights are used instead of the shipped ones; clipped to ±1
    vectors.setenv("FAQ_VECTORS", "on")
    faq_semantic.reset()
    shipped = faq_vectors.shipped_scope()
    assert shipped is not None
    dim = Space([]).dim  # USE's 512, and e5's 384 beside them (FAQ_ENCODER)
    assert shipped.shape == (dim + 1,)
    question = "когда начислят вознаграждение партнёру"
    vector = EntryVectors(FLOWERS)._space.questions([readable(question)])[0]
    weights = np.zeros(dim + 1, dtype=np.float32)
    weights[:dim] = vector * 5  # logit 5 · |v|² = 5 → 0.5
    weights[dim] = -2.0  # → 0.3
    try:
        faq_vectors.use_scope(weights)
        chosen = EntryVectors(FLOWERS).compare(question)
        faq_vectors.use_scope(None)
        none = EntryVectors(FLOWERS).compare(question)
    finally:
        faq_vectors.use_shipped_scope()
    assert chosen is not None
    assert none is not None
    assert abs(chosen.scope - 0.3) < 1e-4
    assert none.scope == 0.0
    assert {chosen.features(n)[3] for n in range(len(FLOWERS))} == {chosen.scope}
    assert faq_vectors.scope_feature(vector, weights * 100) == 1.0
    assert faq_vectors.scope_feature(vector, -weights * 100) == -1.0


@pytest.mark.parametrize("mode", ["on", "off"])
@pytest.mark.parametrize(
    "question", ["привет", "👍", "ok", "у меня сломался стул", "zzqq", "какая погода"]
)
def test_no_word_the_faq_knows_is_no_match(
    vectors: pytest.MonkeyPatch, mode: str, question: str
) -> None:
    # small talk, and a question close in meaning to no entry, never get "did you mean"
    match = _matcher(mode, vectors).match(question)
    assert (match.outcome, match.suggestions) == ("miss", ())


def test_no_word_the_faq_knows_is_ranked_by_meaning(vectors: pytest.MonkeyPatch) -> None:
    # an English «how do I become a driver» shares no word with «Как стать курьером?»;
    # close enough in meaning (`MEANING_FLOOR`), it is ranked by meaning alone (session 21)
    assert "courier" in [
        c.entry_id for c in _matcher("on", vectors).rank("how do I become a driver")
    ]
    assert _matcher("off", vectors).rank("how do I become a driver") == []


def test_a_segment_hides_an_entry_close_in_meaning(vectors: pytest.MonkeyPatch) -> None:
    entries = [
        FLOWERS[0].model_copy(update={"segments": ["b2b"]}),
        *FLOWERS[1:],
    ]
    vectors.setenv("FAQ_VECTORS", "on")
    faq_semantic.reset()
    matcher = FaqMatcher(entries, model=Model.shipped())
    ranked = matcher.rank("за сколько привезут розы", segment="retail", limit=10)
    assert "delivery" not in [c.entry_id for c in ranked]


def test_a_partners_question_is_not_remembered(vectors: pytest.MonkeyPatch) -> None:
    # the encoder's text cache keeps the content's texts, never what partners ask (/forget)
    matcher = _matcher("on", vectors)
    matcher.rank("за сколько привезут розы моей маме")
    model = faq_semantic.encoder()
    assert model is not None
    before = model.encoded
    matcher.rank("за сколько привезут розы моей маме")
    assert model.encoded == before + 1  # encoded again: it was not kept
    assert FLOWERS[0].question in model._lru


@pytest.mark.parametrize(
    ("question", "read"),
    [
        ("kak stat kurerom?", "как стат курером?"),  # Russian in Latin letters
        ("Skolko STOIT dostavka", "сколко стоит доставка"),
        ("how do I become a courier", "how do I become a courier"),  # English stays
        ("what is the payout", "what is the payout"),
        ("kogda выплата", "kogda выплата"),  # a Cyrillic letter: read as typed
        ("payout", "payout"),  # one word: no telling
        ("", ""),
        ("123 456", "123 456"),
        ("ЗАБЫЛ ПАРОЛЬ!!!", "забыл пароль!!!"),  # capitals: read in small letters
        ("KAK STAT KUREROM", "как стат курером"),
        ("Как стать PARTNER", "Как стать PARTNER"),
    ],
)
def test_the_encoder_reads_russian_typed_in_latin_letters(question: str, read: str) -> None:
    assert readable(question) == read


def test_a_transliterated_question_means_what_it_spells(vectors: pytest.MonkeyPatch) -> None:
    vectors.setenv("FAQ_VECTORS", "on")
    faq_semantic.reset()
    index = EntryVectors(FLOWERS)
    latin = index.compare("kak stat kurerom")
    cyrillic = index.compare("как стат курером")
    assert latin is not None
    assert cyrillic is not None
    np.testing.assert_allclose(latin.wording, cyrillic.wording, atol=1e-6)
    assert FLOWERS[latin.first].id == "courier"


def test_questions_and_wordings_meet_through_the_adapter(vectors: pytest.MonkeyPatch) -> None:
    # the shipped adapter moves both sides; the answers' cosine and a manager's picker
    # read the encoder's own vectors
    vectors.setenv("FAQ_VECTORS", "on")
    faq_semantic.reset()
    shipped = faq_vectors.shipped_adapter()
    assert shipped is not None
    assert shipped.shape == (Space([]).dim,) * 2
    question = "за сколько привезут розы"
    try:
        faq_vectors.use_adapter(None)
        plain = EntryVectors(FLOWERS)
        faq_vectors.use_shipped_adapter()
        adapted = EntryVectors(FLOWERS)
    finally:
        faq_vectors.use_shipped_adapter()
    without, moved = plain.compare(question), adapted.compare(question)
    assert without is not None
    assert moved is not None
    # the picker reads USE's own cosine, with e5 beside it too
    use = faq_semantic.encode([w for e in FLOWERS for w in (e.question, *e.alt)])
    starts = np.cumsum([0] + [1 + len(e.alt) for e in FLOWERS[:-1]])
    own = np.maximum.reduceat(use @ faq_semantic.encode([question])[0], starts)
    np.testing.assert_allclose(plain.plain(question), own, atol=1e-5)
    np.testing.assert_allclose(adapted.plain(question), own, atol=1e-5)
    if not plain._space.paired:
        np.testing.assert_allclose(plain.plain(question), without.wording, atol=1e-6)
    np.testing.assert_allclose(moved.answer, without.answer, atol=1e-6)
    assert np.abs(moved.wording - without.wording).max() > 0.01
    vector = plain._space.questions([question])[0]
    one = faq_vectors.adapt(vector[np.newaxis], shipped)[0]
    assert abs(float(np.linalg.norm(one)) - 1.0) < 1e-5
    rows = faq_vectors.adapt(plain._space.content([FLOWERS[0].question]), shipped)
    assert abs(float(rows[0] @ one) - float(moved.wording[0])) < 1e-5


STORY = (
    "Добрый день, коллеги! Я давно с вами работаю и в целом всё нравится, клиенты довольны. "
    "Подскажите, когда партнёру начисляется вознаграждение за заказ? "
    "Спасибо заранее, хорошего вам дня и побольше заказов"
)


@pytest.mark.parametrize(
    ("question", "asking"),
    [
        (STORY, ["Подскажите, когда партнёру начисляется вознаграждение за заказ?"]),
        ("когда начисляется вознаграждение?", []),  # short: read whole only
        (" ".join(["слово"] * 30) + "?", []),  # one sentence
        (
            "Здравствуйте, у меня такая ситуация с одним клиентом из соседнего города. "
            "Он заказал букет на праздник через мою ссылку и оплатил его. "
            "Хочу понять когда мне придёт вознаграждение за него",
            ["Хочу понять когда мне придёт вознаграждение за него"],  # no «?»: the last
        ),
        ("Привет. " + "Это вопрос номер один? " * 200, ["Это вопрос номер один?"] * 3),
        ("", []),
    ],
)
def test_a_long_question_is_read_by_its_asking_sentences(question: str, asking: list[str]) -> None:
    assert faq_vectors.asking_sentences(question) == asking


def test_a_long_questions_closeness_counts_its_asking_sentence(
    vectors: pytest.MonkeyPatch,
) -> None:
    vectors.setenv("FAQ_VECTORS", "on")
    faq_semantic.reset()
    index = EntryVectors(FLOWERS)
    long = index.compare(STORY)
    asked = index.compare(faq_vectors.asking_sentences(STORY)[0])
    assert long is not None
    assert asked is not None
    whole = index._closest(index._space.questions([STORY])[0])
    expected = faq_vectors.WHOLE * whole + (1 - faq_vectors.WHOLE) * asked.wording
    np.testing.assert_allclose(long.wording, expected, atol=1e-5)
    assert FLOWERS[long.first].id == "reward"
