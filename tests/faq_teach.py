"""`partnerbot faq teach` run on JSON lines written to a file, against the demo content and
a database of the test's own (shared by the tests of what teach refuses)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from bot.cli import main
from tests.harness import DEMO_CONTENT


def run_teach(
    tmp_path: Path, lines: Sequence[Mapping[str, object]], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, Path]:
    """(exit code, what it printed, the file it read)."""
    taught = tmp_path / "taught.jsonl"
    taught.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        code = main(["faq", "teach", str(taught), "--content", str(DEMO_CONTENT)])
        return code, capsys.readouterr().out, taught
