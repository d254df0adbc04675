"""Automated messages through the outbox: sale notifications with the standing, the first
and round-number sales and a new tier congratulated; quiet hours, /stop, topics, blocked
partners and the same moment decided twice."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.i18n import Translator
from bot.services.conversions import ConversionIn
from bot.services.outbox_enqueue import OutMessage
from tests.harness import Client, Harness, announce_demo_contest

NOON = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow


async def linked(harness: Harness, user_id: int, name: str, affiliate: str) -> Client:
    client = harness.user(user_id, name)
    await client.onboard()
    person = await harness.services.partners.by_user("tg", user_id)
    assert person is not None
    person = await harness.services.partners.request_link(person, affiliate)
    await harness.services.partners.approve_link(person)
    return client


async def postback(
    harness: Harness, affiliate: str, number: str, status: str = "approved"
) -> None:
    """A conversion the way the HTTP endpoint hands it over (group commit)."""
    item = ConversionIn(affiliate, number, status, Decimal(1500), "RUB", NOON)
    await harness.services.sales.submit(item)


async def test_a_sale_is_announced_with_the_standing_and_milestones(harness: Harness) -> None:
    await announce_demo_contest(harness)
    anna = await linked(harness, 801, "Анна", "a-1")
    boris = await linked(harness, 802, "Борис", "b-1")
    for n in range(3):
        await postback(harness, "b-1", f"b{n}")
    await harness.deliver()
    before = len(anna.messages)

    await postback(harness, "a-1", "a0", status="pending")
    await harness.deliver()
    assert len(anna.messages) == before  # pending: nothing yet

    await postback(harness, "a-1", "a0")
    await harness.deliver()
    texts = [m.plain for m in anna.messages[before:]]
    assert texts == [
        "✅ Продажа подтверждена.\nВы №2 в зачёте «Рейтинг месяца», до №1 — 2.",
        "🎉 Ваша первая подтверждённая продажа! Отличное начало — дальше будет проще.",
    ]  # the base tier starts at 0 sales: nothing new to congratulate
    # the congratulation goes right after its own sale's notice (outbox_sales.in_order)
    told = [m.plain for m in boris.messages if m.plain.startswith("✅")]
    # his three sales came together: one notice (since session 20; three before)
    assert told == ["✅ Подтверждены 3 продажи.\nВы №1 в зачёте «Рейтинг месяца»."], told

    await postback(harness, "a-1", "a0")  # the same postback again: nothing new
    await harness.deliver()
    assert len(anna.messages) == before + 2

    for n in range(1, 10):  # nine more in one go: the 10th sale and a new tier
        await postback(harness, "a-1", f"a{n}")
    await harness.deliver()
    texts = [m.plain for m in anna.messages[before + 2 :]]
    assert "🎉 10 подтверждённых продаж! Так держать." in texts
    assert "🏅 Новый уровень: Серебро! 10% с продаж" in texts
    assert texts.count("🎉 10 подтверждённых продаж! Так держать.") == 1


async def test_the_standing_told_is_fresh_on_a_machine_however_slow(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Standings that took long to compute are reused for a few seconds after a change (a
    big program under a stream of sales). Seconds of the services' clock: on a loaded
    machine real seconds pass while a test's time stands still, and the standing a sale
    notice tells must not be the one from before the sale."""
    import bot.services.contest_standings as standings

    ticks = itertools.count(step=0.3)  # every reading of the real clock 0.3 s later
    slow = type("SlowTime", (), {"perf_counter": staticmethod(lambda: next(ticks))})
    monkeypatch.setattr(standings, "time", slow)
    monkeypatch.setattr(standings, "STANDINGS_SLOW", 0.25)  # as in production
    await announce_demo_contest(harness)
    anna = await linked(harness, 811, "Анна", "a-11")
    await linked(harness, 812, "Борис", "b-12")
    for n in range(3):
        await postback(harness, "b-12", f"b{n}")
    await harness.deliver()
    await postback(harness, "a-11", "a0")
    await harness.deliver()
    assert anna.messages[-2].plain == (
        "✅ Продажа подтверждена.\nВы №2 в зачёте «Рейтинг месяца», до №1 — 2."
    )


async def test_sales_topic_off_and_stop_silence_the_notices(harness: Harness) -> None:
    anna = await linked(harness, 803, "Анна", "a-3")
    partner = await harness.services.partners.by_user("tg", 803)
    assert partner is not None
    await harness.services.partners.set_subscription(partner, "sales", False)
    before = len(anna.messages)
    await postback(harness, "a-3", "x1")
    await harness.deliver()
    assert len(anna.messages) == before

    await harness.services.partners.set_subscription(partner, "sales", True)
    await postback(harness, "a-3", "x2")
    await harness.services.sales.settle()  # queued, not yet sent …
    await anna.send("/stop")  # … and /stop stops it at once
    after_stop = len(anna.messages)
    await harness.deliver()
    assert len(anna.messages) == after_stop
    report = await harness.services.outbox.report()
    assert report.get("skipped", 0) >= 1


