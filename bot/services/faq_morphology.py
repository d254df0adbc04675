"""The morphology dictionary (pymorphy3) with its word graphs mapped from the package's
files rather than copied into each process: ~14 MB of the worker's own (anonymous) memory
become file pages that every worker and the page cache share, which the kernel can drop;
of them, a worker's RSS counts the pages its lookups touched.

pymorphy3 reads five DAWGs (the words, the suffixes that guess an unknown word, P(tag |
word)) with dawg_python, which reads each part's count, then that many numbers in the
machine's byte order into an array. While the analyzer loads, those reads give read-only
memory views of the same bytes of the file instead, so every lemma, tag and score is the
same (tests/test_faq_morphology.py); a part laid out otherwise is read as before.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import struct
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO, Literal

import pymorphy3

try:
    from dawg_python import wrapper
except ImportError:  # a pymorphy3 that reads its dictionary otherwise: as it does
    wrapper = None

__all__ = ["analyzer"]

log = logging.getLogger(__name__)
_COUNT = struct.Struct("=I")  # a DAWG part's size, before its units
_LOADING = threading.Lock()  # the reads are swapped while one analyzer loads


def analyzer() -> pymorphy3.MorphAnalyzer:
    """pymorphy3's analyzer, its word graphs mapped from the dictionary's files."""
    if wrapper is None or not all(
        callable(getattr(getattr(wrapper, kind, None), "read", None))
        for kind in ("Dictionary", "Guide")
    ):  # another dawg_python than the one this was written for: its own reads
        return pymorphy3.MorphAnalyzer()
    with _LOADING, _mapped_reads():
        return pymorphy3.MorphAnalyzer()


@contextlib.contextmanager
def _mapped_reads() -> Iterator[None]:
    dictionary_read, guide_read = wrapper.Dictionary.read, wrapper.Guide.read

    def dictionary(self: Any, file: BinaryIO) -> None:
        units = _view(file, "I", 4)
        if units is None:
            dictionary_read(self, file)
        else:
            self._units = units

    def guide(self: Any, file: BinaryIO) -> None:
        units = _view(file, "B", 2)  # two bytes (child, sibling) per unit
        if units is None:
            guide_read(self, file)
        else:
            self._units = units

    wrapper.Dictionary.read, wrapper.Guide.read = dictionary, guide
    try:
        yield
    finally:
        wrapper.Dictionary.read, wrapper.Guide.read = dictionary_read, guide_read


def _view(file: BinaryIO, typecode: Literal["I", "B"], size: int) -> memoryview | None:
    """The part at the file's position ([count][count × size bytes]) as a read-only view
    of `typecode` items, the file then past it; None (the file where it was) when the
    file cannot be mapped or is shorter than its count says."""
    start = file.tell()
    try:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, AttributeError) as error:  # not a file on disk, empty
        log.info("FAQ morphology: %s read into memory (%r)", getattr(file, "name", "?"), error)
        return None
    try:
        (count,) = _COUNT.unpack_from(mapped, start)
    except struct.error:
        count = -1
    end = start + _COUNT.size + count * size
    if count < 0 or end > len(mapped):
        mapped.close()
        return None  # dawg_python's own read says what is wrong
    if hasattr(mmap, "MADV_RANDOM"):  # a lookup reads a few units here and there
        mapped.madvise(mmap.MADV_RANDOM)
    file.seek(end)
    return memoryview(mapped)[start + _COUNT.size : end].cast(typecode)
