"""The announcement preview counts people, exactly as the send reaches them: a person with
chats linked on Telegram, VK and MAX is one recipient (who gets it in each chat, or in the
one they chose), whoever is stopped, forgotten, outside the segment or held back by the
weekly cap is not."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.notices.base import private
from bot.services.partner import person_key
from tests.harness import Client, Harness, MaxPerson, VkClient, running_bot

TEXT = "Новые креативы для вебмастеров"
Chat = Client | VkClient | MaxPerson


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True, maxbot=True) as running:
        yield running


async def _linked(harness: Harness, affiliate: str, *chats: tuple[str, int]) -> None:
    """Link the chats (platform, user id) to one affiliate id, as a manager approves."""
    partners = harness.services.partners
    for platform, user_id in chats:
        found = await partners.by_user(platform, user_id)
        assert found is not None
        await partners.approve_link(await partners.request_link(found, affiliate))


async def test_the_preview_counts_the_people_the_send_reaches(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = (harness.user(801, "Анна"), harness.vk_user(802, "Анна"), harness.max_user(803, "Анна"))
    vera = (harness.user(811, "Вера"), harness.vk_user(812, "Вера"))
    gleb = (harness.user(821, "Глеб"), harness.max_user(823, "Глеб"))
    egor = (harness.user(831, "Егор"), harness.vk_user(832, "Егор"))
    dina = harness.vk_user(842, "Дина")
    zhanna = harness.max_user(853, "Жанна")
    zoya = harness.user(861, "Зоя")
    ira = harness.user(871, "Ира")
    for chat in (*anna, *vera, *gleb, *egor, dina, zhanna, ira):
        await chat.onboard()
    await zoya.onboard("Блогер")  # not in the audience (webmasters)
    await _linked(harness, "aff-a", ("tg", 801), ("vk", 802), ("max", 803))
    await _linked(harness, "aff-v", ("tg", 811), ("vk", 812))
    await _linked(harness, "aff-g", ("tg", 821), ("max", 823))
    await _linked(harness, "aff-e", ("tg", 831), ("vk", 832))

    await vera[1].send("/settings")  # Вера: automated messages only on VK
    await vera[1].press("Рассылки: во всех ваших чатах с ботом")
    await gleb[0].send("/stop")  # Глеб stopped on Telegram: on MAX too (one person)
    await dina.send("/stop")  # Дина stopped her only chat
    for forgetting in (egor[1], zhanna):  # Егор forgot his VK chat, Жанна her only one
        await forgetting.send("/forget")
        # «Да, удалить»; Егор, linked: «Удалить только в этом чате» (session 27)
        await forgetting.press(forgetting.last.button_labels[0])
    partner = await harness.services.partners.by_user("tg", 871)
    assert partner is not None
    cap = harness.services.content_store.content.program.schedule.max_automated_per_week
    await harness.services.outbox.enqueue(  # Ира had her automated messages this week
        [private(f"test:week:{n}", "news", None, partner, f"№{n}") for n in range(cap)]
    )
    await harness.deliver()

    await manager.send("/announce")
    await manager.send(TEXT)
    await manager.press("Сегменту…")
    await manager.press("Вебмастер (сайт, SEO, контекст)")
    await manager.press("Сейчас")
    preview = manager.messages[-2].plain
    found = re.search(r"— (\d+) получател", preview)
    assert found is not None, preview
    announced = int(found.group(1))
    assert "Сообщений уйдёт 5" in preview  # Анна in 3 chats, Вера and Егор in one
    assert "Ещё 2 партнёра её не получат (отказались от рассылок" in preview  # Дина, Глеб
    assert f"Ещё 1 партнёр её не получит: у него уже {cap}" in preview  # Ира
    replies = await manager.press("✅ Отправить")
    assert replies[-1].plain.startswith("✅ Рассылка №1 поставлена в очередь: 5 сообщений")
    await harness.deliver()

    chats: dict[Chat, str] = {
        anna[0]: "tg:801", anna[1]: "vk:802", anna[2]: "max:803",
        vera[0]: "tg:811", vera[1]: "vk:812",
        gleb[0]: "tg:821", gleb[1]: "max:823",
        egor[0]: "tg:831", dina: "vk:842", zoya: "tg:861", ira: "tg:871",
    }  # fmt: skip
    got = Counter(
        key for chat, key in chats.items() for m in chat.messages if m.plain.startswith(TEXT)
    )
    assert set(got.values()) == {1}  # no chat twice
    assert set(got) == {"tg:801", "vk:802", "max:803", "vk:812", "tg:831"}
    people = set()
    for key in got:
        platform, _, user_id = key.partition(":")
        reached = await harness.services.partners.by_user(platform, int(user_id))
        assert reached is not None
        people.add(person_key(reached.id, reached.affiliate_id, reached.affiliate_status))
    assert announced == len(people) == 3
    await manager.send("/announcements")
    assert (
        "Получатели: партнёры сегмента «Вебмастер (сайт, SEO, контекст)» (3)" in manager.last.plain
    )

    # everyone, and the inactive (no sales: everyone here once in the program long enough;
    # counted from a list of ids)
    service = harness.services.announcements
    everyone = await service.reach("all")
    assert (everyone.people, everyone.messages, everyone.capped) == (4, 6, 1)  # and Зоя
    assert (await service.reach("inactive")).people == 0  # they joined today
    days = harness.services.content_store.content.program.schedule.inactive_after_days
    harness.clock.advance(days * 24 * 3600)  # no sales since: everyone is inactive now
    assert await service.reach("inactive") == await service.reach("all")
