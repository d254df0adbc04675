"""/schedule lists what waits in the outbox for the end of the quiet hours, and counts
only who will really get a send (not stopped, not forgotten, under the weekly cap then)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.services.conversions import ConversionIn
from bot.services.outbox_enqueue import OutMessage
from tests.harness import Client, Harness, running_bot
from tests.test_journey_schedule import partner_with_sales


def at(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


async def schedule(manager: Client) -> list[str]:
    return (await manager.send("/schedule"))[-1].plain.splitlines()


async def test_sends_held_for_the_night_are_listed_and_stop_forget_drop_them(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, timezone="America/Sao_Paulo") as harness:
        anna = await partner_with_sales(harness, 951, "held-1", "Анна")
        boris = harness.user(952, "Борис")
        await boris.onboard()
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 12, 5, 11, 41, tzinfo=UTC))  # 08:41 in São Paulo
        await manager.send("/announce")
        await manager.send("Вебинар сегодня")
        await manager.press("👥 Всем партнёрам", manager.messages[-1])
        await manager.press("Сейчас", manager.messages[-1])
        assert "в личку — только 05.12.2026 09:00" in manager.messages[-2].plain
        await manager.press("✅ Отправить", manager.messages[-1])
        await harness.services.sales.record(
            ConversionIn("held-1", "h-1", "approved", Decimal(20000), "RUB",
                         datetime(2026, 12, 5, 11, 0, tzinfo=UTC)),
            "postback",
        )  # fmt: skip
        await harness.deliver()
        lines = await schedule(manager)
        assert "05.12 09:00 — рассылка №1 — 2 получателя" in lines, lines
        assert any(
            line.startswith("05.12 09:00 — уведомления о продажах — 1 получатель")
            for line in lines
        ), lines

        await anna.send("/stop")
        mark = len(anna.messages)
        lines = await schedule(manager)
        assert "05.12 09:00 — рассылка №1 — 1 получатель" in lines, lines
        assert not any("уведомления о продажах" in line for line in lines), lines

        await boris.send("/forget")
        await boris.press("Да, удалить")
        lines = await schedule(manager)
        assert not any("рассылка №1" in line for line in lines), lines  # nobody: no line
        assert not any("— 0 получателей" in line for line in lines), lines

        at(harness, datetime(2026, 12, 5, 12, 1, tzinfo=UTC))  # 09:01: gone, not listed
        await harness.deliver()
        assert len(anna.messages) == mark  # stopped: nothing came
        assert not any(line.startswith("05.12 09:00") for line in await schedule(manager))


async def test_a_partner_at_the_weekly_cap_is_not_counted_while_capped(tmp_path: Path) -> None:
    async with running_bot(tmp_path, timezone="America/Sao_Paulo") as harness:
        anna = await partner_with_sales(harness, 961, "cap-1", "Анна")
        boris = await partner_with_sales(harness, 962, "cap-2", "Борис")
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 12, 5, 12, 30, tzinfo=UTC))  # 09:30 in São Paulo
        partner = await harness.services.partners.by_user("tg", anna.user_id)
        assert partner is not None
        await harness.services.outbox.enqueue(
            [
                OutMessage(f"cap-test:{n}", "news", "tg", partner.chat_id, f"Новость {n}",
                           partner_id=partner.id)
                for n in range(5)
            ]
        )  # fmt: skip
        await harness.deliver()
        assert boris.messages  # onboarded
        lines = await schedule(manager)
        # the contest starts 14.12 00:00 Moscow (13.12 18:00 here): the 3-day reminder
        # (10.12) is inside the 7 days of Anna's five messages, the 1-day one (12.12) not
        assert "10.12 18:00 — напоминание о конкурсе «Зимний марафон диванов» — 1 получатель" in (
            lines
        ), lines
        assert "12.12 18:00 — напоминание о конкурсе «Зимний марафон диванов» — 2 получателя" in (
            lines
        ), lines
        # the digest (Friday 12:00) keeps a slot free: capped for Anna on 11.12, not 18.12
        assert "11.12 12:00 — еженедельный дайджест — 1 получатель" in lines, lines
        assert "18.12 12:00 — еженедельный дайджест — 2 получателя" in lines, lines


async def test_the_cap_counts_the_sends_planned_before_each_send(tmp_path: Path) -> None:
    """The 3-day reminder (10.12) fills Anna's week with what she has now: the digest of
    11.12 (which keeps a slot free) is capped for her. Counted from what is queued now
    only, she was listed for it (a tester of session 21: «3 получателя» for a send the
    sends before it had capped for everyone). And so it goes."""
    async with running_bot(tmp_path, timezone="America/Sao_Paulo") as harness:
        anna = await partner_with_sales(harness, 971, "fore-1", "Анна")
        boris = await partner_with_sales(harness, 972, "fore-2", "Борис")
        manager = harness.manager()
        await manager.send("/start")
        at(harness, datetime(2026, 12, 5, 0, 30, tzinfo=UTC))  # 04.12 21:30 in São Paulo
        await harness.services.sales.record(
            ConversionIn("fore-2", "f-1", "approved", Decimal(20000), "RUB",
                         datetime(2026, 12, 5, 0, 0, tzinfo=UTC)),
            "postback",
        )  # fmt: skip  # Boris is not nudged
        # the contest's announcement, 04.12's digest and (Anna) its look for the inactive
        await harness.services.planner.tick()
        await harness.deliver()
        mark = len(anna.messages), len(boris.messages)
        lines = await schedule(manager)
        assert "10.12 18:00 — напоминание о конкурсе «Зимний марафон диванов» — 2 получателя" in (
            lines
        ), lines
        # Anna's 7 days by 11.12 12:00: announcement, digest, nudge, reminder
        assert "11.12 12:00 — еженедельный дайджест — 1 получатель" in lines, lines

        for moment in (datetime(2026, 12, 10, 21, 1, tzinfo=UTC),
                       datetime(2026, 12, 11, 15, 1, tzinfo=UTC)):  # fmt: skip
            at(harness, moment)
            await harness.services.planner.tick()
            await harness.deliver()
        got = (
            [m.plain for m in anna.messages[mark[0] :]],
            [m.plain for m in boris.messages[mark[1] :]],
        )
        assert [len(g) for g in got] == [1, 2], got  # the reminder, the digest (Boris)
        assert [sum(t.startswith("🗞") for t in g) for g in got] == [0, 1], got
