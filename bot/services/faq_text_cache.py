"""The affiliate vocabulary as the FAQ matcher reads it, kept on disk, so a start or another
worker with the same vocabulary reads it (~30 ms) instead of parsing the YAML and finding
the lemma of its ~5,000 words again (~0.7 s of CPU).

Only the vocabulary is written here (the shipped `faq_lexicon.yaml` and a program's
`content/lexicon.yaml`), never a partner's text. A file (`faq-lexicon/` in the cache folder
the sentence vectors use, FAQ_VECTORS_CACHE) is named by a digest of what the reading
depends on: the vocabulary's text, the code that reads it (`faq_text.py`) and the versions
of pymorphy3 and its dictionary; it holds that digest. It is JSON (never pickle: a file in
a shared folder is data, not code), written in a temporary file and renamed into place; one
that cannot be read or does not hold what it should is ignored and written again; a folder
that cannot be written only means reading the vocabulary at every start. The newest KEEP
files stay (reading one marks it new).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from bot.services.cache_files import prune, write_atomically
from bot.services.faq_semantic import cache_root

__all__ = ["FOLDER", "KEEP", "digest", "read_state", "write_state"]

FOLDER = "faq-lexicon"
KEEP = 16  # files: the shipped vocabulary with each program's words, their previous versions
_FORMAT = 1  # bump when the file's layout changes

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _versions() -> str:
    """The morphology's versions: another dictionary may give other lemmas."""
    found = []
    for package in ("pymorphy3", "pymorphy3-dicts-ru"):
        try:
            found.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package}=?")
    return ",".join(found)


def digest(parts: Iterable[str]) -> str:
    """sha256 of the format, the morphology's versions and `parts`, in order."""
    hashed = hashlib.sha256(f"{_FORMAT}|{_versions()}".encode())
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        hashed.update(len(data).to_bytes(8, "big") + data)
    return hashed.hexdigest()


def _path(key: str, root: Path | None) -> Path:
    return (root or cache_root()) / FOLDER / f"{key[:32]}.json"


def read_state(key: str, root: Path | None = None) -> dict[str, Any] | None:
    """The state written for `key`, or None (none yet, damaged, another key's)."""
    path = _path(key, root)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(state, dict) or state.get("key") != key:
            raise ValueError("another vocabulary's file")
    except FileNotFoundError:
        return None
    except Exception as error:  # noqa: BLE001 - damaged or not ours: read again, write again
        log.warning("FAQ vocabulary: %s is unreadable (%s), reading the vocabulary", path, error)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used: pruned last
    return state


def write_state(key: str, state: dict[str, Any], root: Path | None = None) -> None:
    """Writes `state` (JSON, with `key` added) for `key`; a folder that cannot be written
    is logged, never raised."""
    path = _path(key, root)
    try:
        write_atomically(
            path,
            lambda file: json.dump(
                {**state, "key": key}, file, ensure_ascii=False, separators=(",", ":")
            ),
            binary=False,
        )
        prune(path.parent, "*.json", KEEP)
    except OSError as error:
        log.warning("FAQ vocabulary: cannot keep it in %s (%s)", path, error)
