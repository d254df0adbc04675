"""Session 12 (fixr2), after the tester: a manager command that takes no arguments, given
some, gets its usage and does nothing — as partners' commands do (docs/partners.md) — on
Telegram, VK and MAX, in private and in the managers' chat. Commands that take arguments
keep working."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.tables import audit_log, tickets
from bot.telegram.emulator import SentMessage
from handlers.manager import MANAGER_COMMANDS, NO_ARGUMENTS, WITH_ARGUMENTS
from tests.harness import (
    DEMO_CONTENT,
    MANAGER_ID,
    MAX_MANAGER_ID,
    VK_MANAGER_ID,
    Client,
    Harness,
    running_bot,
)
from tests.test_journey_support import FORUM, GROUP, forum, group, in_chat, topic_of
from tests.test_journey_vk_max import MAX_CHAT, SIDES, VK_CHAT, Side

__all__ = ["forum", "group"]  # the fixtures

# every manager command of docs/managers.md that takes no arguments, with what the tester
# gave it (/close is walked apart: it acts on the ticket it replies to)
WALK = [
    ("tickets", "1e309"),
    ("stats", "-1"),
    ("schedule", "NaN"),
    ("reload", "x"),
    ("announce", "now"),
    ("announcements", "all"),
    ("contests_admin", "-1"),
    ("contest_new", "Зимний спринт"),
    ("faq_learned", "x"),
    ("cancel", "now please"),  # the manager's dialogs' /cancel, as the partner's
]
# those that work in the managers' chat too
IN_CHAT = [("tickets", "1e309"), ("stats", "-1"), ("faq_learned", "x")]
# a manager's /cancel with nothing of theirs running (fixr13c: no longer sent to /support)
NOTHING = (
    "Отменять нечего: сейчас не идёт ни одна рассылка (/announce) и ни один конкурс "
    "(/contest_new). Ваши команды — /help"
)


def usage(command: str) -> str:
    return f"Команда /{command} работает без параметров. Просто отправьте /{command}"


async def _tickets(harness: Harness) -> list[tuple[int, str]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(tickets.c.id, tickets.c.status).order_by(tickets.c.id))
        return [(row.id, row.status) for row in rows]


async def _audited(harness: Harness) -> list[tuple[str, str, bool]]:
    """What the audit log kept of managers (every manager action is kept there)."""
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(audit_log).order_by(audit_log.c.id))
        return [(r.actor, r.action, r.allowed) for r in rows]


def test_every_manager_command_says_whether_it_takes_arguments() -> None:
    """A new manager command has to say which it is (the usage depends on it), and the
    walk below covers every one that takes none."""
    assert sorted(MANAGER_COMMANDS) == sorted(NO_ARGUMENTS + WITH_ARGUMENTS)
    assert sorted(NO_ARGUMENTS) == sorted([c for c, _ in WALK if c != "cancel"] + ["close"])


async def test_telegram_private_every_command_given_arguments_gets_its_usage(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    async with running_bot(tmp_path, content_dir=folder) as harness:
        manager = harness.manager()  # no managers' chat: tickets come to them in private
        await manager.send("/start")
        anna = harness.user(1201)
        await anna.onboard()
        await anna.send("/support Не пришла выплата за октябрь")
        card = next(m for m in reversed(manager.messages) if "Обращение №1" in m.plain)
        templates = folder / "templates.yaml"
        templates.write_text(
            templates.read_text(encoding="utf-8").replace("Спасибо за вопрос!", "Спасибо!"),
            encoding="utf-8",
        )  # what a /reload would take
        content = harness.services.content_store.content
        told = len(anna.messages)

        for command, words in WALK:
            replies = await manager.send(f"/{command} {words}")
            assert [m.plain for m in replies] == [usage(command)], command
        await _reply(harness, manager, card, "/close 5", [usage("close")])

        # nothing was done: no reload, no ticket closed, no dialog open, nothing audited
        assert harness.services.content_store.content is content
        assert await _tickets(harness) == [(1, "open")]
        assert len(anna.messages) == told
        assert await _audited(harness) == []
        assert [m.plain for m in await manager.send("/cancel")] == [NOTHING]

        # those that take arguments take them; without arguments the others work
        # (since session 19 the ticket says what went: «📤 Партнёру ушёл шаблон …»)
        sent = "📤 Партнёру ушёл шаблон «thanks»:\n"
        await _reply(
            harness, manager, card, "/t thanks",
            [sent + "Спасибо за вопрос! Если что-то ещё — пишите сюда же."],
        )  # fmt: skip
        assert anna.last.plain.startswith("Спасибо за вопрос!")  # the old content
        assert (await manager.send("/reload"))[-1].plain.startswith("Контент обновлён")
        assert harness.services.content_store.content is not content
        await _reply(
            harness, manager, card, "/t thanks",
            [sent + "Спасибо! Если что-то ещё — пишите сюда же."],
        )  # fmt: skip
        assert anna.last.plain.startswith("Спасибо! Если")
        card_text = (await manager.send("/partner tg:1201"))[-1].plain
        assert "tg:1201" in card_text
        await manager.send("/contest_new")
        assert [m.plain for m in await manager.send("/cancel")] == ["Черновик конкурса удалён."]
        await _reply(harness, manager, card, "/close", ["✅ Обращение №1 закрыто."])
        assert await _tickets(harness) == [(1, "closed")]
        assert anna.messages[-1].plain.startswith("Обращение №1 закрыто.")
        # a partner typing a manager's command with words after it: unknown, as without
        replies = await anna.send("/reload x")
        assert replies[0].plain == "Такой команды я не знаю. Вот что я умею:"


async def _reply(
    harness: Harness, manager: Client, card: SentMessage, text: str, expected: list[str]
) -> None:
    """The manager replies to the ticket's card in private; `expected`: what they read."""
    before = len(manager.messages)
    harness.clock.advance(1)
    update = harness.emulator.user_message(MANAGER_ID, text, reply_to=card.message_id)
    await harness.emulator.wait_processed(update)
    assert [m.plain for m in manager.messages[before:]] == expected, text


