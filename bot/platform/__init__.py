"""What every messenger does the same way, once: the platforms' folders (`bot/vk/`,
`bot/max/`, Telegram's) hold only what differs. Here: the session's table of aiogram
methods (`session`), the delivery worker on a platform's bot (`delivery`), files across
platforms (`files`), bounded memories (`memory`) and the emulators' plumbing
(`emulation`). Pacing (`bot.pacing`), keyboard re-flow (`bot.keyboards`) and text
splitting (`bot.rendering`) are shared beside it (docs/platform-layer.md)."""
