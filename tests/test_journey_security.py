"""Untrusted people and hostile input: who may act as a manager, and what a person's
words can do to the bot's messages (issue 12)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db.tables import audit_log
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

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
    assert partner is not None and partner.affiliate_status == "pending"
    ticket = await group.services.support.get(1)
    assert ticket is not None and ticket.is_open

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
    assert partner is not None and partner.affiliate_status == "pending"

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
