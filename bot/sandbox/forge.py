"""A forged button press in the sandbox (`/press DATA`): what a modified client can send —
any callback data under the bot's newest message with buttons in the chat, whatever came
after it — to try what the bot does with data it never sent (docs/sandbox.md)."""

from __future__ import annotations

import json

from bot.max.emulator import MaxApiEmulator
from bot.sandbox.pressable import newest_with_buttons
from bot.telegram.emulator import BotApiEmulator, SentMessage
from bot.vk.convert import payload_of
from bot.vk.emulator import VkApiEmulator


def press_forged(
    data: str,
    platform: str,
    user_id: int,
    last: SentMessage | None,
    emulator: BotApiEmulator,
    vk: VkApiEmulator | None,
    max_api: MaxApiEmulator | None,
) -> str | None:
    """Presses a button with `data` under the bot's newest message with buttons in the
    chat on `platform` (Telegram: `last`, found by the caller; VK: in the payload's
    envelope the bot's own buttons carry; MAX: as the payload); a note to print, or None."""
    if not data:
        return "   usage: /press DATA (callback data, as a client may send it)"
    if platform == "vk" and vk is not None:
        last_vk = newest_with_buttons(vk.messages.get(user_id, []))
        if last_vk is not None:
            vk.press_payload(user_id, last_vk, json.loads(payload_of(data)))
            return None
    elif platform == "max" and max_api is not None:
        dialog = max_api.users[user_id].dialog
        last_max = newest_with_buttons(max_api.messages.get(dialog, []))
        if last_max is not None:
            max_api.press_payload(user_id, last_max, data)
            return None
    elif last is not None:
        emulator.press_data(user_id, last, data)
        return None
    return "   no message with buttons to press under"
