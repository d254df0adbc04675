"""The schedule with an injected clock: a contest's whole timeline, a reminder missed while
the bot was down, two fires of the same moment, weekly sends across a daylight-saving
switch, a broadcast killed halfway, a 429 storm."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.content.models import WeeklyMoment
from bot.services.conversions import ConversionIn
from bot.services.outbox_enqueue import OutMessage
from bot.telegram.delivery import Delivery
from bot.telegram.emulator import RateLimits, SentMessage
from bot.telegram.session import create_bot, telegram_pacer
from scheduler.planner import Planner, last_weekly
from tests.harness import MANAGER_ID, Client, Harness, chats_emulator, running_bot

COMMUNITY = -1009876543210


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(COMMUNITY, "Партнёры МебельДом")
        emulator.add_user(MANAGER_ID, "Михаил")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=COMMUNITY
        ) as running:
            yield running


def at(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


async def tick(harness: Harness) -> int:
    queued = await harness.services.planner.tick()
    await harness.deliver()
    return queued


async def partner_with_sales(
    harness: Harness, user_id: int, affiliate: str, name: str = "Анна"
) -> Client:
    client = harness.user(user_id, name)
    await client.onboard()
    person = await harness.services.partners.by_user("tg", user_id)
    assert person is not None
    await harness.services.partners.approve_link(
        await harness.services.partners.request_link(person, affiliate)
    )
    return client


def texts(client: Client, since: int) -> list[str]:
    return [m.plain for m in client.messages[since:]]


def posts(harness: Harness, since: int) -> list[str]:
    return [m.plain for m in harness.emulator.chat_messages(COMMUNITY)[since:]]


async def test_a_contest_timeline_from_announcement_to_results(harness: Harness) -> None:
    anna = await partner_with_sales(harness, 901, "tl-1")
    # the demo contest: 14.12 00:00 – 28.12 23:59:59 Moscow, hold 14 days
    mark, chat = len(anna.messages), len(posts(harness, 0))
    assert await tick(harness) > 0
    assert any(t.startswith("📣 Новый конкурс!") for t in texts(anna, mark))
    assert any(t.startswith("📣 Новый конкурс!") for t in posts(harness, chat))
    assert await harness.services.planner.tick() == 0  # a second fire queues nothing

    at(harness, datetime(2026, 12, 11, 9, 0, tzinfo=UTC))  # 3 days before, 12:00 Moscow
    mark = len(anna.messages)
    await tick(harness)
    # the days and hours left when it goes: 2 days 12 hours to 14.12 00:00
    assert [t for t in texts(anna, mark) if t.startswith("⏰")] == [
        "⏰ До старта конкурса «Зимний марафон диванов» осталось 2 дня и 12 часов — начинаем"
        " 14.12.2026 00:00. Правила: /contests"
    ]
    at(harness, datetime(2026, 12, 13, 9, 0, tzinfo=UTC))
    mark = len(anna.messages)
    await tick(harness)
    reminders = [t for t in texts(anna, mark) if t.startswith("⏰")]
    assert len(reminders) == 1  # the 3-day one is not sent again
    assert "осталось меньше суток" in reminders[0]  # 12 hours

    at(harness, datetime(2026, 12, 14, 7, 0, tzinfo=UTC))  # 10:00 Moscow, it runs
    mark = len(anna.messages)
    await tick(harness)
    assert any(
        t.startswith("🚀 Конкурс «Зимний марафон диванов» начался!") for t in texts(anna, mark)
    )
    for n in range(3):
        await harness.services.sales.record(
            ConversionIn("tl-1", f"tl-{n}", "approved", Decimal(20000), "RUB",
                         datetime(2026, 12, 15, 9, 0, tzinfo=UTC)),
            "csv",
        )  # fmt: skip

    at(harness, datetime(2026, 12, 21, 7, 0, tzinfo=UTC))  # a week in: standings
    chat = len(posts(harness, 0))
    await tick(harness)
    week = harness.emulator.chat_messages(COMMUNITY)[chat:]
    standings = [m for m in week if m.plain.startswith("🏆 Зимний марафон диванов")]
    assert len(standings) == 3
    assert all(m.kind == "photo" for m in standings)

    at(harness, datetime(2026, 12, 28, 7, 0, tzinfo=UTC))  # the last day
    mark = len(anna.messages)
    await tick(harness)
    assert any(t.startswith("⏳ Последний день конкурса") for t in texts(anna, mark))

    at(harness, datetime(2027, 1, 11, 21, 30, tzinfo=UTC))  # results after the hold: night
    mark, chat = len(anna.messages), len(posts(harness, 0))
    await tick(harness)
    # the quiet hours: neither the group (was: at 00:30) nor the winner hears them yet
    assert not any(t.startswith("🏁 Итоги конкурса") for t in posts(harness, chat))
    assert not any(t.startswith("🎉 Поздравляем!") for t in texts(anna, mark))
    at(harness, datetime(2027, 1, 12, 6, 5, tzinfo=UTC))  # 09:05 Moscow
    await tick(harness)
    assert any(
        t.startswith("🏁 Итоги конкурса «Зимний марафон диванов»") for t in posts(harness, chat)
    )
    congratulations = [t for t in texts(anna, mark) if t.startswith("🎉 Поздравляем!")]
    assert len(congratulations) == 1
    assert "• Больше всего продаж: №1 — Ставка 15% на январь" in congratulations[0]


async def test_a_reminder_missed_while_down_is_skipped_after_the_start(harness: Harness) -> None:
    anna = await partner_with_sales(harness, 902, "tl-2")
    await tick(harness)  # announced
    at(harness, datetime(2026, 12, 12, 7, 0, tzinfo=UTC))  # down across the 3-day reminder
    mark = len(anna.messages)
    await tick(harness)  # back before the start: the 1-day reminder is due, the 3-day too late?
    reminders = [t for t in texts(anna, mark) if t.startswith("⏰")]
    assert len(reminders) == 1  # each reminder key once; the 3-day one still before the start
    assert "остался 1 день и 14 часов" in reminders[0]  # as it goes late
    at(harness, datetime(2026, 12, 14, 7, 0, tzinfo=UTC))  # down across the 1-day reminder
    mark = len(anna.messages)
    await tick(harness)
    assert not any(t.startswith("⏰") for t in texts(anna, mark))  # it has started: no reminder
    assert any(t.startswith("🚀") for t in texts(anna, mark))


async def test_two_fires_and_a_restart_queue_each_moment_once(harness: Harness) -> None:
    await partner_with_sales(harness, 903, "tl-3")
    first, second = await asyncio.gather(
        harness.services.planner.tick(), harness.services.planner.tick()
    )
    services = harness.services
    again = Planner(
        services.content_store, services.contests, services.partners, services.notices,
        services.clock, services.settings.tz, services.announcements,
    )  # fmt: skip
    assert first + second > 0
    assert await again.tick() == 0  # a restarted process: the keys are in the outbox
    keys = Counter((await services.outbox.report()).keys())
    assert keys


def test_weekly_moments_keep_their_local_hour_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    friday_noon = WeeklyMoment(weekday="fri", time="12:00")
    before = last_weekly(datetime(2026, 10, 23, 10, 30, tzinfo=UTC), friday_noon, berlin)
    after = last_weekly(datetime(2026, 10, 30, 11, 30, tzinfo=UTC), friday_noon, berlin)
    assert before.astimezone(UTC) == datetime(2026, 10, 23, 10, 0, tzinfo=UTC)  # CEST
    assert after.astimezone(UTC) == datetime(2026, 10, 30, 11, 0, tzinfo=UTC)  # CET
    assert (before.hour, after.hour) == (12, 12)
    # just before the first occurrence after the switch: still the previous week's
    early = last_weekly(datetime(2026, 10, 30, 10, 30, tzinfo=UTC), friday_noon, berlin)
    assert early.date().isoformat() == "2026-10-23"


async def test_the_digest_goes_at_noon_berlin_time_after_the_switch(tmp_path: Path) -> None:
    async with running_bot(tmp_path, timezone="Europe/Berlin") as harness:
        anna = await partner_with_sales(harness, 904, "tl-4")
        at(harness, datetime(2026, 10, 30, 10, 30, tzinfo=UTC))  # 11:30 in Berlin (CET)
        mark = len(anna.messages)
        await tick(harness)
        assert not any(t.startswith("🗞") for t in texts(anna, mark))
        at(harness, datetime(2026, 10, 30, 11, 1, tzinfo=UTC))  # 12:01 in Berlin
        await tick(harness)
        digests = [t for t in texts(anna, mark) if t.startswith("🗞")]
        assert len(digests) == 1
        assert "За 7 дней: 0 подтверждённых продаж на 0 ₽" in digests[0]
        # the landing added on 27.10 is new this week (content/creatives.yaml `added`)
        assert "🎨 Новые материалы: Лендинг «Диваны со скидкой» — /creatives" in digests[0]
        await tick(harness)
        assert len([t for t in texts(anna, mark) if t.startswith("🗞")]) == 1


async def test_a_broadcast_killed_halfway_resumes_without_losing_anyone(tmp_path: Path) -> None:
    async with running_bot(tmp_path, limits=RateLimits.off()) as harness:
        chats = list(range(5000, 5060))
        for chat in chats:
            harness.user(chat, f"P{chat}")
        await harness.services.outbox.enqueue(
            [OutMessage(f"kill:{chat}", "community", "tg", chat, "Новость") for chat in chats]
        )
        emulator = harness.emulator
        pacer = telegram_pacer(harness.services.pacers, emulator.token)
        sender = create_bot(emulator.token, emulator.base_url, pacer=pacer)
        worker = Delivery(
            sender, harness.services.outbox, harness.services.partners, harness.clock, rate=200
        )
        halfway = asyncio.Event()
        sent: list[int] = []

        def count(message: SentMessage) -> None:
            sent.append(message.chat_id)
            if len(sent) >= 20:
                halfway.set()

        emulator.listeners.append(count)
        task = asyncio.create_task(worker.run())
        await asyncio.wait_for(halfway.wait(), 10)
        task.cancel()  # killed abruptly, with requests in flight
        with pytest.raises(asyncio.CancelledError):
            await task
        await sender.session.close()
        # a new worker (the harness's) resumes from the outbox; starting, it drops the
        # claims of the one that died, as `Delivery.run` does
        assert await harness.services.outbox.release_claims() > 0
        await harness.deliver()
        counts = [len(emulator.chat_messages(chat)) for chat in chats]
        assert min(counts) == 1  # nobody lost
        assert sum(counts) - len(chats) <= 8  # duplicates: at most the requests in flight


async def test_a_429_storm_is_waited_out_and_nothing_is_sent_inside_a_window(
    tmp_path: Path,
) -> None:
    limits = RateLimits(global_per_second=10, chat_burst=1000)
    async with running_bot(tmp_path, limits=limits) as harness:
        harness.allowed_errors.add("sendMessage")
        chats = list(range(6000, 6040))
        for chat in chats:
            harness.user(chat, f"P{chat}")
        emulator = harness.emulator
        pacer = telegram_pacer(harness.services.pacers, emulator.token)
        sender = create_bot(emulator.token, emulator.base_url, pacer=pacer)
        worker = Delivery(  # paced at 40/s against a 10/s limit: a storm of 429s
            sender,
            harness.services.outbox,
            harness.services.partners,
            harness.clock,
            rate=40,
            sleep=harness.pacing.sleep,
            monotonic=harness.pacing.now,
        )
        await harness.services.outbox.enqueue(
            [OutMessage(f"storm:{chat}", "community", "tg", chat, "Шторм") for chat in chats]
        )
        while (await harness.services.outbox.report()).get("queued"):
            await worker.drain()
        await sender.session.close()
        assert emulator.rate_limited > 0
        assert pacer.holds > 0  # each 429 held every sender for its window
        assert emulator.window_violations == 0
        assert [len(emulator.chat_messages(chat)) for chat in chats] == [1] * len(chats)


async def test_the_running_bot_has_the_planner_and_its_own_sender(harness: Harness) -> None:
    from bot.app import create_background

    background = create_background(harness.dp, harness.services, harness.emulator.base_url)
    try:
        assert {job.id for job in background.scheduler.get_jobs()} == {"planner", "ticket-sla"}
        assert [worker.platform for worker in background.workers] == ["tg"]
    finally:
        for worker in background.workers:
            await worker.close()


async def test_each_running_platform_gets_its_delivery_worker(tmp_path: Path) -> None:
    from bot.app import create_background

    async with running_bot(tmp_path, vk=True, maxbot=True) as harness:
        background = create_background(harness.dp, harness.services, harness.emulator.base_url)
        try:
            assert [worker.platform for worker in background.workers] == ["tg", "vk", "max"]
            by_platform = {worker.platform: worker for worker in background.workers}
            assert by_platform["vk"]._bot is harness.services.platforms.get("vk")
            assert by_platform["max"]._bot is harness.services.platforms.get("max")
        finally:
            for worker in background.workers:
                await worker.close()


async def test_schedule_shows_the_chat_posts_when_there_is_a_chat(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    lines = (await manager.send("/schedule"))[-1].plain.splitlines()
    assert any(line.endswith("рейтинг недели (чат) — чат партнёров") for line in lines)
    assert any(line.endswith("анонс конкурса «Зимний марафон диванов» — чат партнёров")
               for line in lines)  # fmt: skip
