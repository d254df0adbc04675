"""Services on their own: partners, privacy, the course, creatives, the question log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.assembly import Services, create_services
from bot.clock import FakeClock
from bot.content.models import Lesson
from bot.db.tables import faq_questions, partners
from bot.services.lessons import Course
from bot.services.onboarding import matching_option, read_consent
from tests.harness import make_settings


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = await create_services(make_settings(tmp_path), FakeClock())
    yield built
    await built.close()


async def _count(services: Services, table: sa.Table) -> int:
    async with services.db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar())


async def test_touch_creates_once_and_keeps_names_fresh(services: Services) -> None:
    first = await services.partners.touch("tg", 1, 1, "Анна", "anna", "ru")
    again = await services.partners.touch("tg", 1, 1, "Анна К.", "anna_k", "ru")
    assert again.id == first.id
    assert (again.first_name, again.username) == ("Анна К.", "anna_k")
    assert await _count(services, partners) == 1
    assert len(first.partner_code) == 6


async def test_subscribed_needs_consent_and_no_stop(services: Services) -> None:
    partner = await services.partners.touch("tg", 2, 2, "Борис", None, "ru")
    assert not partner.subscribed("news")  # no consent yet
    partner = await services.partners.finish_onboarding(partner, consent=True)
    assert partner.subscribed("news")
    partner = await services.partners.set_subscription(partner, "news", False)
    assert not partner.subscribed("news")
    assert partner.subscribed("digest")
    partner = await services.partners.stop(partner)
    assert not any(partner.subscribed(topic) for topic in ("digest", "contests", "lessons"))
    with pytest.raises(ValueError, match="unknown topic"):
        await services.partners.set_subscription(partner, "spam", True)


async def test_forget_writes_queued_questions_first_then_deletes_them(
    services: Services,
) -> None:
    partner = await services.partners.touch("tg", 3, 3, "Вера", None, "ru")
    await services.faq.ask(partner, "когда выплаты")  # queued, not yet written
    await services.privacy.forget(partner)
    await services.faq.flush()
    assert await _count(services, faq_questions) == 0
    assert await _count(services, partners) == 0
    assert await services.partners.by_user("tg", 3) is None


async def test_question_ids_are_unique_and_known_before_the_write(services: Services) -> None:
    partner = await services.partners.touch("tg", 4, 4, "Глеб", None, "ru")
    answers = [await services.faq.ask(partner, f"вопрос {i}") for i in range(50)]
    ids = [answer.question_id for answer in answers]
    assert len(set(ids)) == 50
    await services.faq.feedback(partner, ids[7], "helped")  # flushes, then updates
    async with services.db.read() as conn:
        row = (
            await conn.execute(sa.select(faq_questions).where(faq_questions.c.id == ids[7]))
        ).one()
    assert row.feedback == "helped"


def _lesson(lesson_id: str, order: int) -> Lesson:
    return Lesson(
        id=lesson_id, title=lesson_id, order=order, segments=[], attachments=[], body="x"
    )


def test_course_next_lesson_skips_finished_ones() -> None:
    lessons = [_lesson("a", 1), _lesson("b", 2), _lesson("c", 3)]
    course = Course(lessons, frozenset({"b"}))
    assert course.finished == 1
    assert course.next_after("a") == lessons[2]
    assert course.next_after(None) == lessons[0]
    assert course.next_after("c") == lessons[0]  # wraps round to what is left
    assert Course(lessons, frozenset({"a", "b", "c"})).next_after("a") is None


def test_creatives_by_segment(services: Services) -> None:
    creatives = services.creatives
    assert creatives.kinds("blogger") == [
        "landing", "banner", "keywords", "top_products", "description", "video",
    ]  # fmt: skip
    assert [item.id for item in creatives.items("banner", "webmaster")] == ["sofa-banner-728"]
    assert creatives.item("sofa-banner-728", "blogger") is None
    assert creatives.item("sofa-banner-728", "webmaster") is not None


def test_typed_onboarding_answers_match_one_option_or_none() -> None:
    options = ["Сайт или блог", "Соцсети", "Сайт-визитка"]
    assert matching_option("  соцсети! ", options) == 1
    assert matching_option("Сайт или", options) == 0  # the only option starting so
    assert matching_option("сайт", options) is None  # two options start so
    assert matching_option("со", options) is None  # too short to mean one
    assert matching_option("ёлка", ["Елка"]) == 0
    assert read_consent("Да!", "Согласен", "Не надо") is True
    assert read_consent("согласен", "Согласен", "Не надо") is True
    assert read_consent("не надо", "Согласен", "Не надо") is False
    assert read_consent("no thanks", "Yes", "Not now") is False
    assert read_consent("может быть", "Согласен", "Не надо") is None
