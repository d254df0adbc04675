"""`partnerbot faq …`: the entry the bot would answer with (`match`), teaching phrasings
from a file (`teach`), and the phrasings the FAQ learned (`learned`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_input import unreadable
from bot.config import Settings

if TYPE_CHECKING:
    from bot.content.store import ContentStore
    from bot.services.faq_matching import FaqMatcher


def _open_content(root: Path) -> ContentStore | None:
    """The content folder's store; None when it is invalid (its problems on stderr)."""
    from bot.content.loader import ContentInvalid
    from bot.content.store import ContentStore

    try:
        return ContentStore(root)
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


def faq_match(args: argparse.Namespace, root: Path, settings: Settings) -> int:
    store = _open_content(root)
    if store is None:
        return 1
    segments = [segment.id for segment in store.content.program.segments]
    if args.segment is not None and args.segment not in segments:
        print(
            f"partnerbot: --segment: unknown segment {args.segment!r} "
            f"(segments: {', '.join(segments) or 'none'})",
            file=sys.stderr,
        )
        return 2
    matcher = asyncio.run(_learned_matcher(settings, store))
    questions = (
        [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    )
    from bot import typed_labels

    for question in questions:
        # what the bot reads before the FAQ (a menu word, small talk, a button's label)
        reading = typed_labels.read(question, store.content, store.live.translator)
        if reading is not None:
            said = typed_labels.described(reading)
            if args.json:
                known: dict[str, object] = {"id": None, "score": 0.0, "suggestions": []}
                known["not_a_question"] = said
                print(json.dumps(known, ensure_ascii=False), flush=True)
            else:
                print(f"no match 0.00 (not a question: {said})", flush=True)
            continue
        match = matcher.match(question, args.segment)
        options = [candidate.entry_id for candidate in match.suggestions]
        if args.json:
            result = {"id": match.entry_id, "score": round(match.score, 2), "suggestions": options}
            print(json.dumps(result, ensure_ascii=False), flush=True)
        elif match.entry_id is not None:
            print(f"{match.entry_id} {match.score:.2f}", flush=True)
        elif options:
            print(f"no match {match.score:.2f} (did you mean: {', '.join(options)})", flush=True)
        else:
            print(f"no match {match.score:.2f}", flush=True)
    return 0


def _sqlite_file_missing(settings: Settings) -> bool:
    """DATABASE_URL names an SQLite file that is not there (a reader must not create it:
    nothing was learned in it). DatabaseUnreachable when no file can be there (its folder
    missing or a file): a reader creates no folder either, and says so."""
    from bot.db.engine import DatabaseUnreachable, sqlite_file, sqlite_unusable

    path = sqlite_file(settings.database_url)
    if path is None:
        return False
    problem = sqlite_unusable(path)
    if problem is not None:
        raise DatabaseUnreachable(problem)
    return not path.exists()


async def _learned_matcher(settings: Settings, store: ContentStore) -> FaqMatcher:
    """The content's matcher with the phrasings learned in DATABASE_URL (read only: a
    database that is not there yet has learned nothing)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.clock import SystemClock
    from bot.db.engine import Database, DatabaseUnreachable
    from bot.services.faq_learning import FaqLearning

    try:
        if await asyncio.to_thread(_sqlite_file_missing, settings):
            return store.live.matcher
        db = Database.from_url(settings.database_url)
    except DatabaseUnreachable as exc:  # the SQLite file cannot be there: nothing made
        print(
            f"partnerbot: learned phrasings not read from DATABASE_URL ({exc});"
            " matching on the content alone",
            file=sys.stderr,
        )
        return store.live.matcher
    try:
        return await FaqLearning(db, store, SystemClock()).read_only_matcher()
    except (OSError, SQLAlchemyError) as exc:
        print(  # the type only: a driver's message may name the server or the password
            f"partnerbot: learned phrasings not read from DATABASE_URL ({type(exc).__name__}:"
            " a database without the bot's tables — `partnerbot run` sets them up — or one"
            " not reachable); matching on the content alone",
            file=sys.stderr,
        )
        return store.live.matcher
    finally:
        await db.close()


TEACH_PROGRESS_FROM = 5000  # `faq teach` of a file this long says its progress on stderr


def faq_teach(settings: Settings, path: Path, root: Path) -> int:
    from bot.clock import SystemClock
    from bot.content.loader import ContentInvalid
    from bot.content.store import ContentStore
    from bot.db.migrate import open_migrated
    from bot.services.faq_learning import FaqLearning
    from bot.services.faq_wordings import read_lines

    if unreadable(path):
        return 1
    try:
        store = ContentStore(root)
        lines = read_lines(path)
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1

    def progress(done: int, total: int) -> None:
        # a big file: how far it got, every TEACH_PROGRESS_FROM lines and at the end
        if total >= TEACH_PROGRESS_FROM and (done % TEACH_PROGRESS_FROM == 0 or done == total):
            print(f"{path}: {done} of {total} lines", file=sys.stderr, flush=True)

    async def go() -> int:
        db = await open_migrated(settings.database_url)
        try:
            learning = FaqLearning(db, store, SystemClock())
            report = await learning.teach(lines, store.content, progress)
        finally:
            await db.close()
        for problem in report.problems:
            print(f"{path}:{problem.line}: {problem.reason}")
        print(
            f"learned {report.stored}, already known {report.unchanged}, "
            f"refused {len(report.problems)}"
        )
        return 1 if report.problems else 0

    return asyncio.run(go())


def faq_learned(settings: Settings, root: Path, *, export: bool) -> int:
    import yaml

    from bot.clock import SystemClock, as_utc
    from bot.db.migrate import open_migrated
    from bot.services.faq_learning import FaqLearning
    from bot.services.faq_wordings import without_controls

    store = _open_content(root)
    if store is None:
        return 1

    async def go() -> int:
        items = []
        by_entry: dict[str, list[str]] = {}
        if not _sqlite_file_missing(settings):  # a missing file has learned nothing
            db = await open_migrated(settings.database_url)
            try:
                learning = FaqLearning(db, store, SystemClock())
                items = await learning.listing()
                by_entry = await learning.export()  # a wording under one entry only
            finally:
                await db.close()
        if export:
            exported = [{"id": entry, "alt": alts} for entry, alts in by_entry.items()]
            if exported:
                print(yaml.safe_dump(exported, allow_unicode=True, sort_keys=False), end="")
            return 0
        current = None
        for item in items:
            if item.entry_id != current:
                current = item.entry_id
                gone = "" if store.content.faq_entry(current) else "  (not in faq.yaml)"
                print(f"{current}:{gone}")
            # the program's day (TIMEZONE), as /partner and /faq_learned show dates
            when = as_utc(item.created_at).astimezone(settings.tz).strftime("%Y-%m-%d")
            phrasing = without_controls(item.phrasing)  # as /faq_learned shows it
            print(f"  [{item.status}] {phrasing}  ({item.source}, {when})")
        if not items:
            print("nothing learned yet")
        return 0

    return asyncio.run(go())


def faq_unlearn(settings: Settings, root: Path, phrasing: str) -> int:
    """`partnerbot faq unlearn PHRASING`: the learned rows of that wording rejected (it
    was learned wrongly: a mistake, or off-topic votes); exit 1 when nothing matched."""
    from bot.clock import SystemClock
    from bot.db.migrate import open_migrated
    from bot.services.faq_learning import FaqLearning
    from bot.services.faq_wordings import without_controls

    store = _open_content(root)
    if store is None:
        return 1

    async def go() -> int:
        if _sqlite_file_missing(settings):
            taken = []
        else:
            db = await open_migrated(settings.database_url)
            try:
                taken = await FaqLearning(db, store, SystemClock()).unlearn(phrasing)
            finally:
                await db.close()
        if not taken:
            print(
                f"partnerbot: nothing learned reads {phrasing!r} (see: partnerbot faq learned)",
                file=sys.stderr,
            )
            return 1
        for item in taken:
            print(f"rejected: {without_controls(item.phrasing)}  ({item.entry_id})")
        return 0

    return asyncio.run(go())
