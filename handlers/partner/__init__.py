"""Partner-facing routers (private chat)."""

from __future__ import annotations

from collections.abc import Sequence

PARTNER_COMMANDS: Sequence[str] = (
    "start",
    "help",
    "faq",
    "lessons",
    "creatives",
    "me",
    "settings",
    "contests",
    "top",
    "support",
    "link",
    "stop",
    "forget",
)
