"""The content's sentence vectors on disk, so a restart or another worker with the same FAQ
reads them instead of encoding them again (~2,000 texts for 500 entries: ~1.8 s of CPU).

Only content is written here: faq.yaml's wordings and answers (faq_vectors.EntryVectors),
never a partner's text — learned wordings and questions stay in memory, so /forget has no
cache to look in. A file (`content-vectors/` in the encoder's cache folder,
FAQ_VECTORS_CACHE) is named by a digest of the model's version and every text, in order,
and holds that digest; it is an uncompressed npz, whose CRC-32 is checked as it is read.
It is written in a temporary file and renamed into place (atomic: a worker never reads
half of one); one that cannot be read or does not hold what it should is ignored and
written again; a folder that cannot be written only means encoding at every start. The
newest KEEP files stay (reading one marks it new); older contents' files are deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.services.cache_files import prune, write_atomically
from bot.services.faq_semantic import DIM, encode, encoder

__all__ = ["FOLDER", "KEEP", "content_vectors"]

FOLDER = "content-vectors"
KEEP = 16  # files: this FAQ, its previous versions, another content served by the host
_FORMAT = 1  # bump when the file's layout changes

log = logging.getLogger(__name__)


class Model(Protocol):
    """An encoder as the cache sees it (faq_semantic.Encoder, faq_e5.Reading)."""

    dim: int
    version: str
    root: Path | None

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None: ...


def content_vectors(texts: Sequence[str], model: Model | None = None) -> np.ndarray:
    """The vectors of content texts, `(len(texts), dim)`: read from the cache folder when
    this model (default: USE, faq_semantic.encoder()) encoded these texts before, else
    encoded (and written there). Zeros with the encoder off. Never raises for the cache:
    at worst the texts are encoded."""
    model = model or encoder()
    if model is None or not texts:
        return encode(texts)
    key = _key(model, texts)
    path = model.root / FOLDER / f"{key[:32]}.npz" if model.root is not None else None
    vectors = _read(path, key, len(texts), model.dim) if path is not None else None
    if vectors is not None:
        model.remember(texts, vectors)
        return vectors
    vectors = model.encode(texts)
    if path is not None:
        _write(path, key, vectors)
    return vectors


def _key(model: Model, texts: Sequence[str]) -> str:
    """sha256 of the model's version and the texts, in order."""
    digest = hashlib.sha256(f"{_FORMAT}|{model.version}|{len(texts)}".encode())
    for text in texts:
        data = str(text).encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _read(path: Path, key: str, count: int, dim: int = DIM) -> np.ndarray | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            vectors = np.asarray(stored["vectors"])
            own = str(stored["key"])
        if own != key:
            raise ValueError("another content's vectors")
        if vectors.shape != (count, dim) or vectors.dtype != np.float32:
            raise ValueError(f"holds {vectors.shape} {vectors.dtype}, not ({count}, {dim})")
        if not np.isfinite(vectors).all():
            raise ValueError("not finite")
    except FileNotFoundError:
        return None
    except Exception as error:  # noqa: BLE001 - damaged or not ours: encode, write again
        log.warning("FAQ vectors: %s is unreadable (%s), encoding the content again", path, error)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used: pruned last
    return vectors


def _write(path: Path, key: str, vectors: np.ndarray) -> None:
    try:
        write_atomically(
            path, lambda file: np.savez(file, vectors=vectors, key=np.array(key)), binary=True
        )
        prune(path.parent, "*.npz", KEEP)
    except OSError as error:
        log.warning("FAQ vectors: cannot keep the content's vectors in %s (%s)", path, error)
