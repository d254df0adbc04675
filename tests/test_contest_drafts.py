"""What managers type in /contest_new, read into contest fields (or refused with a reason)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.content.loader import load_content
from bot.services.contest_drafts import (
    DraftError,
    build,
    read_end,
    read_hold_days,
    read_prizes,
    read_segments,
    read_start,
)
from tests.harness import DEMO_CONTENT

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def refused(error: pytest.ExceptionInfo[DraftError]) -> str:
    return error.value.key


def test_dates_in_the_program_zone() -> None:
    start = read_start("14.12.2026 10:00", MOSCOW, NOW)
    assert start.isoformat() == "2026-12-14T10:00:00+03:00"
    assert read_end("28.12.2026", MOSCOW, start).isoformat() == "2026-12-28T23:59:00+03:00"
    for text, key in (
        ("14/12/2026", "draft-error-date-format"),
        ("30.02.2027 10:00", "draft-error-date-invalid"),
        ("01.11.2026 10:00", "draft-error-date-past"),
        ("01.01.9999 10:00", "draft-error-date-too-far"),  # review 7: at most a year ahead
        ("03.11.2027 10:00", "draft-error-date-too-far"),
    ):
        with pytest.raises(DraftError) as error:
            read_start(text, MOSCOW, NOW)
        assert refused(error) == key
    with pytest.raises(DraftError) as error:
        read_end("13.12.2026", MOSCOW, start)
    assert refused(error) == "draft-error-end-before-start"
    assert read_start("01.11.2027 10:00", MOSCOW, NOW).year == 2027  # within the year
    with pytest.raises(DraftError) as error:
        read_end("31.12.2099", MOSCOW, start)
    assert refused(error) == "draft-error-contest-too-long"


def test_segments_by_id_or_title() -> None:
    program = load_content(DEMO_CONTENT).program
    assert read_segments("все", program) == []
    assert read_segments("Блогер, webmaster, блогер", program) == ["blogger", "webmaster"]
    # review 8: case-insensitive, and another form of the title («блогеры»)
    assert read_segments("БЛОГЕРЫ; Вебмастера, WEBMASTER", program) == ["blogger", "webmaster"]
    assert read_segments("дизайнеры интерьера", program) == ["designer"]
    with pytest.raises(DraftError) as error:
        read_segments("блогеры, космонавты", program)
    assert error.value.args_["unknown"] == "космонавты"
    assert error.value.args_["known"] == "Вебмастер, Блогер, Дизайнер интерьеров"
    with pytest.raises(DraftError) as error:
        read_segments("блогер, пенсионеры", program)
    assert error.value.args_["unknown"] == "пенсионеры"


def test_prizes_lines_places_and_thresholds() -> None:
    prizes = read_prizes("больше продаж: 10 000 ₽; 5 000 ₽ | от 3\ntop_amount: Ноутбук | 50 000")
    assert prizes == [
        {"category": "most_sales", "places": ["10 000 ₽", "5 000 ₽"], "min_value": "3"},
        {"category": "top_amount", "places": ["Ноутбук"], "min_value": "50000"},
    ]
    # a sum's threshold may have kopecks; a count's must be whole (above: refused)
    assert read_prizes("top_amount: Ноутбук | от 2 500,50")[0]["min_value"] == "2500.50"
    for text, key in (
        ("most_sales:", "draft-error-no-places"),
        ("most_sales: ; ;", "draft-error-no-places"),
        ("лучшие: приз", "draft-error-category"),
        ("most_sales приз", "draft-error-category"),
        ("most_sales: приз | много", "draft-error-minimum"),
        ("most_sales: приз | -5", "draft-error-minimum"),
        ("most_sales: 1000 ₽ | от 99999999999999999999999999", "draft-error-minimum-too-big"),
        # review 8: the CSV's number rules — no exponent, `_` or other scripts' digits
        ("most_sales: приз | 1e400", "draft-error-minimum"),
        ("most_sales: приз | от 1e9", "draft-error-minimum"),
        ("most_sales: приз | от 5_000", "draft-error-minimum"),
        ("most_sales: приз | от ٥", "draft-error-minimum"),
        ("most_sales: приз | от +5", "draft-error-minimum"),
        # re-check 8: a count's threshold is whole (a sum's may have kopecks)
        ("больше продаж: приз | от 3,5", "draft-error-minimum-whole"),
        ("most_referrals: приз | 2.5", "draft-error-minimum-whole"),
        ("most_sales: a\nбольше продаж: b", "draft-error-category-twice"),
        ("  \n ", "draft-error-no-prizes"),
    ):
        with pytest.raises(DraftError) as error:
            read_prizes(text)
        assert refused(error) == key, text


def test_hold_days_and_a_whole_contest() -> None:
    assert read_hold_days(" 14 ") == 14
    for text in ("-1", "сто", "91"):
        with pytest.raises(DraftError):
            read_hold_days(text)
    contest = build(
        {
            "id": "c261214-abcd",
            "title": "Т",
            "description": "О",
            "starts_at": "2026-12-14T10:00:00+03:00",
            "ends_at": "2026-12-28T23:59:00+03:00",
            "prizes": read_prizes("first_sales: 1"),
        }
    )
    assert contest.prizes[0].category == "first_sales"
    with pytest.raises(DraftError):
        build({"id": "x", "title": "Т"})


@pytest.mark.parametrize(
    ("key", "args", "text"),
    [
        ("contests-admin-announced-now", {"count": 1, "chat": 0}, "1 партнёр."),
        ("contests-admin-announced-now", {"count": 3, "chat": 1}, "3 партнёра и чат"),
        ("contests-admin-announced-now", {"count": 25, "chat": 0}, "25 партнёров."),
        ("contests-admin-announced-now", {"count": 21, "chat": 0}, "21 партнёр."),
        ("contests-admin-cancelled-now", {"title": "Т", "count": 2}, "узнают 2 партнёра,"),
        ("contests-admin-cancelled-now", {"title": "Т", "count": 11}, "узнают 11 партнёров,"),
        ("draft-short-warning", {"days": 1}, "через 1 день"),
        ("draft-short-warning", {"days": 3}, "через 3 дня"),
        ("draft-short-warning", {"days": 7}, "через 7 дней"),
        ("sale-milestone", {"count": 50}, "50 подтверждённых продаж"),
        ("draft-saved", {"count": 1, "chat": 0}, "уходит: 1 партнёру ("),
        ("draft-saved", {"count": 3, "chat": 0}, "уходит: 3 партнёрам ("),
        ("draft-saved", {"count": 21, "chat": 1}, "уходит: 21 партнёру и в чат"),
        ("sale-milestone", {"count": 100}, "100 подтверждённых продаж"),
    ],
)
def test_russian_plurals_in_contest_texts(key: str, args: dict[str, object], text: str) -> None:
    from bot.i18n import Translator

    assert text in Translator().get("ru")(key, **args)
