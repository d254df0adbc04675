"""Findings of the independent tester of session 18 (README only, a VPN program on
Telegram, VK and MAX): each reproduced first, through the emulator or the services."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.content.loader import load_content
from bot.db.tables import audit_log
from bot.services import own_intents, small_talk
from bot.services.conversions import ConversionIn
from bot.services.onboarding import matching_option
from bot.services.outbox_enqueue import OutMessage
from tests.content_copy import demo_copy, edit, problems
from tests.harness import DEMO_CONTENT, MANAGER_ID, Harness, running_bot
from tests.test_journey_notices import NOON, linked, postback
from tests.test_review_s13_fixr13a import COMMAND_WORDS, UNKNOWN, VK

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


# --- 4. a manager's command typed without the slash by a partner is logged as refused ---


async def _refused(harness: Harness) -> list[tuple[str, str, str | None]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.details)
            .where(audit_log.c.allowed.is_(False))
            .order_by(audit_log.c.id)
        )
        return [(row.actor, row.action, row.details) for row in rows]


async def test_manager_command_words_typed_by_a_vk_partner_are_audited(tmp_path: Path) -> None:
    async with VK.running(tmp_path) as harness:
        partner = harness.vk_user(1804, "Вера")
        await partner.onboard()
        for words in COMMAND_WORDS:
            said = [m.plain for m in await partner.send(words)]
            assert said[0] == UNKNOWN, (words, said)
        await partner.send("stats don't update for me")  # a question, not a command
        assert await _refused(harness) == [
            ("vk:1804", "tickets", None),
            ("vk:1804", "reload", "x"),
            ("vk:1804", "close", None),
            ("vk:1804", "announce", None),
            ("vk:1804", "approve_link", "vk:700001"),
            ("vk:1804", "faq_learned", None),
            ("vk:1804", "stats", "всё"),
        ]


# --- 5. «who are you» is small talk about the bot, not a gap ---


async def test_who_are_you_is_answered_as_small_talk_and_is_no_gap(harness: Harness) -> None:
    anna = harness.user(9805, "Анна")
    await anna.onboard()
    for text in ("who are you?", "кто ты такой?", "Ты кто?", "who is this"):
        said = (await anna.send(text))[-1]
        assert said.plain.startswith("Я бот: отвечаю на вопросы о программе"), (text, said.plain)
    manager = harness.manager()
    await manager.send("/start")
    stats = (await manager.send("/stats"))[0].plain
    assert "ответ 0 · «вы имели в виду» 0 · без ответа 0" in stats


# --- 8. a lesson's link that is no web address is a content error, not text shown ---


def test_lesson_links_that_are_no_web_addresses_are_refused_with_their_line(
    tmp_path: Path,
) -> None:
    root = demo_copy(tmp_path)
    lesson = sorted((root / "lessons").glob("*.md"))[0]
    lines = lesson.read_text(encoding="utf-8").rstrip("\n").split("\n")
    lines += ["[ссылка](javascript:alert(1)) и [файл](file:///etc/passwd)", "[урок](02.md)"]
    lesson.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rule = "a link must start with http:// or https:// (or tg://)"
    name = f"lessons/{lesson.name}"
    assert problems(root) == [
        f"{name}:{len(lines) - 1}: link 'file:///etc/passwd': {rule}",
        f"{name}:{len(lines) - 1}: link 'javascript:alert(1)': {rule}",
        f"{name}:{len(lines)}: link '02.md': {rule}",
    ]


# --- 9. an onboarding option typed in other words of it; the hint's options quoted ---


def test_an_option_typed_by_its_words_in_either_alphabet_is_that_option() -> None:
    options = ["Владелец Telegram-канала", "Блогер", "Вебмастер"]
    assert matching_option("телеграм канал", options) == 0
    assert matching_option("Telegram", options) == 0
    assert matching_option("блогеры", options) == 1
    assert matching_option("сайт", options) is None
    reach = ["до 10 тыс.", "10–50 тыс.", "больше 50 тыс."]
    assert matching_option("больше 50", reach) == 2
    assert matching_option("тыс", reach) is None  # in each: none chosen
    assert matching_option("10", reach) is None


async def test_a_segment_typed_in_its_words_is_taken_and_the_hint_quotes_options(
    harness: Harness,
) -> None:
    anna = harness.user(9809, "Анна")
    await anna.send("/start")
    said = (await anna.send("из телевизора"))[-1].plain
    assert "«Вебмастер (сайт, SEO, контекст)»" in said, said
    said = "\n".join(m.plain for m in await anna.send("вебмастер seo"))
    assert "Такого варианта нет" not in said, said
    assert "Вопрос 1 из 3" in said, said
    partner = await harness.services.partners.by_user("tg", 9809)
    assert partner is not None
    assert partner.segment == "webmaster"


# --- 2, 13. a wording learned wrongly can be taken back; a move says it was a move ---


def test_faq_unlearn_takes_a_learned_wording_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taught = tmp_path / "taught.jsonl"
    line = {"q": "как выиграть в казино", "id": "promo-codes"}
    taught.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        patch.setenv("CONTENT_DIR", str(DEMO_CONTENT))
        assert main(["faq", "teach", str(taught)]) == 0
        assert main(["faq", "match", "как выиграть в казино", "--json"]) == 0
        assert '"id": "promo-codes", "score": 1.0' in capsys.readouterr().out
        assert main(["faq", "unlearn", "Как  выиграть в КАЗИНО?"]) == 0
        assert capsys.readouterr().out == "rejected: как выиграть в казино  (promo-codes)\n"
        assert main(["faq", "match", "как выиграть в казино", "--json"]) == 0
        assert '"id": "promo-codes", "score": 1.0' not in capsys.readouterr().out
        assert main(["faq", "learned"]) == 0
        assert "[rejected] как выиграть в казино  (teach," in capsys.readouterr().out
        assert main(["faq", "unlearn", "как выиграть в казино"]) == 1  # nothing left to take
        assert "nothing learned reads 'как выиграть в казино'" in capsys.readouterr().err
        with pytest.raises(SystemExit) as usage:
            main(["faq", "unlearn"])
        assert usage.value.code == 2
        assert "the following arguments are required: phrasing" in capsys.readouterr().err


async def test_a_moved_wording_is_learned_as_moved(tmp_path: Path) -> None:
    folder = demo_copy(tmp_path)
    edit(folder / "program.yaml", "auto_approve_after: 1", "auto_approve_after: 2")
    async with running_bot(tmp_path, content_dir=folder) as harness:
        anna = harness.user(9813, "Анна")
        await anna.onboard()
        partner = await harness.services.partners.by_user("tg", 9813)
        assert partner is not None
        learning = harness.services.faq.learning
        asked = "когда бабки на карту падают"
        proposed = await learning.propose("payout-dates", asked, partner.id)
        assert proposed.learned is not None
        assert proposed.learned.status == "pending"
        moved = await learning.move(proposed.learned.id, "payout-methods")
        assert moved is not None
        assert (moved.entry_id, moved.status, moved.source) == (
            "payout-methods",
            "approved",
            "move",
        )


# --- left from session 17: the menu offers only the sections the program has ---


async def test_the_menu_offers_lessons_and_creatives_only_when_the_program_has_them(
    tmp_path: Path,
) -> None:
    folder = demo_copy(tmp_path)
    shutil.rmtree(folder / "lessons")
    (folder / "creatives.yaml").unlink()
    async with running_bot(tmp_path, content_dir=folder) as harness:
        anna = harness.user(9818, "Анна")
        await anna.onboard()
        menu = (await anna.send("/help"))[-1]
        assert "/faq — частые вопросы" in menu.plain
        assert "/me — ваш код" in menu.plain
        assert "/lessons" not in menu.plain
        assert "/creatives" not in menu.plain
        assert menu.button_labels == ["❓ Вопросы", "👤 Мои данные", "⚙️ Настройки"]
        # typed, the command still answers: there is nothing yet
        assert "пока нет" in (await anna.send("/lessons"))[-1].plain
    (tmp_path / "demo").mkdir()
    async with running_bot(tmp_path / "demo") as harness:
        bob = harness.user(9819, "Боб")
        await bob.onboard()
        menu = (await bob.send("/help"))[-1]
        assert "/lessons — обучение" in menu.plain
        assert "/creatives — баннеры" in menu.plain
        assert "🎓 Обучение" in menu.button_labels


# --- hostile input through the new readers ---

_WORDS = ["где", "посмотреть", "статистику", "продаж", "мои", "telegram", "канал", "тыс.", "50"]
_typed = st.one_of(
    st.lists(st.sampled_from(_WORDS), max_size=6).map(" ".join),
    st.text(alphabet=list("аяzZ5 .-_–\u0301\u200b🙂&<>ёЁ\t"), max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(typed=_typed, options=st.lists(_typed, min_size=1, max_size=4))
def test_a_typed_option_is_one_option_or_none(typed: str, options: list[str]) -> None:
    chosen = matching_option(typed, options)
    assert chosen is None or 0 <= chosen < len(options)


@settings(max_examples=200, deadline=None)
@given(question=st.lists(st.sampled_from(_WORDS), max_size=6), wording=_typed)
def test_asked_within_needs_a_cue_of_seeing_and_every_word(
    question: list[str], wording: str
) -> None:
    within = own_intents.asked_within(question, wording.split())
    if within:
        assert any(word in ("где", "посмотреть") for word in question)
    # a wording that is the question itself always asks it, when it asks where to see
    assert own_intents.asked_within(question, question) == any(
        word in ("где", "посмотреть") for word in question
    )


_CRYPTO = load_content(Path(__file__).parent.parent / "bench" / "faq_heldout" / "crypto")
_CRYPTO_WORDINGS = [
    small_talk._normal(wording).split()
    for entry in _CRYPTO.faq
    for wording in (entry.question, *entry.alt)
]


@settings(max_examples=200, deadline=None)
@given(
    question=st.lists(st.sampled_from([*_WORDS, "видно", "сколько", "я", "заработал"]), max_size=6)
)
def test_the_indexed_claim_reads_as_asked_within_over_every_wording(question: list[str]) -> None:
    """small_talk looks the wordings up by their words' keys: the same as asking each."""
    intent = own_intents.Intent("menu", "me")
    indexed = small_talk._faq_asks(intent, " ".join(question), _CRYPTO)
    claims = small_talk._claims(_CRYPTO)
    one_by_one = intent in claims.intents or any(
        own_intents.asked_within(question, wording) for wording in _CRYPTO_WORDINGS
    )
    assert indexed == one_by_one


