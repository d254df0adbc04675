"""The CLI's input files (`sales import FILE`, `faq teach FILE`): one check, one wording."""

from __future__ import annotations

import sys
from pathlib import Path


def unreadable(path: Path) -> bool:
    """Whether `path` is no file to read (a folder, or nothing there); says which on stderr."""
    if path.is_dir():
        print(f"partnerbot: {path}: is a directory, not a file", file=sys.stderr)
        return True
    if not path.is_file():
        print(f"partnerbot: {path}: no such file", file=sys.stderr)
        return True
    return False
