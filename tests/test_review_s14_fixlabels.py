"""Session 14 (task fix14e): the bot's own button labels — every one the handlers show, in
both languages, found in the code rather than listed — typed as text are never FAQ
questions, options, logged questions or gaps (a partner's own do what the button does or
get a short answer; anyone else's, such as a manager's «✅ Подтвердить», "that is a
button"); `partnerbot faq match` reads them as the bot does."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import typed_labels
from bot.cli import main
from bot.db.tables import faq_questions
from bot.i18n import LANGUAGES, Translator, shipped_message_ids
from bot.services import label_reading, small_talk
from tests.harness import DEMO_CONTENT
from tests.test_journey_vk_max import Side

TESTER = (  # what the tester typed, and what it is
    ("Да, отозвать", "say withdraw"),
    ("Всё равно эту дату", "say button"),
    ("✅ Подтвердить", "say button"),
    ("✅ Approve", "say button"),
    ("✅ Да, присылайте", "say consent"),
    ("Нет, только ответы на мои вопросы", "say consent"),
)
SHOWN = "1"  # a label's variable, as a test types it («Язык: 1»)


def _every_label() -> list[tuple[str, str]]:
    """(key, text) of every button label the handlers show, in every language."""
    keys, _unnamed = typed_labels.scan()
    texts = Translator()
    shown: dict[str, str] = {}
    for language in LANGUAGES:
        for key in sorted(keys):
            text = texts.get(language).blanked(key, SHOWN) or ""
            if text and "\n" not in text:
                shown.setdefault(text, key)
    return [(key, text) for text, key in shown.items()]


def test_the_scan_finds_the_labels_of_every_kind_of_button() -> None:
    keys, unnamed = typed_labels.scan()
    for key in (
        "support-cancel-yes",  # (label, Cb) in a keyboard row
        "link-approve",  # through a helper's `managers(…)`
        "draft-short-confirm",
        "faq-pick-other",  # a row of (label, picker.data(…))
        "community-open-bot",  # a helper's parameter, an URL button
        "menu-faq",  # l10n(f"menu-{item}")
        "topic-news",  # inside an f-string label
        "creative-kind-video",  # a variable of a label: «Видео (3)»
        "support-close-button",  # (label, a name)
        "settings-language",
    ):
        assert key in keys, key
    # what names no locale key comes from the content (titles, questions, options) or is
    # the keyboard helper's own parameter: never a locale text the scan could not follow
    known = shipped_message_ids("ru") | shipped_message_ids("en")
    for where in unnamed:
        expression = where.split(": ", 1)[1]
        assert "l10n" not in expression, where
        literals = {
            node.value
            for node in ast.walk(ast.parse(expression))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not literals & known, where


def test_the_testers_labels_read_as_the_bot_reads_them() -> None:
    texts = Translator()
    for text, said in TESTER:
        reading = typed_labels.read(text, None, texts)
        assert reading is not None, text
        assert typed_labels.described(reading) == said, text


def test_a_managers_one_word_label_is_one_with_its_mark_only() -> None:
    """«✏️ Призы» is a button's label; «призы», «правила» are a partner's questions; a
    partner's own label is theirs whatever else shows the same words («← Назад»)."""
    texts = Translator()
    for text in ("✏️ Призы", "✏ призы", "✏️ Правила", "❌ Отклонить", "✅ Подтвердить"):
        assert typed_labels.read(text, None, texts) == small_talk.Reading("say", "button")
    for text in ("призы", "Правила", "даты", "сегмент блогер что даёт"):
        assert typed_labels.read(text, None, texts) is None, text
    assert typed_labels.read("← Назад", None, texts) == small_talk.Reading("menu", "help")


def test_every_label_in_every_language_is_no_question() -> None:
    texts = Translator()
    table = typed_labels.labels(texts)
    for key, text in _every_label():
        reading = typed_labels.read(text, None, texts)
        assert reading is not None, (key, text)
        label = label_reading.typed_label(text, table)
        expected = label_reading.LABELS.get(key)
        if expected is not None and label is not None:
            assert label == expected or reading.kind != "say", (key, text, label)


async def test_every_label_typed_by_a_partner_on_vk_is_never_an_faq_question(
    tmp_path: Path,
) -> None:
    """On VK (the tester's platform): every label of both languages typed alone gets a
    short answer or opens what its button opens; no FAQ answer, option, miss, logged
    question or gap in /stats."""
    side = Side("vk", "Рассылки: только во ВКонтакте")
    texts = Translator()
    ask = texts.get("ru")("support-ask-text")
    async with side.running(tmp_path) as harness:
        vera = side.person(harness, 1401, "Вера")
        await vera.onboard()
        for key, text in _every_label():
            said = [m.text for m in await vera.send(text)]
            assert said, (key, text)
            for reply in said:
                assert "Пока не знаю" not in reply, (key, text, said)
                assert "Не уверен, что понял" not in reply, (key, text, said)
                assert "записал его для менеджеров" not in reply, (key, text, said)
            if said[-1] == ask:  # «🙋 Спросить менеджера»: /support's first step
                await vera.send("/cancel")
        for text, _said in TESTER:
            replies = [m.text for m in await vera.send(text)]
            if "say button" in dict(TESTER)[text]:
                assert replies == [texts.get("ru")("small-talk-button")], (text, replies)
        async with harness.services.db.read() as conn:
            logged = (await conn.execute(sa.select(faq_questions.c.question))).scalars().all()
        assert logged == []
        manager = harness.manager()
        await manager.send("/start")
        stats = "\n".join(m.plain for m in await manager.send("/stats"))
        assert "отозвать" not in stats, stats
        assert "Подтвердить" not in stats, stats


def test_faq_match_reads_every_label_as_the_bot_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`faq match` applies the bot's reading before the FAQ (one function): every label
    is `no match` with no options, saying what the bot does with it."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    labels = [text for _key, text in _every_label()] + [text for text, _said in TESTER]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(labels) + "\n"))
    assert main(["faq", "match", "--content", str(DEMO_CONTENT), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == len(labels)
    texts = Translator()
    for text, found in zip(labels, lines, strict=True):
        reading = typed_labels.read(text, None, texts)
        assert reading is not None, text
        assert found == {
            "id": None,
            "score": 0.0,
            "suggestions": [],
            "not_a_question": typed_labels.described(reading),
        }, text
    for text, said in TESTER:  # the text form
        assert main(["faq", "match", text, "--content", str(DEMO_CONTENT)]) == 0
        assert capsys.readouterr().out == f"no match 0.00 (not a question: {said})\n", text
    assert main(["faq", "match", "когда выплаты", "--content", str(DEMO_CONTENT)]) == 0
    assert capsys.readouterr().out.startswith("payout-dates ")