async def test_a_manager_forgets_a_wording_in_the_chat_and_a_partner_cannot(
    harness: Harness,
) -> None:
    learning = harness.services.faq.learning
    assert await learning.learn("promo-codes", "как выиграть в казино", "teach") is not None
    anna = harness.user(9820, "Анна")
    await anna.onboard()
    assert (await anna.send("как выиграть в казино"))[-1].plain.startswith(
        "Можно ли получить свой промокод"
    )
    # a partner: an unknown command, refused in the audit log, nothing forgotten
    said = [m.plain for m in await anna.send("/faq_unlearn как выиграть в казино")]
    assert said[0] == UNKNOWN
    manager = harness.manager()
    await manager.send("/start")
    usage = (await manager.send("/faq_unlearn"))[-1].plain
    assert usage.startswith("Использование: /faq_unlearn ТЕКСТ")
    done = (await manager.send("/faq_unlearn Как выиграть в казино?"))[-1].plain
    assert done.startswith("Забыл «Как выиграть в казино?» («promo-codes»)"), done
    none = (await manager.send("/faq_unlearn как выиграть в казино"))[-1].plain
    assert none == "Выученной формулировки «как выиграть в казино» нет — забывать нечего."
    assert not (await anna.send("как выиграть в казино"))[-1].plain.startswith(
        "Можно ли получить свой промокод"
    )
    assert "/faq_unlearn ТЕКСТ" in "\n".join(m.plain for m in await manager.send("/help"))
    async with harness.services.db.read() as conn:
        rows = await conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.allowed)
            .where(audit_log.c.action == "faq_unlearn")
            .order_by(audit_log.c.id)
        )
        assert [tuple(row) for row in rows] == [
            ("tg:9820", "faq_unlearn", False),
            (f"tg:{MANAGER_ID}", "faq_unlearn", True),
            (f"tg:{MANAGER_ID}", "faq_unlearn", True),
        ]


