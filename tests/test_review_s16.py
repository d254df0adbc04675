"""Session 16: what the tester of «ОблакоХост» found that the FAQ journeys do not cover."""

from __future__ import annotations

import pytest

from bot.i18n import Translator

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_returned_wording_does_not_say_nobody_confirmed_it(language: str) -> None:
    # who confirmed a wording is deleted when it is approved (privacy); a wording sent back
    # to review (its entry gone at a /reload) showed «Подтвердили партнёры: 0»
    l10n = Translator({}).get(language)
    item = {"left": 1, "phrasing": "x", "entry": "e", "question": "q", "source": "helped"}
    returned = l10n("faq-learned-item", votes=0, gone="yes", **item)
    assert ": 0" not in returned
    assert "(" in returned.splitlines()[2]
    assert l10n("faq-learned-item", votes=2, gone="no", **item).splitlines()[2].endswith(": 2")
