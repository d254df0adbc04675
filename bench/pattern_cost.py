"""Which of the code's patterns read a long text in steps growing with its square.

Session 26 found five patterns that read a run of letters, digits or spaces from each of
its characters to its end (4,000 characters: seconds; a 64 KB postback body: a minute),
by trying every compiled pattern of bot/ and handlers/ on texts of one character again and
again and of two in turn. This does it again: every module-level `re.Pattern` (and those
in module-level tuples and lists), `findall` on each shape at 2,000 and at 4,000
characters. A pattern whose time grows more than 3× when the text doubles and that takes
over 5 ms at 4,000 is listed (a linear one grows 2×). `findall` scans from every
position, as `sub` and `search` do; a pattern only ever used with `fullmatch` or `match`
may be listed without costing that in use: look at its callers.

Run: .venv/bin/python -m bench.pattern_cost [--over 0.005]
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import time
from collections.abc import Iterator
from typing import Any

SKIP = ("emulator", "sandbox")  # test doubles and the terminal sandbox: not what users reach
PAIRS = [
    "1",
    "1.",
    "1,",
    "я",
    "я1",
    " ",
    "-",
    "1 ",
    "<a ",
    "<",
    "a",
    "%",
    "1-",
    "я ",
    "\\",
    "'",
    "'\\",
    "a=",
    'a="',
    "@",
    "#",
    "_",
    "й",
    "1 - ",
    "&",
    "&#",
    "a-",
    "a.",
    "a@",
    "яa",
    "a1",
]


def patterns() -> Iterator[tuple[str, re.Pattern[Any]]]:
    import bot
    import handlers

    for package in (bot, handlers):
        for found in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if any(part in found.name for part in SKIP):
                continue
            module = importlib.import_module(found.name)
            for name, value in vars(module).items():
                items = value if isinstance(value, list | tuple) else [value]
                for item in items:
                    for each in item if isinstance(item, tuple) else [item]:
                        if isinstance(each, re.Pattern):
                            yield f"{found.name}.{name}", each


def cost(pattern: re.Pattern[Any], shape: str, length: int) -> float:
    text: Any = (shape * length)[:length]
    if isinstance(pattern.pattern, bytes):
        text = text.encode()
    start = time.perf_counter()
    pattern.findall(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--over", type=float, default=0.005, help="seconds at 4,000 to list")
    arguments = parser.parse_args()
    seen = dict(patterns())
    listed = []
    for name, pattern in seen.items():
        for shape in PAIRS:
            short, long = cost(pattern, shape, 2000), cost(pattern, shape, 4000)
            if long > arguments.over and long > 3 * short:
                long = min(long, cost(pattern, shape, 4000))  # once more: noise
                if long > arguments.over and long > 3 * short:
                    listed.append((long, long / max(short, 1e-9), name, shape))
    print(f"{len(seen)} patterns, {len(PAIRS)} shapes; growing faster than the text:")
    print("| pattern | shape | 4,000 chars | ×(4,000 / 2,000) |")
    print("|---|---|---|---|")
    for long, ratio, name, shape in sorted(listed, reverse=True):
        print(f"| {name} | {shape!r} | {long * 1000:.1f} ms | {ratio:.1f} |")


if __name__ == "__main__":
    main()
