"""Fixtures for every test, and what keeps the suite fast (docs/development.md, "Tests").

Imports of the bot stay inside the fixtures: with pytest-xdist the controlling process
loads this file too and never runs a test, so it need not import aiogram (seconds)."""

from __future__ import annotations

import functools
import gc
import hashlib
import inspect
import os
import ssl
import sys
import types
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings as hypothesis_settings

from tests.databases import flush_redis, lending

if TYPE_CHECKING:
    from aiogram.client.session.aiohttp import AiohttpSession
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.content.models import Content
    from bot.content.references import KnownContests
    from bot.content.store import LiveContent
    from bot.db.engine import Database
    from tests.harness import Harness

# Bytecode is cached for the suite's processes (in __pycache__, ignored by git) even where
# the environment turns that off (PYTHONDONTWRITEBYTECODE=1 on the CI machine): without it
# each xdist worker compiled the bot and rewrote and compiled the ~110 test modules again
# (4 s of CPU of its 10 s of collection), and each `partnerbot run` a test starts compiled
# the bot. Set here, before the workers and those processes start (they inherit it).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# Property tests draw the same examples on every run (derandomize): a red CI means nothing
# lands, and a rare example found at random made the suite red once for reasons no change
# had brought (session 15: «спосибо) Когда выплаты?», fixed and kept as a test).
# `HYPOTHESIS_PROFILE=explore` draws new ones (docs/development.md, "Tests").
hypothesis_settings.register_profile("fixed", derandomize=True, database=None)
hypothesis_settings.register_profile("explore")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests (`@pytest.mark.slow`: `partnerbot run` processes, real timers) first,
    in their order: with `--dist worksteal` the first worker starts on them while the
    other takes the rest, and an idle worker steals only fast tests from the end of a
    queue. Last in the queue, a slow test kept the run going on one worker while the
    other had finished.

    On PostgreSQL + Redis (`make test-scale`, the suite's second run) the modules marked
    `no_database` are left out: they use neither (the matcher's, the encoder's, the
    converters' own tests), so the first run (`make test`) said all they can say."""
    from tests.databases import PG_URL, REDIS_URL

    if PG_URL or REDIS_URL:
        unused = [item for item in items if item.get_closest_marker("no_database")]
        if unused:
            config.hook.pytest_deselected(items=unused)
            items[:] = [item for item in items if not item.get_closest_marker("no_database")]
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported by now (aiogram's models, SQLAlchemy, the tests) lives until
    the end: set it apart from the garbage collector, which otherwise walks those
    hundreds of thousands of objects in every full collection (a third of a second
    each, dozens of times a run), and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


@pytest.fixture(autouse=True)
def _own_database() -> Iterator[None]:
    """A test starts with no dialog state in Redis, and the PostgreSQL databases it asks
    for are its own until it ends (lent from a pool, emptied after it: tests/databases.py).
    Autouse and function-scoped, this is set up before the test's other fixtures and torn
    down after them (once its bots closed their connections)."""
    flush_redis()
    with lending():
        yield


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    from tests.harness import running_bot

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
    from aiogram.client.session.aiohttp import AiohttpSession

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AiohttpSession, "close", _close_without_ssl_grace)
        yield


class _SharedSslContexts:
    """The `ssl` module as aiogram's session module sees it, except that contexts made
    with the same arguments are made once: each Bot reads certifi's bundle into a new
    context (18 ms), and a test makes two or more bots that never speak TLS."""

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)

    @staticmethod
    @functools.cache
    def create_default_context(**arguments: Any) -> ssl.SSLContext:
        return ssl.create_default_context(**arguments)


@pytest.fixture(autouse=True, scope="session")
def _one_ssl_context() -> Iterator[None]:
    import aiogram.client.session.aiohttp as aiohttp_session

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aiohttp_session, "ssl", _SharedSslContexts())
        yield


_SIGNATURES: dict[tuple[CodeType, bool], inspect.Signature] = {}


def _signature_once(callback: Any, **options: Any) -> inspect.Signature:
    """`inspect.signature`, worked out once per code object for a plain function or a
    method: aiogram reads only the parameters' names and kinds, which the code fixes.
    Anything else (a partial, a callable object, a wrapper, a given `__signature__`) is
    asked as before."""
    function, bound = callback, False
    if isinstance(callback, types.MethodType):
        function, bound = callback.__func__, True
    if (
        options
        or not isinstance(function, types.FunctionType)
        or hasattr(function, "__wrapped__")
        or hasattr(function, "__signature__")
    ):
        return inspect.signature(callback, **options)
    key = (function.__code__, bound)
    found = _SIGNATURES.get(key)
    if found is None:
        found = _SIGNATURES[key] = inspect.signature(callback)
    return found


def _unwrap(function: Any, **options: Any) -> Any:
    """`inspect.unwrap`, at once for what wraps nothing (nearly everything)."""
    if options or hasattr(function, "__wrapped__"):
        return inspect.unwrap(function, **options)
    return function


@pytest.fixture(autouse=True, scope="session")
def _handler_signatures_once() -> Iterator[None]:
    """Each dispatcher a test starts makes some 60 routers of 28 event observers, each
    with a placeholder handler whose signature aiogram reads, then every handler and
    filter: about 2,000 signatures (`inspect` as aiogram's handler module sees it is the
    module with the two functions above): 17 ms of CPU a dispatcher instead of 34."""
    import aiogram.dispatcher.event.handler

    fast = types.SimpleNamespace(**vars(inspect))
    fast.signature, fast.unwrap = _signature_once, _unwrap
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aiogram.dispatcher.event.handler, "inspect", fast)
        yield


