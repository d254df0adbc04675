"""The content's sentence vectors on disk (bot/services/faq_vector_cache.py, issue 13): a
restart reads them instead of encoding; only content texts go there, never a partner's;
a damaged file is encoded again and rewritten, an unwritable place never fails a load."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.content.loader import load_content
from bot.content.models import FaqEntry
from bot.services import faq_semantic, faq_vector_cache
from bot.services.faq_matching import FaqMatcher
from bot.services.faq_semantic import DIM, Encoder
from bot.services.faq_vector_cache import FOLDER, content_vectors
from bot.services.faq_vectors import EntryVectors

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis

CONTENT = Path(__file__).resolve().parent.parent / "content"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return Encoder(tmp_path_factory.mktemp("model"))


@pytest.fixture
def model(shared: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Encoder]:
    """The process's encoder, its text cache empty (a fresh worker), caching in tmp_path;
    USE alone (e5's files, which go to the same folder: tests/test_faq_e5.py)."""
    monkeypatch.delenv("FAQ_VECTORS", raising=False)
    monkeypatch.setenv("FAQ_ENCODER", "use")
    faq_semantic.configure()
    monkeypatch.setattr(shared, "root", tmp_path)
    monkeypatch.setattr(faq_semantic._process, "loaded", shared)
    shared._lru.clear()
    yield shared
    shared._lru.clear()


@pytest.fixture(scope="module")
def entries() -> list[FaqEntry]:
    return load_content(CONTENT).faq


def _texts(entries: list[FaqEntry]) -> list[str]:
    wordings = [text for entry in entries for text in (entry.question, *entry.alt)]
    return [*wordings, *(entry.answer for entry in entries)]


def _files(model: Encoder) -> list[Path]:
    assert model.root is not None
    return sorted((model.root / FOLDER).glob("*.npz"))


def _restart(model: Encoder) -> int:
    """What a new worker has: no text cache. Returns the texts encoded so far."""
    model._lru.clear()
    return model.encoded


def test_a_restart_reads_the_vectors_instead_of_encoding(
    model: Encoder, entries: list[FaqEntry]
) -> None:
    before = model.encoded
    first = EntryVectors(entries)
    texts = _texts(entries)
    assert model.encoded - before == len(set(texts))
    [stored] = _files(model)
    with np.load(stored) as data:
        assert data["vectors"].shape == (len(texts), DIM)
    before = _restart(model)
    again = EntryVectors(entries)
    assert model.encoded == before  # read, not encoded
    question = "как у вас устроено вознаграждение"
    ours, theirs = first.compare(question), again.compare(question)
    assert ours is not None
    assert theirs is not None
    np.testing.assert_allclose(ours.wording, theirs.wording, atol=1e-6)
    np.testing.assert_allclose(ours.answer, theirs.answer, atol=1e-6)
    # read from disk, then the content changes: only the new texts are encoded
    before = _restart(model)
    EntryVectors(entries)
    extra = FaqEntry.model_validate(
        {"id": "tax", "topic": "t", "question": "Нужно ли платить налог?", "answer": "Да."}
    )
    EntryVectors([*entries, extra])
    assert model.encoded == before + 2


def test_partners_texts_never_reach_the_disk(model: Encoder, entries: list[FaqEntry]) -> None:
    secret = "мой номер карты 4276 0000 1111 2222, Иванов Иван"
    matcher = FaqMatcher(entries).with_learned({entries[0].id: [secret]})
    matcher.match(secret)
    matcher.match("когда выплаты, я Пётр из Казани")
    [stored] = _files(model)  # the content's, and nothing else
    with np.load(stored) as data:
        vectors = data["vectors"]
    assert len(vectors) == len(_texts(entries))
    assert faq_semantic.encode([secret])[0].tolist() not in vectors.tolist()


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the vectors: only the CRC tells
    path.write_bytes(bytes(data))


def _junk(path: Path) -> None:
    path.write_bytes(b"\x93NUMPY\x01\x00garbage" * 100)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _other_shape(path: Path) -> None:
    with np.load(path) as data:
        key = data["key"].copy()
    np.savez(path, vectors=np.ones((4, DIM), dtype=np.float32), key=key)


def _other_content(path: Path) -> None:
    np.savez(path, vectors=np.ones((3, DIM), dtype=np.float32), key=np.array("0" * 64))


def _no_key(path: Path) -> None:
    np.savez(path, vectors=np.ones((3, DIM), dtype=np.float32))


def _not_a_number(path: Path) -> None:
    with np.load(path) as data:
        vectors = data["vectors"].copy()
        key = data["key"].copy()
    vectors[0, 0] = np.nan
    np.savez(path, vectors=vectors, key=key)


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize(
    "damage",
    [
        _truncate,
        _flip,
        _junk,
        _empty,
        _other_shape,
        _other_content,
        _no_key,
        _not_a_number,
        _folder,
    ],
)
def test_a_damaged_file_is_encoded_again_and_rewritten(
    model: Encoder, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    texts = ["Когда выплаты?", "Где моя ссылка?", "Выплаты по средам."]
    expected = content_vectors(texts)
    [stored] = _files(model)
    damage(stored)  # type: ignore[operator]
    before = _restart(model)
    vectors = content_vectors(texts)
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    assert model.encoded == before + 3
    assert "FAQ vectors" in caplog.text
    if stored.is_file():  # written again, whole: the next start reads it
        before = _restart(model)
        np.testing.assert_allclose(content_vectors(texts), expected, atol=1e-6)
        assert model.encoded == before


def test_an_unwritable_place_still_encodes(model: Encoder, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    model.root = blocked  # its content-vectors folder cannot be made
    vectors = content_vectors(["Когда выплаты?", "Ответ."])
    assert vectors.shape == (2, DIM)
    assert np.isclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4).all()
    assert list(tmp_path.iterdir()) == [blocked]


def test_another_model_version_does_not_read_them(
    model: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    content_vectors(["Когда выплаты?"])
    monkeypatch.setattr(model, "version", "usem3-next")
    before = _restart(model)
    content_vectors(["Когда выплаты?"])
    assert model.encoded == before + 1
    assert len(_files(model)) == 2


def test_old_contents_are_pruned(model: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faq_vector_cache, "KEEP", 2)
    content_vectors(["первый"])
    first = _files(model)
    os.utime(first[0], ns=(1_000, 1_000))  # written long ago (whatever the clock's grain)
    content_vectors(["второй"])
    (second,) = set(_files(model)) - set(first)
    os.utime(second, ns=(2_000, 2_000))  # written after the first
    content_vectors(["первый"])  # read: used again, kept
    content_vectors(["третий"])
    files = _files(model)
    assert len(files) == 2
    assert set(first) <= set(files)
    assert second not in files
    left = files[0].parent / ".left-by-a-killed-worker"
    left.write_bytes(b"half")
    os.utime(left, (0, 0))
    fresh = files[0].parent / ".being-written"
    fresh.write_bytes(b"half")
    content_vectors(["четвёртый"])
    assert not left.exists()
    assert fresh.exists()  # another worker's, being written


def test_off_nothing_is_written(model: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQ_VECTORS", "off")
    assert not content_vectors(["Когда выплаты?"]).any()
    assert model.root is not None
    assert not (model.root / FOLDER).exists()
