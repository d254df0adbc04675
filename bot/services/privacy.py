"""/forget: a partner's personal data deleted everywhere it is kept (docs/privacy.md)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.engine import Database
from bot.db.tables import WAITING_ROWS, audit_log, webhook_updates
from bot.names import Naming, name_forms
from bot.services.faq import FaqService
from bot.services.outbox import Outbox
from bot.services.partner import Partner
from bot.services.partners import Changed, PartnerService
from bot.services.support import SupportService

FORGOTTEN = "forgotten"  # what the audit log says instead of a forgotten partner's ids


class PrivacyService:
    def __init__(
        self,
        partners: PartnerService,
        faq: FaqService,
        support: SupportService,
        outbox: Outbox,
        db: Database,
    ) -> None:
        self._partners = partners
        self._faq = faq
        self._support = support
        self._outbox = outbox
        self._db = db
        # told first, while the partner's data is still there, with the names the group's
        # posts give them: the posts still waiting are written again without them
        self.forgetting: list[Callable[[Partner, Naming], Awaitable[None]]] = []
        # told last, once the partner's data is gone: the cached standings are read again
        self.forgotten: list[Callable[[Partner], Awaitable[None]]] = []

    async def forget(self, partner: Partner) -> list[Changed]:
        """Delete the partner with their answers, progress and questions (cascades); their
        tickets and sent messages stay for the program's numbers, anonymous; the audit log
        keeps the managers' actions but no longer names the partner; updates still waiting
        to be handled lose their body; the group's posts still waiting go without their
        name (`forgetting`); the next reading of the standings leaves them out
        (`forgotten`). The person's other chats whose own newsletter choice is back (this
        chat's stood in for it)."""
        await self._faq.flush()  # queued questions are written first, then deleted with them
        await self._faq.learning.forget(partner.id)  # the phrasings only they confirmed
        await self._support.forget(partner)
        naming = await self.naming(partner)
        for listener in self.forgetting:
            await listener(partner, naming)
        await self._outbox.forget(partner.id, naming)
        changed = await self._partners.forget(partner)
        async with self._db.write() as conn:
            await _forget_in_audit_log(conn, partner)
            platforms = WAITING_ROWS.get(partner.platform, ())
            waiting = await conn.execute(
                sa.select(
                    webhook_updates.c.platform, webhook_updates.c.update_id, webhook_updates.c.body
                ).where(
                    webhook_updates.c.platform.in_(platforms),
                    webhook_updates.c.handled_at.is_(None),
                )
            )
            mine: dict[str, list[int]] = {}  # by platform: one statement each, as before
            for row in waiting:
                if _from_user(row.body, partner.user_id):
                    mine.setdefault(row.platform, []).append(row.update_id)
            for platform, update_ids in mine.items():
                await conn.execute(
                    webhook_updates.update()
                    .where(
                        webhook_updates.c.platform == platform,
                        webhook_updates.c.update_id.in_(update_ids),
                    )
                    .values(body={})
                )
        for after in self.forgotten:
            await after(partner)
        return changed

    async def naming(self, partner: Partner) -> Naming:
        """How the posts name the partner (`name_forms`) — by their name and @username now
        and by every one their chat went by before (a post made before they renamed
        themselves has the old one), and by their platform id (the managers' list of
        winners gives it: all it has of one whose name shows nothing) — and the longer
        names of the other partners that have one of those forms inside as a word («Анна
        Петрова» for «Анна»): a post naming one of them does not name this partner."""
        former = await self._partners.former_names(partner.id)
        forms = name_forms(partner.first_name, partner.username)
        naming = Naming(tuple(dict.fromkeys((*forms, *former, partner.key))))
        others = await self._partners.names_with(naming.searched, besides=partner.id)
        shown = [form for name in others for form in name_forms(name)]
        return replace(naming, others=tuple(naming.contained_in(shown)))


async def _forget_in_audit_log(conn: AsyncConnection, partner: Partner) -> None:
    """The audit log no longer names the partner: `forgotten` for their ids as the target,
    inside the details, and as the actor of what they tried and were refused (their words
    in those rows go too). A manager's allowed actions keep the manager."""
    names = [partner.key, partner.partner_code, f"partner:{partner.id}"]
    await conn.execute(
        audit_log.update().where(audit_log.c.target.in_(names)).values(target=FORGOTTEN)
    )
    await conn.execute(
        audit_log.update()
        .where(audit_log.c.actor == partner.key, audit_log.c.allowed.is_(False))
        .values(actor=FORGOTTEN, details=None)
    )
    named = re.compile("|".join(rf"(?<!\w){re.escape(name)}(?!\w)" for name in names))
    rows = await conn.execute(
        sa.select(audit_log.c.id, audit_log.c.details).where(
            sa.or_(*(audit_log.c.details.contains(name, autoescape=True) for name in names))
        )
    )
    for row in list(rows):
        details = named.sub(FORGOTTEN, row.details)
        if details != row.details:
            await conn.execute(
                audit_log.update().where(audit_log.c.id == row.id).values(details=details)
            )


def _from_user(body: Any, user_id: int) -> bool:
    """Whether an update's body was sent by (or in the private chat of) `user_id`: an
    aiogram update's `from`, `chat` or `user`, a MAX event's `sender` or `user`."""
    if isinstance(body, dict):
        for key in ("from", "chat", "user", "sender"):
            found = body.get(key)
            if isinstance(found, dict) and user_id in (found.get("id"), found.get("user_id")):
                return True
        return any(_from_user(value, user_id) for value in body.values())
    if isinstance(body, list):
        return any(_from_user(value, user_id) for value in body)
    return False
