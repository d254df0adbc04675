"""The `partnerbot` command line (SPEC §2)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.content.store import ContentStore
    from bot.services.faq_matching import FaqMatcher

# what looks like a secret even when it is not one of ours (a wrong postback secret, a
# token in a URL of a library's exception): a query parameter, and a Bot API path
_SECRET_PATTERNS = (
    (re.compile(r"([?&;](?:secret|access_token|token|key)=)[^&\s\"'<>]+", re.I), r"\1***"),
    (re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+"), r"\1***"),
    (re.compile(r"(X-Postback-Secret['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+", re.I), r"\1***"),
)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretFilter(logging.Filter):
    """Replaces tokens and secrets with *** in the whole record: the message, the
    traceback (an exception's text carries URLs with tokens) and the stack."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


_FORMATTER = logging.Formatter()


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    secrets = [
        value.get_secret_value()
        for value in (
            settings.telegram_bot_token,
            settings.vk_group_token,
            settings.max_bot_token,
            settings.webhook_secret,
            settings.postback_secret,
        )
        if value is not None
    ]
    handler.addFilter(SecretFilter(secrets))
    level = logging.getLevelName(settings.log_level)
    if settings.offline and level > logging.DEBUG:
        level = logging.WARNING  # keep the sandbox's terminal chat readable
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("pymorphy3", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="partnerbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="start the bot (the offline sandbox without credentials)"
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N worker processes sharing HTTP_PORT (PostgreSQL only; one leads the schedule)",
    )

    content = commands.add_parser("content", help="content folder tools")
    content_commands = content.add_subparsers(dest="action", required=True)
    check = content_commands.add_parser("check", help="validate a content folder")
    check.add_argument("dir", nargs="?", type=Path, help="the folder (default: CONTENT_DIR)")

    faq = commands.add_parser("faq", help="FAQ tools")
    faq_commands = faq.add_subparsers(dest="action", required=True)
    match = faq_commands.add_parser("match", help="the FAQ entry the bot would answer with")
    match.add_argument("question", nargs="?", help="the question (default: one per line on stdin)")
    match.add_argument("--content", type=Path, help="the content folder (default: CONTENT_DIR)")
    match.add_argument("--segment", help="answer as a partner of this segment")
    match.add_argument("--json", action="store_true", help="print JSON")
    teach = faq_commands.add_parser(
        "teach", help='teach phrasings: a file of JSON lines {"q": "…", "id": "entry-id"}'
    )
    teach.add_argument("file", type=Path, help="JSON lines, one phrasing each")
    teach.add_argument("--content", type=Path, help="the content folder (default: CONTENT_DIR)")
    learned = faq_commands.add_parser("learned", help="the phrasings the FAQ learned")
    learned.add_argument("--export", action="store_true", help="print them as faq.yaml alt: lists")
    learned.add_argument("--content", type=Path, help="the content folder (default: CONTENT_DIR)")

    sales = commands.add_parser("sales", help="conversions")
    sales_commands = sales.add_subparsers(dest="action", required=True)
    importer = sales_commands.add_parser("import", help="import conversions from a CSV file")
    importer.add_argument("file", type=Path, help="CSV with partner,conversion_id,status,amount…")

    db = commands.add_parser("db", help="database tools")
    db_commands = db.add_subparsers(dest="action", required=True)
    db_commands.add_parser("upgrade", help="apply schema migrations")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"partnerbot: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings)
    if args.command == "content":
        return _content_check(args.dir or settings.content_dir)
    if args.command == "faq" and args.action == "teach":
        return _faq_teach(settings, args.file, args.content or settings.content_dir)
    if args.command == "faq" and args.action == "learned":
        return _faq_learned(settings, args.content or settings.content_dir, export=args.export)
    if args.command == "faq":
        return _faq_match(args, args.content or settings.content_dir, settings)
    if args.command == "db":
        return _db_upgrade(settings)
    if args.command == "sales":
        return _sales_import(settings, args.file)
    if args.workers < 1:
        print("partnerbot: --workers: expected 1 or more", file=sys.stderr)
        return 2
    if args.workers > 1:
        if not settings.database_url.startswith("postgresql"):
            print(
                f"partnerbot: --workers {args.workers}: SQLite is one process; set "
                "DATABASE_URL=postgresql+asyncpg://… to run several workers",
                file=sys.stderr,
            )
            return 2
        return _run_workers(args.workers)
    from bot.content.loader import ContentInvalid
    from bot.db.engine import DatabaseUnreachable
    from bot.runner import main_loop
    from bot.startup import TokenRefused

    try:
        main_loop(settings)
    except DatabaseUnreachable as exc:
        from sqlalchemy.engine import make_url

        where = make_url(settings.database_url).render_as_string(hide_password=True)
        print(f"partnerbot: DATABASE_URL: cannot use {where}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{settings.http_host}:{settings.http_port}"
        print(f"partnerbot: HTTP_PORT: cannot listen on {where}: {exc}", file=sys.stderr)
        return 2
    except TokenRefused as exc:
        print(f"partnerbot: {exc}", file=sys.stderr)
        return 2
    except ContentInvalid as exc:
        print(
            f"partnerbot: the content folder {settings.content_dir} is invalid:", file=sys.stderr
        )
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def _run_workers(count: int) -> int:
    """Start `count` worker processes (`partnerbot run`, sharing HTTP_PORT) and keep them
    running: one that exits is started again; SIGINT/SIGTERM stop them all."""
    command = [sys.executable, "-m", "bot.cli", "run"]
    workers = [subprocess.Popen(command) for _ in range(count)]  # noqa: S603 - our own CLI
    stopping = False

    def stop(_signal: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        for number, worker in enumerate(workers):
            code = worker.poll()
            if code is None or stopping:
                continue
            if code == 2:  # a configuration error: starting it again would not help
                stop(signal.SIGTERM, None)
                break
            print(f"partnerbot: worker {number + 1} exited ({code}); starting it again",
                  file=sys.stderr)  # fmt: skip
            workers[number] = subprocess.Popen(command)  # noqa: S603
        if stopping and all(worker.poll() is not None for worker in workers):
            return max(worker.returncode or 0 for worker in workers)
        time.sleep(0.5)


def _content_check(root: Path) -> int:
    from bot.content.loader import ContentInvalid, load_content

    try:
        content = load_content(root)
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    print(
        f"{root}: valid — {len(content.faq)} FAQ entries, {len(content.lessons)} lessons, "
        f"{len(content.creatives)} creatives, {len(content.templates)} templates"
    )
    return 0


def _faq_match(args: argparse.Namespace, root: Path, settings: Settings) -> int:
    from bot.content.loader import ContentInvalid
    from bot.content.store import ContentStore

    try:
        store = ContentStore(root)
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
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
    for question in questions:
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
    nothing was learned in it)."""
    import sqlalchemy as sa

    url = sa.engine.make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    return not Path(url.database).exists()


async def _learned_matcher(settings: Settings, store: ContentStore) -> FaqMatcher:
    """The content's matcher with the phrasings learned in DATABASE_URL (read only: a
    database that is not there yet has learned nothing)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.clock import SystemClock
    from bot.db.engine import Database
    from bot.services.faq_learning import FaqLearning

    if await asyncio.to_thread(_sqlite_file_missing, settings):
        return store.live.matcher
    db = Database.from_url(settings.database_url)
    try:
        return await FaqLearning(db, store, SystemClock()).read_only_matcher()
    except (OSError, SQLAlchemyError) as exc:
        print(f"partnerbot: learned phrasings not read ({type(exc).__name__})", file=sys.stderr)
        return store.live.matcher
    finally:
        await db.close()


def _faq_teach(settings: Settings, path: Path, root: Path) -> int:
    from bot.clock import SystemClock
    from bot.content.loader import ContentInvalid
    from bot.content.store import ContentStore
    from bot.db.engine import Database
    from bot.db.migrate import upgrade
    from bot.services.faq_learning import FaqLearning
    from bot.services.faq_wordings import read_lines

    if path.is_dir():
        print(f"partnerbot: {path}: is a directory, not a file", file=sys.stderr)
        return 1
    if not path.is_file():
        print(f"partnerbot: {path}: no such file", file=sys.stderr)
        return 1
    try:
        store = ContentStore(root)
        lines = read_lines(path)
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"{path}:1: not UTF-8 text", file=sys.stderr)
        return 1

    async def go() -> int:
        db = Database.from_url(settings.database_url)
        try:
            await upgrade(db)
            report = await FaqLearning(db, store, SystemClock()).teach(lines, store.content)
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


