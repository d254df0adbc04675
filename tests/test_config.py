"""Settings: a bad value stops start-up with one line naming the variable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, Settings, load_settings


def _load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    monkeypatch.chdir("/")  # no .env file here
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load(monkeypatch)
    assert settings.database_url == "sqlite+aiosqlite:///data/partnerbot.db"
    assert settings.timezone == "Europe/Moscow"
    assert settings.http_port == 8080
    assert settings.offline


def test_managers_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load(monkeypatch, MANAGERS="tg:111, vk:222")
    assert settings.managers == ("tg:111", "vk:222")
    assert settings.is_manager("tg:111")
    assert not settings.is_manager("tg:222")


@pytest.mark.parametrize(
    ("name", "value", "starts"),
    [
        ("MANAGERS", "111", "MANAGERS: expected ids like tg:111,vk:222"),
        ("TIMEZONE", "Mars/Base", "TIMEZONE: unknown time zone"),
        ("HTTP_PORT", "eighty", "HTTP_PORT:"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected sqlite"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL:"),
        ("FAQ_VECTORS", "maybe", "FAQ_VECTORS: expected on or off ('maybe')"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, starts: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(monkeypatch, **{name: value})
    assert str(caught.value).startswith(starts)


def test_cli_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir("/")
    monkeypatch.setenv("TIMEZONE", "Nowhere/Land")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("partnerbot: configuration error: TIMEZONE:")


def test_secrets_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"
    settings = _load(monkeypatch, TELEGRAM_BOT_TOKEN=secret)
    assert secret not in repr(settings)
    assert not settings.offline


def test_log_filter_redacts_secrets() -> None:
    import logging

    from bot.logs import SecretFilter

    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "calling %s", ("bot12:SECRET/getMe",), None
    )
    SecretFilter(["12:SECRET"]).filter(record)
    assert record.getMessage() == "calling bot***/getMe"


def test_log_filter_redacts_tracebacks_and_secret_parameters() -> None:
    import io
    import logging

    from bot.logs import SecretFilter

    token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretFilter([token, "postback-s3cret"]))
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise ConnectionError(
                f"Cannot connect to host https://api.telegram.org/bot{token}/sendDocument"
            )
        except ConnectionError:
            log.exception("upload failed")
        try:
            raise ValueError("GET /postback?partner=a&secret=wrong-but-private&amount=1")
        except ValueError:
            log.exception("bad postback %s", "/postback?secret=postback-s3cret")
        log.warning("a token without our list: /bot999:XYZabc_def/getMe")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback" in text
    assert "ConnectionError" in text
    assert token not in text
    assert "ABCDEFGHIJ" not in text
    assert "wrong-but-private" not in text
    assert "postback-s3cret" not in text
    assert "XYZabc_def" not in text
    assert "secret=***" in text
    assert "/bot***/sendDocument" in text


def test_max_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load(
        monkeypatch,
        MAX_BOT_TOKEN="max-token",
        MAX_MANAGERS_CHAT_ID="-7001",
        MAX_COMMUNITY_CHAT_ID="-7002",
        MANAGERS="tg:111,max:333,max:334",
    )
    assert not settings.offline  # MAX alone runs the bot, not the sandbox
    assert settings.max_api_url == "https://platform-api2.max.ru"
    assert settings.managers_chat("max") == -7001
    assert ("max", -7002) in settings.community_chats()
    assert settings.manager_ids("max") == frozenset({333, 334})
    assert settings.is_manager("max:333")
    assert "max-token" not in repr(settings)


def test_a_bad_max_chat_id_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"^MAX_MANAGERS_CHAT_ID:"):
        _load(monkeypatch, MAX_MANAGERS_CHAT_ID="managers")
    monkeypatch.delenv("MAX_MANAGERS_CHAT_ID")
    with pytest.raises(ConfigError, match=r"^MANAGERS: expected ids like tg:111,vk:222,max:333"):
        _load(monkeypatch, MANAGERS="ok:1")


def test_a_stopping_process_does_not_walk_its_objects_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`partnerbot run` set apart from the garbage collector what it leaves behind once
    its loop ended (the interpreter's collections at exit took a second of CPU), also
    when the loop ended by an error."""
    import gc

    import bot.runner

    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))

    async def stopped(settings: object) -> None:
        return None

    monkeypatch.setattr(bot.runner, "run", stopped)
    bot.runner.main_loop(_load(monkeypatch))
    assert frozen == [True]

    async def failed(settings: object) -> None:
        raise OSError("port taken")

    monkeypatch.setattr(bot.runner, "run", failed)
    with pytest.raises(OSError, match="port taken"):
        bot.runner.main_loop(_load(monkeypatch))
    assert frozen == [True, True]


CONTENT = Path(__file__).resolve().parent.parent / "content"


@pytest.fixture
def vectors_from_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The encoder as a process without Settings has it, before and after the test."""
    from bot.services import faq_semantic

    monkeypatch.delenv("FAQ_VECTORS", raising=False)
    monkeypatch.delenv("FAQ_VECTORS_CACHE", raising=False)
    faq_semantic.configure()
    yield
    faq_semantic.configure()


@pytest.mark.parametrize(("value", "expected"), [("off", False), ("On", True), ("", None)])
def test_faq_vectors_on_or_off(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool | None
) -> None:
    assert _load(monkeypatch, FAQ_VECTORS=value).faq_vectors is expected


def test_faq_vectors_off_in_env_file_gives_the_lexical_model(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    vectors_from_env: None,
) -> None:
    from bot.content.loader import load_content
    from bot.services import faq_semantic, faq_text_cache
    from bot.services.faq_matching import FaqMatcher
    from bot.services.faq_model import Model, model_file, shipped_model

    cache = tmp_path / "vectors"
    (tmp_path / ".env").write_text(f"FAQ_VECTORS=off\nFAQ_VECTORS_CACHE={cache}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["faq", "match", "--content", str(CONTENT), "когда выплаты"]) == 0
    assert capsys.readouterr().out.strip()
    assert faq_semantic.encoder() is None
    assert faq_semantic.cache_root() == cache
    assert model_file() == "faq_model_lexical.json"
    lexical = Model.shipped("faq_model_lexical.json")
    assert shipped_model() == lexical
    assert FaqMatcher(load_content(CONTENT).faq).model == lexical
    # off: no model loaded, no vectors cached; only the vocabulary as read (faq_text_cache)
    assert not cache.exists() or [p.name for p in cache.iterdir()] == [faq_text_cache.FOLDER]


async def test_the_bot_start_up_applies_faq_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vectors_from_env: None
) -> None:
    from bot.assembly import create_services
    from bot.clock import FakeClock
    from bot.services import faq_semantic
    from bot.services.faq_model import Model, shipped_model
    from tests.harness import make_settings

    settings = make_settings(tmp_path, faq_vectors="off", faq_vectors_cache=str(tmp_path))
    services = await create_services(settings, FakeClock())
    try:
        assert faq_semantic.encoder() is None
        assert faq_semantic.cache_root() == tmp_path
        # (tests/conftest.py builds each content once per session: ask for a new matcher)
        assert shipped_model() == Model.shipped("faq_model_lexical.json")
    finally:
        await services.close()


def test_cli_names_a_bad_faq_vectors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    vectors_from_env: None,
) -> None:
    (tmp_path / ".env").write_text("FAQ_VECTORS=maybe\n")
    monkeypatch.chdir(tmp_path)
    assert main(["faq", "match", "--content", str(CONTENT), "когда выплаты"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["partnerbot: configuration error: FAQ_VECTORS: expected on or off ('maybe')"]
