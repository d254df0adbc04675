"""Session 7, second independent review of the FAQ (task fixf): questions asking where to
see one's statistics are the bot's own (/me), a real word is no typo of an intent's word,
and the 🔗 pickers offer only entries with evidence (or say there are none)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.content.loader import load_content
from bot.services import own_intents, small_talk
from tests.harness import DEMO_CONTENT, Harness
from tests.test_review_s7_fixb import _partner_and_manager

# --- 1. «где посмотреть статистику продаж» is /me, not «Почему не засчиталась продажа?» ---

WHERE_TO_SEE = (
    "где посмотреть статистику продаж",
    "где статистика по продажам",
    "где моя статистика в личном кабинете",
    "Где посмотреть статистику?",
    "как посмотреть свои продажи",
    "где смотреть заработок",
    "where can I see the stats",
)


def test_where_to_see_statistics_reads_as_the_bots_own_question() -> None:
    content = load_content(DEMO_CONTENT)
    for text in WHERE_TO_SEE:
        assert small_talk.read(text, content) == small_talk.Reading("menu", "me"), text


def test_without_a_cue_or_with_another_word_it_stays_a_question_for_the_faq() -> None:
    content = load_content(DEMO_CONTENT)
    for text in (
        "почему продажа не отобразилась в статистике",
        "статистика продаж за год",
        "где посмотреть статистику по sub1",
        "где посмотреть рейтинг товаров",
        "где личный кабинет",
    ):
        assert small_talk.read(text, content) is None, text


async def test_where_to_see_gets_me_and_a_missing_sale_still_gets_its_entry(
    harness: Harness,
) -> None:
    anna, _manager = await _partner_and_manager(harness)
    me = [m.plain for m in await anna.send("/me")]
    for text in WHERE_TO_SEE[:3]:
        assert [m.plain for m in await anna.send(text)] == me, text
    said = (await anna.send("почему продажа не отобразилась в статистике"))[-1]
    assert said.plain.startswith("Почему не засчиталась продажа?"), said.plain[:80]


def test_a_program_asking_where_its_statistics_are_answers_it_from_its_faq(
    tmp_path: Path,
) -> None:
    """The second rule stays: «Где смотреть статистику?» in a program's FAQ (its cabinet)
    claims the /me questions for that FAQ."""
    folder = tmp_path / "content"
    folder.mkdir()
    for name in ("program.yaml", "faq.yaml"):
        (folder / name).write_text((DEMO_CONTENT / name).read_text(encoding="utf-8"))
    faq = yaml.safe_load((folder / "faq.yaml").read_text(encoding="utf-8"))
    faq[0]["alt"].append("Где смотреть статистику?")
    (folder / "faq.yaml").write_text(yaml.safe_dump(faq, allow_unicode=True), encoding="utf-8")
    content = load_content(folder)
    for text in WHERE_TO_SEE:
        assert small_talk.read(text, content) is None, text


# --- 2. a real word is not a typo of an intent's word ---


def test_a_real_word_is_no_typo_of_an_intents_word() -> None:
    for text in (
        "отписаться от рассылки конкурентов можно",
        "как отписаться от рассылки конкурента",
        "моя мечта",  # «мечта» is no typo of «места»
        "мои конкуренты",
    ):
        assert own_intents.read(text.split()) is None, text
    # misspellings still count
    assert own_intents.read(["отписатся", "от", "расылки"]) == own_intents.Intent("unsubscribe")
    assert own_intents.read(["где", "моя", "статистка"]) == own_intents.Intent("menu", "me")
    assert own_intents.read(["моя", "позицыя"]) == own_intents.Intent("menu", "top")
    assert own_intents.read("моё место в конкурсе".replace("ё", "е").split()) == (
        own_intents.Intent("menu", "contests")
    )


async def test_unsubscribing_from_competitors_mailings_is_left_to_the_faq(
    harness: Harness,
) -> None:
    anna, _manager = await _partner_and_manager(harness)
    said = (await anna.send("отписаться от рассылки конкурентов можно?"))[-1]
    assert "/stop" not in said.plain, said.plain
    said = (await anna.send("как отписаться от рассылки?"))[-1]
    assert "/stop" in said.plain
