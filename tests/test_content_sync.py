"""ContentSync on its own: workers (a ContentStore and a ContentSync each, on one content
folder and one database) follow a valid /reload made in any of them within a second, and
nothing else: not an invalid folder, not a folder edited after the reload."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.content import store as store_module
from bot.content.loader import load_content
from bot.content.models import Content
from bot.content.references import KnownContests
from bot.content.store import ContentStore, folder_fingerprint
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.services.content_sync import ContentSync
from tests.databases import database_url
from tests.harness import DEMO_CONTENT

OLD = "Выплаты два раза в месяц"
NEW = "Выплаты дважды в месяц"
NEWER = "Выплаты каждые две недели"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(database_url(tmp_path))
    await upgrade(database)
    yield database
    await database.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, content)
    return content


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _payout_answer(store: ContentStore) -> str:
    entry = store.content.faq_entry("payout-dates")
    assert entry is not None
    return entry.answer


async def _worker(
    db: Database, folder: Path, clock: FakeClock
) -> tuple[ContentStore, ContentSync]:
    """What a worker does at start-up: load the folder and publish it."""
    store = ContentStore(folder)
    sync = ContentSync(db, store, clock)
    await sync.publish()
    return store, sync


async def test_a_reload_reaches_the_other_worker_within_a_second(
    db: Database, folder: Path
) -> None:
    clock = FakeClock()
    store_one, one = await _worker(db, folder, clock)
    store_two, two = await _worker(db, folder, clock)
    assert not await two.refresh()  # the same folder: nothing to follow

    _edit(folder / "faq.yaml", OLD, NEW)
    assert await one.reload() == []
    assert NEW in _payout_answer(store_one)
    assert await one.published() == store_one.fingerprint == folder_fingerprint(folder)

    clock.advance(0.5)  # the database is read at most once a second
    assert not await two.refresh()
    assert OLD in _payout_answer(store_two)
    clock.advance(0.5)
    assert await two.refresh()
    assert NEW in _payout_answer(store_two)
    assert store_two.fingerprint == store_one.fingerprint


async def test_an_invalid_folder_changes_nothing_anywhere(db: Database, folder: Path) -> None:
    clock = FakeClock()
    store_one, one = await _worker(db, folder, clock)
    store_two, two = await _worker(db, folder, clock)
    published = await one.published()
    live_one, live_two = store_one.live, store_two.live

    faq = folder / "faq.yaml"
    _edit(faq, OLD, NEW)
    _edit(faq, "  alt: [", "  alts: [")
    problems = await one.reload()
    assert [str(p) for p in problems] == ["faq.yaml:10: unknown key 'alts' (did you mean 'alt'?)"]
    assert await one.published() == published
    clock.advance(5)
    assert not await one.refresh()
    assert not await two.refresh()
    assert store_one.live is live_one
    assert store_two.live is live_two
    assert OLD in _payout_answer(store_two)


async def test_a_folder_edited_after_the_reload_waits_for_the_next_reload(
    db: Database, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    store_one, one = await _worker(db, folder, clock)
    store_two, two = await _worker(db, folder, clock)
    faq = folder / "faq.yaml"
    _edit(faq, OLD, NEW)
    assert await one.reload() == []
    _edit(faq, NEW, NEWER)  # before the other worker looked: nobody validated this state

    clock.advance(1)
    with caplog.at_level(logging.WARNING, logger="bot.services.content_sync"):
        assert not await two.refresh()
        clock.advance(1)
        assert not await two.refresh()  # the folder as it was: not even read again
    assert OLD in _payout_answer(store_two)
    assert len([r for r in caplog.records if "changed since" in r.getMessage()]) == 1

    assert await one.reload() == []
    clock.advance(1)
    assert await two.refresh()
    assert NEWER in _payout_answer(store_two)
    assert NEWER in _payout_answer(store_one)


async def test_a_worker_that_starts_is_followed(db: Database, folder: Path) -> None:
    """A (re)started worker serves its folder (SPEC §4: a restart applies changes), and
    the others follow it rather than serve something else."""
    clock = FakeClock()
    store_one, one = await _worker(db, folder, clock)
    _edit(folder / "faq.yaml", OLD, NEW)
    store_two, _two = await _worker(db, folder, clock)
    assert NEW in _payout_answer(store_two)
    clock.advance(1)
    assert await one.refresh()
    assert NEW in _payout_answer(store_one)


async def test_the_loop_of_a_worker_follows_without_any_update(db: Database, folder: Path) -> None:
    clock = FakeClock()
    _store_one, one = await _worker(db, folder, clock)
    store_two, two = await _worker(db, folder, clock)
    slept = asyncio.Event()

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        slept.set()
        await asyncio.sleep(0)

    loop = asyncio.create_task(two.run(sleep))
    try:
        await slept.wait()
        _edit(folder / "faq.yaml", OLD, NEW)
        assert await one.reload() == []
        for _ in range(200):  # the loop's own steps (the folder's state is read in a thread)
            if NEW in _payout_answer(store_two):
                break
            await asyncio.sleep(0.01)
        assert NEW in _payout_answer(store_two)
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


async def test_the_loop_survives_a_database_error(
    db: Database, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    _store, sync = await _worker(db, folder, clock)
    calls: list[float] = []

    async def away() -> int:
        raise OSError("connection lost")

    async def sleep(seconds: float) -> None:
        calls.append(seconds)
        clock.advance(seconds)
        if len(calls) == 3:
            raise asyncio.CancelledError

    monkeypatch.setattr(sync, "published", away)
    with pytest.raises(asyncio.CancelledError):
        await sync.run(sleep)
    assert calls == [1.0, 1.0, 1.0]  # tried again every second, never stopped


def test_a_folder_edited_while_it_is_read_is_read_again(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ContentStore(folder)
    reads: list[Path] = []

    def edited_meanwhile(root: Path, known: KnownContests | None = None) -> Content:
        content = load_content(root, known)
        reads.append(root)
        if len(reads) == 1:
            _edit(root / "faq.yaml", OLD, NEW)  # the manager saves while the bot reads
        return content

    monkeypatch.setattr(store_module, "load_content", edited_meanwhile)
    assert store.reload() == []
    assert len(reads) == 2
    assert NEW in _payout_answer(store)
    assert store.fingerprint == folder_fingerprint(folder)


def test_the_fingerprint_is_of_the_content_files_only(folder: Path) -> None:
    before = folder_fingerprint(folder)
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (folder / ".faq.yaml.swp").write_bytes(b"\0")
    assert folder_fingerprint(folder) == before
    (folder / "files" / "sofa-728x90.png").write_bytes(b"another picture")
    assert folder_fingerprint(folder) != before


async def test_a_reload_the_database_cannot_record_changes_nothing(
    db: Database, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    store, sync = await _worker(db, folder, clock)
    live = store.live

    async def away(fingerprint: int | None = None) -> None:
        raise OSError("connection lost")

    _edit(folder / "faq.yaml", OLD, NEW)
    monkeypatch.setattr(sync, "publish", away)
    with pytest.raises(OSError, match="connection lost"):
        await sync.reload()
    assert store.live is live  # the others could not be told: this worker keeps it too