async def test_telegram_managers_chat_every_command_given_arguments_gets_its_usage(
    group: Harness,
) -> None:
    anna = group.user(1201)
    await anna.onboard()
    await anna.send("/support Не пришла выплата за октябрь")
    card = next(m for m in group.emulator.chat_messages(GROUP) if "Обращение №1" in m.plain)
    told = len(anna.messages)

    for command, words in [*IN_CHAT, ("close", "5")]:
        before = len(group.emulator.chat_messages(GROUP))
        reply_to = card.message_id if command == "close" else None
        await in_chat(group, GROUP, f"/{command} {words}", reply_to=reply_to)
        said = [m.plain for m in group.emulator.chat_messages(GROUP)[before:]]
        assert said == [usage(command)], command
    assert await _tickets(group) == [(1, "open")]
    assert len(anna.messages) == told
    assert await _audited(group) == []

    # someone in the chat who is not a manager is refused as before: no answer, audited
    group.emulator.add_user(990, "Стажёр")
    before = len(group.emulator.chat_messages(GROUP))
    update = group.emulator.user_message(990, "/stats -1", chat_id=GROUP)
    await group.emulator.wait_processed(update)
    assert len(group.emulator.chat_messages(GROUP)) == before
    assert await _audited(group) == [("tg:990", "stats", False)]

    await in_chat(group, GROUP, "/close", reply_to=card.message_id)
    assert await _tickets(group) == [(1, "closed")]


async def test_close_given_arguments_in_a_forum_topic_gets_its_usage_there(
    forum: Harness,
) -> None:
    anna = forum.user(1201)
    await anna.onboard()
    await anna.send("/support Не пришла выплата за октябрь")
    thread = topic_of(forum, 1)
    before = len(forum.emulator.chat_messages(FORUM))
    await in_chat(forum, FORUM, "/close 5", thread_id=thread)
    said = [(m.thread_id, m.plain) for m in forum.emulator.chat_messages(FORUM)[before:]]
    assert said == [(thread, usage("close"))]
    assert await _tickets(forum) == [(1, "open")]
    await in_chat(forum, FORUM, "/close", thread_id=thread)
    assert await _tickets(forum) == [(1, "closed")]


@pytest.mark.parametrize("side", SIDES)
async def test_vk_and_max_every_command_given_arguments_gets_its_usage(
    side: Side, tmp_path: Path
) -> None:
    async with side.running(tmp_path, managers_chat=True) as harness:
        partner = side.person(harness, 1201, "Вера")
        await partner.onboard()
        await partner.send("/support Где статистика?")
        told = len(partner.messages)
        content = harness.services.content_store.content
        manager = harness.vk_manager() if side.platform == "vk" else harness.max_manager()
        who = f"vk:{VK_MANAGER_ID}" if side.platform == "vk" else f"max:{MAX_MANAGER_ID}"

        for command, words in WALK:
            replies = await manager.send(f"/{command} {words}")
            assert [m.plain for m in replies] == [usage(command)], command
        assert [m.plain for m in await manager.send("/cancel")] == [NOTHING]

        card = next(i for i, t in enumerate(side.managers_chat(harness)) if "Обращение №1" in t)
        for command, words in [*IN_CHAT, ("close", "5")]:
            before = len(side.managers_chat(harness))
            if side.platform == "vk":
                assert harness.vk is not None
                reply_to = harness.vk.chat_messages(VK_CHAT)[card] if command == "close" else None
                ts = harness.vk.user_message(
                    VK_MANAGER_ID, f"/{command} {words}", peer_id=VK_CHAT, reply_to=reply_to
                )
                await harness.vk.wait_processed(ts)
            else:
                assert harness.max is not None
                relayed = harness.max.chat_messages(MAX_CHAT)[card] if command == "close" else None
                await harness.max_manager().send(
                    f"/{command} {words}", reply_to=relayed, chat=MAX_CHAT
                )
            assert side.managers_chat(harness)[before:] == [usage(command)], command

        assert harness.services.content_store.content is content
        assert await _tickets(harness) == [(1, "open")]
        assert len(partner.messages) == told
        assert [a for a in await _audited(harness) if a[0] == who] == []
        await side.manager_replies(harness, "/close", card)
        assert await _tickets(harness) == [(1, "closed")]
