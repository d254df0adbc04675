"""MAX conversions on their own: markup within MAX's HTML subset, keyboards within MAX's
limits, long texts split with their tags balanced, events' identities."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.max import convert
from bot.max.emulator_model import _check_keyboard
from bot.max.events import event_key, event_number

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis


def test_unsupported_tags_degrade_to_their_words() -> None:
    text = (
        "<b>Жирный</b> <blockquote>цитата</blockquote> <tg-spoiler>тайна</tg-spoiler> "
        '<span class="tg-spoiler">ещё</span> <a href="https://x.example/?a=1&amp;b=2" '
        'title="t">ссылка</a> <u>под</u> &lt;не тег&gt;'
    )
    assert convert.html(text) == (
        '<b>Жирный</b> цитата тайна ещё <a href="https://x.example/?a=1&amp;b=2">ссылка</a> '
        "<u>под</u> &lt;не тег&gt;"
    )


def test_plain_text_is_escaped_for_html() -> None:
    assert convert.escape("a < b & <c>") == "a &lt; b &amp; &lt;c&gt;"


def test_long_text_split_with_tags_balanced() -> None:
    paragraph = "<b>" + "слово " * 300 + "</b>"
    text = "\n\n".join([paragraph] * 5) + "\n\n<pre>" + "\n".join(["код"] * 1500) + "</pre>"
    parts = convert.split(text)
    assert len(parts) > 2
    for part in parts:
        assert len(part) <= convert.TEXT_LIMIT
        for tag in ("b", "pre"):
            assert part.count(f"<{tag}>") == part.count(f"</{tag}>")
    assert parts[-1].startswith("<pre>")  # reopened after the cut


def test_short_text_is_one_part() -> None:
    assert convert.split("<b>коротко</b>") == ["<b>коротко</b>"]


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def test_keyboard_callback_and_link_buttons() -> None:
    markup = _markup(
        [
            [InlineKeyboardButton(text="Да", callback_data="yes")],
            [InlineKeyboardButton(text="Сайт", url="https://example.com")],
        ]
    )
    attachment = convert.keyboard(markup)
    assert attachment == {
        "type": "inline_keyboard",
        "payload": {
            "buttons": [
                [{"type": "callback", "text": "Да", "payload": "yes"}],
                [{"type": "link", "text": "Сайт", "url": "https://example.com"}],
            ]
        },
    }
    assert convert.keyboard(None) is None


def test_long_menus_are_reflowed_within_max_limits() -> None:
    many = [[InlineKeyboardButton(text=f"Пункт {n}", callback_data=f"p{n}")] for n in range(45)]
    attachment = convert.keyboard(_markup(many))
    assert attachment is not None
    rows = attachment["payload"]["buttons"]
    assert len(rows) <= convert.ROWS
    assert [b["text"] for row in rows for b in row] == [f"Пункт {n}" for n in range(45)]
    _check_keyboard(rows)  # the emulator's (MAX's) limits

    wide = [[InlineKeyboardButton(text=f"{n}", callback_data=f"{n}") for n in range(10)]]
    links = [[InlineKeyboardButton(text=f"L{n}", url=f"https://e.example/{n}") for n in range(5)]]
    attachment = convert.keyboard(_markup(wide + links))
    assert attachment is not None
    rows = attachment["payload"]["buttons"]
    _check_keyboard(rows)
    assert [len(row) for row in rows] == [7, 3, 3, 2]

    huge = [[InlineKeyboardButton(text="x" * 200, callback_data=f"{n}")] for n in range(300)]
    attachment = convert.keyboard(_markup(huge))
    assert attachment is not None
    rows = attachment["payload"]["buttons"]
    _check_keyboard(rows)
    assert sum(len(row) for row in rows) == convert.BUTTONS
    assert all(len(b["text"]) <= convert.LABEL_LIMIT for row in rows for b in row)


def test_events_are_known_by_their_subject() -> None:
    message = {
        "update_type": "message_created",
        "timestamp": 1,
        "message": {"body": {"mid": "mid.1"}},
    }
    callback = {
        "update_type": "message_callback",
        "timestamp": 1,
        "callback": {"callback_id": "c"},
    }
    assert event_key(message) != event_key(callback)
    assert event_number(message) == event_number(dict(message))
    assert 0 <= event_number(message) < 2**63


async def test_a_group_chat_is_never_taken_for_a_dialog() -> None:
    """Review 2, N1: a reply that names a group chat (negative id) as a dialog does not turn
    the partners' chat into a private chat (the private menu and /start prompts posted
    there)."""
    from bot.max.session import MaxSession, create_max_bot

    bot = create_max_bot("token", "http://127.0.0.1:9")
    session = bot.session
    assert isinstance(session, MaxSession)
    try:
        session._learn_dialog(-200, 5)
        assert session._chat_json(-200)["type"] == "group"
        session._learn_dialog(40_000_005, 5)
        assert session._chat_json(40_000_005)["type"] == "private"
    finally:
        await session.close()
