"""Session 28, task fix28a: /forget and the names a partner went by.

1. A winner renamed themselves on Telegram after the results named them in the partners'
   group, then used /forget: the sent results post (and the managers' list of winners)
   kept their old name — the clean-up looked for the name they had at /forget only (and a
   post still waiting went out with the old name). Every name and @username a chat went
   by is now looked for (`partner_names`), and the platform id the managers' list of
   winners gives (all it has of a winner whose name shows nothing).
2. Right after /forget, `/top` in the group still ranked them («1. Партнёр — 3») from the
   cached standings; now the next reading leaves them out.
3. A partner who renamed themselves and wrote in the group kept the old name on the boards
   until they wrote to the bot in private; docs/one-person.md says a new name from
   Telegram shows at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.engine import Database
from bot.db.tables import outbox
from bot.services import contest_standings
from bot.services.contests import ContestService
from bot.services.sales import SalesService
from bot.telegram.emulator import RateLimits
from tests.harness import MANAGER_ID, Harness, chats_emulator, running_bot
from tests.test_forget_queued_posts import (
    at,
    forget,
    linked,
    posts,
    sales,
    waiting_posts,
)
from tests.test_journey_security import _found_anywhere

COMMUNITY = -1009876543210
MANAGERS = -1001234567890
OLD = "Д" * 24 + "🎉"  # the tester's winner
NEW = "\u202eTom <i>&</i> Jerry"  # the sandbox's «/name RLO Tom <i>&</i> Jerry»


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        emulator.add_group(MANAGERS, "Менеджеры", forum=True)
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path,
            emulator=emulator,
            tg_community_chat_id=COMMUNITY,
            tg_managers_chat_id=MANAGERS,
        ) as running:
            yield running


async def in_the_group(harness: Harness, user_id: int, text: str) -> list[str]:
    """`user_id` writes in the partners' group; what the bot posted there in answer."""
    harness.clock.advance(1)
    before = len(harness.emulator.chat_messages(COMMUNITY))
    update = harness.emulator.user_message(user_id, text, chat_id=COMMUNITY)
    await harness.emulator.wait_processed(update)
    return [m.plain for m in harness.emulator.chat_messages(COMMUNITY)[before:]]


def rename(harness: Harness, user_id: int, name: str, username: str | None = None) -> None:
    """The person changes their Telegram profile (the sandbox's «/name»)."""
    harness.emulator.users[user_id].first_name = name
    harness.emulator.chats[user_id].first_name = name
    if username is not None:
        harness.emulator.users[user_id].username = username
        harness.emulator.chats[user_id].username = username


async def the_contest(harness: Harness, name: str = OLD) -> None:
    """The winner (`name`, 3 sales) and Вера (1 sale) in the demo contest."""
    await linked(harness, 2801, name, "zu-2801")
    await linked(harness, 2802, "Вера", "ve-2802")
    await harness.services.planner.tick()  # the contest is announced
    await harness.deliver()
    at(harness, datetime(2026, 12, 15, 9, 0, tzinfo=UTC))
    await sales(harness, "zu-2801", 3)
    await sales(harness, "ve-2802", 1)


async def sent_rows(harness: Harness, text: str) -> list[tuple[int, str, str]]:
    """The outbox rows sent whose text has `text`: (id, kind, status)."""
    query = sa.select(outbox.c.id, outbox.c.kind, outbox.c.status).where(
        outbox.c.text.contains(text, autoescape=True)
    )
    async with harness.services.db.read() as conn:
        return [(row.id, row.kind, row.status) for row in await conn.execute(query)]


async def test_a_winner_renamed_before_forget_leaves_no_old_name_in_the_sent_results(
    harness: Harness,
) -> None:
    """The tester's steps: the results name the winner in the group (and to the managers);
    they change their Telegram name, write in the group, then /forget."""
    await the_contest(harness)
    at(harness, datetime(2027, 1, 12, 7, 0, tzinfo=UTC))  # 10:00 Moscow, the hold over
    await harness.services.planner.tick()
    await harness.deliver()
    results = [post for post in posts(harness, 0) if post.startswith("🏁 Итоги")]
    assert len(results) == 1, posts(harness, 0)
    assert f"1. {OLD} — 3" in results[0], results[0]
    assert [kind for _id, kind, status in await sent_rows(harness, OLD)].count("community")

    rename(harness, 2801, NEW)
    await in_the_group(harness, 2801, "Всем привет")
    zu = harness.user(2801, NEW)
    await forget(zu)
    assert "данные удалены" in zu.last.plain

    assert await sent_rows(harness, "ДДДД") == []
    assert await _found_anywhere(harness, (OLD, "ДДДД", "Tom", "Jerry")) == []


async def test_a_winner_with_no_name_to_show_leaves_no_platform_id_in_the_managers_list(
    harness: Harness,
) -> None:
    """A winner whose name shows nothing (a Hangul filler) and who has no @username is
    «Партнёр …» in the results; the managers' list of winners names them by their platform
    id (tg:2801) only: after /forget no row keeps it."""
    harness.emulator.add_user(2801, "\u3164", username=None)
    await the_contest(harness, "\u3164")
    at(harness, datetime(2027, 1, 12, 7, 0, tzinfo=UTC))  # 10:00 Moscow, the hold over
    await harness.services.planner.tick()
    await harness.deliver()
    winners = [m.plain for m in harness.emulator.chat_messages(MANAGERS)]
    assert any("(tg:2801)" in text for text in winners), winners

    await forget(harness.user(2801))
    assert await _found_anywhere(harness, ("tg:2801",)) == []


