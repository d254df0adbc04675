"""/forget for a person linked on several platforms (session 27, tester's finding): a
person linked on Telegram and MAX sent /forget in Telegram, was told «Ваши данные
удалены», and the MAX chat kept their name, @username, answers, the affiliate link and
their place. Now the confirmation names the linked chats and offers to delete here only
or in all of them (docs/privacy.md, docs/one-person.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiogram.fsm.storage.base import StorageKey

from bot.db.tables import tickets
from bot.services.partner import Partner
from tests.harness import MANAGER_ID, Client, Harness, MaxPerson, chats_emulator, running_bot
from tests.test_journey_one_person import _link
from tests.test_journey_security import _found_anywhere
from tests.test_journey_support import FORUM, topic_of

HERE = "Удалить только в этом чате"
EVERYWHERE = "Удалить во всех моих чатах"
KEEP = "Нет, оставить"
TOM = 27731  # the person, on Telegram and on MAX
STRANGER = 27741


@pytest.fixture
async def linked(tmp_path: Path) -> AsyncIterator[Harness]:
    """Telegram (the managers' forum there) and MAX."""
    async with chats_emulator() as emulator:
        emulator.add_group(FORUM, "Менеджеры", forum=True)
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, maxbot=True, tg_managers_chat_id=FORUM
        ) as harness:
            yield harness


async def _tom(harness: Harness) -> tuple[Client, MaxPerson]:
    """Tom linked on Telegram and MAX to one affiliate id; on MAX a ticket is open (its
    topic in the managers' forum) and the /link dialog waits for an id. Newsletters come as
    Telegram chose last: forgetting that chat gives the MAX chat its own choice back."""
    manager = harness.manager()
    await manager.send("/start")
    on_tg, on_max = harness.user(TOM, "Том"), harness.max_user(TOM, "Томас")
    await on_max.onboard()
    await on_max.send("/stop")  # MAX's own choice, given way to Telegram's newer one:
    await on_tg.onboard()
    await _link(manager, on_tg, f"tg:{TOM}", "aff-2773")
    await _link(manager, on_max, f"max:{TOM}", "aff-2773")
    opened = await on_max.send("/support Не пришла выплата за октябрь")
    assert opened[-1].plain.startswith("Обращение №1 открыто")
    await on_max.send("/link")  # a dialog left open: the next message is an id
    assert await _max_state(harness) is not None
    return on_tg, on_max


async def _chat(harness: Harness, platform: str, user_id: int = TOM) -> Partner | None:
    return await harness.services.partners.by_user(platform, user_id)


async def _max_state(harness: Harness) -> str | None:
    """The MAX chat's dialog state, as the dispatcher's storage keeps it."""
    assert harness.max_bot is not None
    assert harness.max is not None
    dialog = harness.max.users[TOM].dialog
    key = StorageKey(bot_id=harness.max_bot.id, chat_id=dialog, user_id=TOM)
    return await harness.dp.fsm.storage.get_state(key)


async def _ticket(harness: Harness) -> sa.Row[tuple[object, ...]]:
    async with harness.services.db.read() as conn:
        return (await conn.execute(sa.select(tickets).where(tickets.c.id == 1))).one()


def _forum_texts(harness: Harness) -> list[str]:
    return [m.plain for m in harness.emulator.chat_messages(FORUM)]