@pytest.fixture(autouse=True, scope="session")
def _vk_requests_hold_virtual_time() -> Iterator[None]:
    """A VK request, out in its thread, is work on the pacing's virtual clock
    (tests/harness.py, `HeldThreads`)."""
    import bot.vk.client
    from tests.harness import HeldThreads

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.vk.client, "asyncio", HeldThreads())
        yield


@pytest.fixture(autouse=True, scope="session")
def _standings_reused_only_while_unchanged() -> Iterator[None]:
    """Standings that took long (real seconds) to compute are reused a few seconds after a
    change (a big program under a stream of sales, `STANDINGS_SLOW`). How long a query
    took is the machine's load here, not the test's: the suite reuses standings only
    while no conversion changed. tests/test_journey_notices.py checks the slow path."""
    import math

    import bot.services.contest_standings

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.services.contest_standings, "STANDINGS_SLOW", math.inf)
        yield


@pytest.fixture(autouse=True, scope="session")
def _migration_scripts_read_once() -> Iterator[None]:
    """Each bot start migrates its database (bot/db/migrate.py, at the head: nothing to
    do), and alembic read the 14 migration scripts into a new ScriptDirectory each time
    (~4 ms). The scripts do not change during a run: the bot's are read once. Which
    revision a database is at, and any upgrade it needs, are worked out as before."""
    from alembic.script import ScriptDirectory

    from bot.db.migrate import MIGRATIONS

    read = ScriptDirectory.from_config
    scripts: list[ScriptDirectory] = []

    def from_config(config: Config) -> ScriptDirectory:
        if config.get_alembic_option("script_location") != str(MIGRATIONS):
            return read(config)
        if not scripts:
            scripts.append(read(config))
        return scripts[0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ScriptDirectory, "from_config", staticmethod(from_config))
        yield


@pytest.fixture(autouse=True, scope="session")
def _engines_kept_per_lent_database() -> Iterator[None]:
    """On PostgreSQL a test's database is lent from a small pool (tests/databases.py), so
    the same few are opened test after test, and a new engine for each bot start compiled
    every statement again (SQLAlchemy caches compiled SQL per engine: ~5 % of a journey's
    CPU) and set up its dialect anew. The engine of a lent database is kept for the next
    bot on it: closing the bot's Database still closes every connection (the pool is made
    anew, so the next test's connections are its own, on its own event loop); what is kept
    is the compiled SQL and the dialect. A second Database open on the same database at
    once (two workers in one test) gets an engine of its own, as before."""
    import bot.db.engine
    from tests.databases import is_lent

    create, close = bot.db.engine.create_engine, bot.db.engine.Database.close
    kept: dict[str, AsyncEngine] = {}
    busy: set[int] = set()  # ids of the kept engines a Database has open

    def create_engine(database_url: str) -> AsyncEngine:
        if not is_lent(database_url):
            return create(database_url)
        engine = kept.get(database_url)
        if engine is None:
            engine = kept[database_url] = create(database_url)
        elif id(engine) in busy:
            return create(database_url)
        busy.add(id(engine))
        return engine

    async def close_database(self: Database) -> None:
        await close(self)
        busy.discard(id(self.engine))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.db.engine, "create_engine", create_engine)
        patch.setattr(bot.db.engine.Database, "close", close_database)
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
    and validated again (about 70 ms a start), and the same Content the same FAQ index and
    Fluent bundles (built from it alone; about 15 ms). A changed file changes the
    fingerprint, so reload tests still read and check what they wrote; the loader's own
    tests call bot.content.loader.load_content, which stays as it is. An index is kept
    per content *and* sentence encoder on or off: one built while a test had the vectors
    off (the CLI with FAQ_VECTORS=off in its .env) is the words-only matcher, and a later
    bot with the vectors on must not be given it."""
    import bot.content.loader
    import bot.content.store
    from bot.services import faq_semantic, faq_space

    load = bot.content.loader.load_content
    build = bot.content.store.ContentStore._build
    loaded: dict[tuple[str, str], Content] = {}
    # by id(content), whether the encoder is on and which vectors; the content kept
    built: dict[tuple[int, bool, str], tuple[Content, LiveContent]] = {}

    def load_once(root: Path, known: KnownContests | None = None) -> Content:
        if not root.is_dir() or known is not None:  # /reload: checked against the bot's
            return load(root, known)
        key = _fingerprint(root)
        if key not in loaded:
            loaded[key] = load(root)
        return loaded[key]

    def build_once(content: Content) -> LiveContent:
        key = (id(content), faq_semantic.encoder() is not None, faq_space.suffix())
        found = built.get(key)
        if found is None or found[0] is not content:
            found = built[key] = (content, build(content))
        return found[1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.content.store, "load_content", load_once)
        patch.setattr(bot.content.store.ContentStore, "_build", staticmethod(build_once))
        yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--repeat",
        type=int,
        default=1,
        help="run each selected test this many times (looking for flakes; docs/test-time.md)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    times = metafunc.config.getoption("repeat")
    if times > 1:
        metafunc.fixturenames.append("_repeat_round")
        metafunc.parametrize("_repeat_round", range(times), ids=lambda n: f"r{n}")
