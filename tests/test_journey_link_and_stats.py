"""/link, the managers' approval, and the partner's own numbers in /me: sales this month,
pending ones apart, tier and what is left to the next."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import Translator
from bot.services.conversions import ConversionIn
from bot.services.sales_figures import tier_for
from tests.harness import Client, Harness, announce_demo_contest


async def _sale(harness: Harness, number: int, status: str, amount: str, when: datetime) -> None:
    from decimal import Decimal

    item = ConversionIn("aff-77", f"o-{number}", status, Decimal(amount), "RUB", when)
    await harness.services.sales.record(item, "postback")


async def test_link_approve_and_see_the_month(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(701, "Анна")
    await anna.onboard()
    replies = await anna.send("/me")
    assert "после привязки ID в партнёрской сети: /link" in replies[-1].plain

    assert (await anna.send("/link"))[-1].plain.startswith("Использование: /link ID")
    assert "не похоже на ID" in (await anna.send("/link мой айди"))[-1].plain
    replies = await anna.send("/link aff-77")
    assert replies[-1].plain.startswith("Запрос на привязку ID aff-77 отправлен менеджеру")
    card = manager.last
    assert "Запрос на привязку ID" in card.plain
    assert "aff-77" in card.plain
    assert card.button_labels == ["✅ Подтвердить", "❌ Отклонить"]
    assert "ждёт подтверждения менеджера" in (await anna.send("/me"))[-1].plain

    november = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for number in range(3):
        await _sale(harness, number, "approved", "1000.50", november)
    await _sale(harness, 3, "pending", "500", november)
    await _sale(harness, 4, "approved", "9999", datetime(2026, 10, 20, tzinfo=UTC))  # October

    await manager.press("✅ Подтвердить", card)
    assert manager.last.plain == "✅ Привязка aff-77 подтверждена — партнёр: Анна."
    assert anna.last.plain.startswith("✅ ID aff-77 привязан")

    text = (await anna.send("/me"))[-1].plain
    assert "ID в партнёрской сети: aff-77" in text
    assert "Продажи в этом месяце: 3 продажи на 3 001,50 ₽ (+1 в ожидании)" in text
    assert "Уровень: Базовый — 8% с продаж" in text
    assert "До уровня «Серебро» осталось 7 продаж в этом месяце" in text

    card_text = (await manager.send("/partner tg:701"))[-1].plain
    assert "Продажи в этом месяце: 3 продажи на 3 001,50 ₽ (+1 в ожидании)" in card_text
    assert card_text.count("aff-77") == 1  # review 20: the ID once on the card

    for number in range(5, 12):
        await _sale(harness, number, "approved", "100", november)
    text = (await anna.send("/me"))[-1].plain
    assert "Продажи в этом месяце: 10 продаж" in text
    assert "Уровень: Серебро — 10% с продаж" in text
    assert "До уровня «Золото» осталось 20 продаж" in text

    partner = await harness.services.partners.by_user("tg", 701)
    assert partner is not None
    await manager.press_data(card, f"lk:approve:{partner.id}")  # a stale button: done already
    assert "нет запроса на привязку" in manager.callback_answers()[-1]["text"]


async def test_approve_link_command_and_decline(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    boris = harness.user(702, "Борис")
    await boris.onboard()
    await boris.send("/link aff-88")
    replies = await manager.send("/approve_link aff-88")
    assert replies[-1].plain == "✅ Привязка aff-88 подтверждена — партнёр: Борис."
    assert (await manager.send("/approve_link tg:702"))[-1].plain == (
        "У партнёра нет запроса на привязку."
    )

    vera = harness.user(703, "Вера")
    await vera.onboard()
    await vera.send("/link aff-99")
    await manager.press("❌ Отклонить")
    assert vera.last.plain.startswith("Привязку ID aff-99 менеджер не подтвердил")
    partner = await harness.services.partners.by_user("tg", 703)
    assert partner is not None
    assert (partner.affiliate_id, partner.affiliate_status) == (None, "none")


@pytest.mark.parametrize(
    ("count", "text"),
    [(1, "1 продажа"), (2, "2 продажи"), (5, "5 продаж"), (21, "21 продажа"), (11, "11 продаж")],
)
def test_russian_plurals_in_sales(count: int, text: str) -> None:
    l10n = Translator().get("ru")
    assert text in l10n("me-month", approved=count, amount="0.00", pending=0)


def test_tiers() -> None:
    from bot.content.loader import load_content
    from tests.harness import DEMO_CONTENT

    tiers = load_content(DEMO_CONTENT).program.tiers
    assert tier_for(tiers, 0).tier is not None
    standing = tier_for(tiers, 29)
    assert (standing.tier.id if standing.tier else None, standing.remaining) == ("silver", 1)
    top = tier_for(tiers, 45)
    assert (top.tier.id if top.tier else None, top.next_tier) == ("gold", None)


async def test_contests_list_rules_prizes_and_my_place(harness: Harness) -> None:
    await announce_demo_contest(harness)
    anna = harness.user(704, "Анна")
    await anna.onboard()
    text = (await anna.send("/contests"))[-1].plain
    assert text.startswith("🏆 Зимний марафон диванов")
    assert "Начнётся 14.12.2026 00:00, закончится 28.12.2026 23:59" in text
    assert "Ограничения: Без брендового контекста" in text
    assert "• Больше всего продаж (от 3): 1 — Ставка 15% на январь" in text
    assert "• Сумма продаж, ₽ (от 50 000): 1 — Ноутбук для работы" in text
    assert "привяжите ID в партнёрской сети" in text

    partner = await harness.services.partners.by_user("tg", 704)
    assert partner is not None
    partner = await harness.services.partners.request_link(partner, "aff-77")
    await harness.services.partners.approve_link(partner)
    harness.clock.advance(
        (datetime(2026, 12, 15, tzinfo=UTC) - harness.clock.now()).total_seconds()
    )
    running = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
    for number in range(4):
        await _sale(harness, 100 + number, "approved", "20000", running)
    await _sale(harness, 200, "pending", "100", running)
    text = (await anna.send("/contests"))[-1].plain
    assert "Идёт: 14.12.2026 00:00 — 28.12.2026 23:59" in text
    assert "• Первые продажи: №1 (1, +1 в ожидании)" in text
    assert "• Больше всего продаж: №1 (4, +1 в ожидании)" in text
    assert "• Сумма продаж, ₽: №1 (80 000, +1 в ожидании)" in text

    boards = [m.plain for m in await anna.send("/top")]
    assert [board.splitlines()[0] for board in boards] == [
        "🏆 Зимний марафон диванов — Первые продажи",
        "🏆 Зимний марафон диванов — Больше всего продаж",
        "🏆 Зимний марафон диванов — Сумма продаж, ₽",
    ]
    assert boards[1].splitlines()[1:] == ["1. Анна — 4", "Вы: №1 (4)"]

    card = (await harness.manager().send("/partner tg:704"))[-1].plain
    assert "Конверсии за всё время: 4 подтв., 1 в ожидании, 0 отменено" in card
    assert "В конкурсе «Зимний марафон диванов»:\n• Первые продажи: №1 (1, +1 в ожидании)" in card

    harness.clock.advance(30 * 24 * 3600)  # the contest is over
    assert (await anna.send("/contests"))[-1].plain.startswith("Сейчас нет конкурсов")


async def test_top_shows_the_month_or_the_contest_with_my_gap(harness: Harness) -> None:
    from decimal import Decimal

    async def linked(user_id: int, name: str, affiliate: str, public: str | None = None) -> None:
        client = harness.user(user_id, name)
        await client.send("/start")
        person = await harness.services.partners.by_user("tg", user_id)
        assert person is not None
        person = await harness.services.partners.request_link(person, affiliate)
        person = await harness.services.partners.approve_link(person)
        if public is not None:
            await harness.services.partners.set_public_name(person, public)

    await linked(711, "Анна", "a-1")
    await linked(712, "Борис", "b-1", public="anonymous")
    await linked(713, "Вера", "v-1", public="nickname")
    november = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    sales = harness.services.sales
    for affiliate, count in (("b-1", 5), ("v-1", 3), ("a-1", 1)):
        for n in range(count):
            item = ConversionIn(
                affiliate, f"{affiliate}-{n}", "approved", Decimal(100), "RUB", november
            )
            await sales.record(item, "postback")
    anna = Client(harness, 711)
    text = (await anna.send("/top"))[-1].plain
    lines = text.splitlines()
    assert lines[0] == "🏆 Рейтинг месяца — подтверждённые продажи"
    assert lines[1].startswith("1. Партнёр ")  # Борис chose to be anonymous
    assert lines[2] == "2. @user713 — 3"  # Вера chose her nickname
    assert lines[3] == "3. Анна — 1"
    assert lines[-1] == "Вы: №3 (1), до №2 — 2"


async def test_stats_for_managers_with_a_chart(harness: Harness) -> None:
    from decimal import Decimal

    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(720, "Анна")
    await anna.onboard("Блогер")
    await anna.send("когда выплаты")
    await anna.send("какая сегодня погода")
    await anna.send("/support помогите")
    sales = harness.services.sales
    november = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for n, status in enumerate(("approved", "approved", "pending", "declined")):
        item = ConversionIn("s-1", f"s-{n}", status, Decimal("1500"), "RUB", november)
        await sales.record(item, "postback")

    text, chart = (m for m in (await manager.send("/stats"))[-2:])
    assert "Партнёров: 1" in text.plain  # the manager is not a partner
    assert "По сегментам: Блогер (соцсети, YouTube, Telegram) 1\n" in text.plain
    assert "Продажи в этом месяце: 2 подтверждено на 3 000 ₽ · в ожидании 1 · отклонено 1" in (
        text.plain
    )
    assert "Вопросы в этом месяце: ответ 1 · «вы имели в виду» 0 · без ответа 1" in text.plain
    assert "1. какая сегодня погода — 1 партнёр" in text.plain  # grouped, a 🔗 button each
    assert text.button_labels == ["🔗 1. какая сегодня погода"]
    assert "Обращения: открыто 1" in text.plain
    assert chart.kind == "photo"
    assert chart.file_name == "stats.png"
    png = [data for name, data in harness.emulator.files.values() if name == "stats.png"]
    assert png[0].startswith(b"\x89PNG")
    assert (await anna.send("/stats"))[0].plain.startswith("Такой команды я не знаю")


async def test_a_link_request_for_an_id_another_chat_has_says_so(harness: Harness) -> None:
    """Review 2, N2: approving would merge a stranger into someone's "one person" (their
    sales, place and settings): the card names the chats that already have the id."""
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(731, "Анна")
    await anna.onboard()
    await anna.send("/link aff-55")
    assert "уже привязан" not in manager.last.plain
    await manager.press("✅ Подтвердить", manager.last)
    boris = harness.user(732, "Борис")
    await boris.onboard()
    await boris.send("/link aff-55")
    card = manager.last
    assert "⚠️ Этот ID уже привязан к: tg:731." in card.plain
    assert "tg:732" in card.plain  # the one asking, in the card's usual line
