"""The FAQ's matching runs beside the event loop, not on it: a long question read by the
sentence encoders (tens of milliseconds, a few hundred for a long one) holds up no other
partner, no button and no delivery meanwhile. (The harness handles one platform's updates
one at a time, so the partner answered meanwhile writes on VK.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.content.store import ContentStore
from bot.services.faq_matching import FaqMatcher
from tests.harness import Client, Harness, VkClient, running_bot

WAIT = 5.0  # seconds the slow match waits for the other partner's answer


async def _new_message(client: Client | VkClient, before: int) -> None:
    for _ in range(int(WAIT / 0.01)):
        if len(client.messages) > before:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no answer for {client.user_id}")


@pytest.fixture
async def both(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as harness:
        yield harness


async def _started(state: dict[str, Any]) -> None:
    for _ in range(int(WAIT / 0.01)):
        if state["calls"]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the matcher was not called")


def _slowed(monkeypatch: pytest.MonkeyPatch, method: str) -> dict[str, Any]:
    """The matcher's `method` waits (in whatever thread it runs) until the test says the
    other partner was answered, or WAIT seconds; records which."""
    state: dict[str, Any] = {"go": threading.Event(), "calls": 0, "released": []}
    real = getattr(FaqMatcher, method)

    def slow(self: FaqMatcher, *args: Any, **kwargs: Any) -> Any:
        state["calls"] += 1
        state["released"].append(state["go"].wait(WAIT))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FaqMatcher, method, slow)
    return state


async def test_another_partner_is_answered_while_a_question_is_matched(
    both: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna, vera = both.user(701), both.vk_user(201)
    await anna.onboard()
    state = _slowed(monkeypatch, "match")
    anna_before, vera_before = len(anna.messages), len(vera.messages)
    asked = both.emulator.user_message(anna.user_id, "Когда выплаты?")
    await _started(state)  # Anna's question is being matched
    assert both.vk is not None
    both.vk.user_message(vera.user_id, "Начать", peer_id=vera.peer_id)
    await _new_message(vera, vera_before)
    state["go"].set()
    await _new_message(anna, anna_before)
    await both.emulator.wait_processed(asked, within=30)
    assert state["released"] == [True]  # Vera was answered while Anna's match still ran
    assert "выплат" in anna.last.plain.lower()


async def test_the_gaps_in_stats_are_read_beside_the_loop(
    both: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/stats re-reads the gaps' wordings with the matcher: beside the loop too."""
    anna, vera = both.user(701), both.vk_user(201)
    await anna.onboard()
    await anna.send("сколько стоит аренда склада в Казани")  # a gap
    manager = both.manager()
    state = _slowed(monkeypatch, "match")
    manager_before, vera_before = len(manager.messages), len(vera.messages)
    stats = both.emulator.user_message(manager.user_id, "/stats")
    await _started(state)
    assert both.vk is not None
    both.vk.user_message(vera.user_id, "Начать", peer_id=vera.peer_id)
    await _new_message(vera, vera_before)
    state["go"].set()
    await _new_message(manager, manager_before)
    await both.emulator.wait_processed(stats, within=30)  # /stats says all it has to
    assert state["released"][0] is True


async def test_a_reload_builds_the_faq_beside_the_loop(
    both: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/reload builds the new content's FAQ index (with e5, a new 500-entry FAQ is ~30 s
    of encoding): a partner on another platform is answered meanwhile."""
    vera = both.vk_user(201)
    manager = both.manager()
    await manager.send("/start")
    started, go = threading.Event(), threading.Event()
    released: list[bool] = []
    real = ContentStore._build

    def slow(content: Any) -> Any:
        started.set()
        released.append(go.wait(WAIT))
        return real(content)

    monkeypatch.setattr(ContentStore, "_build", staticmethod(slow))
    manager_before, vera_before = len(manager.messages), len(vera.messages)
    reload = both.emulator.user_message(manager.user_id, "/reload")
    for _ in range(int(WAIT / 0.01)):
        if started.is_set():
            break
        await asyncio.sleep(0.01)
    assert both.vk is not None
    both.vk.user_message(vera.user_id, "Начать", peer_id=vera.peer_id)
    await _new_message(vera, vera_before)
    go.set()
    await _new_message(manager, manager_before)
    await both.emulator.wait_processed(reload, within=30)
    assert released == [True]  # Vera was answered while the content was being built
