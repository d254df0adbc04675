"""Session 8, independent review (task fixc): the bot's own button labels typed as text,
what learning generalises, and /faq_link's browse when no entry is close."""

from __future__ import annotations

from pathlib import Path

from bot.i18n import Translator
from bot.services import label_reading
from tests.harness import MANAGER_ID, Harness, running_bot
from tests.test_faq_learning import _learned, _ticket, group
from tests.test_journey_support import GROUP, in_chat

__all__ = ["group"]  # the fixture

# --- 1. the bot's own button labels typed as text ---


async def test_every_button_label_typed_does_what_its_button_does(tmp_path: Path) -> None:
    """Each label of the locales typed on Telegram opens what its button or command does,
    or gets a short answer (the English labels read as the same); «помогло», «не
    помогло» the same on MAX; none is a question for the FAQ, so none is a gap in /stats."""
    texts = Translator()
    async with running_bot(tmp_path, maxbot=True) as harness:
        anna = harness.user(9801)
        await anna.onboard()
        opened: dict[str, list[str]] = {}
        # every label journeys in Russian; the English ones read the same (below)
        l10n = texts.get("ru")
        for key, intent in label_reading.LABELS.items():
            label = l10n(key)
            said = [m.plain for m in await anna.send(label)]
            if intent.kind == "say":
                reply = l10n(f"small-talk-{intent.command}")
                assert said == [reply], (label, said)
                continue
            command = intent.command if intent.kind == "menu" else "support"
            if command not in opened:
                opened[command] = [m.plain for m in await anna.send(f"/{command}")]
                if command == "support":
                    await anna.send("/cancel")
            assert said == opened[command], (label, said)
            if command == "support":
                await anna.send("/cancel")
        for text in ("спасибо, помогло!", "не помогло", "Спасибо большое, помогло", "ок, спасибо"):
            said = (await anna.send(text))[-1].plain
            assert "Пока не знаю" not in said, (text, said)
            assert "Вы имели в виду" not in said, (text, said)
        table = label_reading.label_table([texts.get("ru"), texts.get("en")])
        for key, intent in label_reading.LABELS.items():
            assert label_reading.typed_label(texts.get("en")(key), table) == intent, key
        maria = harness.max_user(9802)
        await maria.onboard()
        asked = (await maria.send("Спросить менеджера"))[-1].plain
        assert asked == opened["support"][-1]
        await maria.send("/cancel")
        for text, reply in (
            ("помогло", "small-talk-helped"),
            ("спасибо, помогло!", "small-talk-helped"),
            ("не помогло", "small-talk-not-helped"),
        ):
            assert (await maria.send(text))[-1].plain == texts.get("ru")(reply), text
        manager = harness.manager()
        await manager.send("/start")
        stats = " ".join(
            " ".join([m.plain, *m.button_labels]) for m in await manager.send("/stats")
        )
        assert "помогло" not in stats.casefold(), stats
        assert "Спросить менеджера" not in stats, stats


# --- 3. /faq_link with no close entry: «📋 Другая статья», as under a gap ---


async def test_faq_link_with_no_close_entry_browses_any_entry(group: Harness) -> None:
    anna, card = await _ticket(group, "будут ли вебинары для новичков")
    await in_chat(group, GROUP, "/faq_link", reply_to=card)
    offer = group.emulator.chat_messages(GROUP)[-1]
    assert "Близких статей нет" in offer.plain
    assert offer.button_labels == ["📋 Другая статья"]

    async def press(label: str) -> None:
        shown = next(
            m for m in group.emulator.chat_messages(GROUP) if m.message_id == offer.message_id
        )
        group.clock.advance(1)
        await group.emulator.wait_processed(group.emulator.press(MANAGER_ID, shown, label))

    def current() -> list[str]:
        shown = next(
            m for m in group.emulator.chat_messages(GROUP) if m.message_id == offer.message_id
        )
        return shown.button_labels

    await press("📋 Другая статья")
    assert current()[:2] == ["Выплаты", "Ссылки и трекинг"]
    assert "⬅️ Ближайшие" in current()
    await press("⬅️ Ближайшие")
    assert current() == ["📋 Другая статья"]
    await press("📋 Другая статья")
    await press("Промо-материалы")
    label = next(b for b in current() if b.startswith("creatives-where:"))
    await press(label)
    assert "/creatives" in anna.last.plain
    (row,) = await _learned(group)
    assert (row.entry_id, row.source, row.phrasing) == (
        "creatives-where", "link", "будут ли вебинары для новичков",
    )  # fmt: skip


# --- 2. what learning generalises ---


async def test_a_learned_wordings_meaning_and_rare_words_generalise(harness: Harness) -> None:
    """Taught, then asked: the same meaningful words (chatty and question words aside) are
    answered as the learned wording is; a rare learned word makes its entry an option;
    two entries that learned the same words get no blind answer."""
    learning = harness.services.faq.learning
    anna = harness.user(9811)
    await anna.onboard()
    # («точно заплатите» is the vocabulary's trust question, «гарантия»: not an aside)
    await learning.learn("payout-dates", "пятнадцатого реально заплатите?", "teach")
    for asked in ("пятнадцатого заплатите?", "пятнадцатого норм заплатите?"):
        said = (await anna.send(asked))[-1]
        assert said.plain.startswith("Когда выплаты?"), (asked, said.plain)
        assert said.button_labels == ["👍 Помогло", "🙋 Спросить менеджера"]
    await learning.learn("contests-how", "кураторы норм?", "link")  # /faq_link
    for asked in ("какие кураторы", "кураторы вообще есть?"):
        said = (await anna.send(asked))[-1]
        assert said.plain.startswith("Как участвовать в конкурсе?"), (asked, said.plain)
    said = (await anna.send("где найти кураторов для новичков"))[-1]  # was: «Пока не знаю»
    assert said.plain.startswith("Не уверен, что понял вопрос"), said.plain
    assert any(label.startswith("Как участвовать в конкурсе") for label in said.button_labels)
    await learning.learn("tier-levels", "кураторы?", "teach")  # the same words, another entry
    said = (await anna.send("какие кураторы"))[-1]
    assert said.plain.startswith("Не уверен, что понял вопрос"), said.plain
