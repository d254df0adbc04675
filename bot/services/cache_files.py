"""Files the workers keep in the cache folder (FAQ_VECTORS_CACHE: the content's vectors,
the vocabulary as read), several of them at once: written in a temporary file beside the
file and renamed into place (a reader never sees half a file), the oldest pruned."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["prune", "write_atomically"]

STALE = 3600  # seconds: a temporary file this old was left by a killed worker


def write_atomically(path: Path, write: Callable[[IO[Any]], object], *, binary: bool) -> None:
    """`write(file)` into a temporary file in `path`'s folder, then renamed to `path`;
    raises OSError (the callers log it: a cache that cannot be written is no error)."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", dir=path.parent)
        with (
            os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8")
        ) as file:
            write(file)
        os.replace(temporary, path)
        temporary = None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def prune(folder: Path, pattern: str, keep: int) -> None:
    """Deletes all but the `keep` newest files of `pattern`, and the temporary files a
    killed worker left (an hour old); other workers may be at it too."""
    stale = time.time() - STALE
    for path in folder.glob(".*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < stale:
                path.unlink()
    aged = []
    for path in folder.glob(pattern):
        try:
            aged.append((path.stat().st_mtime_ns, path))
        except FileNotFoundError:
            continue
    for _mtime, path in sorted(aged, reverse=True)[keep:]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
