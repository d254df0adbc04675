"""/forget reaches the updates still waiting in the database on every platform (session 27).

A stop now keeps the VK and MAX long poll's updates it cut short (`bot.webhook.PolledReader`,
platforms `vk` and `max-poll`), and MAX's webhook stores each event as it comes (`max`):
their bodies hold the person's name and words until handled. /forget emptied only
Telegram's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.db.tables import webhook_updates
from tests.harness import Harness, running_bot

OTHER = 999  # someone else: their updates wait on


def _polled(user_id: int, text: str) -> dict[str, Any]:
    """A kept long-polled update (bot.webhook.PolledReader's body)."""
    person = {"id": user_id, "is_bot": False, "first_name": "Имя"}
    message = {
        "message_id": 1,
        "date": 1,
        "chat": {"id": user_id, "type": "private"},
        "from": person,
        "text": text,
    }
    return {"update": {"message": message}, "event": None}


def _max_event(user_id: int, text: str) -> dict[str, Any]:
    """An event as MAX's webhook posts it (bot.webhook.CallbackReader's body)."""
    return {
        "update_type": "message_created",
        "timestamp": 1,
        "message": {
            "sender": {"user_id": user_id, "name": "Имя"},
            "recipient": {"chat_id": 10_000 + user_id, "chat_type": "dialog"},
            "body": {"mid": f"mid.{user_id}", "seq": 1, "text": text},
        },
    }


async def _waiting(harness: Harness, rows: list[tuple[str, int, dict[str, Any]]]) -> None:
    now = harness.clock.now()
    async with harness.services.db.write() as conn:
        for platform, key, body in rows:
            await conn.execute(
                webhook_updates.insert().values(
                    platform=platform, update_id=key, body=body, received_at=now, taken_at=now
                )
            )


async def _bodies(harness: Harness) -> dict[tuple[str, int], Any]:
    async with harness.services.db.read() as conn:
        rows = await conn.execute(sa.select(webhook_updates))
        return {(row.platform, row.update_id): row.body for row in rows}


async def test_forget_on_vk_empties_the_vk_updates_still_waiting(tmp_path: Path) -> None:
    async with running_bot(tmp_path, vk=True) as harness:
        vera = harness.vk_user(211)
        await vera.onboard()
        await _waiting(
            harness,
            [
                ("vk", 1, _polled(211, "мой секрет")),
                ("vk", 2, _polled(OTHER, "чужое")),
                ("tg", 3, {"update_id": 3, "message": {"from": {"id": 211}, "text": "tg"}}),
            ],
        )
        await vera.send("/forget")
        await vera.press(vera.last.button_labels[0])
        assert "данные удалены" in vera.last.text
        bodies = await _bodies(harness)
        assert bodies[("vk", 1)] == {}
        assert bodies[("vk", 2)] == _polled(OTHER, "чужое")
        assert bodies[("tg", 3)] != {}  # Telegram's 211 is another person


async def test_forget_on_max_empties_its_webhook_events_and_kept_updates(tmp_path: Path) -> None:
    async with running_bot(tmp_path, maxbot=True) as harness:
        maria = harness.max_user(313)
        await maria.onboard()
        await _waiting(
            harness,
            [
                ("max", 1, _max_event(313, "мой секрет")),
                ("max", 2, _max_event(OTHER, "чужое")),
                ("max-poll", 3, _polled(313, "ещё секрет")),
                ("vk", 4, _polled(313, "vk")),
            ],
        )
        await maria.send("/forget")
        await maria.press(maria.last.button_labels[0])
        assert "данные удалены" in maria.last.plain
        bodies = await _bodies(harness)
        assert bodies[("max", 1)] == {}
        assert bodies[("max-poll", 3)] == {}
        assert bodies[("max", 2)] == _max_event(OTHER, "чужое")
        assert bodies[("vk", 4)] != {}  # VK's 313 is another person
