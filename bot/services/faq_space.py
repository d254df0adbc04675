"""Where one FAQ's texts and its partners' questions become vectors: USE's (faq_semantic.py)
and, beside them, e5's (faq_e5.py) centred on this FAQ's own wordings.

A vector is [√SHARE · USE's, √(1 − SHARE) · e5's], so the cosine of two is SHARE · USE's
cosine + (1 − SHARE) · e5's (both parts unit length). e5's part is centred: a question
minus the mean of the FAQ's wordings read as questions, a wording or an answer minus the
mean of the wordings read as passages, each unit length again. The means come from the
program's own content, never from the evaluation FAQs, so nothing is fitted on the FAQ a
figure is measured on (centred on the other FAQs' questions instead: within 0.001 over
40 FAQs, bench.faq_encoders). Without e5 (FAQ_ENCODER=use, the package missing) a vector
is USE's alone, as before.

The shipped adapter, scope and model are fitted for one kind of vector: `suffix()` names
their files (bot/faq_data: `faq_adapter{suffix}.npy`, …; bench.faq_loo --write).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.services import faq_e5
from bot.services.faq_semantic import DIM as USE_DIM
from bot.services.faq_semantic import encode, encoder
from bot.services.faq_vector_cache import content_vectors

__all__ = ["SHARE", "Space", "suffix"]

SHARE = 0.4  # USE's share of a cosine (0.3–0.6 rank within 0.007 of each other)
ASKED_MEAN_OF = 200  # wordings read as questions for their mean (a big FAQ: spread evenly)
_USE = np.float32(np.sqrt(SHARE))
_E5 = np.float32(np.sqrt(1.0 - SHARE))


def suffix() -> str:
    """The shipped files' suffix for the vectors in use: "_e5" with e5 beside USE."""
    return "_e5" if faq_e5.e5() is not None else ""


def _unit(rows: np.ndarray) -> np.ndarray:
    lengths = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(lengths, 1e-12), dtype=np.float32)


class Space:
    """One FAQ's way of reading: its `wordings` and `answers` as rows (read once: from
    the cache folder or encoded), `content(texts)` and `questions(texts)` for others."""

    def __init__(self, wordings: Sequence[str], answers: Sequence[str] = ()) -> None:
        """wordings: the FAQ's questions and paraphrases (the means are theirs)."""
        self._e5 = faq_e5.e5()
        self.dim = USE_DIM + (faq_e5.DIM if self._e5 is not None else 0)
        self._as_asked = np.zeros(faq_e5.DIM, dtype=np.float32)
        self._as_written = np.zeros(faq_e5.DIM, dtype=np.float32)
        texts = [*wordings, *answers]
        rows = content_vectors(texts) if texts else np.zeros((0, self.dim), np.float32)
        if self._e5 is not None and texts:
            written = content_vectors(texts, self._reading(question=False))
            if wordings:
                sample = list(wordings)[:: -(-len(wordings) // ASKED_MEAN_OF)]
                asked = content_vectors(sample, self._reading(question=True))
                self._as_asked = asked.mean(axis=0)
                self._as_written = written[: len(wordings)].mean(axis=0)
            rows = self._joined(rows, written - self._as_written)
        self.wordings = rows[: len(wordings)]
        self.answers = rows[len(wordings) :]

    def _reading(self, *, question: bool) -> faq_e5.Reading:
        """e5 one way, its content files beside USE's (the USE encoder's cache folder)."""
        assert self._e5 is not None
        use = encoder()
        return faq_e5.Reading(self._e5, question=question, root=use.root if use else None)

    @property
    def paired(self) -> bool:
        return self._e5 is not None

    def content(self, texts: Sequence[str]) -> np.ndarray:
        """The content's texts (wordings, answers): kept on disk (faq_vector_cache.py)."""
        use = content_vectors(texts)
        if self._e5 is None or not texts:
            return use
        e5 = content_vectors(texts, self._reading(question=False))
        return self._joined(use, e5 - self._as_written)

    def questions(self, texts: Sequence[str]) -> np.ndarray:
        """Partners' questions: encoded, never remembered (personal data, /forget)."""
        use = encode(texts, keep=False)
        if self._e5 is None or not texts:
            return use
        e5 = self._e5.encode(texts, question=True, keep=False)
        return self._joined(use, e5 - self._as_asked)

    @staticmethod
    def _joined(use: np.ndarray, e5: np.ndarray) -> np.ndarray:
        return np.hstack([use * _USE, _unit(e5) * _E5]).astype(np.float32)

    def use_part(self, vectors: np.ndarray) -> np.ndarray:
        """USE's own vectors inside joined ones (a manager's picker reads USE's cosine)."""
        if self._e5 is None:
            return vectors
        return np.asarray(vectors[..., :USE_DIM] / _USE, dtype=np.float32)
