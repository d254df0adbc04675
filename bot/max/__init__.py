"""MAX (max.ru): the bot on VK's national messenger, through a `MaxSession`."""
