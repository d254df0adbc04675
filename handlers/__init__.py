"""All routers, assembled in the order they must see updates."""

from __future__ import annotations

from aiogram import F, Router

from handlers import errors
from handlers.filters import IsManager
from handlers.manager import content as manager_content
from handlers.partner import (
    creatives,
    fallback,
    faq,
    lessons,
    me,
    menu,
    privacy,
    settings,
    start,
)


def setup_routers() -> Router:
    root = Router(name="root")
    root.include_router(errors.setup())

    private = Router(name="private")
    private.message.filter(F.chat.type == "private")
    private.callback_query.filter(F.message.chat.type == "private")

    managers = Router(name="managers")
    managers.message.filter(IsManager())
    managers.include_router(manager_content.setup())

    private.include_routers(
        fallback.setup_usage(),
        start.setup(),
        menu.setup(),
        faq.setup(),
        lessons.setup(),
        creatives.setup(),
        me.setup(),
        settings.setup(),
        privacy.setup(),
        managers,
        fallback.setup(),
        faq.setup_free_text(),
        fallback.setup_unsupported(),
    )
    root.include_router(private)
    return root
