"""/forget blanks the posts already sent (to the partners' group, to the managers) that
name the partner — by the name as the posts show it, whole: not a piece of another word
(«Анна» in «Жанна» or «Аннабель», «Иван» in «Иванов») nor of another partner's longer
name («Анна Петрова», «Анна-Мария»). Found literally, whatever the name holds (HTML's
«&», «<» and quotes, regex and LIKE metacharacters, emoji, bidi marks), on SQLite and
PostgreSQL alike. The partner's own rows go blank whatever they say, as before."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.db.tables import outbox
from bot.notices.base import private
from bot.services.conversions import ConversionIn
from bot.services.outbox_enqueue import COMMUNITY, OutMessage
from bot.telegram.emulator import RateLimits
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

GROUP = -1009876543210


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(GROUP, "Партнёры МебельДом")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(tmp_path, emulator=emulator, tg_community_chat_id=GROUP) as running:
            yield running


async def _sent_posts(harness: Harness, posts: dict[str, str]) -> None:
    """Posts in the partners' group (by key, their HTML), sent."""
    await harness.services.outbox.enqueue(
        [
            OutMessage(key=f"test:{key}", kind=COMMUNITY, platform="tg", chat_id=GROUP, text=text)
            for key, text in posts.items()
        ]
    )
    await harness.deliver()


async def _texts(harness: Harness) -> dict[str, str]:
    """What the outbox keeps of each post (by the key given to `_sent_posts`)."""
    query = sa.select(outbox.c.key, outbox.c.text, outbox.c.status).where(
        outbox.c.key.startswith("test:"), outbox.c.kind == COMMUNITY
    )
    async with harness.services.db.read() as conn:
        rows = list(await conn.execute(query))
    assert {row.status for row in rows} == {"sent"}
    return {row.key.removeprefix("test:"): row.text for row in rows}


async def _partner(harness: Harness, user_id: int, name: str) -> Client:
    client = harness.user(user_id, name)
    await client.onboard()
    return client


async def _forget(client: Client) -> None:
    await client.send("/forget")
    await client.press("Да, удалить")


async def test_forget_blanks_the_posts_naming_the_partner_not_those_naming_others(
    harness: Harness,
) -> None:
    anna = await _partner(harness, 2401, "Анна")
    for number, name in enumerate(("Анна Петрова", "Жанна", "Анна-Мария", "Мария Анна")):
        await _partner(harness, 2402 + number, name)
    posts = {
        "anna": "🏆 Лидеры недели\n1. Анна — 3\n2. Борис — 1",
        "bold": "<b>Анна</b>, поздравляем!",
        "both": "1. Анна Петрова — 3\n2. Анна — 1",
        "end": "Лучшая неделя у: Анна",
        "petrova": "🏆 Лидеры недели\n1. Анна Петрова — 3",
        "zhanna": "1. Жанна — 2",
        "hyphen": "1. Анна-Мария — 2",
        "maria": "1. Мария Анна — 2",
        "annabel": "1. Аннабель — 1",
        "lower": "1. анна — 1",
    }
    await _sent_posts(harness, posts)
    partner = await harness.services.partners.by_user("tg", 2401)
    assert partner is not None
    await harness.services.outbox.enqueue(
        [private("test:own", "news", None, partner, "Вебинар в четверг")]
    )
    await harness.deliver()
    own = sa.select(outbox.c.id).where(outbox.c.key == "test:own")
    async with harness.services.db.read() as conn:
        own_id = (await conn.execute(own)).scalar_one()

    await _forget(anna)
    texts = await _texts(harness)
    blanked = {key for key, text in texts.items() if text == ""}
    assert blanked == {"anna", "bold", "both", "end"}, texts
    assert texts["petrova"] == posts["petrova"]
    # her own message is blank whatever it said, as before
    own = sa.select(outbox.c.key, outbox.c.text).where(outbox.c.id == own_id)
    async with harness.services.db.read() as conn:
        assert tuple((await conn.execute(own)).one()) == (f"forgotten:{own_id}", "")


async def test_forget_of_ivan_keeps_ivanov(harness: Harness) -> None:
    ivan = await _partner(harness, 2411, "Иван")
    await _partner(harness, 2412, "Иван Иванов")
    posts = {
        "ivan": "1. Иван — 3",
        "ivanov": "1. Иванов — 2",
        "full": "1. Иван Иванов — 1",
        "ivanovich": "Иванович, Иванна и Иваныч",
        "digits": "1. Иван2 — 1",
    }
    await _sent_posts(harness, posts)
    await _forget(ivan)
    texts = await _texts(harness)
    assert {key for key, text in texts.items() if text == ""} == {"ivan"}, texts


