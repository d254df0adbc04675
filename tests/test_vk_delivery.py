"""Deliveries on VK: broadcasts in few requests (`peer_ids`, `execute`), a broadcast
killed halfway, flood control and error 6, long-poll failures, and a Telegram photo
reaching VK."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db.tables import partners
from bot.notices.base import private
from bot.services.partner import Partner
from bot.vk.delivery import VkDelivery
from tests.harness import (
    Harness,
    running_bot,
)

FORUM = -1001234567890


@pytest.fixture
async def vk_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as running:
        yield running


async def subscribed_vk_partners(harness: Harness, first: int, count: int) -> list[Partner]:
    """VK people who subscribed to everything (without walking each through onboarding)."""
    people = []
    for user_id in range(first, first + count):
        harness.vk_user(user_id, f"Имя{user_id}")
        partner = await harness.services.partners.touch("vk", user_id, user_id, "И", None, "ru")
        people.append(await harness.services.partners.finish_onboarding(partner, consent=True))
    return people


async def test_announcement_to_500_vk_partners_in_few_requests(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    now = vk_harness.clock.now()
    people = [(300_000 + n, f"Партнёр {n}") for n in range(500)]
    async with vk_harness.services.db.write() as conn:
        await conn.execute(
            partners.insert(),
            [
                {
                    "platform": "vk",
                    "user_id": user_id,
                    "chat_id": user_id,
                    "first_name": name,
                    "onboarded": True,
                    "consent": True,
                    "partner_code": f"V{user_id}",
                    "created_at": now,
                    "last_seen_at": now,
                    "answers": {},
                    "subscriptions": {},
                }
                for user_id, name in people
            ],
        )
    for user_id, name in people:
        vk.add_user(user_id, name)
    vk.users[300_007].allowed = False  # never allowed messages from the community: 901
    manager = vk_harness.vk_manager()
    await manager.send("/start")
    await manager.send("/announce")
    await manager.send("Новая акция: диваны −30% <до воскресенья>")
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    header = manager.messages[-2].text
    assert "500 получателей" in header
    replies = await manager.press("✅ Отправить")
    assert replies[-1].text.startswith("✅ Рассылка №1 поставлена в очередь: 500 сообщений")
    requests_before = len(vk.requests)
    await vk_harness.deliver()
    sends = [r for r in vk.requests[requests_before:] if r.method == "messages.send"]
    assert len(sends) == 5  # 100 recipients a request
    received = [vk.chat_messages(user_id) for user_id, _ in people]
    assert sum(len(messages) for messages in received) == 499
    assert received[0][-1].text == "Новая акция: диваны −30% <до воскресенья>"
    assert received[0][-1].button_labels == ["👍", "👎"]
    blocked = await vk_harness.services.partners.by_user("vk", 300_007)
    assert blocked is not None
    assert blocked.unreachable
    # delivering again sends nothing more
    await vk_harness.deliver()
    assert sum(len(vk.chat_messages(user_id)) for user_id, _ in people) == 499


async def test_long_poll_failures_and_drops_lose_and_repeat_nothing(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    vera = vk_harness.vk_user(204)
    await vera.onboard()
    answered = []
    for round_, fault in enumerate((1, 2, 3, "drop", 1, "drop", 3)):
        if fault == "drop":
            vk.drop_long_poll()
        else:
            vk.fail_long_poll(int(fault))
        replies = await vera.send("когда выплаты")
        answered.append(len(replies))
        assert "10 и 25 числа" in replies[-1].text, round_
    assert answered == [1] * 7  # each question answered once

    # the same event delivered twice is handled once
    before = len(vera.messages)
    ts = vk.user_message(204, "когда выплаты")
    await vk.wait_processed(ts)
    again = vk.repeat_event(ts)
    await vk.wait_processed(again)
    assert len(vera.messages) == before + 1


async def test_personalised_sends_go_25_to_an_execute(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    people = await subscribed_vk_partners(vk_harness, 400, 60)
    await vk_harness.services.outbox.enqueue(
        [private(f"digest:t:{p.key}", "digest", None, p, f"Ваш код {p.id}") for p in people]
    )
    before = len(vk.requests)
    await vk_harness.deliver()
    executes = [r for r in vk.requests[before:] if r.method == "execute"]
    assert len(executes) == 3  # 25 + 25 + 10
    for partner in people:
        (received,) = vk.chat_messages(partner.user_id)
        assert received.text == f"Ваш код {partner.id}"


async def test_a_broadcast_killed_halfway_resumes_with_no_duplicates(
    vk_harness: Harness,
) -> None:
    vk = vk_harness.vk
    assert vk is not None
    assert vk_harness.vk_bot is not None
    services = vk_harness.services
    people = await subscribed_vk_partners(vk_harness, 500, 40)
    same = [
        private(f"news:1:{p.key}", "news", "news:1", p, "Одна новость для всех") for p in people
    ]
    own = [private(f"digest:1:{p.key}", "digest", None, p, f"Лично для {p.id}") for p in people]
    await services.outbox.enqueue(same + own)

    def crash_after(requests: int) -> None:
        """The process dies once `requests` sends have reached VK: the worker's task is
        cancelled with answers unwritten (the threads finish their requests)."""
        vk.after_requests(requests, task.cancel)

    worker = VkDelivery(vk_harness.vk_bot, services.outbox, services.partners, vk_harness.clock)
    task = asyncio.create_task(worker.drain())
    crash_after(2)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert 0 < vk.sent_count < 80
    # a new worker (the restarted process) drops the dead one's claims and finishes the job
    assert await services.outbox.release_claims() > 0
    await VkDelivery(
        vk_harness.vk_bot, services.outbox, services.partners, vk_harness.clock
    ).drain()
    for partner in people:
        texts = [m.text for m in vk.chat_messages(partner.user_id)]
        assert sorted(texts) == sorted(["Одна новость для всех", f"Лично для {partner.id}"])
    assert vk.duplicates_refused > 0  # the resent requests were dropped by random_id


async def test_flood_control_cools_down_that_recipient_only(vk_harness: Harness) -> None:
    vk = vk_harness.vk
    assert vk is not None
    services = vk_harness.services
    people = await subscribed_vk_partners(vk_harness, 600, 3)
    vk.flooded.add(601)
    await services.outbox.enqueue(
        [private(f"news:9:{p.key}", "news", "news:9", p, "Новость") for p in people]
    )
    await vk_harness.deliver()
    assert [len(vk.chat_messages(p.user_id)) for p in people] == [1, 0, 1]
    report = await services.outbox.report("news:9")
    assert report["queued"] == 1
    # later, the flood control lifted, it goes
    vk.flooded.clear()
    vk_harness.clock.advance(11 * 60)
    await vk_harness.deliver()
    assert [len(vk.chat_messages(p.user_id)) for p in people] == [1, 1, 1]


async def test_too_many_requests_are_retried_not_lost() -> None:
    """Error 6 holds every call for the second, then each is tried again: nothing lost,
    nothing sent inside the window."""
    from dataclasses import replace

    from bot.pacing import VK, Pacer
    from bot.vk.client import VkClient
    from bot.vk.emulator import VkApiEmulator
    from tests.harness import VirtualTime

    time = VirtualTime()
    vk = VkApiEmulator(rate=10, monotonic=time.now)
    await vk.start()
    for peer in range(1, 16):
        vk.add_user(peer, "Вера")
    # a pacing that believes in 1000 a second: the emulator's 10 refuse the rest
    pacer = Pacer(replace(VK, per_second=1000), "777", timer=time)
    client = VkClient(vk.token, vk.base_url, pacer=pacer)
    try:
        results = await asyncio.gather(
            *(
                client("messages.send", peer_ids=[peer], random_id=peer, message=f"№{peer}")
                for peer in range(1, 16)
            )
        )
    finally:
        client.close()
        await vk.stop()
    assert len(results) == 15
    assert vk.rate_limited > 0  # the emulator refused some with error 6
    assert vk.window_violations == 0
    assert [m.text for peer in range(1, 16) for m in vk.chat_messages(peer)] == [
        f"№{peer}" for peer in range(1, 16)
    ]


async def test_flood_control_holds_that_peer_and_keeps_its_order() -> None:
    """Error 9 for one peer: that peer waits, its messages in order; others go on."""
    from bot.pacing import VK, Pacer
    from bot.vk.client import VkClient
    from bot.vk.emulator import VkApiEmulator
    from tests.harness import VirtualTime

    time = VirtualTime()
    vk = VkApiEmulator(monotonic=time.now, peer_burst=1, peer_rate=0.5)
    await vk.start()
    vk.add_user(1, "Вера")
    vk.add_user(2, "Анна")
    client = VkClient(vk.token, vk.base_url, pacer=Pacer(VK, "777", timer=time))
    try:
        await asyncio.gather(
            *(
                client("messages.send", peer_ids=[peer], random_id=n, message=f"{peer}:{n}")
                for n in range(1, 5)
                for peer in (1, 2)
            )
        )
    finally:
        client.close()
        await vk.stop()
    assert vk.flood_refused > 0
    assert vk.window_violations == 0
    assert [m.text for m in vk.chat_messages(1)] == [f"1:{n}" for n in range(1, 5)]
    assert [m.text for m in vk.chat_messages(2)] == [f"2:{n}" for n in range(1, 5)]
    assert not vk.duplicates


async def test_a_chats_messages_arrive_in_the_order_they_were_queued(
    vk_harness: Harness,
) -> None:
    """A sale notice queued before an announcement reaches the person before it, though
    the announcement (one text for many) and the notices (one text each) go in different
    requests; a third message after both comes last."""
    vk = vk_harness.vk
    assert vk is not None
    people = await subscribed_vk_partners(vk_harness, 700, 4)
    vera = people[0]
    notices = [
        private(f"sale:{n}:{vera.key}", "sales", None, vera, f"Продажа №{n} одобрена")
        for n in (1, 2)
    ]
    news = [private(f"news:7:{p.key}", "news", "news:7", p, "Новость для всех") for p in people]
    after = private(f"digest:7:{vera.key}", "digest", None, vera, "Ваша неделя")
    for message in (*notices, *news, after):
        await vk_harness.services.outbox.enqueue([message])
        vk_harness.clock.advance(0.001)
    await vk_harness.deliver()
    assert [m.text for m in vk.chat_messages(vera.user_id)] == [
        "Продажа №1 одобрена",
        "Продажа №2 одобрена",
        "Новость для всех",
        "Ваша неделя",
    ]
    for partner in people[1:]:
        assert [m.text for m in vk.chat_messages(partner.user_id)] == ["Новость для всех"]
    sends = [r for r in vk.requests if r.method == "messages.send"]
    assert any(len(r.params.get("peer_ids", [])) > 1 for r in sends)  # still one request
