"""Session 19: the sandbox's managers' chat; what the session's independent testers found."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bot.db.tables import audit_log
from tests.harness import chats_emulator, running_bot

# --- the sandbox's managers' chat: `/chat managers` ---


async def test_the_sandbox_has_a_managers_chat_where_tickets_arrive(tmp_path: Path) -> None:
    from bot.sandbox.group import MANAGERS_ID, add_groups
    from bot.sandbox.terminal import MANAGER_ID, PARTNER_ID, TerminalChat

    async with chats_emulator() as emulator:
        add_groups(emulator)
        async with running_bot(
            tmp_path,
            emulator=emulator,
            tg_managers_chat_id=MANAGERS_ID,
            managers=f"tg:{MANAGER_ID}",
        ) as harness:
            lines: list[str] = []
            chat = TerminalChat(harness.emulator, lines.append)
            anna = harness.user(PARTNER_ID, "Анна")
            await anna.onboard()

            async def typed(line: str) -> None:
                assert chat.handle(line)
                await harness.emulator.wait_processed(harness.emulator.last_update_id)

            await typed("/support")
            await typed("Не пришла выплата за октябрь")
            said = "\n".join(lines)
            # the ticket's card in its topic, marked as the managers' chat's
            assert "(managers › #1 " in said, said
            await typed("/as manager")
            await typed("/chat managers")
            assert lines[-1].startswith("   you now write in the managers' chat"), lines[-1]
            await typed("/reply Проверим сегодня")
            to_anna = harness.emulator.chat_messages(PARTNER_ID)
            assert "Проверим сегодня" in to_anna[-1].plain, to_anna[-1].plain
            await typed("/tickets")  # the general topic: the manager's commands work
            assert "🤖 (managers) Открытые обращения" in "\n".join(lines[-3:]), lines[-3:]
            # a partner in the managers' chat is no manager there
            await typed("/as partner")
            await typed("/reply я тоже менеджер")
            assert "я тоже менеджер" not in harness.emulator.chat_messages(PARTNER_ID)[-1].plain
            async with harness.services.db.read() as conn:
                refused = (
                    (
                        await conn.execute(
                            sa.select(audit_log.c.action).where(
                                audit_log.c.actor == f"tg:{PARTNER_ID}",
                                audit_log.c.allowed.is_(False),
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
            assert "reply" in refused, refused
            await typed("/chat private")
            assert lines[-1] == "   you now write in your private chat"
            await typed("/chat nowhere")
            assert lines[-1].startswith("   usage: /chat group | /chat managers | /chat private")
