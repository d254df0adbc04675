"""Session 9, loose ends (task lefta): what «всё равно объявить» leaves out by the weekly
cap, the winners of a file contest that ended before it was ever announced, a sale notice
waiting out the quiet hours for a sale reversed meanwhile, and the weekly FAQ gaps sent
where the contest winners go (`manager_targets`)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.clock import FakeClock
from bot.content.store import ContentStore
from bot.db.engine import Database
from bot.notices.base import private
from bot.services.sales import ConversionIn, SalesService
from tests.harness import DEMO_CONTENT, Client, Harness, running_bot
from tests.test_journey_notices import linked as linked_directly
from tests.test_journey_partner_screens import linked
from tests.test_journey_vk_max import MAX_CHAT, Side

FRIDAY_DIGEST = datetime(2026, 11, 6, 9, 5, tzinfo=UTC)  # 12:05 in Moscow: the digest


async def _to(harness: Harness, moment: datetime) -> None:
    harness.clock.advance((moment - harness.clock.now()).total_seconds())


# --- 1. the confirmation of an announcement says whom the weekly cap left out ---

CAPPED = (
    "Не получат из-за недельного лимита: 1 партнёр — у них уже 5 автоматических сообщений"
    " за 7 дней (max_automated_per_week)."
)


async def _at_the_cap(harness: Harness, user_id: int) -> None:
    """The partner had the week's 5 automated messages (program.yaml) already."""
    partner = await harness.services.partners.by_user("tg", user_id)
    assert partner is not None
    cap = harness.services.content_store.content.program.schedule.max_automated_per_week
    news = [private(f"test:news:{n}", "news", None, partner, f"№{n}") for n in range(cap)]
    assert (await harness.services.outbox.enqueue(news)).queued == cap
    await harness.deliver()


async def _two_partners(harness: Harness) -> tuple[Client, Client, Client]:
    manager = harness.manager()
    await manager.send("/start")
    anna, boris = harness.user(9411, "Анна"), harness.user(9412, "Борис")
    for partner in (anna, boris):
        await partner.onboard()
    return manager, anna, boris


