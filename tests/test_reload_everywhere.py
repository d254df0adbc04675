"""/reload in one worker reaches every worker: two bots on one database (and Redis), the
manager reloads in one, partners of the other get the new content within a second. The
same with real processes: tests/test_webhook_workers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.harness import DEMO_CONTENT, Harness, running_bot

OLD_ANSWER = "Выплаты два раза в месяц"
NEW_ANSWER = "Выплаты дважды в месяц"


def _content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def _answer(harness: Harness, user_id: int) -> str:
    replies = await harness.user(user_id).send("когда выплаты")
    return replies[-1].plain


async def test_a_reload_in_one_worker_reaches_the_other_within_a_second(
    tmp_path: Path,
) -> None:
    content = _content(tmp_path)
    async with (
        running_bot(tmp_path, content_dir=content) as one,
        running_bot(tmp_path, content_dir=content) as two,
    ):
        anna = two.user(601)
        await anna.onboard()
        assert OLD_ANSWER in await _answer(two, 601)

        _edit(content / "faq.yaml", OLD_ANSWER, NEW_ANSWER)
        replies = await one.manager().send("/reload")
        text = replies[-1].plain
        assert text.startswith("Контент обновлён: 31 вопрос")
        # with PostgreSQL several workers can run: the manager is told they all follow
        everywhere = "Все процессы бота перейдут на новый контент в течение секунды."
        assert (everywhere in text) == one.services.content_sync.shared
        assert NEW_ANSWER in await _answer(one, 601)  # the worker that reloaded: at once

        two.clock.advance(1.0)  # the other: within a second, without a restart
        assert NEW_ANSWER in await _answer(two, 601)


async def test_an_invalid_folder_changes_nothing_in_any_worker(tmp_path: Path) -> None:
    content = _content(tmp_path)
    async with (
        running_bot(tmp_path, content_dir=content) as one,
        running_bot(tmp_path, content_dir=content) as two,
    ):
        await two.user(602).onboard()
        faq = content / "faq.yaml"
        _edit(faq, OLD_ANSWER, NEW_ANSWER)
        _edit(faq, "  alt: [", "  alts: [")
        replies = await one.manager().send("/reload")
        text = replies[-1].plain
        assert "Контент не обновлён — 1 ошибка" in text
        assert "faq.yaml:10: unknown key 'alts' (did you mean 'alt'?)" in text

        for harness in (one, two):
            harness.clock.advance(5.0)
            assert OLD_ANSWER in await _answer(harness, 602)


async def test_the_scheduler_of_another_worker_sees_the_new_content(tmp_path: Path) -> None:
    content = _content(tmp_path)
    async with (
        running_bot(tmp_path, content_dir=content) as one,
        running_bot(tmp_path, content_dir=content) as two,
    ):
        _edit(content / "program.yaml", "lesson_drip_days: 2", "lesson_drip_days: 3")
        replies = await one.manager().send("/reload")
        assert replies[-1].plain.startswith("Контент обновлён")
        two.clock.advance(1.0)
        await two.services.planner.tick()  # no update reached it: the planner looks itself
        assert two.services.content_store.content.program.schedule.lesson_drip_days == 3
