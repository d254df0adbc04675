"""Reading a CSV import (`partnerbot sales import`): its rows as the postback's fields, each
line that cannot be read refused alone (bot/services/sales.py writes the rest)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

from bot.services.conversions import FIELDS
from bot.services.sales_ledger import ImportReport

_NOT_UTF8: Final = re.compile("[\udc80-\udcff]")  # a byte the UTF-8 decoder escaped


def _utf8(values: Iterable[str | list[str] | None]) -> bool:
    """Whether a row read with `surrogateescape` was UTF-8 text (no byte escaped)."""
    for value in values:
        for text in value if isinstance(value, list) else [value or ""]:
            if _NOT_UTF8.search(text):
                return False
    return True


def csv_rows(path: Path, report: ImportReport) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV import as (line, {column: value}); a row that cannot be read is
    the report's refusal of its line, the others go on. Read as UTF-8 (a BOM is fine) with
    bytes that are not escaped, so a cp1251 or binary line is refused alone; a header with
    one of our columns twice (which value?) or a line the csv module cannot read (a field
    over its limit) ends the import there."""
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            raw_header = reader.fieldnames or []
        except csv.Error as exc:
            report.rejected.append((1, f"not read as CSV: {exc}"))
            return
        if not _utf8(raw_header):
            report.rejected.append((1, "header: not UTF-8 text"))
            return
        header = [name.strip() for name in raw_header]
        twice = [name for name in FIELDS if header.count(name) > 1]
        if twice:
            report.rejected.append((1, f"column {twice[0]} given twice"))
            return
        missing = [
            name for name in ("partner", "conversion_id", "status", "amount") if name not in header
        ]
        if missing:
            report.rejected.append((1, f"header: missing {', '.join(missing)}{_hint(header)}"))
            return
        line = reader.line_num
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # nothing after it can be read as meant
                report.rejected.append((line + 1, _unreadable(path, line + 1, exc)))
                return
            line = reader.line_num
            breaks, unclosed = _spanning(raw, len(header))
            if breaks or unclosed:  # an open quote took the lines after it
                first = line - breaks
                report.rejected.append((first, _unclosed(first, line, unclosed)))
                continue
            if not _utf8(raw.values()):
                report.rejected.append((line, "not UTF-8 text"))
                continue
            if None in raw:
                report.rejected.append((line, "more values than columns"))
                continue
            yield line, {key.strip(): value or "" for key, value in raw.items() if key}


def _texts(values: Iterable[str | list[str] | None]) -> list[str]:
    return [
        text for value in values for text in (value if isinstance(value, list) else [value or ""])
    ]


_BREAK: Final = re.compile(r"\r\n|\r|\n")


def _spanning(raw: dict[str | None, str | list[str] | None], width: int) -> tuple[int, bool]:
    """A row read over several lines because a quote was left open: the line breaks
    between its first and last line, and whether the quote was never closed (the field
    runs to the end of the file, its last line's end in it); (0, False) for a row on one
    line. No field of ours holds a line break; another column (a note) may, but not
    lines that read as rows (as many commas as the header) nor the end of the file."""
    texts = _texts(raw.values())
    unclosed = any(text.endswith(("\n", "\r")) for text in texts)
    ours = _texts(value for key, value in raw.items() if key is None or key.strip() in FIELDS)
    rows = any(piece.count(",") >= width - 1 for text in texts for piece in _BREAK.split(text)[1:])
    if not (unclosed or rows or any(_BREAK.search(text) for text in ours)):
        return 0, False
    return sum(len(_BREAK.findall(text)) for text in texts) - unclosed, unclosed


def _unclosed(first: int, last: int, unclosed: bool) -> str:
    where = "never closed" if unclosed else f"closed only on line {last}"
    taken = f"lines {first}-{last} read as one row, none of them" if last > first else "not"
    return (
        f"a quote opened on this line is {where}: {taken} imported (close the quote or remove it)"
    )


def _unreadable(path: Path, first: int, exc: csv.Error) -> str:
    """Why the import ended at line `first`: a field over the csv module's limit is a quote
    left open that took the rest of the file (every line after it named, not imported)."""
    if "field limit" not in str(exc):
        return f"not read as CSV: {exc}"
    with path.open("rb") as whole:
        last = sum(block.count(b"\n") for block in iter(lambda: whole.read(1 << 20), b""))
    lines = f"lines {first}-{last}" if last > first else f"line {first}"
    return (
        f"a quote opened on this line is not closed within {csv.field_size_limit():,}"
        f" characters: {lines}, the rest of the file, not imported (close the quote or"
        " remove it)"
    )


def _hint(header: list[str]) -> str:
    """Why a header the import cannot read may look right: another delimiter (Excel in
    Russian saves with «;»), or the names in other letter case."""
    joined = ",".join(header)
    for mark, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and mark in joined:
            return f" (the columns are separated by {name}: save the file with commas)"
    lowered = {name.lower() for name in header}
    if {"partner", "conversion_id"} & lowered and not {"partner", "conversion_id"} & set(header):
        return " (names are lower case: partner, conversion_id, status, amount)"
    return ""