# (the name typed, the name as the bot shows it, posts that name someone else)
HOSTILE: list[tuple[str, str, list[str]]] = [
    ("Зульфия & <Ко>", "Зульфия & <Ко>", ["1. Зульфия — 2", "1. Зульфия &amp; Ко — 1"]),
    ("Ан.на*+?()[]", "Ан.на*+?()[]", ["1. Анна — 2", "1. Анxнааа — 1", "1. Ан.на — 1"]),
    ("%Анна_", "%Анна_", ["1. xАннаy — 2", "1. %Анна_ов — 1", "1. ЖАнна_ — 1"]),
    ("Анна 🌸", "Анна 🌸", ["1. Анна — 2", "1. МариАнна 🌸 — 1"]),
    ("🦄🐱", "🦄🐱", ["1. 🦄 — 2", "1. 🐱🦄 — 1"]),
    ("\u200fאנה\u200f", "אנה", ["1. אנהב — 2", "1. \u200fבאנה — 1"]),
    ("Д'Артаньян", "Д'Артаньян", ["1. Артаньян — 2", "1. Д&#x27;Артаньянов — 1"]),
    ("Ян", "Ян", ["1. Янина — 2", "1. Богдан Ян_ — 1", "1. ЯН — 1"]),
]


@pytest.mark.parametrize(
    ("typed", "shown", "others"),
    HOSTILE,
    ids=["html", "regex", "like", "emoji-after", "emoji-only", "rtl", "quote", "short"],
)
async def test_forget_finds_a_hostile_name_literally_and_whole(
    harness: Harness, typed: str, shown: str, others: list[str]
) -> None:
    client = await _partner(harness, 2421, typed)
    partner = await harness.services.partners.by_user("tg", 2421)
    assert partner is not None
    assert partner.first_name == shown
    posts: dict[str, Any] = {
        "board": f"🏆 Лидеры недели\n1. {html.escape(shown)} — 3",  # as the boards write it
        "plain": f"Поздравляем: {html.escape(shown, quote=False)}!",
        **{f"other{number}": text for number, text in enumerate(others)},
    }
    await _sent_posts(harness, posts)
    await _forget(client)
    texts = await _texts(harness)
    assert {key for key, text in texts.items() if text == ""} == {"board", "plain"}, texts


async def test_forget_finds_a_name_run_into_the_words_of_a_script_without_spaces(
    harness: Harness,
) -> None:
    client = await _partner(harness, 2431, "王伟")
    await _sent_posts(
        harness, {"board": "1. 王伟 — 3", "run": "恭喜王伟获胜！", "other": "1. 王 — 2"}
    )
    await _forget(client)
    texts = await _texts(harness)
    assert {key for key, text in texts.items() if text == ""} == {"board", "run"}, texts


async def test_a_waiting_board_naming_another_anna_is_left_as_it_is(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/forget writes again the group's posts still waiting that name the partner; a
    leaderboard naming «Анна Петрова» and «Жанна» does not name «Анна»."""
    anna = await _partner(harness, 2441, "Анна")
    for user_id, name in ((2442, "Анна Петрова"), (2443, "Жанна")):
        await _partner(harness, user_id, name)
        person = await harness.services.partners.by_user("tg", user_id)
        assert person is not None
        await harness.services.partners.approve_link(
            await harness.services.partners.request_link(person, f"aff-{user_id}")
        )
        await harness.services.sales.record(
            ConversionIn(f"aff-{user_id}", f"s-{user_id}", "approved", Decimal(5000), "RUB",
                         harness.clock.now()),
            "postback",
        )  # fmt: skip
    await harness.services.notices.weekly_leaderboard(harness.clock.now().date().isoformat())
    outbox_service = harness.services.outbox
    found: list[Any] = []
    naming = outbox_service.posts_naming

    async def posts_naming(*args: Any) -> Any:
        posts = await naming(*args)
        found.extend(posts)
        return posts

    monkeypatch.setattr(outbox_service, "posts_naming", posts_naming)
    await _forget(anna)
    assert found == []
    await harness.deliver()
    board = next(
        m.plain for m in harness.emulator.chat_messages(GROUP) if "Анна Петрова" in m.plain
    )
    assert "Жанна" in board, board
