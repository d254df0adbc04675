"""The offline sandbox: a Telegram Bot API emulator and a terminal chat on top of it."""