async def test_announce_anyway_says_whom_the_weekly_cap_left_out(harness: Harness) -> None:
    manager, anna, boris = await _two_partners(harness)
    # the demo file contest starts 14.12; four days before only a manager may announce it
    await _to(harness, datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    await _at_the_cap(harness, 9412)
    listing = (await manager.send("/contests_admin"))[-1]
    await manager.press(next(b for b in listing.button_labels if "Зимний марафон" in b), listing)
    await manager.press("📣 Объявить", manager.last)
    await manager.press("📣 Всё равно объявить", manager.last)
    said = manager.last.plain
    assert said.startswith("📣 Объявление в очереди: 1 партнёр. Тихие часы и отписки")
    assert said.endswith(CAPPED)
    await harness.deliver()
    assert anna.last.plain.startswith("📣 Новый конкурс!")
    assert not any("Новый конкурс" in m.plain for m in boris.messages)


async def test_a_broadcast_confirmation_says_whom_the_weekly_cap_left_out(
    harness: Harness,
) -> None:
    manager, anna, _boris = await _two_partners(harness)
    await _at_the_cap(harness, 9412)
    await manager.send("/announce")
    audience = (await manager.send("Вебинар в четверг"))[-1]
    await manager.press("👥 Всем партнёрам", audience)
    await manager.press("Сейчас", manager.last)
    await manager.press("✅ Отправить", manager.last)
    said = manager.last.plain
    assert said.startswith("✅ Рассылка №1 поставлена в очередь: 1 сообщение.")
    assert said.endswith(CAPPED)
    await harness.deliver()
    assert anna.last.plain.startswith("Вебинар в четверг")


# --- 3. a sale notice waiting out the quiet hours for a sale reversed meanwhile ---


async def _postback(harness: Harness, affiliate: str, number: str, status: str) -> None:
    """A conversion the way the HTTP endpoint hands it over (group commit)."""
    now = harness.clock.now()
    await harness.services.sales.submit(
        ConversionIn(affiliate, number, status, Decimal(1500), "RUB", now)
    )


async def _csv_elsewhere(harness: Harness, path: Path) -> None:
    """`partnerbot sales import` in its own process (nothing shared but the database)."""
    settings = harness.services.settings
    db = Database.from_url(settings.database_url)
    try:
        clock = FakeClock(harness.clock.now())
        await SalesService(db, ContentStore(settings.content_dir), clock).import_csv(path)
    finally:
        await db.close()


def _told(person: Client, since: int) -> list[str]:
    return [m.plain for m in person.messages[since:]]


async def test_a_sale_reversed_in_the_quiet_hours_is_never_told(
    harness: Harness, tmp_path: Path
) -> None:
    """Approved at 23:00 (Moscow), so the notice waits for 09:00; refunded at 02:00 by a
    postback (Анна) or by a CSV import (Борис): at 09:00 neither hears of a sale, nor of a
    «first sale»; Вера's sale still counts and she is told. A later sale that counts is
    told, the first-sale congratulation with it."""
    anna = await linked_directly(harness, 9421, "Анна", "rv-1")
    boris = await linked_directly(harness, 9422, "Борис", "rv-2")
    vera = await linked_directly(harness, 9423, "Вера", "rv-3")
    marks = {"anna": len(anna.messages), "boris": len(boris.messages), "vera": len(vera.messages)}
    await _to(harness, datetime(2026, 11, 2, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    for affiliate in ("rv-1", "rv-2", "rv-3"):
        await _postback(harness, affiliate, f"{affiliate}-a", "approved")
    await harness.deliver()
    assert _told(anna, marks["anna"]) == _told(boris, marks["boris"]) == []
    await _to(harness, datetime(2026, 11, 2, 23, 0, tzinfo=UTC))  # 02:00: the refunds
    await _postback(harness, "rv-1", "rv-1-a", "declined")
    refunds = tmp_path / "refunds.csv"
    ts = harness.clock.now().isoformat()
    refunds.write_text(
        f"partner,conversion_id,status,amount,currency,ts\nrv-2,rv-2-a,rejected,1500,RUB,{ts}\n",
        encoding="utf-8",
    )
    await _csv_elsewhere(harness, refunds)
    await _to(harness, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 09:00: the morning
    await harness.deliver()
    assert _told(anna, marks["anna"]) == []
    assert _told(boris, marks["boris"]) == []
    said = _told(vera, marks["vera"])
    assert said[0].startswith("✅ Продажа подтверждена.")
    assert said[1].startswith("🎉 Ваша первая подтверждённая продажа!")
    # a sale that counts, later: told, and it is Анна's first sale after all
    await _to(harness, datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    await _postback(harness, "rv-1", "rv-1-b", "approved")
    await harness.deliver()
    said = _told(anna, marks["anna"])
    assert said[0].startswith("✅ Продажа подтверждена.")
    assert said[1].startswith("🎉 Ваша первая подтверждённая продажа!")


# --- 4. the weekly FAQ gaps go where the contest winners go ---


async def test_the_weekly_faq_gaps_reach_the_max_managers_chat_once(tmp_path: Path) -> None:
    """Only MAX has a managers' chat: the gaps go there (they went nowhere: Telegram and VK
    only), and not also to each manager in private."""
    async with Side("max", "").running(tmp_path, managers_chat=True) as harness:
        manager = harness.manager()
        await manager.send("/start")
        for number in range(2):
            partner = harness.user(9460 + number)
            await partner.onboard()
            await partner.send("есть ли доставка в казахстан")
        await _to(harness, FRIDAY_DIGEST)
        mark = len(manager.messages)
        await harness.services.planner.tick()
        await harness.deliver()
        assert harness.max is not None
        posts = [m.plain for m in harness.max.chat_messages(MAX_CHAT)]
        (digest,) = [p for p in posts if p.startswith("Чего не хватает в FAQ")]
        assert "1. есть ли доставка в казахстан — 2 партнёра" in digest
        assert not any(m.plain.startswith("Чего не хватает") for m in manager.messages[mark:])
        await harness.services.planner.tick()  # once a week, never twice
        await harness.deliver()
        posts = [m.plain for m in harness.max.chat_messages(MAX_CHAT)]
        assert sum(p.startswith("Чего не хватает") for p in posts) == 1


# --- 2. a file contest first seen after its end: the managers get its winners, once ---


async def test_a_file_contest_loaded_after_its_end_sends_its_winners_to_managers_once(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    contest_file = content / "contests" / "winter-sofas.yaml"
    definition = contest_file.read_text(encoding="utf-8")
    contest_file.unlink()
    async with running_bot(tmp_path, content_dir=content) as harness:
        manager = harness.manager()
        await manager.send("/start")
        anna = await linked(harness, 9401, "Анна", "aff-1")
        during = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)  # inside 14.12–28.12
        for n in range(3):
            sale = ConversionIn("aff-1", f"w-{n}", "approved", Decimal(20000), "RUB", during)
            await harness.services.sales.record(sale, "csv")
        # the file comes after the contest ended, within its hold (ends 28.12, hold 14 days)
        await _to(harness, datetime(2027, 1, 5, 9, 0, tzinfo=UTC))
        contest_file.write_text(definition, encoding="utf-8")
        await manager.send("/reload")
        await harness.services.planner.tick()
        await harness.deliver()
        assert not any("Победители конкурса" in m.plain for m in manager.messages)
        # the hold is over: the winners, as a wizard contest's reach the managers
        await _to(harness, datetime(2027, 1, 12, 9, 0, tzinfo=UTC))
        told = len(anna.messages)
        await harness.services.planner.tick()
        await harness.deliver()
        (winners,) = [m.plain for m in manager.messages if "Победители конкурса" in m.plain]
        assert winners.startswith("🏁 Победители конкурса «Зимний марафон диванов» — вручите")
        assert "1. Анна (@user9401, tg:9401), ID aff-1 — 60 000 — Ноутбук для работы" in winners
        # nobody was told of the contest: no partner hears of its results
        assert len(anna.messages) == told
        # never twice: the next minute, a /reload, and the minute after it
        await harness.services.planner.tick()
        await manager.send("/reload")
        await harness.services.planner.tick()
        await harness.deliver()
        assert sum("Победители конкурса" in m.plain for m in manager.messages) == 1
