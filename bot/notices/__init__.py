"""Automated messages: what the services decided (a contest's moments, approved sales),
written in each recipient's language and queued in the outbox, with a key that makes
deciding the same thing twice harmless. One module per kind of message; `Notices` is all
of them over the same services.
"""

from __future__ import annotations

from bot.notices.contest_changes import ContestChangeNotices
from bot.notices.contests import ContestNotices
from bot.notices.digests import DigestNotices
from bot.notices.reports import ReportNotices
from bot.notices.sales import SaleNotices


class Notices(ContestChangeNotices, ContestNotices, DigestNotices, SaleNotices, ReportNotices):
    """Every automated message the bot writes (`NoticesBase` holds what they share)."""
