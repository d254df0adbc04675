"""Bad input gets a clear answer, nothing is lost, and the bot keeps going."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.db.tables import audit_log
from bot.services.faq import FaqService
from tests.harness import DEMO_CONTENT, Harness, running_bot


async def test_unknown_command_gets_the_menu(harness: Harness) -> None:
    anna = harness.user(501)
    await anna.onboard()  # before /start it asks for /start (tests/test_review_s19.py)
    replies = await anna.send("/frobnicate")
    assert replies[0].plain == "Такой команды я не знаю. Вот что я умею:"
    assert "Меню" in replies[1].plain


async def test_wrong_arguments_get_the_usage(harness: Harness) -> None:
    anna = harness.user(502)
    await anna.onboard()  # nothing is kept about anyone before /start
    replies = await anna.send("/me please")
    assert replies[-1].plain == "Команда /me работает без параметров. Просто отправьте /me"
    replies = await anna.send("/stop now")
    assert "без параметров" in replies[-1].plain
    partner = await harness.services.partners.by_user("tg", 502)
    assert partner is not None
    assert not partner.stopped


@pytest.mark.parametrize("kind", ["sticker", "voice", "photo"])
async def test_unsupported_messages_get_a_polite_hint(harness: Harness, kind: str) -> None:
    anna = harness.user(503)
    replies = await anna.send(kind=kind)
    assert replies[-1].plain.startswith("Я понимаю текст и кнопки")


async def test_english_client_gets_english(harness: Harness) -> None:
    john = harness.user(504, "John", language="en")
    replies = await john.send("/start")
    assert replies[0].plain.startswith("Hello, John!")
    replies = await john.send("/frobnicate")
    assert replies[0].plain == "I don't know that command. Here is what I can do:"


async def test_manager_commands_are_unknown_to_partners_and_audited(harness: Harness) -> None:
    anna = harness.user(505)
    await anna.onboard()  # a partner (before /start: /start first, tests/test_review_s19.py)
    replies = await anna.send("/reload")
    assert replies[0].plain == "Такой команды я не знаю. Вот что я умею:"
    async with harness.services.db.read() as conn:
        rows = list(await conn.execute(sa.select(audit_log)))
    assert [(r.actor, r.action, r.allowed) for r in rows] == [("tg:505", "reload", False)]


async def test_one_failing_update_never_stops_the_bot(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = harness.user(506)
    await anna.onboard()  # nothing is kept about anyone before /start
    original = FaqService.ask
    calls = {"n": 0}

    async def flaky(self: FaqService, *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return await original(self, *args)

    monkeypatch.setattr(FaqService, "ask", flaky)
    replies = await anna.send("когда выплаты")
    assert replies[-1].plain.startswith("Что-то пошло не так")
    replies = await anna.send("когда выплаты")
    assert "10 и 25 числа" in replies[-1].plain


async def test_group_messages_and_unknown_chats_do_not_crash(harness: Harness) -> None:
    harness.emulator.add_group(-1001, "Партнёры МебельДом")
    harness.emulator.add_user(507, "Гость")
    update = harness.emulator.user_message(507, "когда выплаты?", chat_id=-1001)
    await harness.emulator.wait_processed(update)
    anna = harness.user(508)
    await anna.onboard()  # nothing is kept about anyone before /start
    replies = await anna.send("/help")
    assert "Меню" in replies[-1].plain


async def test_flood_protection_answers_once_then_drops(tmp_path: Path) -> None:
    async with running_bot(tmp_path, flood_burst=3) as harness:
        anna = harness.user(509)
        await anna.onboard()  # nothing is kept about anyone before /start
        harness.clock.advance(10)  # the onboarding's taps are forgotten by the bucket
        emulator = harness.emulator
        before = len(anna.messages)
        # six different messages, each answered when it gets through («когда выплаты 0»
        # is only offered since session 8: a stray number weighs against the entry)
        ids = [emulator.user_message(509, "когда выплаты" + "?" * (i + 1)) for i in range(6)]
        await emulator.wait_processed(ids[-1])
        texts = [m.plain for m in anna.messages[before:]]
        assert sum("10 и 25 числа" in t for t in texts) == 3
        assert (
            texts.count(
                "Слишком много сообщений подряд — подождите пару секунд, и я снова отвечу."
            )
            == 1
        )
        harness.clock.advance(10)
        replies = await anna.send("когда выплаты")
        assert "10 и 25 числа" in replies[-1].plain


SLOW_DOWN_PRESS = "Не так быстро — подождите пару секунд и нажмите ещё раз."


async def test_a_person_tapping_as_fast_as_they_read_is_never_refused(harness: Harness) -> None:
    """Bursts of three taps, about one a second, for two minutes (the production flood
    limits): every press answered without the slow-down note, every screen shown."""
    anna = harness.user(530)
    await anna.onboard()
    menu = next(m for m in reversed(anna.messages) if "👤 Мои данные" in m.button_labels)
    emulator = harness.emulator
    before = len(anna.messages)
    presses = 0
    for _burst in range(40):
        for gap in (0.3, 0.3, 2.4):  # three quick taps, then reading
            harness.clock.advance(gap)
            await emulator.wait_processed(emulator.press(530, menu, "👤 Мои данные"))
            presses += 1
    answers = [a.get("text") for a in emulator.callback_answers.values()]
    assert SLOW_DOWN_PRESS not in answers
    screens = [m for m in anna.messages[before:] if "Код партнёра" in m.plain]
    assert len(screens) == presses == 120
    assert not emulator.open_callbacks  # no spinner left


async def test_a_script_is_slowed_and_each_refused_press_is_answered(harness: Harness) -> None:
    anna = harness.user(531)
    await anna.onboard()
    menu = next(m for m in reversed(anna.messages) if "👤 Мои данные" in m.button_labels)
    emulator = harness.emulator
    before = len(anna.messages)
    for _ in range(30):  # 30 presses in no time
        await emulator.wait_processed(emulator.press(531, menu, "👤 Мои данные"))
    refused = [a for a in emulator.callback_answers.values() if a.get("text") == SLOW_DOWN_PRESS]
    screens = [m for m in anna.messages[before:] if "Код партнёра" in m.plain]
    assert len(screens) + len(refused) == 30
    assert 8 <= len(screens) <= 12  # the burst, then the script waits
    assert not emulator.open_callbacks  # every press answered, refused ones too


async def test_reload_refuses_a_broken_folder_and_keeps_the_old_content(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        manager = harness.manager()
        faq = content / "faq.yaml"
        faq.write_text(
            faq.read_text(encoding="utf-8").replace("  alt: [", "  alts: [", 1), encoding="utf-8"
        )
        replies = await manager.send("/reload")
        text = replies[-1].plain
        assert "Контент не обновлён — 1 ошибка" in text
        assert "faq.yaml:10: unknown key 'alts' (did you mean 'alt'?)" in text

        anna = harness.user(510)
        await anna.onboard()  # nothing is kept about anyone before /start
        replies = await anna.send("когда выплаты")
        assert "10 и 25 числа" in replies[-1].plain

        faq.write_text(
            faq.read_text(encoding="utf-8")
            .replace("  alts: [", "  alt: [", 1)
            .replace("Два раза в месяц", "Дважды в месяц")
            .replace("Выплаты два раза в месяц", "Выплаты дважды в месяц"),
            encoding="utf-8",
        )
        replies = await manager.send("/reload")
        done = "Контент обновлён: 31 вопрос, 5 уроков, 10 материалов."
        if harness.services.content_sync.shared:  # PostgreSQL: several workers can run
            done += "\nВсе процессы бота перейдут на новый контент в течение секунды."
        assert replies[-1].plain == done
        replies = await anna.send("когда выплаты")
        assert "Выплаты дважды в месяц" in replies[-1].plain
        async with harness.services.db.read() as conn:
            rows = list(await conn.execute(sa.select(audit_log.c.action, audit_log.c.allowed)))
        assert rows == [("reload", True), ("reload", True)]


async def test_a_dialog_survives_a_restart(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as harness:
        anna = harness.user(511)
        await anna.send("/start")
        await anna.press("Вебмастер (сайт, SEO, контекст)")
        await anna.press("Сайт")
        await anna.press("До года")
        assert "Вопрос 3 из 3" in anna.last.plain
    async with running_bot(tmp_path) as harness:
        anna = harness.user(511)
        replies = await anna.send("Владельцы квартир")
        assert "Присылать вам новости" in replies[-1].plain
        partner = await harness.services.partners.by_user("tg", 511)
        assert partner is not None
        assert partner.answers["audience"] == "Владельцы квартир"