def _faq_learned(settings: Settings, root: Path, *, export: bool) -> int:
    import yaml

    from bot.clock import SystemClock
    from bot.content.loader import ContentInvalid
    from bot.content.store import ContentStore
    from bot.db.engine import Database
    from bot.db.migrate import upgrade
    from bot.services.faq_learning import FaqLearning

    try:
        store = ContentStore(root)
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1

    async def go() -> int:
        items = []
        by_entry: dict[str, list[str]] = {}
        if not _sqlite_file_missing(settings):  # a missing file has learned nothing
            db = Database.from_url(settings.database_url)
            try:
                await upgrade(db)
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
            when = item.created_at.strftime("%Y-%m-%d")
            print(f"  [{item.status}] {item.phrasing}  ({item.source}, {when})")
        if not items:
            print("nothing learned yet")
        return 0

    return asyncio.run(go())


def _sales_import(settings: Settings, path: Path) -> int:
    from bot.clock import SystemClock
    from bot.content.loader import ContentInvalid
    from bot.content.store import ContentStore
    from bot.db.engine import Database
    from bot.db.migrate import upgrade
    from bot.services.sales import SalesService

    if path.is_dir():
        print(f"partnerbot: {path}: is a directory, not a file", file=sys.stderr)
        return 1
    if not path.is_file():
        print(f"partnerbot: {path}: no such file", file=sys.stderr)
        return 1
    try:
        store = ContentStore(settings.content_dir)  # the postback status map
    except ContentInvalid as exc:
        print(str(exc), file=sys.stderr)
        return 1
    total = max(sum(1 for _ in path.open(encoding="utf-8-sig")) - 1, 1)
    show = sys.stderr.isatty()

    def progress(line: int) -> None:
        if show:
            done = min(line - 1, total)
            bar = "#" * (30 * done // total)
            print(f"\r[{bar:<30}] {done}/{total}", end="", file=sys.stderr, flush=True)

    async def go() -> int:
        db = Database.from_url(settings.database_url)
        try:
            await upgrade(db)
            report = await SalesService(db, store, SystemClock()).import_csv(path, progress)
        finally:
            await db.close()
        if show:
            print(file=sys.stderr)
        print(
            f"inserted {report.inserted}, updated {report.updated}, "
            f"unchanged {report.unchanged}, rejected {len(report.rejected)}"
        )
        for line, reason in report.rejected:
            print(f"{path.name}:{line}: {reason}")
        # a script running the import learns that something was refused (the rows that
        # were fine stay imported; a replay after fixing the file counts them unchanged)
        return 1 if report.rejected else 0

    return asyncio.run(go())


def _db_upgrade(settings: Settings) -> int:
    from bot.db.engine import Database
    from bot.db.migrate import upgrade

    async def go() -> None:
        db = Database.from_url(settings.database_url)
        try:
            await upgrade(db)
        finally:
            await db.close()

    asyncio.run(go())
    print(f"database is up to date ({settings.database_url.split('://')[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
