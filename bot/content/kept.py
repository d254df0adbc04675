"""The last valid content folders, kept so that a worker started on a folder that no longer
validates serves what every worker served before (SPEC §4: "an invalid folder is refused
and the old content stays live" — across a restart too: the bot would not start, and
partners got nothing until someone fixed the files; the tester of session 20).

Each valid folder a worker loads is copied once, by its fingerprint, to
`CONTENT_KEPT_DIR` (default `FAQ_VECTORS_CACHE/content-valid`); the newest `KEEP` copies
stay. At start-up, a folder that does not validate is replaced by the copy of the content
last published (the database's fingerprint), if there is one: the problems are logged,
and the folder is read again at the next `/reload`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path
from typing import Final

from bot.content.source import folder_files

logger = logging.getLogger(__name__)

KEEP: Final = 3  # copies kept: the newest, by when they were last loaded


def _name(fingerprint: int) -> str:
    return f"{fingerprint:016x}"


def keep(root: Path, fingerprint: int, folder: Path) -> None:
    """A copy of `root` (just validated, reading to `fingerprint`) in `folder`, once; a
    copy that does not read to it (the folder was edited meanwhile) is not kept. Never
    raises: a worker serves its content whether or not the copy could be made."""
    from bot.content.store import folder_fingerprint  # the store imports this module

    target = folder / _name(fingerprint)
    if target.is_dir():
        _touch(target)
        return
    work = folder / f".partial-{os.getpid()}-{_name(fingerprint)}"
    try:
        shutil.rmtree(work, ignore_errors=True)
        for path in folder_files(root):
            copy = work / path.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        if folder_fingerprint(work) != fingerprint:
            return  # edited while copied: the next valid load copies it
        os.rename(work, target)  # whole or not at all; another worker's copy may be first
    except OSError as exc:
        if not target.is_dir():
            logger.warning("content: could not keep a copy of the valid folder in %s: %s",
                           folder, exc)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _prune(folder)


def kept(fingerprint: int, folder: Path) -> Path | None:
    """The copy of the folder that read to `fingerprint`, if it is kept."""
    target = folder / _name(fingerprint)
    return target if fingerprint and target.is_dir() else None


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def _prune(folder: Path) -> None:
    try:
        copies = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        copies.sort(key=lambda path: path.stat().st_mtime, reverse=True)
        for old in copies[KEEP:]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
