"""Telegram: the aiogram Bot and its session (`session`), the delivery worker
(`delivery`), the HTML Telegram accepts (`html`), the start-up checks (`rights`,
`startup`) and the Bot API emulator for tests and the sandbox (`emulator`)."""
