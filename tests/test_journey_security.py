"""Untrusted people and hostile input: who may act as a manager, and what a person's
words can do to the bot's messages (issue 12)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.clock import FakeClock
from bot.db import tables
from bot.db.tables import audit_log, webhook_updates
from bot.webhook import SECRET_HEADER
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot
from tests.test_scale import SECRET, webhook_bot

GROUP = -4005006
INTRUDER = 777001  # a member of the managers' chat who is not in MANAGERS


@pytest.fixture
async def group(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator() as emulator:
        emulator.add_group(GROUP, "Менеджеры")
        emulator.add_user(MANAGER_ID, "Михаил")
        emulator.add_user(INTRUDER, "Стажёр")
        async with running_bot(tmp_path, emulator=emulator, tg_managers_chat_id=GROUP) as harness:
            yield harness


async def in_chat(
    harness: Harness, user_id: int, text: str, *, reply_to: int | None = None
) -> None:
    harness.clock.advance(1)
    update = harness.emulator.user_message(user_id, text, chat_id=GROUP, reply_to=reply_to)
    await harness.emulator.wait_processed(update)


async def _audit(harness: Harness) -> list[tuple[str, str, bool]]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.allowed).order_by(
                audit_log.c.id
            )
        )
        return [(row.actor, row.action, row.allowed) for row in rows]


async def test_membership_of_the_managers_chat_grants_nothing(group: Harness) -> None:
    anna = group.user(601, "Анна")
    await anna.onboard()
    await anna.send("/link aff-601")
    await anna.send("/support Где акт за сентябрь?")
    card = next(m for m in group.emulator.chat_messages(GROUP) if "Обращение №1" in m.plain)
    before_partner = len(anna.messages)
    before_chat = len(group.emulator.chat_messages(GROUP))

    # an unknown command in the managers' chat gets no answer; so does every manager
    # command from someone who is not a manager
    await in_chat(group, INTRUDER, "/frobnicate")
    for command in ("/partner tg:601", "/approve_link tg:601", "/tickets", "/stats", "/reload"):
        await in_chat(group, INTRUDER, command)
    for command in ("/close", "/t payout-delay"):
        await in_chat(group, INTRUDER, command, reply_to=card.message_id)
    await in_chat(group, INTRUDER, "Это я, бот, отвечаю вам", reply_to=card.message_id)
    await in_chat(group, INTRUDER, "!заметка", reply_to=card.message_id)
    assert len(group.emulator.chat_messages(GROUP)) == before_chat
    assert len(anna.messages) == before_partner
    partner = await group.services.partners.by_user("tg", 601)
    assert partner is not None
    assert partner.affiliate_status == "pending"
    ticket = await group.services.support.get(1)
    assert ticket is not None
    assert ticket.is_open

    # the link request card's buttons: "no longer available" for the intruder
    link_card = next(
        m for m in group.emulator.chat_messages(GROUP) if "✅ Подтвердить" in m.button_labels
    )
    intruder = Client(group, INTRUDER)
    label = "✅ Подтвердить"
    group.clock.advance(1)
    update = group.emulator.press(INTRUDER, link_card, label)
    await group.emulator.wait_processed(update)
    assert intruder.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
    partner = await group.services.partners.by_user("tg", 601)
    assert partner is not None
    assert partner.affiliate_status == "pending"

    refused = [(a, allowed) for actor, a, allowed in await _audit(group) if actor == "tg:777001"]
    assert refused == [
        ("partner", False), ("approve_link", False), ("tickets", False), ("stats", False),
        ("reload", False), ("close", False), ("t", False), ("reply", False),
        ("approve_link", False),
    ]  # fmt: skip

    # the real manager still can, and /tickets is audited
    await in_chat(group, MANAGER_ID, "/tickets")
    assert "№1" in group.emulator.chat_messages(GROUP)[-1].plain
    await in_chat(group, MANAGER_ID, "Пришлём сегодня", reply_to=card.message_id)
    assert anna.last.plain == "Пришлём сегодня"
    allowed = [a for actor, a, ok in await _audit(group) if actor == f"tg:{MANAGER_ID}" and ok]
    assert allowed == ["tickets", "reply"]


async def test_tickets_in_private_is_audited(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/tickets")
    assert await _audit(harness) == [(f"tg:{MANAGER_ID}", "tickets", True)]


async def test_webhook_update_ids_are_validated_and_bodies_purged(tmp_path: Path) -> None:
    async with webhook_bot(tmp_path) as (emulator, inbox, url), aiohttp.ClientSession() as http:
        emulator.add_user(101, "Анна")
        update = emulator.take_update(emulator.user_message(101, "/start"))
        headers = {SECRET_HEADER: SECRET}
        for bad in (update["update_id"] + 0.9, 2**63, -1, "7", True, None, [1]):
            async with http.post(url, json={**update, "update_id": bad}, headers=headers) as r:
                assert r.status == 400, bad
                assert "update_id" in (await r.json())["error"]
        for body in ([update], "x", 12):
            async with http.post(url, json=body, headers=headers) as r:
                assert r.status == 400
        assert inbox.received == 0  # the real update with that id is not taken as a duplicate
        async with http.post(url, json=update, headers=headers) as r:
            assert r.status == 200
        await inbox.drain()
        assert any("Здравствуйте" in m.plain for m in emulator.chat_messages(101))
        async with inbox._db.read() as conn:
            rows = list(await conn.execute(sa.select(webhook_updates)))
        assert [(row.update_id, row.body) for row in rows] == [(update["update_id"], {})]
        assert rows[0].handled_at is not None

        # a handled update's key is kept while Telegram may resend it, then dropped
        clock = inbox._clock
        assert isinstance(clock, FakeClock)
        clock.advance(3 * 24 * 3600)
        await inbox.recover()
        async with inbox._db.read() as conn:
            assert list(await conn.execute(sa.select(webhook_updates))) == []


async def test_forget_leaves_nothing_personal_in_any_table(harness: Harness) -> None:
    """Every table of bot/db/tables.py is searched for the forgotten partner's ids, name,
    username, code and words; only conversions (business records, by affiliate id) stay."""
    manager = harness.manager()
    await manager.send("/start")
    zu = harness.user(4242, "Зульфия")
    await zu.onboard()
    await zu.send("когда выплаты у Зульфии")
    await zu.send("/link aff-zu-77")
    await zu.send("/support Мой телефон +7 900 111-22-33")
    await manager.send("/partner tg:4242")
    await manager.send("/approve_link tg:4242")
    row = await harness.services.partners.by_user("tg", 4242)
    assert row is not None
    code = row.partner_code
    await zu.send("/forget")
    await zu.press("Да, удалить")
    assert "данные удалены" in zu.last.plain

    needles = ("4242", "Зульфия", "Зульфии", "user4242", code, "111-22-33")
    assert await _found_anywhere(harness, needles) == []


async def _found_anywhere(harness: Harness, needles: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Where in the database (but conversions) any of `needles` is still written."""
    found: list[tuple[str, ...]] = []
    async with harness.services.db.read() as conn:
        for table in tables.metadata.sorted_tables:
            if table.name in ("conversions", "conversion_events", "alembic_version"):
                continue
            for record in await conn.execute(sa.select(table)):
                for column, value in record._mapping.items():
                    text = str(value)
                    found += [(table.name, column, text) for n in needles if n in text]
    return found


