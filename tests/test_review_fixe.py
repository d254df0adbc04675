"""Second independent review (session 7): a `faq teach` line with a non-string "q" says
so; a display name of nothing visible shows as «Партнёр 1234» on /top and /me."""

from __future__ import annotations

import pytest

from bot.services.faq_wordings import teach_line


@pytest.mark.parametrize("q", ["5", "true", '["как"]', '{"a": 1}', "1.5"])
def test_a_teach_line_with_a_non_string_question_says_it_must_be_a_string(q: str) -> None:
    assert teach_line(f'{{"q": {q}, "id": "payout-when"}}', {"payout-when"}) == (
        '"q" must be a string'
    )


def test_a_teach_line_with_an_empty_or_missing_question_is_still_told_so() -> None:
    for line in (
        '{"q": "", "id": "payout-when"}',
        '{"q": "?!", "id": "payout-when"}',
        '{"id": "payout-when"}',
        '{"q": null, "id": "payout-when"}',
    ):
        assert teach_line(line, {"payout-when"}) == '"q" must be a non-empty question'
