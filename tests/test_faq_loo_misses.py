"""bench.faq_loo's breakdown of what the taught half's others miss: each miss is told apart
by what the entry's taught wordings share with it (issue 13, session 9); the closest
learned wording by meaning (`--neighbours`, session 15)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.faq_loo import FaqMatcher, FaqSet, Question, _taught_cause, by_meaning, lexicon
from bot.content.loader import load_content
from bot.services import faq_semantic

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis

EDTECH = Path(__file__).resolve().parent.parent / "bench" / "faq_sets" / "edtech"


def _matcher() -> FaqMatcher:
    content = load_content(EDTECH)
    return FaqMatcher(content.faq, lexicon(content.lexicon), use_keywords=False)


def test_a_miss_is_told_apart_by_what_the_taught_wordings_share_with_it() -> None:
    matcher = _matcher()
    entry = next(e for e in matcher.entries if e.id == "diploma")
    own = {f for t in (entry.question, *entry.alt) for u in matcher.read(t) for f in u.forms}
    assert "корочка" not in own
    assert "диплом" in own
    slang = Question("корочка нужна?", "diploma", "slang")
    plain = Question("диплом нужен?", "diploma", "paraphrase")
    # a word the entry's own wordings lack: what learning can add
    assert _taught_cause(matcher, slang, ["корочка будет?"]) == "learned word"
    # only the entry's own words: learning adds nothing the content did not say
    assert _taught_cause(matcher, plain, ["диплом дают?"]) == "own words only"
    # nothing in common (question words aside): a synonym or a closer wording is needed
    assert _taught_cause(matcher, plain, ["корочка будет?"]) == "no shared word"
    assert _taught_cause(matcher, plain, []) == "nothing taught"


@pytest.fixture
def vectors(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    faq_semantic.reset()
    yield monkeypatch
    monkeypatch.delenv("FAQ_VECTORS", raising=False)
    faq_semantic.reset()


def _taught_set() -> FaqSet:
    questions = [
        Question("корочка нужна?", "diploma", "slang"),
        Question("выдаёте ли вы диплом после курса", "diploma", "paraphrase"),
        Question("когда приходят деньги за ученика", "payout-dates", "paraphrase"),
        Question("выплаты какого числа?", "payout-dates", "short"),
        Question("какая сегодня погода", None, "out_of_scope"),
    ]
    faq_set = FaqSet("edtech", EDTECH, questions)
    faq_set.matcher = _matcher()
    faq_set.set_adapter(None)
    return faq_set


def test_the_neighbours_by_meaning_count_each_other_half_question_once(
    vectors: pytest.MonkeyPatch,
) -> None:
    vectors.setenv("FAQ_VECTORS", "on")
    faq_semantic.reset()
    if faq_semantic.encoder() is None:
        pytest.skip("the sentence encoder is not installed")
    counts = by_meaning(_taught_set())
    # every in-scope question is in the other half once (two halves), out of scope never
    assert counts["tested"] == 4
    assert counts["either"] == counts["content"] + counts["only"]
    assert counts["only"] <= counts["learned"] <= counts["tested"]


def test_the_neighbours_by_meaning_need_the_vectors(vectors: pytest.MonkeyPatch) -> None:
    vectors.setenv("FAQ_VECTORS", "off")
    faq_semantic.reset()
    assert by_meaning(_taught_set()) == Counter()
