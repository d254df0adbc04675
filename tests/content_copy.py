"""The content tests' tools: a copy of the demo content to break, what loading it says, and
one edit of a file in it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.loader import ContentInvalid, load_content
from tests.harness import DEMO_CONTENT


def demo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, root)
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(root)
    return [str(problem) for problem in caught.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