async def test_a_leaderboard_sent_and_standings_waiting_under_an_old_name_and_username(
    harness: Harness,
) -> None:
    """Another kind of group post: the week's leaderboard sent with the old name, and the
    contest's standings held for the morning. The partner then goes by another name and
    @username (told to the bot in private), and uses /forget: the sent leaderboard keeps
    no old name; the standings go in the morning without it."""
    await the_contest(harness, "Зульфия")
    zu = harness.user(2801, "Зульфия")
    await harness.services.notices.weekly_leaderboard("2026-12-15")
    await harness.deliver()
    assert any("1. Зульфия — 3" in post for post in posts(harness, 0)), posts(harness, 0)
    # the first week's standings fall at 00:00 Moscow: the group gets them at 09:00
    at(harness, datetime(2026, 12, 20, 21, 0, 30, tzinfo=UTC))
    chat = len(posts(harness, 0))
    await harness.services.planner.tick()
    await harness.deliver()
    assert posts(harness, chat) == []
    assert any("Зульфия" in text for text, _picture in (await waiting_posts(harness)).values())

    rename(harness, 2801, "Зоя", username="zoya_new")
    await zu.send("/me")
    person = await harness.services.partners.by_user("tg", 2801)
    assert person is not None
    assert person.first_name == "Зоя"
    await forget(zu)
    assert await _found_anywhere(harness, ("Зульфия", "Зоя", "user2801", "zoya_new")) == []

    at(harness, datetime(2026, 12, 21, 6, 1, tzinfo=UTC))  # 09:01 Moscow
    await harness.deliver()
    sent = posts(harness, chat)
    assert sent
    assert not any("Зульфия" in post or "Зоя" in post for post in sent), sent
    assert any("1. Партнёр — 3" in post for post in sent), sent


async def test_top_right_after_forget_leaves_the_partner_out(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/top in the group, /forget, /top again at once: the standings are read again, the
    partner is not ranked (not even as «Партнёр»), Вера is first alone; nor does the week's
    leaderboard queued then rank them. On a slow machine too (standings that took long to
    compute are reused for a few seconds after a sale; not after a /forget)."""
    monkeypatch.setattr(contest_standings, "STANDINGS_SLOW", 0.0)  # every reading is slow
    await the_contest(harness, "Зульфия")
    zu = harness.user(2801, "Зульфия")
    top = await in_the_group(harness, 2803, "/top")
    assert any("1. Зульфия — 3" in post for post in top), top
    assert any("1. Вера — 1\n2. Зульфия — 1" in post for post in top), top

    await forget(zu)
    top = await in_the_group(harness, 2803, "/top")
    assert any(post.endswith("Первые продажи\n1. Вера — 1") for post in top), top
    assert not any("Партнёр" in post or "— 3" in post or "60 000" in post for post in top), top

    await harness.services.notices.weekly_leaderboard("2026-12-15")
    waiting = [text for text, _picture in (await waiting_posts(harness)).values()]
    assert waiting
    assert not any("— 3" in text for text in waiting), waiting


async def test_another_workers_standings_leave_the_partner_out_after_forget(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker (its own standings, read from the same database) had the partner
    ranked; after the /forget in this one its next reading leaves them out, however long
    its standings took to compute."""
    monkeypatch.setattr(contest_standings, "STANDINGS_SLOW", 0.0)
    await the_contest(harness, "Зульфия")
    services = harness.services
    other_db = Database.from_url(services.settings.database_url)
    other_sales = SalesService(other_db, services.content_store, services.clock)
    other = ContestService(other_db, services.content_store, services.clock,
                           services.partners, other_sales)  # fmt: skip
    try:
        contest = await other.contest("winter-sofas")
        assert contest is not None
        firsts = contest.prizes[0]
        assert firsts.category == "first_sales"
        assert [e.key for e in await other.standings(contest, firsts)] == ["ve-2802", "zu-2801"]

        await forget(harness.user(2801, "Зульфия"))
        assert [e.key for e in await other.standings(contest, firsts)] == ["ve-2802"]
    finally:
        await other_sales.close()
        await other_db.close()


async def test_a_new_name_written_in_the_group_shows_on_the_boards(harness: Harness) -> None:
    """The partner changes their Telegram name and writes in the partners' group (not to
    the bot): the boards name them by it at once. Writing in the group is not opening the
    bot: their last visit stays as it was."""
    await the_contest(harness, "Анна")
    before = await harness.services.partners.by_user("tg", 2801)
    assert before is not None
    rename(harness, 2801, "Анна-Мария", username="anna_maria")
    await in_the_group(harness, 2801, "Всем привет")

    after = await harness.services.partners.by_user("tg", 2801)
    assert after is not None
    assert (after.first_name, after.username) == ("Анна-Мария", "anna_maria")
    assert after.last_seen_at == before.last_seen_at
    top = await in_the_group(harness, 2803, "/top")
    assert any("1. Анна-Мария — 3" in post for post in top), top
