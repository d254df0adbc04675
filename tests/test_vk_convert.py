"""Telegram shapes to VK shapes: keyboards within VK's limits, text, random ids."""

from __future__ import annotations

import json

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.vk import convert

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis


def _markup(rows: list[list[str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=f"x:{label}") for label in row]
            for row in rows
        ]
    )


def test_a_small_keyboard_stays_inline_with_callback_buttons() -> None:
    body = json.loads(convert.keyboard(_markup([["A", "B"], ["C"]])) or "")
    assert body["inline"] is True
    assert [[b["action"]["label"] for b in row] for row in body["buttons"]] == [["A", "B"], ["C"]]
    assert body["buttons"][0][0]["action"] == {
        "type": "callback",
        "label": "A",
        "payload": '{"c":"x:A"}',
    }


def test_eight_single_rows_are_reflowed_to_stay_inline() -> None:
    body = json.loads(convert.keyboard(_markup([[str(n)] for n in range(8)])) or "")
    assert body["inline"] is True
    assert len(body["buttons"]) <= 6
    assert [b["action"]["label"] for row in body["buttons"] for b in row] == [
        str(n) for n in range(8)
    ]


def test_a_big_menu_becomes_a_regular_keyboard_within_its_limits() -> None:
    body = json.loads(
        convert.keyboard(_markup([[f"{r}-{c}" for c in range(7)] for r in range(9)])) or ""
    )
    assert body["inline"] is False
    assert all(len(row) <= 5 for row in body["buttons"])
    assert len(body["buttons"]) <= 10
    assert sum(len(row) for row in body["buttons"]) <= 40


def test_a_long_list_of_rows_is_reflowed_not_cut() -> None:
    """15 single-button rows (more than a regular keyboard's 10): packed two a row by
    the re-flow every platform shares (`bot.keyboards`), none lost."""
    body = json.loads(convert.keyboard(_markup([[str(n)] for n in range(15)])) or "")
    assert body["inline"] is False
    assert len(body["buttons"]) <= 10
    assert [b["action"]["label"] for row in body["buttons"] for b in row] == [
        str(n) for n in range(15)
    ]


def test_labels_are_cut_to_40_and_text_buttons_for_old_clients() -> None:
    body = json.loads(convert.keyboard(_markup([["Я" * 60]]), callbacks=False) or "")
    action = body["buttons"][0][0]["action"]
    assert action["type"] == "text"
    assert len(action["label"]) == 40
    assert convert.data_of(action["payload"]) == "x:" + "Я" * 60


def test_links_keep_their_address_and_markup_is_dropped() -> None:
    text = '<b>Скидка</b> &lt;20%&gt; на <a href="https://x.ru/a?b=1&amp;c=2">диваны</a>'
    assert convert.plain(text) == "Скидка <20%> на диваны (https://x.ru/a?b=1&c=2)"
    assert convert.plain('<a href="https://x.ru">https://x.ru</a>') == "https://x.ru"


def test_random_ids_are_stable_and_31_bit() -> None:
    assert convert.random_id("announcement:1:*|abc#0") == convert.random_id(
        "announcement:1:*|abc#0"
    )
    assert convert.random_id("a") != convert.random_id("b")
    assert 0 <= convert.random_id("anything") < 2**31


def test_payloads_from_elsewhere_are_not_ours() -> None:
    assert convert.data_of({"c": "menu:faq"}) == "menu:faq"
    assert convert.data_of('{"command":"start"}') is None
    assert convert.data_of("not json") is None
    assert convert.is_vk_attachment("photo-777_12_key")
    assert convert.is_vk_attachment("doc-777_3")
    assert not convert.is_vk_attachment("AgACAgIAAxkBAAIB")
