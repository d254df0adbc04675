"""The `partnerbot` command line (SPEC §2)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from bot.cli_input import unreadable
from bot.config import ConfigError, Settings, apply_faq_vectors, load_settings
from bot.faq_commands import faq_learned, faq_match, faq_teach, faq_unlearn
from bot.logs import WORKER_ENV, setup_logging


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
    check.add_argument(
        "--content", type=Path, help="the folder, as the faq commands take it (or DIR)"
    )

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
    unlearn = faq_commands.add_parser(
        "unlearn", help="take a learned phrasing back (approved or waiting, any entry)"
    )
    unlearn.add_argument("phrasing", help="the phrasing, as `faq learned` lists it")
    unlearn.add_argument("--content", type=Path, help="the content folder (default: CONTENT_DIR)")

    sales = commands.add_parser("sales", help="conversions")
    sales_commands = sales.add_subparsers(dest="action", required=True)
    importer = sales_commands.add_parser("import", help="import conversions from a CSV file")
    importer.add_argument("file", type=Path, help="CSV with partner,conversion_id,status,amount…")
    importer.add_argument(
        "--content",
        type=Path,
        help="the content folder: currency and status map (default: CONTENT_DIR)",
    )

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
    from sqlalchemy.exc import InterfaceError, OperationalError

    from bot.db.engine import DatabaseUnreachable

    try:
        code = _command(args, settings)
        sys.stdout.flush()  # a pipe closed early is met here, not at exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except DatabaseUnreachable as exc:  # any command that opens the database
        return _database_unusable(settings, str(exc))
    except (OperationalError, InterfaceError) as exc:  # the database went away while in use
        from bot.db.migrate import unusable_reason

        return _database_unusable(settings, unusable_reason(exc))


def _reader_gone() -> int:
    """What we print is read no more (`partnerbot faq learned | head -4`): no traceback,
    and nothing more to flush into the closed pipe at exit (Python's own advice)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def _database_unusable(settings: Settings, reason: str) -> int:
    """One line naming DATABASE_URL, its password hidden (in the reason too), exit 2."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    where = url.render_as_string(hide_password=True)
    if url.password:
        reason = reason.replace(str(url.password), "***")
    reason = " ".join(reason.split())  # one line, whatever the driver wrote
    print(f"partnerbot: DATABASE_URL: cannot use {where}: {reason}", file=sys.stderr)
    return 2


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in {"faq", "sales"}:  # they load the content, and its FAQ matcher
        apply_faq_vectors(settings)
    if args.command == "db":
        return _db_upgrade(settings)
    if args.command in {"content", "faq", "sales"}:  # they read the content folder
        given = (args.dir or args.content) if args.command == "content" else args.content
        content = given or settings.content_dir
        if getattr(args, "file", None) is not None and unreadable(args.file):
            return 1  # the file given first: it needs no content to be refused
        if not content.is_dir():
            how = "partnerbot content check DIR" if args.command == "content" else "--content DIR"
            return _no_content(content, given is not None, how)
    if args.command == "content":
        return _content_check(content)
    if args.command == "faq" and args.action == "teach":
        return faq_teach(settings, args.file, content)
    if args.command == "faq" and args.action == "learned":
        return faq_learned(settings, content, export=args.export)
    if args.command == "faq" and args.action == "unlearn":
        return faq_unlearn(settings, content, args.phrasing)
    if args.command == "faq":
        return faq_match(args, content, settings)
    if args.command == "sales":
        return _sales_import(settings, args.file, content)
    if args.workers < 1:
        print("partnerbot: --workers: expected 1 or more", file=sys.stderr)
        return 2
    if args.workers > MAX_WORKERS:
        print(f"partnerbot: --workers: at most {MAX_WORKERS}", file=sys.stderr)
        return 2
    if args.workers > 1:
        if settings.offline:
            print(
                f"partnerbot: --workers {args.workers}: the sandbox (no platform tokens set) is "
                "one process with its own emulators and terminal; set the tokens to run workers",
                file=sys.stderr,
            )
            return 2
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
    from bot.startup import StartRefused

    try:
        main_loop(settings)
    except DatabaseUnreachable as exc:
        return _database_unusable(settings, str(exc))
    except OSError as exc:
        where = f"{settings.http_host}:{settings.http_port}"
        print(f"partnerbot: HTTP_PORT: cannot listen on {where}: {exc}", file=sys.stderr)
        return 2
    except StartRefused as exc:  # a token refused, an API not reachable
        print(f"partnerbot: {exc}", file=sys.stderr)
        return 2
    except ContentInvalid as exc:
        # exit 2, like any configuration error: `run --workers N` stops instead of starting
        # a worker again every few seconds on a folder that will not load (the tester of
        # session 20); with a kept copy of the last valid content a worker serves that
        if not settings.content_dir.is_dir():
            _no_content(settings.content_dir, False, "")
            return 2
        print(
            f"partnerbot: the content folder {settings.content_dir} is invalid:", file=sys.stderr
        )
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


MAX_WORKERS: Final = 32  # each holds a database pool and a polling or webhook share
FIRST_START: Final = 15.0  # seconds: a configuration error then is everyone's, stop
RETRY_AFTER: Final = 60.0  # seconds before a worker that failed on its own starts again


def _run_workers(count: int) -> int:
    """Start `count` worker processes (`partnerbot run`, sharing HTTP_PORT) and keep them
    running: one that exits is started again; SIGINT/SIGTERM stop them all (the ones
    already started when it comes during the start). A configuration error (exit 2) in the
    first seconds stops them all; later, in one worker while others run (its content
    folder broke and no valid copy is kept), the others go on and it is tried again."""
    command = [sys.executable, "-m", "bot.cli", "run"]

    def spawn(number: int) -> subprocess.Popen[bytes]:
        """Worker `number` (from 0), its log lines saying «worker N»."""
        env = {**os.environ, WORKER_ENV: str(number + 1)}
        return subprocess.Popen(command, env=env)  # noqa: S603 - our own CLI

    workers: list[subprocess.Popen[bytes]] = []
    retry_at: dict[int, float] = {}
    stopping = False

    signalled: set[int] = set()

    def stop(_signal: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.poll() is None and id(worker) not in signalled:
                signalled.add(id(worker))
                worker.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    began = time.monotonic()
    while len(workers) < count and not stopping:
        workers.append(spawn(len(workers)))
    if stopping:  # the signal came while the last one started: it is stopped too
        stop(signal.SIGTERM, None)
    while True:
        for number, worker in enumerate(workers):
            code = worker.poll()
            if code is None or stopping:
                continue
            now = time.monotonic()
            if number in retry_at:
                if now >= retry_at[number]:
                    del retry_at[number]
                    workers[number] = spawn(number)
                continue
            others = any(other.poll() is None for other in workers if other is not worker)
            if code == 2 and (now - began < FIRST_START or not others):
                stop(signal.SIGTERM, None)  # a configuration error: starting again won't help
                break
            if code == 2:
                again = f"the others go on, it starts again in {RETRY_AFTER:.0f} s"
                print(f"partnerbot: worker {number + 1} exited (2): {again}", file=sys.stderr)
                retry_at[number] = now + RETRY_AFTER
                continue
            print(f"partnerbot: worker {number + 1} exited ({code}); starting it again",
                  file=sys.stderr)  # fmt: skip
            workers[number] = spawn(number)
        if stopping and all(worker.poll() is not None for worker in workers):
            # a worker stopped before it could handle the signal ended by it: not a failure
            return max(max(worker.returncode or 0, 0) for worker in workers)
        time.sleep(0.5)


def _no_content(root: Path, given: bool, how: str) -> int:
    """The content folder is not there: say where it was looked for and how to point at it
    (CONTENT_DIR is relative to the current folder: `content` outside the project fails)."""
    if given:
        if root.is_file():  # `content check content/faq.yaml`: the folder, not one file
            print(
                f"partnerbot: {root} is a file: give the content folder ({root.parent})",
                file=sys.stderr,
            )
            return 1
        print(f"partnerbot: content folder not found: {root}", file=sys.stderr)
        return 1
    option = f"{how} or " if how else ""
    print(
        f"partnerbot: content folder not found: {root.absolute()} (CONTENT_DIR={root}); "
        f"run from the project folder, or point at it: {option}CONTENT_DIR=/path/to/content",
        file=sys.stderr,
    )
    return 1


def _content_check(root: Path) -> int:
    from bot.content.loader import ContentInvalid, load_content

    try:
        content = load_content(root)
    except ContentInvalid as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    counts = [
        (len(content.faq), "FAQ entry", "FAQ entries"),
        (len(content.lessons), "lesson", "lessons"),
        (len(content.creatives), "creative", "creatives"),
        (len(content.templates), "template", "templates"),
        (len(content.contests), "contest", "contests"),
    ]
    told = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts)
    print(f"{root}: valid — {told}")
    return 0


def _sales_import(settings: Settings, path: Path, content: Path) -> int:
    from bot.clock import SystemClock
    from bot.content.loader import ContentInvalid
    from bot.content.store import ContentStore
    from bot.db.migrate import open_migrated
    from bot.services.sales import SalesService

    if unreadable(path):
        return 1
    try:
        store = ContentStore(content)  # the postback status map and currency
    except ContentInvalid as exc:
        print(str(exc), file=sys.stderr)
        return 1
    total = max(sum(1 for _ in path.open("rb")) - 1, 1)  # lines, whatever the bytes
    show = sys.stderr.isatty()

    def progress(line: int) -> None:
        if show:
            done = min(line - 1, total)
            bar = "#" * (30 * done // total)
            print(f"\r[{bar:<30}] {done}/{total}", end="", file=sys.stderr, flush=True)

    async def go() -> int:
        db = await open_migrated(settings.database_url)
        try:
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
        if report.unlinked:
            print(_unlinked_line(report.unlinked))
        # a script running the import learns that something was refused (the rows that
        # were fine stay imported; a replay after fixing the file counts them unchanged)
        return 1 if report.rejected else 0

    return asyncio.run(go())


def _unlinked_line(unlinked: dict[str, int], shown: int = 10) -> str:
    """The affiliate ids of an import that no partner is linked to, the most rows first:
    their sales are kept and count once a partner links the id, but a typo in the id
    column would otherwise go unnoticed (session 27's tester)."""
    listed = ", ".join(
        f"{affiliate} ({rows} row{'' if rows == 1 else 's'})"
        for affiliate, rows in list(unlinked.items())[:shown]
    )
    more = f" and {len(unlinked) - shown} more" if len(unlinked) > shown else ""
    count = len(unlinked)
    return (
        f"no partner is linked to {count} affiliate id{'' if count == 1 else 's'} yet "
        f"(their sales count once one is): {listed}{more}"
    )


def _db_upgrade(settings: Settings) -> int:
    """«database upgraded: 0012 → 0017» when it was, «database is up to date» when not (it
    said «up to date» right after applying migrations: the tester of session 20)."""
    from bot.db.migrate import current_revision, open_migrated

    async def go() -> tuple[str | None, str | None]:
        before = await current_revision(settings.database_url)
        db = await open_migrated(settings.database_url)
        await db.close()
        return before, await current_revision(settings.database_url)

    before, after = asyncio.run(go())
    kind = settings.database_url.split("://")[0]
    if before != after:
        print(f"database upgraded: {before or 'new'} → {after} ({kind})")
    else:
        print(f"database is up to date: {after} ({kind})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