async def test_quiet_hours_hold_private_messages_until_morning(harness: Harness) -> None:
    anna = await linked(harness, 804, "Анна", "a-4")
    partner = await harness.services.partners.by_user("tg", 804)
    assert partner is not None
    evening = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    harness.clock.advance((evening - harness.clock.now()).total_seconds())
    message = OutMessage("test:quiet:1", "news", "tg", partner.chat_id, "Новость", partner.id)
    await harness.services.outbox.enqueue([message])
    before = len(anna.messages)
    await harness.deliver()
    assert len(anna.messages) == before
    harness.clock.advance(5 * 3600)  # 04:00 in Moscow: still quiet
    await harness.deliver()
    assert len(anna.messages) == before
    harness.clock.advance(5 * 3600)  # 09:00: the quiet hours are over
    await harness.deliver()
    assert anna.last.plain == "Новость"


async def test_the_same_key_is_queued_once_and_the_weekly_cap_holds(harness: Harness) -> None:
    anna = await linked(harness, 805, "Анна", "a-5")
    partner = await harness.services.partners.by_user("tg", 805)
    assert partner is not None
    outbox = harness.services.outbox

    def note(n: int) -> OutMessage:
        return OutMessage(f"test:cap:{n}", "news", "tg", partner.chat_id, f"№{n}", partner.id)

    first = await outbox.enqueue([note(1), note(1)])
    again = await outbox.enqueue([note(1)])
    assert (first.queued, again.queued, again.duplicate) == (1, 0, 1)
    capped = await outbox.enqueue([note(n) for n in range(2, 9)])
    assert (capped.queued, capped.capped) == (4, 3)  # 5 a week (program.yaml)
    before = len(anna.messages)
    await harness.deliver()
    assert [m.plain for m in anna.messages[before:]] == ["№1", "№2", "№3", "№4", "№5"]
    harness.clock.advance(timedelta(days=7, seconds=1).total_seconds())
    assert (await outbox.enqueue([note(20)])).queued == 1


async def test_a_partner_who_blocked_the_bot_is_marked_and_skipped(harness: Harness) -> None:
    await linked(harness, 806, "Анна", "a-6")
    partner = await harness.services.partners.by_user("tg", 806)
    assert partner is not None
    harness.emulator.block_bot(806, notify=False)  # the bot missed the my_chat_member update
    harness.allowed_errors.add("sendMessage")
    outbox = harness.services.outbox
    await outbox.enqueue(
        [OutMessage("test:block:1", "news", "tg", partner.chat_id, "Раз", partner.id)]
    )
    await harness.deliver()
    marked = await harness.services.partners.by_user("tg", 806)
    assert marked is not None
    assert marked.unreachable
    await outbox.enqueue(
        [OutMessage("test:block:2", "news", "tg", partner.chat_id, "Два", partner.id)]
    )
    await harness.deliver()
    report = await outbox.report()
    assert (report.get("blocked"), report.get("skipped")) == (1, 1)


async def test_blocking_and_deactivation_are_learned_and_kept(harness: Harness) -> None:
    await linked(harness, 808, "Анна", "a-8")
    await linked(harness, 809, "Борис", "b-9")
    partners = harness.services.partners
    update = harness.emulator.block_bot(808)  # Telegram tells the bot (my_chat_member)
    assert update is not None
    await harness.emulator.wait_processed(update)
    anna = await partners.by_user("tg", 808)
    assert anna is not None
    assert anna.unreachable
    harness.emulator.deactivate(809)  # a deleted account: learned from the 403
    harness.allowed_errors.add("sendMessage")
    boris = await partners.by_user("tg", 809)
    assert boris is not None
    await harness.services.outbox.enqueue(
        [
            OutMessage("test:gone:a", "news", "tg", anna.chat_id, "А", anna.id),
            OutMessage("test:gone:b", "news", "tg", boris.chat_id, "Б", boris.id),
        ]
    )
    await harness.deliver()
    report = await harness.services.outbox.report()
    assert (report.get("skipped"), report.get("blocked")) == (1, 1)
    boris = await partners.by_user("tg", 809)
    assert boris is not None
    assert boris.unreachable
    update = harness.emulator.block_bot(808, blocked=False)  # unblocked: reachable again
    assert update is not None
    await harness.emulator.wait_processed(update)
    anna = await partners.by_user("tg", 808)
    assert anna is not None
    assert not anna.unreachable


@pytest.mark.parametrize(
    ("count", "text"),
    [(1, "Продажа подтверждена"), (2, "Подтверждены 2 продажи"), (5, "Подтверждено 5 продаж"),
     (21, "Подтверждена 21 продажа"), (12, "Подтверждено 12 продаж")],
)  # fmt: skip
def test_russian_plurals_in_sale_notices(count: int, text: str) -> None:
    assert text in Translator().get("ru")("sale-approved", count=count)