# --- 14. the sandbox can forge a button press, to try what the bot does with it ---


async def test_the_sandbox_presses_forged_callback_data(harness: Harness) -> None:
    from bot.sandbox.terminal import TerminalChat

    lines: list[str] = []
    chat = TerminalChat(harness.emulator, lines.append)
    anna = harness.user(700001, "Анна")
    assert chat.handle("/press x")
    assert lines[-1] == "   no message with buttons to press under"
    await anna.onboard()
    await anna.send("/help")
    assert chat.handle("/press")
    assert lines[-1].startswith("   usage: /press DATA")
    assert chat.handle("/press lk:tg:700001")  # a manager's «✅ Подтвердить» of a link
    await harness.emulator.wait_processed(harness.emulator.last_update_id)
    assert anna.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
    async with harness.services.db.read() as conn:
        refused = await conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.action).where(audit_log.c.allowed.is_(False))
        )
        assert [tuple(row) for row in refused] == [("tg:700001", "approve_link")]


async def test_the_sandbox_forges_a_press_on_vk_in_the_bots_envelope(tmp_path: Path) -> None:
    from bot.sandbox.terminal import TerminalChat

    async with VK.running(tmp_path) as harness:
        assert harness.vk is not None
        lines: list[str] = []
        chat = TerminalChat(harness.emulator, lines.append, harness.vk)
        vera = harness.vk_user(700001, "Вера")
        await vera.onboard()
        await vera.send("/help")
        assert chat.handle("/platform vk")
        assert chat.handle("/press lk:vk:700001")
        await harness.vk.feed.wait_processed(harness.vk.feed.newest - 1)
        async with harness.services.db.read() as conn:
            refused = await conn.execute(
                sa.select(audit_log.c.actor, audit_log.c.action).where(
                    audit_log.c.allowed.is_(False)
                )
            )
            assert [tuple(row) for row in refused] == [("vk:700001", "approve_link")]


