from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiogram.client.session.aiohttp import AiohttpSession

import bot.content.loader
import bot.content.store
from bot.content.models import Content
from tests.databases import flush_redis
from tests.harness import Harness, running_bot


@pytest.fixture(autouse=True)
def _no_dialog_state_left() -> None:
    flush_redis()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path) as running:
        yield running


async def _close_without_ssl_grace(self: AiohttpSession) -> None:
    if self._session is not None and not self._session.closed:
        await self._session.close()


@pytest.fixture(autouse=True, scope="session")
def _bots_close_at_once() -> Iterator[None]:
    """aiogram's AiohttpSession.close waits 250 ms for SSL connections to shut down; the
    tests speak plain HTTP to emulators on 127.0.0.1, where there is nothing to wait for
    (the wait was a quarter of a second or more of every journey test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AiohttpSession, "close", _close_without_ssl_grace)
        yield


def _fingerprint(root: Path) -> tuple[str, str]:
    """A folder's identity: its path and every file's name and bytes."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return str(root.resolve()), digest.hexdigest()


@pytest.fixture(autouse=True, scope="session")
def _content_parsed_once() -> Iterator[None]:
    """Each bot a test starts loads its content folder; a folder whose files are the same
    bytes as one loaded before gives the same (immutable) Content instead of being parsed
    and validated again (about 70 ms a start). A changed file changes the fingerprint, so
    reload tests still read and check what they wrote; the loader's own tests call
    bot.content.loader.load_content, which stays as it is."""
    load = bot.content.loader.load_content
    loaded: dict[tuple[str, str], Content] = {}

    def load_once(root: Path) -> Content:
        if not root.is_dir():
            return load(root)
        key = _fingerprint(root)
        if key not in loaded:
            loaded[key] = load(root)
        return loaded[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.content.store, "load_content", load_once)
        yield
