"""Findings of the black-box review (part A): each test reproduces one finding."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram.types import Message

from tests.harness import DEMO_CONTENT, Harness, running_bot


async def test_unknown_commands_at_typing_pace_all_get_answers(tmp_path: Path) -> None:
    """Review 1: fourteen unknown commands about one a second: every one is answered
    (paced, never dropped), in the partner's language."""
    async with running_bot(tmp_path) as harness:
        tom = harness.user(700001, "Tom")
        await tom.onboard()
        partner = await harness.services.partners.by_user("tg", tom.user_id)
        assert partner is not None
        await harness.services.partners.set_language(partner, "en")
        for number in range(1, 15):
            harness.pacing.advance(1)
            await tom.send(f"/bar{number}")
        answers = [m.plain for m in tom.messages if "I don't know that command" in m.plain]
        assert len(answers) == 14
        assert not any("Что-то пошло не так" in m.plain for m in tom.messages)


async def test_error_message_in_the_partners_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 11: a partner who chose English in /settings (their client is Russian)
    gets the error message in English."""
    async with running_bot(tmp_path) as harness:
        anna = harness.user(700002, "Anna", language="ru")
        await anna.onboard()
        partner = await harness.services.partners.by_user("tg", anna.user_id)
        assert partner is not None
        await harness.services.partners.set_language(partner, "en")
        original = Message.answer

        async def broken(self: Message, *args: object, **kwargs: object) -> object:
            if self.text == "/me":
                raise RuntimeError("boom")
            return await original(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Message, "answer", broken)
        await anna.send("/me")
        assert "Something went wrong" in anna.last.plain


async def test_approve_link_for_nobody_says_not_found(harness: Harness) -> None:
    """Review 20: /approve_link with an id nobody has says "not found", not "no request"."""
    manager = harness.manager()
    await manager.send("/start")
    for query in ("tg:99999999999999999999999", "tg:424242", "aff-nobody"):
        reply = (await manager.send(f"/approve_link {query}"))[-1].plain
        assert reply == f"Партнёр «{query}» не найден."
    anna = harness.user(702, "Анна")
    await anna.onboard()
    reply = (await manager.send("/approve_link tg:702"))[-1].plain
    assert "нет запроса на привязку" in reply


async def test_a_contest_nobody_announced_is_shown_nowhere(tmp_path: Path) -> None:
    """Review 9: a file contest starting in 2 days (too close to announce by itself) is
    not in the end of onboarding, /contests or the digest until a manager announces it."""
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    async with running_bot(tmp_path, content_dir=content) as harness:
        manager = harness.manager()
        await manager.send("/start")
        starts = harness.clock.now() + timedelta(days=2)
        ends = starts + timedelta(days=10)
        demo = (content / "contests/winter-sofas.yaml").read_text(encoding="utf-8")
        soon = (
            demo.replace("id: winter-sofas", "id: soon")
            .replace("Зимний марафон диванов", "Скорый конкурс")
            .replace("2026-12-14T00:00:00+03:00", starts.isoformat())
            .replace("2026-12-28T23:59:59+03:00", ends.isoformat())
        )
        (content / "contests/soon.yaml").write_text(soon, encoding="utf-8")
        await manager.send("/reload")
        anna = harness.user(703, "Анна")
        await anna.onboard()
        await anna.send("/contests")
        await harness.services.notices.digests("test")
        await harness.deliver()
        assert not [m.plain for m in anna.messages if "Скорый" in m.plain]

        contest = await harness.services.contests.contest("soon")
        assert contest is not None
        await harness.services.notices.announce_contest(contest)  # "announce anyway"
        await harness.deliver()
        replies = await anna.send("/contests")
        assert any("Скорый конкурс" in m.plain for m in replies)


async def test_announce_date_bounds_schedule_window_and_cancel_after_forget(
    harness: Harness,
) -> None:
    """Review 7: a date over a year ahead is refused; /schedule lists only the next 14
    days; an announcement whose recipients all left stays cancellable."""
    anna = harness.user(704, "Анна")
    await anna.onboard()
    manager = harness.manager()
    await manager.send("/start")

    await manager.send("/announce")
    await manager.send("Новость")
    await manager.press("👥 Всем партнёрам")
    text = (await manager.send("01.01.9999 10:00"))[-1].plain
    assert text.startswith("⚠️ Не дальше чем на год вперёд")
    far = harness.clock.now() + timedelta(days=30)
    text = (await manager.send(f"{far:%d.%m.%Y} 12:00"))[-1].plain
    await manager.press("✅ Отправить", manager.messages[-1])
    schedule = (await manager.send("/schedule"))[-1].plain
    assert "рассылка №1" not in schedule.lower()

    await anna.send("/forget")
    await anna.press("Да, удалить")
    listing = (await manager.send("/announcements"))[-1]
    assert "❌ Отменить неотправленное" in listing.button_labels
    await manager.press("❌ Отменить неотправленное", listing)
    assert manager.messages[-1].plain.startswith("Рассылка №1 остановлена")
