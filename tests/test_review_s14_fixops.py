"""Session 14 (task fix14b): operators get one clear line, and the HTTP API answers JSON.

1. Every CLI command that opens the database (`db upgrade`, `faq learned`, `faq teach`,
   `sales import`) says in one line that DATABASE_URL cannot be used, its password hidden,
   exit 2 — as `run` does — instead of a 130-line traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.harness import DEMO_CONTENT

# nothing listens on port 1: the connection is refused at once
UNREACHABLE = "postgresql+asyncpg://u:SeCrEtPw@127.0.0.1:1/db"


def _cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    folder: Path,
    argv: list[str],
    **env: str,
) -> tuple[int, list[str]]:
    """`partnerbot ARGV` run in `folder` (no .env there) with `env`: its exit code and the
    lines it wrote on stderr."""
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CONTENT_DIR", str(DEMO_CONTENT))
    monkeypatch.setenv("FAQ_VECTORS", "off")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()


# --- 1. the database not usable: one line, no secret, exit 2 ---


def _commands(folder: Path) -> list[list[str]]:
    sales = folder / "s.csv"
    sales.write_text("partner,conversion_id,status,amount\naff-1,c1,approved,10\n")
    teach = folder / "t.jsonl"
    teach.write_text('{"q": "когда выплаты", "id": "payout-dates"}\n')
    return [
        ["db", "upgrade"],
        ["faq", "learned"],
        ["faq", "learned", "--export"],
        ["faq", "teach", str(teach)],
        ["sales", "import", str(sales)],
    ]


@pytest.mark.parametrize("command", range(5))
def test_an_unreachable_database_is_one_line_in_every_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: int,
) -> None:
    argv = _commands(tmp_path)[command]
    code, err = _cli(monkeypatch, capsys, tmp_path, argv, DATABASE_URL=UNREACHABLE)
    assert code == 2, err
    assert err == [
        "partnerbot: DATABASE_URL: cannot use postgresql+asyncpg://u:***@127.0.0.1:1/db: "
        "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 1)"
    ]


@pytest.mark.parametrize("command", range(5))
def test_a_file_that_is_no_database_is_one_line_in_every_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: int,
) -> None:
    (tmp_path / "bot.db").write_text("not a database\n" * 100)
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    argv = _commands(tmp_path)[command]
    code, err = _cli(monkeypatch, capsys, tmp_path, argv, DATABASE_URL=url)
    assert code == 2, err
    assert err == [
        f"partnerbot: DATABASE_URL: cannot use {url}: DatabaseError: file is not a database"
    ]


def test_a_database_folder_that_cannot_be_made_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    url = f"sqlite+aiosqlite:///{tmp_path}/file/data/bot.db"  # a folder under a file
    code, err = _cli(monkeypatch, capsys, tmp_path, ["db", "upgrade"], DATABASE_URL=url)
    assert code == 2
    assert len(err) == 1
    assert err[0].startswith(f"partnerbot: DATABASE_URL: cannot use {url}: ")
