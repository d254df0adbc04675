"""MAX on the shared pacing layer (`bot.pacing`, `MAX` limits): every request of a MAX
token — of every worker, through Redis when it is configured — within MAX's 30 a second,
people before broadcasts, and a 429 holding every sender. Against the MAX emulator on a
virtual clock (its 30-a-second limit counted on the same clock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.max.client import MaxClient, max_pacer
from bot.max.emulator import MaxApiEmulator, MaxUser
from bot.pacing import MAX, Pacer, Pacers, bulk
from tests.harness import VirtualTime
from tests.test_pacing import STORES, another, make_store


@pytest.fixture
async def emulator() -> AsyncIterator[MaxApiEmulator]:
    api = MaxApiEmulator()  # MAX's published 30 requests a second, 429 beyond
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


async def send(client: MaxClient, user: MaxUser, text: str) -> None:
    await client.request(
        "POST",
        "/messages",
        params={"chat_id": user.dialog},
        body={"text": text, "attachments": None, "link": None},
    )


@pytest.mark.parametrize("kind", STORES)
async def test_two_workers_share_one_budget(emulator: MaxApiEmulator, kind: str) -> None:
    """Two processes sending for one token (say a reply worker and the delivery
    worker), one request each in turn: together within 30 a second (each on its own
    would take 30), so MAX refuses nothing."""
    time = VirtualTime()
    emulator.monotonic = time.now
    user = emulator.add_user(1, "Мария")
    store = make_store(kind)
    token = f"{emulator.token}-{kind}"  # a key of its own on a shared Redis
    clients = [
        MaxClient(
            emulator.token,
            emulator.base_url,
            pacer=max_pacer(Pacers(each, time), token),
            sleep=time.sleep,
        )
        for each in (store, another(store, kind))
    ]
    try:
        for n in range(45):
            for client in clients:
                await send(client, user, f"{n}")
    finally:
        for client in clients:
            await client.close()
    assert emulator.rate_limited == 0
    assert len(emulator.chat_messages(user.dialog)) == 90
    assert time.now() >= 89 / MAX.per_second


async def test_people_go_before_a_broadcast(emulator: MaxApiEmulator) -> None:
    time = VirtualTime()
    emulator.monotonic = time.now
    partner, person = emulator.add_user(1, "Мария"), emulator.add_user(2, "Олег")
    client = MaxClient(
        emulator.token,
        emulator.base_url,
        pacer=max_pacer(Pacers(timer=time), emulator.token),
        sleep=time.sleep,
    )
    done: list[str] = []
    under_way = asyncio.Event()

    async def broadcast() -> None:
        with bulk():
            for n in range(40):
                await send(client, partner, f"рассылка {n}")
                done.append("bulk")
                if n == 5:
                    under_way.set()

    async def reply() -> None:
        await under_way.wait()
        await send(client, person, "ответ")
        done.append("reply")

    try:
        await asyncio.gather(broadcast(), reply())
    finally:
        await client.close()
    assert emulator.rate_limited == 0
    assert done.index("reply") <= 8  # not behind the broadcast's queue


async def test_a_429_holds_every_sender_then_everything_arrives(
    emulator: MaxApiEmulator,
) -> None:
    """A limit the pacing did not know of (another program on the same token): MAX
    answers 429, every sender of the token waits a second, and nothing is lost."""
    emulator.rate = 5
    user = emulator.add_user(1, "Мария")
    client = MaxClient(
        emulator.token, emulator.base_url, pacer=Pacer(replace(MAX, per_second=1000), "fast")
    )
    try:
        await asyncio.gather(*(send(client, user, f"№{n}") for n in range(12)))
    finally:
        await client.close()
    assert emulator.rate_limited > 0  # refused with 429 …
    assert client.rate_limited > 0
    assert client.pacer.holds > 0  # … and every sender held back
    assert sorted(m.text for m in emulator.chat_messages(user.dialog)) == sorted(
        f"№{n}" for n in range(12)
    )