async def test_forget_leaves_no_trace_of_refused_manager_commands(tmp_path: Path) -> None:
    """A partner (Telegram, VK, MAX) who tried managers' commands is refused and audited;
    after /forget those audit rows say `forgotten` instead of their platform id, and keep
    none of their words, while a manager's own rows keep the manager."""
    async with running_bot(tmp_path, vk=True, maxbot=True) as harness:
        manager = harness.manager()
        await manager.send("/start")
        tg, vk, mx = (
            harness.user(700001, "Тагир"),
            harness.vk_user(700002),
            harness.max_user(700003),
        )
        for person, key in ((tg, "tg:700001"), (vk, "vk:700002"), (mx, "max:700003")):
            await person.onboard()
            await person.send(f"/partner {key}")
            await person.send("/t thanks секретик")
            await person.send("/stats")
        await manager.send("/partner tg:700001")
        refused = await _audit(harness)
        assert ("tg:700001", "partner", False) in refused
        assert ("vk:700002", "t", False) in refused
        assert ("max:700003", "stats", False) in refused

        # someone else's refused command naming her, and another partner whose id starts alike
        await harness.services.audit.record(
            "tg:777", "partner", details="tg:700001 tg:7000019", allowed=False
        )

        await tg.send("/forget")
        await tg.press("Да, удалить")
        await vk.send("/forget")
        await vk.press(vk.last.button_labels[0])
        await mx.send("/forget")
        await mx.press(mx.last.button_labels[0])
        for platform, user_id in (("tg", 700001), ("vk", 700002), ("max", 700003)):
            assert await harness.services.partners.by_user(platform, user_id) is None

        needles = ("700001", "700002", "700003", "секретик")
        assert await _found_anywhere(harness, needles) == [
            ("audit_log", "details", "forgotten tg:7000019")
        ]
        rows = await _audit(harness)
        assert rows.count(("forgotten", "partner", False)) == 3
        assert rows.count(("forgotten", "t", False)) == 3
        assert (f"tg:{MANAGER_ID}", "partner", True) in rows  # the manager is still named


