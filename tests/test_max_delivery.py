"""Deliveries on MAX: announcements to MAX partners, a broadcast killed mid-send, lost
answers looked up, long polling through faults, events the bot does not use, and files
across platforms. Every request is checked against MAX's OpenAPI schema by the harness."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.max.delivery import MaxDelivery
from bot.max.emulator import MaxApiEmulator
from bot.max.session import MaxSession
from bot.notices.base import private
from bot.services.partner import Partner
from tests.harness import (
    DEMO_CONTENT,
    Harness,
    running_bot,
)

MAX_COMMUNITY = -7002


@pytest.fixture
async def max_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, maxbot=True) as running:
        yield running


async def subscribed_max_partners(harness: Harness, first: int, count: int) -> list[Partner]:
    """MAX people who subscribed to everything (without walking each through onboarding)."""
    emulator = harness.max
    assert emulator is not None
    people = []
    for user_id in range(first, first + count):
        user = emulator.add_user(user_id, f"Имя{user_id}")
        partner = await harness.services.partners.touch(
            "max", user_id, user.dialog, "И", None, "ru"
        )
        people.append(await harness.services.partners.finish_onboarding(partner, consent=True))
    return people


async def test_an_announcement_to_max_partners(max_harness: Harness) -> None:
    emulator = max_harness.max
    assert emulator is not None
    people = await subscribed_max_partners(max_harness, 1000, 60)
    emulator.users[1007].stopped = True  # stopped the bot: 403
    manager = max_harness.max_manager()
    await manager.open()
    await manager.send("/announce")
    await manager.send("Новая акция: диваны −30% <до воскресенья>")
    await manager.press("👥 Всем партнёрам")
    await manager.press("Сейчас")
    assert "60 получателей" in manager.messages[-2].plain
    replies = await manager.press("✅ Отправить")
    assert replies[-1].plain.startswith("✅ Рассылка №1 поставлена в очередь: 60 сообщений")
    max_harness.allowed_errors.add("POST /messages")  # the 403 of the one who stopped
    await max_harness.deliver()
    received = [emulator.dialog_messages(p.user_id) for p in people]
    assert sum(len(messages) for messages in received) == 59
    assert received[0][-1].plain == "Новая акция: диваны −30% <до воскресенья>"
    assert received[0][-1].button_labels == ["👍", "👎"]
    stopped = await max_harness.services.partners.by_user("max", 1007)
    assert stopped is not None
    assert stopped.unreachable
    # a reaction is a callback with a notification; delivering again sends nothing more
    await max_harness.deliver()
    assert sum(len(emulator.dialog_messages(p.user_id)) for p in people) == 59
    assert emulator.rate_limited == 0


async def test_a_broadcast_killed_mid_send_resumes_with_nobody_twice(
    max_harness: Harness,
) -> None:
    emulator = max_harness.max
    assert emulator is not None
    assert max_harness.max_bot is not None
    services = max_harness.services
    people = await subscribed_max_partners(max_harness, 2000, 40)
    await services.outbox.enqueue(
        [private(f"news:1:{p.key}", "news", "news:1", p, "Одна новость для всех") for p in people]
    )

    worker = MaxDelivery(
        max_harness.max_bot, services.outbox, services.partners, max_harness.clock
    )
    task = asyncio.create_task(worker.drain())
    # the process dies as the 7th send is answered: sends in flight were done by MAX, their
    # outcomes never written
    emulator.after_requests(7, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    # a restart takes a while: what the dead process had already put on the wire reaches
    # MAX before the new one looks (the test clock moves once everything in flight is done)
    await asyncio.sleep(1.0)
    assert 0 < emulator.sent_count < 40
    session = max_harness.max_bot.session
    assert isinstance(session, MaxSession)
    assert await services.outbox.release_claims() > 0
    await MaxDelivery(
        max_harness.max_bot, services.outbox, services.partners, max_harness.clock
    ).drain()
    for partner in people:
        texts = [m.plain for m in emulator.dialog_messages(partner.user_id)]
        assert texts == ["Одна новость для всех"], partner.user_id
    assert session.found_sends > 0  # sent before the crash: found in the chat, not resent
    report = await services.outbox.report("news:1")
    assert report == {"sent": 40}


async def test_a_lost_answer_is_looked_up_not_sent_twice(max_harness: Harness) -> None:
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(330)
    await maria.onboard()
    # the answer is done by MAX and lost on the way back: found in the chat
    emulator.lose_answer("POST /messages")
    replies = await maria.send("когда выплаты")
    assert len(replies) == 1
    assert "10 и 25 числа" in replies[0].plain
    # the request is lost before MAX has it: not found in the chat, so sent again
    emulator.drop("POST /messages")
    replies = await maria.send("когда выплаты")
    assert len(replies) == 1
    session = max_harness.max_bot.session if max_harness.max_bot else None
    assert isinstance(session, MaxSession)
    assert session.checked_sends == 2
    assert session.found_sends == 1


async def test_long_polling_through_drops_and_5xx_loses_and_repeats_nothing(
    max_harness: Harness,
) -> None:
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(340)
    await maria.onboard()
    for round_, fault in enumerate(("drop", "502", "drop", "503", "drop")):
        if fault == "drop":
            emulator.drop("GET /updates")
        else:
            emulator.fail("GET /updates", int(fault), "internal.error")
        replies = await maria.send("когда выплаты")
        assert len(replies) == 1, round_
        assert "10 и 25 числа" in replies[-1].plain, round_
    # the same event delivered twice is handled once
    before = len(maria.messages)
    marker = emulator.user_message(340, "когда выплаты")
    await emulator.wait_processed(marker)
    await emulator.wait_processed(emulator.repeat_event(marker))
    assert len(maria.messages) == before + 1
    max_harness.allowed_errors.add("GET /updates")  # the injected 5xx


async def test_unknown_events_stopped_bots_and_removed_chats(tmp_path: Path) -> None:
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(MAX_COMMUNITY, "Партнёры")
    try:
        async with running_bot(
            tmp_path, maxbot=emulator, max_community_chat_id=MAX_COMMUNITY
        ) as harness:
            session = harness.max_bot.session if harness.max_bot else None
            assert isinstance(session, MaxSession)
            maria = harness.max_user(350)
            await maria.onboard()
            for kind in ("message_chat_created", "chat_title_changed", "message_chat_created"):
                await emulator.wait_processed(emulator.push_event(kind, chat_id=MAX_COMMUNITY))
            await emulator.wait_processed(
                emulator.push_event("message_created", message={"body": "not an object"})
            )
            replies = await maria.send("когда выплаты")  # and the bot still answers
            assert "10 и 25 числа" in replies[-1].plain
            assert session._ignored == {"message_chat_created", "chat_title_changed"}

            # the person stops the bot: unreachable, skipped; opening it again comes back
            await emulator.wait_processed(emulator.stop_bot(350))
            partner = await harness.services.partners.by_user("max", 350)
            assert partner is not None
            assert partner.unreachable
            await maria.open()
            partner = await harness.services.partners.by_user("max", 350)
            assert partner is not None
            assert not partner.unreachable

            # the bot is removed from the partners' chat: posts there fail quietly
            await emulator.wait_processed(emulator.remove_bot(MAX_COMMUNITY, by=350))
            assert MAX_COMMUNITY in session.unreachable_chats
            harness.allowed_errors.add("POST /messages")
            await harness.services.notices.weekly_leaderboard("test")
            await harness.deliver()
            report = await harness.services.outbox.report()
            assert report.get("blocked", 0) >= 1
            assert "10 и 25 числа" in (await maria.send("когда выплаты"))[-1].plain
    finally:
        await emulator.stop()


async def test_a_max_managers_photo_reaches_telegram_vk_and_max_with_it(
    tmp_path: Path,
) -> None:
    """A MAX manager announces with a photo: MAX partners get it by its token, Telegram
    and VK partners get it fetched from MAX (its URL) and uploaded once there."""
    picture = b"\x89PNG banner for every platform"
    async with running_bot(tmp_path, vk=True, maxbot=True) as harness:
        emulator, vk = harness.max, harness.vk
        assert emulator is not None
        assert vk is not None
        maria = harness.max_user(392)
        await maria.onboard()
        anna, boris = harness.user(720, "Анна"), harness.user(721, "Борис")
        await anna.onboard()
        await boris.onboard()
        vera = harness.vk_user(212)
        await vera.onboard()
        manager = harness.max_manager()
        await manager.open()
        await manager.send("/announce")
        photo = emulator.attach("image", "banner.png", picture)
        marker = emulator.user_message(manager.user_id, "Новые баннеры", files=[photo])
        await emulator.wait_processed(marker)
        await manager.press("👥 Всем партнёрам")
        await manager.press("Сейчас")
        await manager.press("✅ Отправить")
        await harness.deliver()
        assert maria.last.plain == "Новые баннеры"
        assert maria.last.files == [photo]  # its token passed on
        for person in (anna, boris):
            assert person.last.kind == "photo"
            assert person.last.caption == "Новые баннеры"
        uploaded = [data for _name, data in harness.emulator.files.values()]
        assert uploaded == [picture]  # fetched and uploaded to Telegram once
        assert vera.last.text == "Новые баннеры"
        assert vera.last.attachments[0].startswith("photo-777_")
        assert [data for _name, data in vk.uploads.values()] == [picture]


async def test_a_chats_messages_arrive_in_the_order_they_were_queued(
    max_harness: Harness,
) -> None:
    """A message with a picture to upload, queued first, is not overtaken by the text
    queued after it for the same person (the worker sends several rows at once)."""
    from dataclasses import replace

    emulator = max_harness.max
    assert emulator is not None
    (vera, anna) = await subscribed_max_partners(max_harness, 1300, 2)
    banner = str(DEMO_CONTENT / "files" / "sofa-728x90.png")
    with_picture = replace(
        private(f"news:8:{vera.key}", "news", "news:8", vera, "Новый баннер"), photo=banner
    )
    queued = [
        with_picture,
        private(f"sale:1:{vera.key}", "sales", None, vera, "Продажа №1 одобрена"),
        private(f"sale:1:{anna.key}", "sales", None, anna, "Продажа Анны"),
        private(f"sale:2:{vera.key}", "sales", None, vera, "Продажа №2 одобрена"),
    ]
    for message in queued:
        await max_harness.services.outbox.enqueue([message])
        max_harness.clock.advance(0.001)
    await max_harness.deliver()
    assert [m.plain for m in emulator.dialog_messages(vera.user_id)] == [
        "Новый баннер",
        "Продажа №1 одобрена",
        "Продажа №2 одобрена",
    ]
    assert [m.plain for m in emulator.dialog_messages(anna.user_id)] == ["Продажа Анны"]
