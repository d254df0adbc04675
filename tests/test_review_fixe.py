"""Second independent review (session 7): a `faq teach` line with a non-string "q" says
so; a display name of nothing visible shows as «Партнёр 1234» on /top and /me."""

from __future__ import annotations

import pytest

from bot.services.faq_wordings import teach_line
from tests.harness import Harness
from tests.test_journey_partner_screens import sales


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


async def test_a_name_of_bidi_controls_only_is_the_label_on_top_and_me(harness: Harness) -> None:
    """Item 7 of the review, verified: a name of U+202E, U+2066, U+200F chosen to appear by name is
    «Партнёр 1234» on /top and the first line of /me, never «— — 2» or a bare «—»."""
    person = harness.user(1701, "\u202e\u2066\u200f")
    await person.onboard()
    partner = await harness.services.partners.by_user("tg", 1701)
    assert partner is not None
    partner = await harness.services.partners.request_link(partner, "bidi-1")
    partner = await harness.services.partners.approve_link(partner)
    partner = await harness.services.partners.set_public_name(partner, "name")
    label = f"Партнёр {partner.partner_code[-4:]}"
    await sales(harness, "bidi-1", 2)
    board = (await person.send("/top"))[-1].plain.splitlines()
    assert board[1] == f"1. {label} — 2"
    assert not any(line.lstrip("0123456789. ").startswith("—") for line in board)
    me = (await person.send("/me"))[-1].plain.splitlines()
    assert me[0] == label
