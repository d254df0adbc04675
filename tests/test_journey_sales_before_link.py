"""Sales approved for an affiliate id before the partner's /link was approved (session 25,
an independent tester): counted from the approval on, and told once then — one message
summing them, with the first-sale congratulation when the first sale is among them —
through the same queue as every sale notice (quiet hours, /stop), never twice."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.services.conversions import ConversionIn
from tests.harness import Client, Harness

NOON = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
FIRST = "🎉 Ваша первая подтверждённая продажа! Отличное начало — дальше будет проще."


async def postback(harness: Harness, affiliate: str, number: str) -> None:
    """An approved conversion the way the HTTP endpoint hands it over (group commit)."""
    item = ConversionIn(affiliate, number, "approved", Decimal(1500), "RUB", NOON)
    await harness.services.sales.submit(item)


async def asked(harness: Harness, user_id: int, affiliate: str) -> tuple[Client, Client]:
    """A partner who asked to link `affiliate`, and the manager who will decide."""
    manager = harness.manager()
    await manager.send("/start")
    partner = harness.user(user_id, "Анна")
    await partner.onboard()
    await partner.send(f"/link {affiliate}")
    return partner, manager


def sale_texts(client: Client, since: int) -> list[str]:
    return [m.plain for m in client.messages[since:] if m.plain.startswith(("✅", "🎉"))]


async def test_sales_before_the_link_are_told_once_when_a_manager_approves_it(
    harness: Harness,
) -> None:
    """The tester's reproduction: two sales before the approval, one after."""
    anna, manager = await asked(harness, 2501, "aff-77")
    await postback(harness, "aff-77", "o1")
    await postback(harness, "aff-77", "<b>&x")
    await harness.deliver()
    before = len(anna.messages)

    await manager.send("/approve_link aff-77")
    await harness.deliver()
    assert sale_texts(anna, before) == [
        "✅ ID aff-77 привязан. Ваши продажи теперь видны в /me.",
        "✅ Пока привязка ID aff-77 ждала подтверждения, подтверждены 2 продажи.\n"
        "Вы №1 в зачёте «Рейтинг месяца».",
        FIRST,
    ]

    after_approval = len(anna.messages)
    await postback(harness, "aff-77", "o20")
    await harness.deliver()
    assert sale_texts(anna, after_approval) == [
        "✅ Продажа подтверждена.\nВы №1 в зачёте «Рейтинг месяца»."
    ]  # the first sale congratulated once, not again
    me = "\n".join(m.plain for m in await anna.send("/me"))
    assert "3 продажи" in me, me


async def test_a_link_approved_again_tells_nothing_twice(harness: Harness) -> None:
    """The same id asked for and approved again (and the card's button pressed after the
    command): the earlier sales were told, nothing is told again."""
    anna, manager = await asked(harness, 2502, "aff-78")
    await postback(harness, "aff-78", "p1")
    await manager.send("/approve_link aff-78")
    await harness.deliver()
    before = len(anna.messages)
    card = next(m for m in manager.messages if "aff-78" in m.plain and m.button_labels)
    await manager.press(card.button_labels[0], card)  # ✅ on the old card: nothing pending
    await anna.send("/link aff-78")
    await manager.send("/approve_link aff-78")
    await harness.deliver()
    texts = [m.plain for m in anna.messages[before:]]
    assert not [t for t in texts if "продаж" in t and t.startswith(("✅ Пока", "🎉"))], texts


async def test_a_partner_who_stopped_before_the_approval_hears_nothing(
    harness: Harness,
) -> None:
    anna, manager = await asked(harness, 2503, "aff-79")
    await postback(harness, "aff-79", "q1")
    await anna.send("/stop")
    before = len(anna.messages)
    await manager.send("/approve_link aff-79")
    await harness.deliver()
    texts = [m.plain for m in anna.messages[before:]]
    assert texts == ["✅ ID aff-79 привязан. Ваши продажи теперь видны в /me."], texts


async def test_an_approval_at_night_is_told_in_the_morning_as_it_was(harness: Harness) -> None:
    anna, manager = await asked(harness, 2504, "aff-80")
    await postback(harness, "aff-80", "r1")
    evening = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    harness.clock.advance((evening - harness.clock.now()).total_seconds())
    await manager.send("/approve_link aff-80")
    await harness.deliver()
    before = len(anna.messages)
    harness.clock.advance(10 * 3600)  # 09:00: the quiet hours are over
    await harness.deliver()
    assert sale_texts(anna, before) == [
        "✅ Пока привязка ID aff-80 ждала подтверждения, подтверждена 1 продажа.\n"
        "Вы №1 в зачёте «Рейтинг месяца».",
        FIRST,
    ]


async def test_a_chat_joining_a_person_already_told_gets_no_summary(harness: Harness) -> None:
    """Another chat linked to the id heard of its sales when they came (one person's
    chats: docs/one-person.md): the chat joining later is not told them again."""
    boris = harness.user(2505, "Борис")
    await boris.onboard()
    partners = harness.services.partners
    found = await partners.by_user("tg", 2505)
    assert found is not None
    await partners.approve_link(await partners.request_link(found, "aff-81"))
    await postback(harness, "aff-81", "s1")
    await harness.deliver()
    assert sale_texts(boris, 0)[-1] == FIRST
    anna, manager = await asked(harness, 2506, "aff-81")
    before = len(anna.messages)
    await manager.send("/approve_link aff-81")
    await harness.deliver()
    texts = [m.plain for m in anna.messages[before:]]
    assert not [t for t in texts if t.startswith(("✅ Пока", "🎉"))], texts