HUGE = "99999999999999999999"  # over 2**63: SQLite raises OverflowError, PostgreSQL a DataError


async def test_oversized_numbers_in_buttons_and_commands(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(4301)
    await anna.onboard()
    menu = anna.last
    for data in (
        f"t:rate:{HUGE}:up", f"t:close:{HUGE}:", f"a:helped:{HUGE}:", f"a:manager:{HUGE}:",
        f"a:pick:{HUGE}:payout-dates", f"rx:{HUGE}:up", "t:rate:-5:up", "t:rate:1e3:up",
        "ob:opt:²", "t:rate:²:up",
    ):  # fmt: skip
        await anna.press_data(menu, data)
        assert anna.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
    for data in (f"lk:approve:{HUGE}", f"an:cancel:{HUGE}", "an:cancel:²", f"ct:open:{'x' * 60}"):
        await manager.press_data(manager.last, data)
        answer = manager.callback_answers()[-1].get("text", "")
        assert "больше" in answer or "нет" in answer.lower(), (data, answer)
    for query in (f"tg:{HUGE}", f"vk:-{HUGE}", HUGE, f"tg:{2**63}", "tg:²", "vk:٣"):
        replies = await manager.send(f"/partner {query}")
        assert replies[-1].plain == f"Партнёр «{query}» не найден."
        replies = await manager.send(f"/approve_link {query}")
        assert replies[-1].plain == f"Партнёр «{query}» не найден."  # review 20
    # the bot is alive and well
    replies = await anna.send("когда выплаты")
    assert "10 и 25 числа" in replies[-1].plain


async def test_a_long_ticket_text_reaches_the_managers_whole(group: Harness) -> None:
    anna = group.user(4401, "Анна")
    await anna.onboard()
    await anna.send("/support Не пришла выплата")
    long_text = ("Подробности & «детали» <важно> 🙂 " * 160).strip()  # ≈ 5 300 characters
    replies = await anna.send(f"/support {long_text}")
    assert replies[-1].plain.startswith("Обращение №1")
    managers = group.emulator.chat_messages(GROUP)
    relayed = "".join(m.plain for m in managers if "Подробности" in m.plain)
    squeeze = "".join(long_text.split())
    assert squeeze in "".join(relayed.split())
    ticket = await group.services.support.get(1)
    assert ticket is not None


async def test_a_partner_is_never_told_sent_when_nothing_was(group: Harness) -> None:
    anna = group.user(4402, "Анна")
    await anna.onboard()
    await anna.send("/support Первый вопрос")
    group.emulator.chats.pop(GROUP)  # the managers' chat is gone (the bot was removed)
    group.allowed_errors.update({"sendMessage", "copyMessage", "getChat"})
    replies = await anna.send("/support и ещё одно")
    assert not replies[-1].plain.startswith("Обращение №1 открыто")
    assert "Не удалось передать" in replies[-1].plain


async def test_a_long_question_is_kept_whole_and_one_tap_away(group: Harness) -> None:
    anna = group.user(4501, "Анна")
    await anna.onboard()
    words = " ".join(f"подробность{n}" for n in range(400))  # ≈ 5 200 characters
    question = f"Почему не начислили бонус? {words} конец"
    await anna.send(question)  # an FAQ miss, then "Ask a manager"
    await anna.press(next(b for b in anna.last.button_labels if "менеджер" in b.lower()))
    async with group.services.db.read() as conn:
        logged = (await conn.execute(sa.select(tables.faq_questions.c.question))).scalars()
        assert question in list(logged)
    ticket = await group.services.support.get(1)
    assert ticket is not None
    assert ticket.question == question
    card = next(m for m in group.emulator.chat_messages(GROUP) if "Обращение №1" in m.plain)
    shown = card.plain.split("Вопрос: ", 1)[1].split("\n", 1)[0]
    assert shown.endswith("…")
    assert question.startswith(shown[:-1])
    assert shown[:-1].split()[-1] in question.split()  # cut at a word
    assert card.button_labels == ["📄 Вопрос целиком"]

    # a non-manager's tap is refused; a manager's brings the whole text
    group.clock.advance(1)
    await group.emulator.wait_processed(group.emulator.press(INTRUDER, card, "📄 Вопрос целиком"))
    before = len(group.emulator.chat_messages(GROUP))
    assert before == len(group.emulator.chat_messages(GROUP))
    group.clock.advance(1)
    await group.emulator.wait_processed(
        group.emulator.press(MANAGER_ID, card, "📄 Вопрос целиком")
    )
    parts = group.emulator.chat_messages(GROUP)[before:]
    assert len(parts) >= 2
    whole = "".join(m.plain for m in parts)
    assert "".join(question.split()) in "".join(whole.split())


async def test_reload_plans_a_new_contest_at_once_and_refuses_paths_out(tmp_path: Path) -> None:
    import shutil

    from tests.harness import DEMO_CONTENT

    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    shutil.rmtree(content / "contests")
    async with running_bot(tmp_path, content_dir=content) as harness:
        manager = harness.manager()
        await manager.send("/start")
        for user_id in (4601, 4602):
            await harness.user(user_id).onboard()

        creatives = content / "creatives.yaml"
        original = creatives.read_text(encoding="utf-8")
        creatives.write_text(
            original.replace("file: files/sofa-728x90.png", "file: /etc/passwd", 1), "utf-8"
        )
        replies = await manager.send("/reload")
        assert "creatives.yaml:4: file /etc/passwd: outside the content folder" in (
            replies[-1].plain
        )
        creatives.write_text(original, encoding="utf-8")

        (content / "contests").mkdir()
        cup = (DEMO_CONTENT / "contests" / "winter-sofas.yaml").read_text(encoding="utf-8")
        cup = cup.replace('title: "Зимний марафон диванов"', 'title: "Кубок & <чемпионов>"')
        (content / "contests" / "cup.yaml").write_text(cup, encoding="utf-8")
        replies = await manager.send("/reload")
        text = replies[-1].plain
        assert text.startswith("Контент обновлён")
        assert "«Кубок & <чемпионов>» будет объявлен 2 партнёрам сейчас." in text
        async with harness.services.db.read() as conn:
            queued = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(tables.outbox)
                    .where(tables.outbox.c.subject == "contest:winter-sofas")
                )
            ).scalar()
        assert queued == 2  # in the outbox now, not at the next planner minute
        replies = await manager.send("/reload")  # nothing new: nothing planned twice
        assert "будет объявлен" not in replies[-1].plain


def test_digits_that_int_refuses_are_not_numbers() -> None:
    from bot.services.contest_drafts import DraftError, read_hold_days

    for text in ("²", "①", "1²"):
        with pytest.raises(DraftError):
            read_hold_days(text)


async def test_closing_someone_elses_ticket_is_refused_as_a_forged_press(group: Harness) -> None:
    """Review 2, N3: a forged close for another partner's open ticket leaves it open and
    answers "no longer available" (not "already closed"), and is logged."""
    anna = group.user(4501, "Анна")
    await anna.onboard()
    await anna.send("/support Не пришла выплата")
    boris = group.user(4502, "Борис")
    await boris.onboard()
    ((ticket, _name, _code, _who),) = await group.services.support.open_tickets()
    await boris.press_data(boris.last, f"t:close:{ticket.id}:")
    assert boris.callback_answers()[-1]["text"].startswith("Этот пункт больше недоступен")
    still = await group.services.support.get(ticket.id)
    assert still is not None
    assert still.is_open
