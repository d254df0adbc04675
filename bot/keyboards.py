"""Keyboard shapes every platform shares: a long menu re-flowed to fit a platform's rows.

Platform-neutral (buttons are whatever the platform builds): VK (`bot/vk/convert.py`)
and MAX (`bot/max/convert.py`) fit their limits with it."""

from __future__ import annotations

from typing import TypeVar

B = TypeVar("B")


def fit_rows(rows: list[list[B]], *, per_row: int) -> list[list[B]]:
    """Rows longer than `per_row` split into several (order kept)."""
    out: list[list[B]] = []
    for row in rows:
        out.extend(row[start : start + per_row] for start in range(0, len(row), per_row))
    return [row for row in out if row]


def reflow(rows: list[list[B]], *, max_rows: int, per_row: int, total: int) -> list[list[B]]:
    """A keyboard within `max_rows` rows of at most `per_row` buttons and `total` buttons
    in all: a menu of too many rows is packed two (or more) a row; what still does not
    fit is cut at the end (the first buttons are the ones people need)."""
    rows = fit_rows(rows, per_row=per_row)
    count = sum(len(row) for row in rows)
    if len(rows) > max_rows:
        flat = [button for row in rows for button in row][:total]
        width = min(per_row, -(-len(flat) // max_rows))
        rows = [flat[i : i + width] for i in range(0, len(flat), width)]
    kept: list[list[B]] = []
    left = min(total, count)
    for row in rows[:max_rows]:
        kept.append(row[:left])
        left -= len(kept[-1])
        if left <= 0:
            break
    return [row for row in kept if row]
