"""The sandbox terminal's input: raw standard input, read in a thread, as whole lines."""

from __future__ import annotations

import asyncio
import codecs
import os
import sys
from collections.abc import Iterable, Iterator


def utf8_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Lines from raw input read in pieces of any size: an incremental UTF-8 decoder keeps
    the first bytes of a character cut at a piece's end until the rest comes, so a long
    pasted text arrives whole (never a half-character such as '\\udcd0'); bytes that are
    not UTF-8 at all become U+FFFD."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _stdin_chunks() -> Iterator[bytes]:
    """Raw standard input, as the terminal hands it over."""
    descriptor = sys.stdin.fileno()
    while chunk := os.read(descriptor, 4096):
        yield chunk


def read_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    """Runs in a daemon thread, so a blocked read never holds up the exit."""
    for line in utf8_lines(_stdin_chunks()):
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)
