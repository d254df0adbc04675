"""bench.faq_loo's breakdown of what the taught half's others miss: each miss is told apart
by what the entry's taught wordings share with it (issue 13, session 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faq_loo import FaqMatcher, Question, _taught_cause, lexicon
from bot.content.loader import load_content

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