async def test_forget_in_all_my_chats_deletes_the_person_on_every_platform(
    linked: Harness,
) -> None:
    on_tg, on_max = await _tom(linked)
    max_chat = await _chat(linked, "max")
    assert max_chat is not None
    asked = (await on_tg.send("/forget"))[-1]
    assert asked.plain.startswith("Ваш чат в MAX связан с тем же ID партнёра")
    assert asked.button_labels == [HERE, EVERYWHERE, KEEP]
    heard_on_max = len(on_max.messages)

    await on_tg.press(EVERYWHERE)
    assert on_tg.last.plain.startswith("Ваши данные удалены здесь и в вашем чате в MAX."), (
        on_tg.last.plain
    )
    assert await _chat(linked, "tg") is None
    assert await _chat(linked, "max") is None
    ticket = await _ticket(linked)  # the MAX chat's ticket: anonymous and closed
    assert (ticket.partner_id, ticket.question, ticket.status) == (None, "", "closed")
    assert linked.emulator.topics[(FORUM, topic_of(linked, 1))] == "#1 · данные удалены"
    assert any(t.startswith("🗑 Партнёр удалил свои данные (/forget): обращение №1") for t in
               _forum_texts(linked))  # fmt: skip
    assert on_max.messages[heard_on_max:] == []  # nothing about settings: it is gone too
    assert await _max_state(linked) is None  # the /link dialog there ended
    assert linked.max_bot is not None  # the MAX session keeps no name of theirs
    assert linked.max_bot.session._names.get(TOM) is None  # type: ignore[attr-defined]
    code = max_chat.partner_code
    needles = (str(TOM), "Том", "Томас", "Иванова", f"user{TOM}", f"max{TOM}", code,
               "выплата за октябрь")  # fmt: skip
    assert await _found_anywhere(linked, needles) == []

    await on_max.send("aff-2773")  # what the dialog waited for: no longer a /link request
    again = await _chat(linked, "max")
    assert again is None or again.affiliate_id is None


async def test_forget_here_only_keeps_the_other_chat_and_says_so(linked: Harness) -> None:
    on_tg, on_max = await _tom(linked)
    await on_tg.send("/forget")
    await on_tg.press(HERE)
    done = on_tg.last.plain
    assert done.startswith("Ваши данные в этом чате удалены."), done
    assert (
        "В вашем чате в MAX они остаются: чтобы удалить их и там, отправьте /forget в том чате."
        in done
    )
    assert await _chat(linked, "tg") is None
    kept = await _chat(linked, "max")
    assert kept is not None
    assert kept.first_name.startswith("Томас")
    assert kept.username == f"max{TOM}"
    assert (kept.affiliate_id, kept.affiliate_status) == ("aff-2773", "linked")
    assert kept.answers
    ticket = await _ticket(linked)
    assert (ticket.partner_id, ticket.status) == (kept.id, "open")
    assert await _max_state(linked) is not None  # its dialog goes on
    told = on_max.last.plain  # as before: its own newsletter choice is back
    assert told.startswith("Чат в Telegram удалён, и его выбор рассылок больше не действует")
    assert (await on_max.send("/me"))[-1].plain  # the MAX chat is served as before


async def test_an_unlinked_partner_sees_the_old_confirmation(linked: Harness) -> None:
    alone = linked.user(STRANGER, "Вера")
    await alone.onboard()
    asked = (await alone.send("/forget"))[-1]
    assert asked.plain.startswith("Удалить все ваши данные в боте")
    assert asked.button_labels == ["Да, удалить", KEEP]
    await alone.press("Да, удалить")
    assert alone.last.plain.startswith("Ваши данные удалены. Если захотите вернуться")
    assert await _chat(linked, "tg", STRANGER) is None


async def test_a_forged_or_stale_press_forgets_nobody_else(linked: Harness) -> None:
    on_tg, on_max = await _tom(linked)
    stranger = linked.user(STRANGER, "Вера")
    await stranger.onboard()
    await stranger.send("/forget")
    asked = stranger.last
    for forged in (f"fga:{TOM}", f"fga:tg:{TOM}", f"fg:1:{TOM}", f"fga:1:max:{TOM}"):
        await stranger.press_data(asked, forged)  # no such button: nobody is forgotten
        assert await _chat(linked, "tg", STRANGER) is not None, forged
    await stranger.press_data(asked, "fga")  # "all my chats" of someone with one chat
    assert stranger.last.plain.startswith("Ваши данные удалены. Если захотите вернуться")
    assert await _chat(linked, "tg", STRANGER) is None
    for platform in ("tg", "max"):
        assert await _chat(linked, platform) is not None, platform  # Tom's chats stay

    await on_tg.send("/forget")  # three buttons; then the MAX chat is forgotten there …
    await on_max.send("/forget")
    await on_max.press(HERE)
    assert await _chat(linked, "max") is None
    await on_tg.press(EVERYWHERE)  # … so "all my chats" is this one, read at the press
    assert on_tg.last.plain.startswith("Ваши данные удалены. Если захотите вернуться")
    assert await _chat(linked, "tg") is None