@pytest.mark.parametrize(
    ("days", "text"), [(1, "остался 1 день"), (3, "осталось 3 дня"), (7, "осталось 7 дней")]
)
def test_russian_plurals_in_reminders(days: int, text: str) -> None:
    reminder = Translator().get("ru")("moment-reminder", title="Т", days=days, start="—")
    assert text in reminder


@pytest.mark.parametrize(
    ("days", "hours", "text"),
    [(1, 1, "остался 1 день и 1 час"), (2, 3, "осталось 2 дня и 3 часа"),
     (5, 21, "осталось 5 дней и 21 час"), (3, 15, "осталось 3 дня и 15 часов")],
)  # fmt: skip
def test_russian_plurals_in_reminders_with_hours(days: int, hours: int, text: str) -> None:
    ru = Translator().get("ru")
    assert text in ru("moment-reminder-hours", title="Т", days=days, hours=hours, start="—")


async def test_sends_are_paced_per_chat_and_for_the_whole_bot(harness: Harness) -> None:
    """A private chat: a burst of 3, then about one a second; 25 a second overall (in
    virtual time, against the emulator's Telegram limits: not one 429)."""
    pacing = harness.pacing
    anna = await linked(harness, 807, "Анна", "a-7")
    partner = await harness.services.partners.by_user("tg", 807)
    assert partner is not None
    arrivals: list[float] = []
    harness.emulator.listeners.append(
        lambda message: arrivals.append(pacing.now()) if message.chat_id == 807 else None
    )
    pacing.advance(10)  # the chat's burst is back
    mine = [OutMessage(f"test:mine:{n}", "sales", "tg", partner.chat_id, f"{n}", partner.id)
            for n in range(6)]  # fmt: skip
    await harness.services.outbox.enqueue(mine)
    await harness.deliver()
    assert [m.plain for m in anna.messages[-6:]] == ["0", "1", "2", "3", "4", "5"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert gaps[:2] == [pytest.approx(0.04)] * 2  # the burst, at the worker's own rate
    # then about one a second: the 4th a second after the first, the others a second apart
    assert arrivals[3] - arrivals[0] >= 1.0
    assert all(gap >= 1.0 for gap in gaps[3:])

    others = []
    for user_id in range(900, 926):  # 26 chats, one message each
        harness.user(user_id, f"P{user_id}")
        others.append(OutMessage(f"test:all:{user_id}", "community", "tg", user_id, "hi"))
    start = pacing.elapsed
    await harness.services.outbox.enqueue(others)
    await harness.deliver()
    # 25 gaps of 40 ms: the worker's own rate, never faster, and nothing waited beyond it
    # (the same on Redis: the pacing state lives on this virtual time, not on the server's)
    assert pacing.elapsed - start == pytest.approx(25 * 0.04, abs=0.01)
    assert harness.emulator.rate_limited == 0


async def test_digests_and_nudges_leave_the_last_weekly_slot_to_contests(
    harness: Harness,
) -> None:
    await linked(harness, 810, "Анна", "a-10")
    partner = await harness.services.partners.by_user("tg", 810)
    assert partner is not None
    outbox = harness.services.outbox

    def note(key: str, kind: str, subject: str | None) -> OutMessage:
        return OutMessage(key, kind, "tg", partner.chat_id, key, partner.id, subject=subject)

    first = await outbox.enqueue([note(f"news:{n}", "news", None) for n in range(4)])
    assert first.queued == 4
    digest = await outbox.enqueue([note("digest:w", "digest", "digest")])
    assert (digest.queued, digest.capped) == (0, 1)  # the 5th slot is kept …
    moment = await outbox.enqueue([note("contest:c:reminder", "contests", "contest:c")])
    assert moment.queued == 1  # … for a contest moment
    assert (await outbox.enqueue([note("contest:c:started", "contests", "contest:c")])).capped == 1


async def test_a_chats_messages_arrive_in_the_order_they_were_queued(harness: Harness) -> None:
    """A message with a file to upload, queued first, is not overtaken by the texts queued
    after it for the same chat (the worker sends several rows at once, and an upload takes
    longer than a text)."""
    from tests.harness import DEMO_CONTENT

    harness.emulator.method_latency["sendPhoto"] = 0.3
    anna = await linked(harness, 808, "Анна", "a-8")
    partner = await harness.services.partners.by_user("tg", 808)
    assert partner is not None
    banner = str(DEMO_CONTENT / "files" / "sofa-728x90.png")
    queued = [
        OutMessage("test:order:0", "news", "tg", partner.chat_id, "Баннер", partner.id,
                   photo=banner),
        *(OutMessage(f"test:order:{n}", "sales", "tg", partner.chat_id, f"Продажа {n}",
                     partner.id) for n in (1, 2)),
    ]  # fmt: skip
    for message in queued:
        await harness.services.outbox.enqueue([message])
        harness.clock.advance(0.001)
    await harness.deliver()
    assert [m.plain for m in anna.messages[-3:]] == ["Баннер", "Продажа 1", "Продажа 2"]
