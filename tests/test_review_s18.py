"""Findings of the independent tester of session 18 (README only, a VPN program on
Telegram, VK and MAX): each reproduced first, through the emulator or the services."""

from __future__ import annotations

from pathlib import Path

from bot.content.loader import load_content
from bot.services import small_talk
from tests.content_copy import demo_copy
from tests.harness import DEMO_CONTENT, running_bot

# --- 1. the program's "where to see statistics" entry answers it, not the bot's /me ---

STATS_ENTRY = """
- id: stats-where
  topic: "Статистика"
  question: "Где смотреть статистику переходов и продаж?"
  answer: "Переходы и продажи — в кабинете ТихийКанал, раздел «Отчёты»."
"""


def _with_stats_entry(tmp_path: Path) -> Path:
    folder = demo_copy(tmp_path)
    faq = folder / "faq.yaml"
    faq.write_text(faq.read_text(encoding="utf-8") + STATS_ENTRY, encoding="utf-8")
    return folder


def test_a_where_to_see_question_asked_in_more_words_by_the_faq_is_the_faqs(
    tmp_path: Path,
) -> None:
    content = load_content(_with_stats_entry(tmp_path))
    for text in ("где посмотреть статистику продаж", "где смотреть статистику", "где статистика"):
        assert small_talk.read(text, content) is None, text
    # the partner's own figures stay the bot's, and so does the demo's where-to-see
    for text in ("где моя статистика", "мои продажи", "сколько я заработал"):
        assert small_talk.read(text, content) == small_talk.Reading("menu", "me"), text
    demo = load_content(DEMO_CONTENT)
    for text in ("где посмотреть статистику продаж", "где статистика"):
        assert small_talk.read(text, demo) == small_talk.Reading("menu", "me"), text


async def test_a_partner_asking_where_to_see_sales_gets_the_programs_answer(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, content_dir=_with_stats_entry(tmp_path)) as harness:
        anna = harness.user(9801, "Анна")
        await anna.onboard()
        said = (await anna.send("где посмотреть статистику продаж"))[-1]
        assert said.plain.startswith("Где смотреть статистику переходов и продаж?"), said.plain
        assert "Переходы и продажи — в кабинете ТихийКанал" in said.plain
        me = [m.plain for m in await anna.send("/me")]
        assert [m.plain for m in await anna.send("где моя статистика")] == me
