"""The schema, as SQLAlchemy Core tables. Alembic migrations mirror it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class _UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A moment, always written in UTC: SQLite keeps a datetime's wall time and drops its
    offset, so 01:30+03:00 would be read back as 01:30 UTC (a sale in the wrong month);
    SQLite's naive values read back as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


UtcDateTime = _UtcDateTime()

# What the id columns hold: a number from outside is checked against these before it
# reaches a query (SQLite raises OverflowError past 64 bits, PostgreSQL a DataError).
MAX_ROW_ID = 2**31 - 1  # sa.Integer: row ids (tickets, questions, partners, …)
MAX_BIG_ID = 2**63 - 1  # sa.BigInteger: platform user and chat ids, update ids

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(8), nullable=False),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("first_name", sa.String(128), nullable=False, server_default=""),
    sa.Column("username", sa.String(64), nullable=True),
    sa.Column("language", sa.String(8), nullable=False, server_default="ru"),
    sa.Column("segment", sa.String(64), nullable=True),
    sa.Column("answers", sa.JSON, nullable=False, default=dict),
    sa.Column("onboarded", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("consent", sa.Boolean, nullable=True),
    sa.Column("subscriptions", sa.JSON, nullable=False, default=dict),
    sa.Column("stopped", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("referrer_id", sa.Integer, sa.ForeignKey("partners.id", ondelete="SET NULL")),
    sa.Column("partner_code", sa.String(16), nullable=False),
    sa.Column("affiliate_id", sa.String(64), nullable=True),
    sa.Column("affiliate_status", sa.String(16), nullable=False, server_default="none"),
    # another id a linked partner asked for (/link): the linked one counts until a manager
    # approves it (declined: the linked one stays)
    sa.Column("requested_affiliate_id", sa.String(64), nullable=True),
    sa.Column("public_name", sa.String(16), nullable=False, server_default="name"),
    sa.Column("unreachable", sa.Boolean, nullable=False, server_default=sa.false()),
    # one person on Telegram and VK (one affiliate id) may want automated sends in one only
    sa.Column("preferred_platform", sa.String(8), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    # the newsletter choice of one chat of a person (docs/one-person.md): when it was made,
    # and the chat's own while a linked chat's newer one stands in for it
    sa.Column("chosen_at", UtcDateTime, nullable=True),
    sa.Column("own_choice", sa.JSON, nullable=True),
    sa.UniqueConstraint("platform", "user_id", name="uq_partners_platform_user"),
    sa.UniqueConstraint("partner_code", name="uq_partners_partner_code"),
    sa.Index("ix_partners_affiliate", "affiliate_id", "affiliate_status", "segment"),
    sa.Index("ix_partners_referrer_id", "referrer_id"),
)

# The segments a chat left, and when (session 28): a contest counts only the sales a partner
# made while in one of its segments (bot/services/segment_history.py). The segment now is
# `partners.segment`; the first one a chat chose covers all time before it.
segment_changes = sa.Table(
    "segment_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "partner_id",
        sa.Integer,
        sa.ForeignKey("partners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("segment", sa.String(64), nullable=False),
    sa.Column("left_at", UtcDateTime, nullable=False),
    sa.Index("ix_segment_changes_partner", "partner_id", "left_at"),
)

# The names and @usernames a partner's chat went by before its current ones (a new name
# from their updates: bot/services/partner_rows.py), as the posts show them
# (`bot.names.name_forms`): /forget looks for every name the bot's posts may have given
# them (docs/privacy.md), and goes with the partner
partner_names = sa.Table(
    "partner_names",
    metadata,
    sa.Column(
        "partner_id",
        sa.Integer,
        sa.ForeignKey("partners.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("form", sa.String(200), primary_key=True),
)

faq_questions = sa.Table(
    "faq_questions",
    metadata,
    # made in the process (time-ordered, 64-bit); SQLite's INTEGER key is 64-bit already
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("partner_id", sa.Integer, sa.ForeignKey("partners.id", ondelete="CASCADE")),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("entry_id", sa.String(64), nullable=True),
    sa.Column("score", sa.Float, nullable=False),
    # answered | suggested | missed; after a press picked | repicked (bot/services/faq.py)
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("feedback", sa.String(16), nullable=True),  # helped | manager
    sa.Column("created_at", UtcDateTime, nullable=False),
    # the "did you mean" options offered (entry ids, comma-separated): a pick must be one
    sa.Column("suggestions", sa.String(200), nullable=True),
)

lesson_progress = sa.Table(
    "lesson_progress",
    metadata,
    sa.Column(
        "partner_id",
        sa.Integer,
        sa.ForeignKey("partners.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("lesson_id", sa.String(64), primary_key=True),
    sa.Column("completed_at", UtcDateTime, nullable=False),
)

fsm_states = sa.Table(
    "fsm_states",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("state", sa.String(255), nullable=True),
    sa.Column("data", sa.JSON, nullable=False, default=dict),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("actor", sa.String(32), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(128), nullable=True),
    sa.Column("details", sa.Text, nullable=True),
    sa.Column("allowed", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # the ticket number
    # NULL: the partner was forgotten (/forget); the ticket stays, anonymous, for the numbers
    sa.Column(
        "partner_id", sa.Integer, sa.ForeignKey("partners.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("status", sa.String(16), nullable=False),  # open | closed
    sa.Column("question", sa.Text, nullable=False, server_default=""),
    sa.Column("chat_id", sa.BigInteger, nullable=True),  # managers' chat (None: in private)
    sa.Column("thread_id", sa.BigInteger, nullable=True),  # its forum topic, if any
    # the title the topic was given (the partner's name in it: NULL after /forget)
    sa.Column("topic_title", sa.String(128), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("waiting_since", UtcDateTime, nullable=True),  # the partner waits for a reply
    sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_reply_at", UtcDateTime, nullable=True),
    sa.Column("closed_at", UtcDateTime, nullable=True),
    sa.Column("rating", sa.String(8), nullable=True),  # up | down
    # ratings given before the ticket was reopened (each close may be rated)
    sa.Column("earlier_up", sa.Integer, nullable=False, server_default="0"),
    sa.Column("earlier_down", sa.Integer, nullable=False, server_default="0"),
    # times reopened: a /cancel confirmation carries it, so one given before a reopen is stale
    sa.Column("reopens", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_tickets_partner_status", "partner_id", "status"),
    sa.Index("ix_tickets_chat_thread", "chat_id", "thread_id"),
)

ticket_messages = sa.Table(
    "ticket_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("direction", sa.String(8), nullable=False),  # in (partner) | out (manager) | card
    sa.Column("partner_message_id", sa.BigInteger, nullable=True),
    sa.Column("chat_id", sa.BigInteger, nullable=False),  # where the managers see it
    sa.Column("message_id", sa.BigInteger, nullable=False),
    # the platform of chat_id (Telegram and VK ids may coincide)
    sa.Column("platform", sa.String(8), nullable=False, server_default="tg"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_ticket_messages_chat_message", "chat_id", "message_id"),
)

conversions = sa.Table(
    "conversions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversion_id", sa.String(128), nullable=False),
    sa.Column("affiliate_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | declined
    sa.Column("amount", sa.Numeric(14, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("occurred_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("conversion_id", name="uq_conversions_conversion_id"),
    sa.Index("ix_conversions_affiliate_status", "affiliate_id", "status"),
    # contest standings read only this index: approved in a window, by affiliate
    sa.Index("ix_conversions_status_occurred", "status", "occurred_at", "affiliate_id", "amount"),
)

conversion_events = sa.Table(
    "conversion_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversion_id",
        sa.Integer,
        sa.ForeignKey("conversions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("from_status", sa.String(16), nullable=True),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("amount", sa.Numeric(14, 2), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # postback | csv
    sa.Column("at", UtcDateTime, nullable=False),
)

# Contests made with /contest_new (definition: the Contest model as JSON), and the state of
# contests from content files (definition NULL): announced, cancelled; a finished one's
# places once a winner used /forget.
contests = sa.Table(
    "contests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("source", sa.String(8), nullable=False),  # manager | file
    sa.Column("definition", sa.JSON, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # active | cancelled
    sa.Column("created_by", sa.String(32), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("announced_at", UtcDateTime, nullable=True),
    sa.Column("cancelled_at", UtcDateTime, nullable=True),
    # the places as decided, kept when a winner used /forget (`ContestService.keep_places`)
    sa.Column("results", sa.JSON, nullable=True),
)

# Partners told of a contest in a reply, not by the outbox (the end of onboarding names the
# contests they may join): a cancel or new dates reach them too (the outbox's sent rows say
# who else was told).
contest_mentions = sa.Table(
    "contest_mentions",
    metadata,
    sa.Column("contest_id", sa.String(32), primary_key=True),
    sa.Column(
        "partner_id",
        sa.Integer,
        sa.ForeignKey("partners.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Every message the bot sends on its own: one row per (send, recipient), created when the
# send is decided. `key` says what, to whom and for which moment, so deciding twice
# enqueues once.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # contest | sale | announcement | …
    # what a send is about: "contest:ID", "announcement:N", a sale notice's conversions
    # ("sales:12,15": bot/services/outbox_sales.py — as long as the approval was)
    sa.Column("subject", sa.Text, nullable=True),
    sa.Column("platform", sa.String(8), nullable=False),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("partner_id", sa.Integer, sa.ForeignKey("partners.id", ondelete="CASCADE")),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("photo", sa.Text, nullable=True),  # a file path or a Telegram file_id
    sa.Column("document", sa.Text, nullable=True),  # a Telegram file_id
    sa.Column("picture", sa.LargeBinary, nullable=True),  # a generated image (PNG)
    sa.Column("buttons", sa.JSON, nullable=True),  # inline buttons: [[{text, callback_data}]]
    sa.Column("not_before", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued | sent | blocked | failed | …
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    # a send timed out after the request left: it may have arrived (retried once)
    sa.Column("uncertain", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=True),
    # a delivery worker's claim on a queued row (PostgreSQL: taken with SKIP LOCKED)
    sa.Column("claimed_until", UtcDateTime, nullable=True),
    # its request is leaving (MAX: a row found so after a crash is checked, not resent)
    sa.Column("sending_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("key", name="uq_outbox_key"),
    sa.Index("ix_outbox_status_not_before", "status", "not_before"),
    sa.Index("ix_outbox_partner_created", "partner_id", "created_at"),
    sa.Index("ix_outbox_partner_not_before", "partner_id", "not_before"),  # the weekly cap
)

# /announce: a manager's message to an audience, now or at a time; its rows are in the outbox
# (subject "announcement:ID"), its 👍/👎 in announcement_reactions.
announcements = sa.Table(
    "announcements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_by", sa.String(32), nullable=False),
    sa.Column("manager_chat_id", sa.BigInteger, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("photo", sa.Text, nullable=True),
    sa.Column("document", sa.Text, nullable=True),
    sa.Column("audience", sa.String(64), nullable=False),  # all | segment:ID | tier:ID | …
    sa.Column("recipients", sa.Integer, nullable=False),
    sa.Column("send_at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # scheduled | cancelled
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("reported_at", UtcDateTime, nullable=True),
)

announcement_reactions = sa.Table(
    "announcement_reactions",
    metadata,
    sa.Column(
        "announcement_id",
        sa.Integer,
        sa.ForeignKey("announcements.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "partner_id",
        sa.Integer,
        sa.ForeignKey("partners.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("value", sa.String(8), nullable=False),  # up | down
)

# Telegram updates received by webhook: written before the 200 goes back, handled from
# here, so an acknowledged update survives a crash and one delivered twice is handled once.
# the `platform` of the long-polled updates a stop kept (bot.webhook.PolledReader), by
# platform: MAX's apart from those its webhook stored (another body)
POLLED_ROWS: Final = {"vk": "vk", "max": "max-poll"}
# a person's updates still waiting, by their platform (bot.services.privacy: /forget)
WAITING_ROWS: Final = {"tg": ("tg",), "vk": ("vk",), "max": ("max", "max-poll")}

webhook_updates = sa.Table(
    "webhook_updates",
    metadata,
    sa.Column("platform", sa.String(8), primary_key=True),
    sa.Column("update_id", sa.BigInteger, primary_key=True),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("taken_at", UtcDateTime, nullable=True),  # a worker started handling it
    sa.Column("handled_at", UtcDateTime, nullable=True),
    sa.Index("ix_webhook_updates_handled", "handled_at", "received_at"),
)

# buttons acted on once: a /faq_link picker (its message) that sent its answer; a second
# press (a double tap, another manager) finds its row and is told it is done already
pressed_once = sa.Table(
    "pressed_once",
    metadata,
    sa.Column("platform", sa.String(8), primary_key=True),
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("message_id", sa.BigInteger, primary_key=True),
    sa.Column("pressed_at", UtcDateTime, nullable=False),
)

# --- FAQ learning: phrasings learned from partners and managers, apart from content ---
faq_learned = sa.Table(
    "faq_learned",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.String(64), nullable=False),
    sa.Column("phrasing", sa.Text, nullable=False),
    sa.Column("phrasing_key", sa.String(400), nullable=False),  # normalised, for duplicates
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected
    sa.Column("source", sa.String(16), nullable=False),  # helped | link | teach | gap | move
    sa.Column("note", sa.String(32), nullable=True),  # entry-gone: its entry left faq.yaml
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("entry_id", "phrasing_key", name="uq_faq_learned_entry_phrasing"),
    sa.Index("ix_faq_learned_status", "status", "entry_id"),
    # one wording answers one entry: the same wording is looked up under other entries
    sa.Index("ix_faq_learned_phrasing_key", "phrasing_key"),
)

# who confirmed a pending phrasing (deleted once it is approved: no link to the partner)
faq_learned_votes = sa.Table(
    "faq_learned_votes",
    metadata,
    sa.Column(
        "learned_id",
        sa.Integer,
        sa.ForeignKey("faq_learned.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "partner_id",
        sa.Integer,
        sa.ForeignKey("partners.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# one row per counter; faq_learned bumps "faq_learned" on every change of what is approved,
# so every worker notices with one cheap read
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
