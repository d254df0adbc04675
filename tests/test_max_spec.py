"""The MAX schema cross-check itself: it catches what it is there to catch."""

from __future__ import annotations

import pytest

from bot.max.emulator import MaxRequest
from tests.max_spec import SPEC_FILE, max_spec_problems

pytestmark = [
    pytest.mark.skipif(not SPEC_FILE.exists(), reason="../shared/specs is not here"),
    pytest.mark.no_database,  # run once: not again on PostgreSQL + Redis
]


def test_a_valid_send_passes() -> None:
    body = {
        "text": "<b>Привет</b>",
        "attachments": [
            {"type": "image", "payload": {"token": "t"}},
            {
                "type": "inline_keyboard",
                "payload": {"buttons": [[{"type": "callback", "text": "Да", "payload": "y"}]]},
            },
        ],
        "link": None,
        "format": "html",
    }
    assert max_spec_problems([MaxRequest("POST", "/messages", {"chat_id": "5"}, body)]) == []
    assert max_spec_problems([MaxRequest("GET", "/chats/-70/members/me", {}, None)]) == []


def test_what_the_schema_refuses_is_caught() -> None:
    requests = [
        MaxRequest("GET", "/nowhere", {}, None),
        MaxRequest("PATCH", "/me", {}, {"commands": []}),
        MaxRequest(
            "POST", "/messages", {"peer_id": "5"}, {"text": "x", "attachments": None, "link": None}
        ),
        MaxRequest("POST", "/messages", {"chat_id": "x"}, {"text": "x"}),
        MaxRequest(
            "POST",
            "/messages",
            {"chat_id": "5"},
            {
                "text": "x" * 4001,
                "attachments": [
                    {
                        "type": "inline_keyboard",
                        "payload": {"buttons": [[{"type": "callback", "text": "a"}]]},
                    }
                ],
                "link": None,
                "format": "bbcode",
                "colour": "red",
            },
        ),
        MaxRequest("POST", "/answers", {}, {"notification": "ok"}),
    ]
    problems = "\n".join(max_spec_problems(requests))
    assert "GET /nowhere: no such path" in problems
    assert "PATCH /me: no such method" in problems
    assert "unknown query parameter peer_id" in problems
    assert "chat_id='x' is not an integer" in problems
    assert "required field attachments missing" in problems
    assert "longer than 4000" in problems
    assert "'bbcode' not one of" in problems
    assert "unknown field colour" in problems
    assert "required field payload missing" in problems  # a callback button without payload
    assert "required query parameter callback_id missing" in problems
