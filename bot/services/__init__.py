"""Business rules. Nothing here imports aiogram or vk_api."""
