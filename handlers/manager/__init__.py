"""Manager routers: only for the ids in MANAGERS (a router-level filter)."""

from __future__ import annotations

from typing import Final

MANAGER_COMMANDS: Final = (
    "reload", "tickets", "close", "t", "partner", "approve_link", "stats", "contest_new",
    "contests_admin", "announce", "announcements", "schedule", "faq_learned", "faq_link",
)  # fmt: skip

# the callback prefixes of the managers' buttons, with the action an audit entry names
MANAGER_BUTTONS: Final = {
    "lk": "approve_link", "ct": "contests_admin", "an": "announce", "tq": "ticket_question",
    "fl": "faq_review", "fk": "faq_link", "fp": "faq_gap",
}  # fmt: skip
