"""How the bot's messages read in the sandbox terminal, in each messenger: the lines to
print for one message (its attachments, its text, its buttons numbered for pressing).
`prefix` says whom it went to when that is not the person typing, and "(edited) "."""

from __future__ import annotations

from bot.max.emulator import MaxMessage
from bot.telegram.emulator import SentMessage
from bot.vk.emulator import VkMessage


def telegram_lines(message: SentMessage, prefix: str) -> list[str]:
    lines = []
    if message.kind != "text":
        size = f", {message.file_size} bytes" if message.file_size else ""
        name = f": {message.file_name}" if message.file_name else ""
        lines.append(f"📎 {message.kind}{name}{size}")  # a photo has no file name
    text = message.plain
    if text:
        lines.extend(text.splitlines())
    body = "\n   ".join(lines) if lines else ""
    shown = [f"\n🤖 {prefix}{body}"]
    number = 0
    for row in message.buttons:
        cells = []
        for button in row:
            number += 1
            link = f" → {button['url']}" if "url" in button else ""
            cells.append(f"[{number}] {button['text']}{link}")
        shown.append("   " + "   ".join(cells))
    return shown


def vk_lines(message: VkMessage, prefix: str) -> list[str]:
    lines = [f"📎 {attachment}" for attachment in message.attachments]
    lines.extend(message.text.splitlines())
    shown = [f"\n🟦 VK {prefix}" + "\n   ".join(lines)]
    if message.keyboard:
        number = 0
        for row in message.keyboard.get("buttons", []):
            cells = []
            for button in row:
                number += 1
                action = button["action"]
                link = f" → {action['link']}" if action.get("link") else ""
                cells.append(f"[{number}] {action.get('label', '')}{link}")
            shown.append("   " + "   ".join(cells))
    return shown


def max_lines(message: MaxMessage, prefix: str) -> list[str]:
    lines = [f"📎 {item['type']}" for item in message.files]
    lines.extend(message.plain.splitlines())
    shown = [f"\n🟪 MAX {prefix}" + "\n   ".join(lines)]
    number = 0
    for row in message.keyboard or []:
        cells = []
        for button in row:
            number += 1
            link = f" → {button['url']}" if button.get("url") else ""
            cells.append(f"[{number}] {button.get('text', '')}{link}")
        shown.append("   " + "   ".join(cells))
    return shown
