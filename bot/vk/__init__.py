"""VK: the community's API client, and the aiogram session that speaks it."""
