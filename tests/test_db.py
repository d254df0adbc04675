"""Schema migrations (the stairway), SQLite settings and the dialog storage."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from aiogram.fsm.storage.base import StorageKey
from alembic.script import ScriptDirectory

from bot.db.engine import Database
from bot.db.fsm import DatabaseStorage
from bot.db.migrate import alembic_config, downgrade, upgrade
from bot.db.tables import metadata
from tests.databases import PG_URL, database_url


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database.from_url(database_url(tmp_path, "db.sqlite", empty=True))
    yield database  # type: ignore[misc]
    await database.close()


@pytest.mark.parametrize("revision", _revisions())
async def test_stairway(db: Database, revision: str) -> None:
    """Every revision upgrades from the one before, downgrades, and upgrades again."""
    revisions = _revisions()
    previous = revisions[revisions.index(revision) - 1] if revisions.index(revision) else "base"
    await upgrade(db, previous)
    await upgrade(db, revision)
    await downgrade(db, previous)
    await upgrade(db, revision)


async def test_migrations_match_the_tables(db: Database) -> None:
    await upgrade(db)
    async with db.read() as conn:
        names = await conn.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
        for table in metadata.sorted_tables:
            columns = await conn.run_sync(
                lambda sync, name=table.name: {
                    c["name"] for c in sa.inspect(sync).get_columns(name)
                }
            )
            assert columns == {column.name for column in table.columns}, table.name
    assert names >= set(metadata.tables)


@pytest.mark.skipif(PG_URL is not None, reason="SQLite's settings")
async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db: Database) -> None:
    async with db.read() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1


async def test_dialog_state_survives_a_new_connection(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fsm.sqlite'}"
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    first = Database.from_url(url)
    await upgrade(first)
    storage = DatabaseStorage(first)
    await storage.set_state(key, "Onboarding:question")
    await storage.set_data(key, {"question": 2})
    await first.close()

    second = Database.from_url(url)
    storage = DatabaseStorage(second)
    assert await storage.get_state(key) == "Onboarding:question"
    assert await storage.get_data(key) == {"question": 2}
    await storage.set_state(key, None)
    await storage.set_data(key, {})
    async with second.read() as conn:
        assert (await conn.exec_driver_sql("SELECT count(*) FROM fsm_states")).scalar() == 0
    await second.close()


async def test_0009_keeps_ticket_messages_and_lets_a_ticket_outlive_its_partner(
    db: Database,
) -> None:
    """SQLite rebuilds `tickets` with foreign keys on: its messages must not cascade away."""
    await upgrade(db, "0006")
    now = "2026-11-02 12:00:00"
    async with db.write() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO partners (id, platform, user_id, chat_id, first_name, language, answers,"
            " onboarded, subscriptions, stopped, partner_code, affiliate_status, public_name,"
            " unreachable, created_at, last_seen_at) VALUES (1, 'tg', 5, 5, 'А', 'ru', '{}',"
            f" true, '{{}}', false, 'ABCDEF', 'none', 'name', false, '{now}', '{now}')"
        )
        await conn.exec_driver_sql(
            "INSERT INTO tickets (id, partner_id, status, question, created_at)"
            f" VALUES (7, 1, 'open', 'q', '{now}')"
        )
        await conn.exec_driver_sql(
            "INSERT INTO ticket_messages (ticket_id, direction, chat_id, message_id, created_at)"
            f" VALUES (7, 'in', 5, 1, '{now}')"
        )
    await upgrade(db, "0009")
    async with db.write() as conn:
        count = "SELECT count(*) FROM ticket_messages"
        assert (await conn.exec_driver_sql(count)).scalar() == 1
        await conn.exec_driver_sql("DELETE FROM partners WHERE id = 1")
        ticket = (await conn.exec_driver_sql("SELECT partner_id FROM tickets")).all()
        assert ticket == [(None,)]


async def test_migrations_make_the_tables_indexes(db: Database) -> None:
    """Every index the tables declare exists after the migrations (SQLite and PostgreSQL)."""
    await upgrade(db)
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            made = await conn.run_sync(
                lambda sync, name=table.name: {
                    (index["name"], tuple(index["column_names"]))
                    for index in sa.inspect(sync).get_indexes(name)
                }
            )
            declared = {
                (index.name, tuple(column.name for column in index.columns))
                for index in table.indexes
            }
            assert declared <= made, table.name


async def test_learned_phrasings_are_looked_up_by_wording_through_an_index(db: Database) -> None:
    """One wording answers one entry: every decision looks the wording up under other
    entries by `phrasing_key` alone, which the (entry_id, phrasing_key) key cannot serve."""
    await upgrade(db)
    async with db.read() as conn:
        indexes = await conn.run_sync(lambda sync: sa.inspect(sync).get_indexes("faq_learned"))
        assert ["phrasing_key"] in [index["column_names"] for index in indexes]
        if conn.dialect.name == "sqlite":
            plan = await conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT entry_id, status FROM faq_learned"
                " WHERE phrasing_key = 'x' AND entry_id != 'y'"
            )
            assert "USING INDEX ix_faq_learned_phrasing_key" in " ".join(
                str(row[-1]) for row in plan
            )
