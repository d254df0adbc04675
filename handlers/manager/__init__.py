"""Manager routers: only for the ids in MANAGERS (a router-level filter)."""

from __future__ import annotations

from typing import Final

# Every manager command says whether it takes arguments (docs/managers.md). Those that take
# none, given some, get their usage and do nothing (handlers/partner/fallback.py).
NO_ARGUMENTS: Final = (
    "reload", "tickets", "close", "stats", "contest_new", "contests_admin", "announce",
    "announcements", "schedule", "faq_learned",
)  # fmt: skip
WITH_ARGUMENTS: Final = ("t", "partner", "approve_link", "faq_link", "faq_unlearn")
MANAGER_COMMANDS: Final = NO_ARGUMENTS + WITH_ARGUMENTS
# those that work in the managers' chat too (the rest: only in private)
NO_ARGUMENTS_IN_MANAGERS_CHAT: Final = ("tickets", "close", "stats", "faq_learned")

# the callback prefixes of the managers' buttons, with the action an audit entry names
MANAGER_BUTTONS: Final = {
    "lk": "approve_link", "ct": "contests_admin", "an": "announce", "tq": "ticket_question",
    "fl": "faq_review", "fk": "faq_link", "fp": "faq_gap",
}  # fmt: skip