# --- tester 2, 1. an approved sale's amount corrected is no new «Продажа подтверждена» ---


async def test_an_approved_sales_amount_corrected_is_not_told_again(harness: Harness) -> None:
    """A sale imported approved (history: no notice) whose amount a postback corrects, and
    one approved before the partner's link was approved, are no news."""
    anna = await linked(harness, 9830, "Анна", "aff-9830")
    imported = ConversionIn("aff-9830", "r0", "approved", Decimal("54430.12"), "RUB", NOON)
    assert await harness.services.sales.record(imported, "csv") == "inserted"
    corrected = ConversionIn("aff-9830", "r0", "approved", Decimal("1.00"), "RUB", NOON)
    assert await harness.services.sales.submit(corrected) == "updated"
    again = ConversionIn("aff-9830", "r0", "approved", Decimal("2.00"), "RUB", NOON)
    assert await harness.services.sales.record(again, "postback") == "updated"
    await harness.deliver()
    assert not [m.plain for m in anna.messages if m.plain.startswith("✅ Продажа подтверждена")]
    # a pending sale approved is news
    await postback(harness, "aff-9830", "s2", status="pending")
    await postback(harness, "aff-9830", "s2")
    await harness.deliver()
    told = [m.plain for m in anna.messages if m.plain.startswith("✅ Продажа подтверждена")]
    assert len(told) == 1


# --- tester 2, 3. a cancel reaches whoever was told, at the weekly cap too ---


