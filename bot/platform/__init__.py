"""What every messenger does the same way, once: the platforms' folders (`bot/vk/`,
`bot/max/`, Telegram's) hold only what differs. Here: remembering (`memory`: bounded
maps, events seen once, the long poll's buffer of updates), files (`files`: whose file
an id is, fetching another platform's file, uploads made once), and the platform-neutral
emulator plumbing (`emulation`). Pacing (`bot.pacing`), keyboard re-flow
(`bot.keyboards`) and text splitting (`bot.rendering`) are shared beside it."""
