"""The offline sandbox: a terminal chat with the bot on top of every platform's emulator
(`bot.telegram.emulator`, `bot.vk.emulator`, `bot.max.emulator`), and what the emulators share."""
