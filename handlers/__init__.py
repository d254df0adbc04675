"""All routers, assembled in the order they must see updates."""

from __future__ import annotations

from typing import Any, Final

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject

from handlers import community, errors
from handlers.filters import CommandText, InConversation, IsManager, ManagersChat, PrivateChat
from handlers.manager import MANAGER_COMMANDS, NO_ARGUMENTS, NO_ARGUMENTS_IN_MANAGERS_CHAT
from handlers.manager import announce as manager_announce
from handlers.manager import announcements as manager_announcements
from handlers.manager import content as manager_content
from handlers.manager import contest_dialog as manager_contest_dialog
from handlers.manager import contests as manager_contests
from handlers.manager import faq_gaps as manager_faq_gaps
from handlers.manager import faq_learning as manager_faq
from handlers.manager import faq_review as manager_faq_review
from handlers.manager import links as manager_links
from handlers.manager import partners as manager_partners
from handlers.manager import stats as manager_stats
from handlers.manager import tickets as manager_tickets
from handlers.partner import (
    PARTNER_COMMANDS,
    contests,
    creatives,
    fallback,
    faq,
    gate,
    lessons,
    link,
    me,
    membership,
    menu,
    privacy,
    settings,
    start,
    support,
    top,
)

# every command the bot has (a message starting with one, slash or not, is no FAQ gap)
COMMAND_NAMES: Final = (
    *PARTNER_COMMANDS, *MANAGER_COMMANDS, "cancel", "menu", "rules", "report",
)  # fmt: skip


def setup_routers() -> list[Router]:
    """The routers for the Dispatcher, in order; the error handler last (it sees only
    errors, so updates need not pass through it first)."""
    private = Router(name="private")
    private.message.filter(PrivateChat())
    private.callback_query.filter(PrivateChat())

    managers = Router(name="managers")
    managers.message.filter(IsManager())
    managers.include_routers(
        manager_content.setup(),
        manager_tickets.setup_command(),
        manager_partners.setup(),
        manager_links.setup_command(),
        manager_stats.setup(),
        manager_contests.setup_commands(),
        manager_announce.setup_commands(),
        manager_announcements.setup(),
        manager_faq_review.setup_commands(),
    )

    # Commands and the buttons of each feature. The router-level filter lets plain text
    # skip every command filter on its way to the FAQ (the hot path).
    commands = Router(name="commands")
    commands.message.filter(CommandText())
    commands.include_routers(
        fallback.setup_usage(),
        menu.setup(),
        faq.setup(),
        lessons.setup(),
        creatives.setup(),
        me.setup(),
        settings.setup(),
        privacy.setup(),
        support.setup(),
        link.setup(),
        contests.setup(),
        top.setup(),
        managers,
        fallback.setup(),
    )
    conversations = Router(name="conversations")
    conversations.message.filter(InConversation())
    conversations.include_routers(
        manager_tickets.setup_private(),  # a manager's reply to a ticket in private
        support.setup_dialog(),  # /support's question, and messages to an open ticket
    )
    private.include_routers(
        gate.setup(PARTNER_COMMANDS),  # someone unknown: /start first, nothing stored before
        faq.setup_free_text("questions", hot=True),  # the hot path: a plain question
        # a manager's command given arguments it does not take (/cancel of their dialogs
        # too): its usage, before a dialog or a ticket reply could act on it
        fallback.setup_usage(
            (*NO_ARGUMENTS, "cancel"), CommandText(), IsManager(), name="managers"
        ),
        start.setup(),  # /start and the onboarding dialog, which takes typed answers
        manager_contest_dialog.setup(),  # a manager typing a contest's fields
        manager_announce.setup_dialog(),  # a manager's /announce
        manager_faq.setup_private_ticket(),  # /faq_link replying to a ticket in private
        # the message right after the /link usage: the id? (before an open ticket, which
        # would take it as words to the manager)
        link.setup_dialog(),
        conversations,
        faq.setup_free_text(),  # any other text is a question (the hot path)
        commands,
        fallback.setup_unsupported(),
    )
    routers = [
        private,
        # the same in the managers' chat, for the commands that work there
        fallback.setup_usage(
            NO_ARGUMENTS_IN_MANAGERS_CHAT,
            CommandText(),
            ManagersChat(),
            IsManager(),
            name="managers_chat",
        ),
        manager_links.setup_buttons(),  # link approvals, in private or the managers' chat
        manager_contests.setup_buttons(),
        manager_announce.setup_buttons(),  # the /announce dialog, and 👍/👎 under announcements
        manager_faq.setup_chat(),  # /faq_link in tickets, /faq_learned, their buttons
        manager_faq_gaps.setup(),  # the 🔗 buttons under the gaps in /stats
        manager_tickets.setup_managers_chat(),
        manager_tickets.setup_buttons(),  # the whole question under a ticket card
        community.setup(),
        membership.setup(),
        fallback.setup_stale_buttons(),
        errors.setup(),
    ]
    for router in routers:
        enter_only_where_handled(router)
    return routers


def _wanted(router: Router) -> frozenset[str]:
    """The update types something in `router` or below acts on: a handler or a middleware."""
    own = {
        name
        for name, observer in router.observers.items()
        if observer.handlers or observer.middleware or observer.outer_middleware
    }
    return frozenset(own.union(*(_wanted(sub) for sub in router.sub_routers)))


def enter_only_where_handled(router: Router) -> None:
    """aiogram walks an update into every router in turn until one handles it, each visit
    wrapping the router's middlewares anew (a button press crossed ~20 routers that
    handle only messages); a router, with the ones below it, now lets an update type it
    has no handler or middleware for pass at once (UNHANDLED, as its walk would end).
    For routers whose handlers are registered when they are built (each `setup()`)."""
    wanted = _wanted(router)
    walk = router.propagate_event

    async def propagate_event(update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if update_type not in wanted:
            return UNHANDLED
        return await walk(update_type=update_type, event=event, **kwargs)

    router.propagate_event = propagate_event  # type: ignore[method-assign]
    for sub in router.sub_routers:
        enter_only_where_handled(sub)
