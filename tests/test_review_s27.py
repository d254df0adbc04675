"""Session 27's independent testers' findings (S: an operator on VK, CSV and content; T:
partners' trust and privacy), each a test seen failing before its fix."""

from __future__ import annotations

from pathlib import Path

from bot.vk.emulator import CHAT_PEER_BASE, VkApiEmulator
from tests.harness import running_bot

VK_MANAGERS_CHAT = CHAT_PEER_BASE + 27


async def test_tickets_answered_in_a_vk_chat_name_no_topic(tmp_path: Path) -> None:
    """VK has no forum topics: a manager told to answer «в теме обращения» in a VK
    managers' chat looked for what is not there (session 27's tester S)."""
    vk = VkApiEmulator()
    vk.add_chat(VK_MANAGERS_CHAT, "Менеджеры")
    try:
        async with running_bot(
            tmp_path, vk=vk, vk_managers_peer_id=VK_MANAGERS_CHAT, managers="tg:900001,vk:1461"
        ) as harness:
            vera = harness.vk_user(1462, "Вера")
            await vera.onboard()
            await vera.send("/support")
            await vera.send("Не пришла выплата")
            boss = harness.vk_user(1461)
            await boss.send("/start")
            said = (await boss.send("/tickets"))[-1].text
            assert "Отвечают на обращения в чате менеджеров (ВКонтакте)" in said, said
            assert "ответом на сообщение обращения" in said, said
            assert "теме" not in said, said
    finally:
        await vk.stop()
