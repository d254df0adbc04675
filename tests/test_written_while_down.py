"""What partners write while the bot is down is answered once it is back, on every
platform: Telegram keeps the updates not confirmed; VK's long poll goes on from the `ts`
the last leader kept; MAX's from the `marker` it kept — without one MAX sends "only the
latest update" (its spec), so two messages written during a deploy lost the first."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.max.client import MaxClient
from bot.max.emulator import MaxApiEmulator
from bot.telegram.emulator import BotApiEmulator
from tests.harness import MAX_MANAGER_ID, VK_MANAGER_ID
from tests.processes import until
from tests.test_stop_mid_update import (
    QUESTION,
    STOPPED_WITHIN,
    max_worker,
    production,
    sigterm,
    started,
    telegram,
    vk_answers,
    vk_polls,
    vk_worker,
)

__all__ = ["telegram"]  # the fixture, shared with the stop tests

pytestmark = pytest.mark.timeout(90)


async def test_what_vk_partners_write_while_the_bot_is_down_is_answered_after_the_start(
    tmp_path: Path, telegram: BotApiEmulator
) -> None:
    """VK's long poll starts where the last leader stopped reading (its `ts`, kept in the
    database): a message written during a deploy is answered once the bot is back — VK
    keeps the events, as Telegram keeps the updates not confirmed."""
    async with vk_worker(tmp_path, telegram) as (vk, settings):
        async with production(settings) as running:
            await started(telegram, running)
            # a first start reads from VK's newest
            await until(lambda: vk_polls(vk), "VK's long poll", 20)
            vk.user_message(VK_MANAGER_ID, QUESTION)
            await until(lambda: vk_answers(vk), "the first answer", 20)
            sigterm()
            await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)
        vk.user_message(VK_MANAGER_ID, "А " + QUESTION.lower())  # while the bot is down
        async with production(settings) as running:
            await started(telegram, running)
            await until(lambda: len(vk_answers(vk)) == 2, "the answer to what came meanwhile", 20)
            sigterm()
            await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)
        assert len(vk_answers(vk)) == 2  # the first question is not answered again


async def test_what_max_partners_write_while_the_bot_is_down_is_answered_after_the_start(
    tmp_path: Path, telegram: BotApiEmulator
) -> None:
    async with max_worker(tmp_path, telegram) as (maxbot, settings, answered):
        async with production(settings) as running:
            await started(telegram, running)
            await until(lambda: maxbot.polls > 0, "MAX's long poll", 20)
            maxbot.user_message(MAX_MANAGER_ID, QUESTION)
            await until(answered, "the first answer", 20)
            sigterm()
            await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)
        # two questions while the bot is down (a deploy): MAX would send only the second
        # to a poll without the marker
        maxbot.user_message(MAX_MANAGER_ID, "А " + QUESTION.lower())
        maxbot.user_message(MAX_MANAGER_ID, "И ещё раз: " + QUESTION.lower())
        async with production(settings) as running:
            await started(telegram, running)
            await until(lambda: len(answered()) == 3, "the answers to what came meanwhile", 20)
            sigterm()
            await asyncio.wait_for(asyncio.shield(running), STOPPED_WITHIN)
        assert len(answered()) == 3  # the first question is not answered again


async def test_the_max_emulator_sends_only_the_latest_update_to_a_poll_without_marker() -> None:
    """The spec of `GET /updates`: without `marker` "you get only the latest update"; with
    the marker of an earlier answer, every update since."""
    maxbot = MaxApiEmulator(rate=10_000)
    await maxbot.start()
    maxbot.add_user(MAX_MANAGER_ID, "Макс")
    client = MaxClient(maxbot.token, maxbot.base_url)
    try:
        first = maxbot.user_message(MAX_MANAGER_ID, "раз")
        maxbot.user_message(MAX_MANAGER_ID, "два")
        last = maxbot.user_message(MAX_MANAGER_ID, "три")
        answer = await client.request("GET", "/updates", params={"timeout": 0})
        assert [u["message"]["body"]["text"] for u in answer["updates"]] == ["три"]
        assert answer["marker"] == last + 1
        again = await client.request("GET", "/updates", params={"timeout": 0, "marker": first})
        assert [u["message"]["body"]["text"] for u in again["updates"]] == ["раз", "два", "три"]
    finally:
        await client.close()
        await maxbot.stop()
