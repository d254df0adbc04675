"""Session 11 (fixvk): a VK manager's reply after a restart on which VK's message ids
started over (the sandbox's emulator; in production a bot moved to another community,
whose conversations number their messages from 1 again) reaches the ticket the manager
sees, not an older one whose managers' message had the same id."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bot.db.tables import faq_learned
from bot.vk.emulator import VkApiEmulator
from tests.harness import MANAGER_ID, VK_MANAGER_ID, Client, chats_emulator, running_bot


async def test_a_vk_reply_after_the_ids_started_over_reaches_the_newer_ticket(
    tmp_path: Path,
) -> None:
    async with chats_emulator() as emulator:
        emulator.add_user(MANAGER_ID, "Михаил")
        first_vk = VkApiEmulator()
        try:
            async with running_bot(tmp_path, emulator=emulator, vk=first_vk) as harness:
                harness.vk_manager()  # gets tickets in private
                anna = harness.user(1101)
                await anna.onboard()
                await anna.send("/support Вопрос один из Телеграма")
                await anna.press("✅ Вопрос решён, закрыть")
                told = len(anna.messages)
                first_ids = [m.cmid for m in first_vk.chat_messages(VK_MANAGER_ID)]
        finally:
            await first_vk.stop()
        second_vk = VkApiEmulator()  # its conversations number messages from 1 again
        try:
            async with running_bot(tmp_path, emulator=emulator, vk=second_vk) as harness:
                harness.clock.advance(7 * 86400)  # past the reopen window
                manager = harness.vk_manager()
                vera = harness.vk_user(1102, "Вера")
                await vera.onboard()
                await vera.send("/support Вопрос два из ВК")
                words = manager.last  # the card: it stands for the question
                assert words.text.startswith("🎫 Обращение №2")
                assert words.cmid in first_ids  # the same id ticket №1's messages had
                await manager.send("Ответ менеджера из ВК", reply_to=words)
                assert vera.last.text == "Ответ менеджера из ВК"
                anna = Client(harness, 1101)
                assert len(anna.messages) == told  # the closed ticket's partner: nothing
                await manager.send("/faq_link traffic-allowed", reply_to=words)
                async with harness.services.db.read() as conn:
                    rows = await conn.execute(sa.select(faq_learned))
                    learned = [(row.entry_id, row.phrasing) for row in rows]
                assert learned == [("traffic-allowed", "Вопрос два из ВК")]
        finally:
            await second_vk.stop()