async def at_the_weekly_cap(harness: Harness, user_id: int) -> None:
    """The Telegram partner `user_id` sent news until the weekly cap holds the next."""
    partner = await harness.services.partners.by_user("tg", user_id)
    assert partner is not None
    news = [
        OutMessage(f"test:cap:{n}", "news", "tg", partner.chat_id, f"№{n}", partner.id)
        for n in range(6)
    ]
    assert (await harness.services.outbox.enqueue(news)).capped >= 1  # at the cap now
    await harness.deliver()


async def test_a_partner_at_the_weekly_cap_hears_of_the_cancel(tmp_path: Path) -> None:
    from tests.test_review_contests14 import _cancels, _card, _to, cancel

    async with running_bot(tmp_path) as harness:
        manager = harness.manager()
        await manager.send("/start")
        anna = await linked(harness, 9833, "Анна", "aff-9833")
        _to(harness, datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
        await _card(manager, "Зимний марафон")
        await manager.press("📣 Объявить")
        assert manager.last.plain.startswith("📣 Объявление в очереди: 1 партнёр")
        await harness.deliver()
        await at_the_weekly_cap(harness, 9833)
        await cancel(manager, "Зимний марафон")
        assert "узнает 1 партнёр" in manager.last.plain, manager.last.plain
        await harness.deliver()
        assert _cancels(anna) == 1


# --- tester 2, 6. an empty referrals board says what puts one first there ---

REFERRALS_CONTEST = """id: friends
title: "Приведи друга"
description: "Приглашайте партнёров: считаются те, кто сделал продажу."
starts_at: 2026-10-20T00:00:00+03:00
ends_at: 2026-12-20T23:59:59+03:00
segments: []
prizes:
  - category: most_referrals
    places: ["Кружка"]
"""


def _with_contest(tmp_path: Path, name: str, text: str) -> Path:
    """A copy of the demo content with one more contest file."""
    folder = demo_copy(tmp_path)
    (folder / "contests" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


async def test_an_empty_referrals_board_says_a_recruit_who_sells_leads(tmp_path: Path) -> None:
    folder = _with_contest(tmp_path, "friends", REFERRALS_CONTEST)
    async with running_bot(tmp_path, content_dir=folder) as harness:
        # first seen after its start: shown once a manager announced it (session 28)
        friends = await harness.services.contests.contest("friends")
        assert friends is not None
        await harness.services.contests.mark_announced(friends)
        anna = harness.user(9836, "Анна")
        await anna.onboard()
        top = "\n".join(m.plain for m in await anna.send("/top"))
        assert "первый приглашённый вами партнёр с продажей выведет вас на первое место" in top
        assert "первая продажа выведет вас на первое место" not in top.split("Приведи друга")[1]


# --- tester 2, 9. a CSV header read wrong says why it may look right ---


def test_a_csv_header_in_semicolons_tabs_or_capitals_says_so(tmp_path: Path) -> None:
    from bot.services.sales_csv import csv_rows
    from bot.services.sales_ledger import ImportReport

    cases = {
        "partner;conversion_id;status;amount\n": "the columns are separated by semicolons",
        "partner\tconversion_id\tstatus\tamount\n": "the columns are separated by tabs",
        "Partner,Conversion_ID,Status,Amount\n": "names are lower case",
        "who,what\n": "header: missing partner, conversion_id, status, amount",
    }
    for header, said in cases.items():
        sheet = tmp_path / "sheet.csv"
        sheet.write_text(header + "aff-1;o-1;approved;10\n", encoding="utf-8")
        report = ImportReport()
        assert list(csv_rows(sheet, report)) == []
        ((line, reason),) = report.rejected
        assert line == 1
        assert reason.startswith("header: missing partner, conversion_id, status, amount")
        assert said in reason, (header, reason)


# --- tester 2, 2. money sums are exact on SQLite too ---


async def test_a_months_total_of_huge_amounts_is_exact_to_the_kopeck(harness: Harness) -> None:
    from zoneinfo import ZoneInfo

    sales = harness.services.sales
    items = [
        ConversionIn("aff-big", f"b{n}", "approved", Decimal("9999999999.99"), "RUB", NOON)
        for n in range(2000)
    ] + [
        ConversionIn("aff-big", f"k{n}", "approved", Decimal("0.01"), "RUB", NOON)
        for n in range(1999)
    ]
    written = await sales._write_chunk(items, "csv")
    assert written.changed
    month = await sales.month("aff-big", ZoneInfo("Europe/Moscow"))
    assert month.approved == 3999
    assert month.amount == Decimal("19999999999999.99")  # 2000 × 9 999 999 999,99 + 19,99
    each = await sales.month_of_each(["aff-big"], ZoneInfo("Europe/Moscow"))
    assert each["aff-big"].amount == Decimal("19999999999999.99")


# --- tester 2, 11. a second /stop says it is so already ---


async def test_a_second_stop_says_the_partner_is_unsubscribed_already(harness: Harness) -> None:
    anna = harness.user(9840, "Анна")
    await anna.onboard()
    assert (await anna.send("/stop"))[-1].plain.startswith("Вы отписаны от всех рассылок")
    assert (await anna.send("/stop"))[-1].plain.startswith("Вы уже отписаны от всех рассылок")
    await anna.send("/start")
    assert (await anna.send("/stop"))[-1].plain.startswith("Вы отписаны от всех рассылок")


# --- tester 2, 10. a segment changed into a contest's: the partner hears of it ---

SEGMENT_CONTEST = """id: bloggers-sprint
title: "Спринт блогеров"
description: "Только для блогеров."
starts_at: 2026-11-20T00:00:00+03:00
ends_at: 2026-11-30T23:59:59+03:00
segments: [blogger]
prizes:
  - category: most_sales
    places: ["Бонус 5 000 ₽"]
"""


async def test_a_partner_moving_into_a_contests_segment_hears_of_it(tmp_path: Path) -> None:
    folder = _with_contest(tmp_path, "bloggers-sprint", SEGMENT_CONTEST)
    async with running_bot(tmp_path, content_dir=folder) as harness:
        manager = harness.manager()
        await manager.send("/start")
        from tests.test_review_contests14 import _card

        await _card(manager, "Спринт блогеров")
        await manager.press("📣 Объявить")
        anna = harness.user(9845, "Анна")
        await anna.onboard()  # a webmaster: not told of the bloggers' sprint
        assert not any("Спринт блогеров" in m.plain for m in anna.messages)
        await anna.send("/settings")
        await anna.press(next(b for b in anna.last.button_labels if "Сегмент" in b))
        await anna.press(next(b for b in anna.last.button_labels if b.startswith("Блогер")))
        told = [m.plain for m in anna.messages if "Спринт блогеров" in m.plain]
        assert told == ["🏆 Конкурс «Спринт блогеров» (с 20.11) — правила и призы: /contests"]
        # away and back: told once only (they heard of it)
        for segment in ("Вебмастер", "Блогер"):
            await anna.send("/settings")
            await anna.press(next(b for b in anna.last.button_labels if "Сегмент" in b))
            await anna.press(next(b for b in anna.last.button_labels if b.startswith(segment)))
        assert len([m for m in anna.messages if "Спринт блогеров" in m.plain]) == 1


# --- tester 2, 7. a linked partner asking for another id keeps the linked one till approved ---


async def test_a_second_link_request_keeps_the_linked_id_until_a_manager_decides(
    harness: Harness,
) -> None:
    anna = await linked(harness, 9850, "Анна", "aff-old")
    await postback(harness, "aff-old", "o1")
    await harness.deliver()
    manager = harness.manager()
    await manager.send("/start")
    said = (await anna.send("/link aff-typo"))[-1].plain
    assert said == (
        "Запрос на привязку ID aff-typo отправлен менеджеру. Пока он не подтверждён, "
        "продажи и место считаются по ID aff-old."
    )
    me = "\n".join(m.plain for m in await anna.send("/me"))
    assert "aff-old" in me
    assert "Продажи в этом месяце: 1 продажа на 1 500 ₽" in me, me
    assert "Запрошена привязка к ID aff-typo" in me
    # the manager declines: the old link stays, nothing to ask again
    card = next(m for m in manager.messages if "aff-typo" in m.plain and m.button_labels)
    await manager.press(card.button_labels[1], card)  # ❌
    partner = await harness.services.partners.by_user("tg", 9850)
    assert partner is not None
    assert (partner.affiliate_id, partner.affiliate_status) == ("aff-old", "linked")
    assert partner.requested_affiliate_id is None
    assert "Запрошена привязка" not in "\n".join(m.plain for m in await anna.send("/me"))
    # asked again and approved (by the requested id): the new id is the link
    await anna.send("/link aff-new")
    said = (await manager.send("/approve_link aff-new"))[-1].plain
    assert "aff-new" in said, said
    partner = await harness.services.partners.by_user("tg", 9850)
    assert partner is not None
    assert (partner.affiliate_id, partner.affiliate_status) == ("aff-new", "linked")
    assert partner.requested_affiliate_id is None


# --- tester 3, 1. a ticket is rated once per closing, never while open ---


async def test_a_ticket_is_rated_once_per_closing_and_never_while_open(harness: Harness) -> None:
    from handlers.callbacks import TicketCb

    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(9855, "Анна")
    await anna.onboard()
    await anna.send("/support Где акт за сентябрь?")
    ticket = await harness.services.support.get(1)
    assert ticket is not None

    async def rate(value: str, *, ask: bool = True) -> str:
        under = (await anna.send("когда выплаты"))[-1] if ask else anna.last
        await anna.press_data(under, TicketCb(action="rate", ticket=1, value=value).pack())
        return str(anna.callback_answers()[-1]["text"])

    # open (its question's message has buttons): refused
    assert (await rate("up", ask=False)).startswith("Этот пункт больше недоступен")
    await harness.services.support.close(ticket)
    assert await rate("up") == "Спасибо за оценку!"
    for value in ("down", "up"):  # a second rating, the same or another: refused
        assert (await rate(value)).startswith("Этот пункт больше недоступен")
    rated = await harness.services.support.get(1)
    assert rated is not None
    assert rated.rating == "up"


# --- tester 3, 3. a key of other items is not suggested as its own correction ---


def test_a_key_of_other_items_is_named_as_not_this_items(tmp_path: Path) -> None:
    root = demo_copy(tmp_path)
    lesson = sorted((root / "lessons").glob("*.md"))[0]
    edit(lesson, "---\n", "---\nadded: 2026-02-01\n")
    (found,) = [p for p in problems(root) if "added" in p]
    assert found == f"lessons/{lesson.name}:2: unknown key 'added' (not a key of this item)"


# --- tester 3, 10. the /partner card names the topics that are on ---


async def test_the_partner_card_names_the_topics_on(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(9860, "Анна")
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 9860)
    assert partner is not None
    for topic in ("contests", "digest", "sales", "lessons"):
        partner = await harness.services.partners.set_subscription(partner, topic, False)
    card = (await manager.send("/partner tg:9860"))[-1].plain
    assert "Рассылки: включены: Новости\n" in card, card
    await harness.services.partners.set_subscription(partner, "news", False)
    card = (await manager.send("/partner tg:9860"))[-1].plain
    assert "Рассылки: включены, но все темы выключены" in card, card


# --- the sandbox's partners' group: `/chat group` ---


async def test_the_sandbox_writes_in_the_partners_group(tmp_path: Path) -> None:
    from bot.sandbox.group import GROUP_ID, GROUP_TITLE
    from bot.sandbox.terminal import TerminalChat
    from tests.harness import chats_emulator

    async with chats_emulator() as emulator:
        emulator.add_group(GROUP_ID, GROUP_TITLE)
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=GROUP_ID
        ) as harness:
            lines: list[str] = []
            chat = TerminalChat(harness.emulator, lines.append)
            harness.user(700001, "Анна")
            assert chat.handle("/chat group")
            assert lines[-1] == "   you now write in the partners' group"
            assert chat.handle("@partnerbot_sandbox_bot где взять рефку")
            await harness.emulator.wait_processed(harness.emulator.last_update_id)
            said = "\n".join(lines)
            assert "(group) " in said  # the welcome and the answer, marked as the group's
            assert any("Где взять партнёрскую ссылку" in line for line in lines), said
            typed = harness.emulator.chat_messages(GROUP_ID, from_bot=False)
            assert typed[-1].text == "@partnerbot_sandbox_bot где взять рефку"
            # a number presses a button of the bot's last message in the group
            assert chat.handle("/as manager")
            assert chat.handle("привет")  # joins: the welcome comes with its link button
            await harness.emulator.wait_processed(harness.emulator.last_update_id)
            assert chat.handle("1")
            assert lines[-1].startswith("   (a link: https://t.me/"), lines[-1]
            assert chat.handle("7")
            assert lines[-1].startswith("   (no button 7 here: there is only 1"), lines[-1]
            assert chat.handle("/chat private")
            assert lines[-1] == "   you now write in your private chat"
            assert chat.handle("/chat nowhere")
            assert lines[-1].startswith("   usage: /chat group | /chat managers | /chat private")


# --- tester 3, 9. a settings button sets the state it shows next: a double tap is one ---


async def test_settings_buttons_set_a_state_so_a_double_tap_changes_once(
    harness: Harness,
) -> None:
    from handlers.callbacks import SettingsCb

    anna = harness.user(9865, "Анна")
    await anna.onboard()
    screen = (await anna.send("/settings"))[-1]
    news = next(b for row in screen.buttons for b in row if "Новости" in b["text"])
    name = next(b for row in screen.buttons for b in row if "рейтинг" in b["text"].lower())
    for _ in range(2):  # the same press twice (a double tap, a late repeat)
        await anna.press_data(screen, str(news["callback_data"]))
        await anna.press_data(screen, str(name["callback_data"]))
    partner = await harness.services.partners.by_user("tg", 9865)
    assert partner is not None
    assert not partner.subscribed("news")
    assert partner.public_name == "nickname"
    await anna.press_data(screen, SettingsCb(action="name", value="zzz").pack())
    assert anna.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
    partner = await harness.services.partners.by_user("tg", 9865)
    assert partner is not None
    assert partner.public_name == "nickname"


# --- tester 3, 8. a forged /announce audience is refused, not told as an empty one ---


async def test_a_forged_announce_audience_is_no_longer_available(harness: Harness) -> None:
    from handlers.callbacks import AnnounceCb

    await harness.user(9870, "Анна").onboard()
    manager = harness.manager()
    await manager.send("/start")
    await manager.send("/announce")
    picker = (await manager.send("Вебинар завтра"))[-1]
    for forged in ("contest/nonexistent", "segment/../../x", "tier/none", "all/x", "elsewhere"):
        await manager.press_data(picker, AnnounceCb(action="to", value=forged).pack())
        assert manager.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
    # a real audience still works
    await manager.press("👥 Всем партнёрам", picker)
    assert "Сейчас" in manager.messages[-1].button_labels  # the next step: when


# --- tester 3, 7. /me of a partner who said «Нет» to newsletters says so ---


async def test_me_says_no_newsletters_go_to_a_partner_who_said_no(harness: Harness) -> None:
    anna = harness.user(9875, "Анна")
    await anna.send("/start")
    await anna.press(next(b for b in anna.last.button_labels if b.startswith("Вебмастер")))
    await anna.press("Сайт")
    await anna.press("До года")
    await anna.send("Владельцы квартир")
    await anna.press(next(b for b in anna.last.button_labels if b.startswith("Нет")))
    me = (await anna.send("/me"))[-1].plain
    assert me.endswith(
        "Рассылки вам не приходят — только ответы на ваши вопросы. Включить нужные темы: /settings"
    ), me
    bob = harness.user(9876, "Боб")
    await bob.onboard()
    assert "Рассылки" not in (await bob.send("/me"))[-1].plain
