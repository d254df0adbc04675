"""Settings from the environment or `.env` (SPEC §3), built once in the entry point."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final
from urllib.parse import urlparse, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# the platforms, in the order a managers' chat is chosen (bot.platforms, handlers.relay)
PLATFORMS: Final = ("tg", "vk", "max")
_PLATFORM_ID = re.compile(r"^(tg|vk|max):\d+$")
_ON: Final = frozenset({"on", "true", "yes", "1"})
_OFF: Final = frozenset({"off", "false", "no", "0"})
# Telegram's secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and - (setWebhook)
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# a Bot API token as aiogram checks it: digits, a colon, the rest (no spaces)
_TELEGRAM_TOKEN = re.compile(r"^\d+:\S+$")
# where the HTTP endpoint takes the webhooks: Telegram's at WEBHOOK_URL's path (this one
# when it has none), MAX's here on the same host (bot.webhook, bot.app)
TELEGRAM_WEBHOOK_PATH: Final = "/webhook/telegram"
MAX_WEBHOOK_PATH: Final = "/webhook/max"
# the endpoint's other paths (bot.http), each with what serves it: Telegram's webhook at
# one of them would stop start-up (aiohttp: «method POST is already registered») or share
# the path with it (a proxy forwarding /metrics to Telegram shows the metrics to everyone)
_SERVED: Final = {
    "/health": "the health check",
    "/metrics": "the metrics",
    "/postback": "the sales postback",
}


class ConfigError(Exception):
    """A missing or malformed setting; the message names the variable."""


class Settings(BaseSettings):
    # an empty value (`TIMEZONE=`, as .env.example leaves the optional ones) is a variable
    # not set: its default applies, for every variable alike
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    vk_group_token: SecretStr | None = None
    vk_group_id: int | None = None
    vk_api_url: str = "https://api.vk.ru"
    max_bot_token: SecretStr | None = None
    max_api_url: str = "https://platform-api2.max.ru"  # the MAX schema's `servers`
    max_managers_chat_id: int | None = None
    max_community_chat_id: int | None = None
    database_url: str = "sqlite+aiosqlite:///data/partnerbot.db"
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    content_dir: Path = Path("content")
    managers: Annotated[tuple[str, ...], NoDecode] = ()
    tg_managers_chat_id: int | None = None
    vk_managers_peer_id: int | None = None
    tg_community_chat_id: int | None = None
    vk_community_peer_id: int | None = None
    timezone: str = "Europe/Moscow"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    postback_secret: SecretStr | None = None
    delivery_rate: float = Field(default=25.0, gt=0, le=1000)  # automated messages a second
    log_level: str = "INFO"
    # the FAQ's sentence vectors (bot/services/faq_semantic.py); None: not set here, so the
    # process environment's FAQ_VECTORS / FAQ_VECTORS_CACHE apply (on; ~/.cache/partnerbot)
    faq_vectors: bool | None = None
    faq_vectors_cache: Path | None = None
    # which sentence vectors (bot/services/faq_e5.py): "use+e5" (USE and e5 side by side,
    # the default) or "use" (USE alone: ~10× less time a question); None: FAQ_ENCODER or
    # the default
    faq_encoder: str | None = None
    # a copy of each valid content folder, for a start on one that no longer validates
    # (bot/content/kept.py); None: FAQ_VECTORS_CACHE's folder (or ~/.cache/partnerbot)
    content_kept_dir: Path | None = None

    @field_validator("managers", mode="before")
    @classmethod
    def _parse_managers(cls, value: object) -> tuple[str, ...]:
        if value is None or value == "":
            return ()
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        result: list[str] = []
        for raw in items:
            item = str(raw).strip()
            if not item:
                continue
            if not _PLATFORM_ID.match(item):
                raise ValueError(f"expected ids like tg:111,vk:222,max:333, got {item!r}")
            result.append(item)
        return tuple(result)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {value!r}")
        return level

    @field_validator("faq_vectors", mode="before")
    @classmethod
    def _parse_faq_vectors(cls, value: object) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _ON:
            return True
        if word in _OFF:
            return False
        if not word:
            return None
        raise ValueError("expected on or off")

    @field_validator("faq_encoder", mode="before")
    @classmethod
    def _parse_faq_encoder(cls, value: object) -> str | None:
        if value is None:
            return None
        word = str(value).strip().lower()
        if not word:
            return None
        if word not in {"use+e5", "use"}:
            raise ValueError("expected use+e5 or use")
        return word

    @field_validator("faq_vectors_cache", "content_kept_dir", mode="before")
    @classmethod
    def _parse_faq_vectors_cache(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_telegram_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TELEGRAM_TOKEN.match(value.get_secret_value()):
            raise ValueError("expected a token like 123456789:AAE… from @BotFather")
        return value

    @field_validator("vk_group_token", "max_bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and any(c.isspace() for c in value.get_secret_value()):
            raise ValueError("expected the token alone, without spaces or line breaks")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.match(value.get_secret_value()):
            raise ValueError(
                "expected 1 to 256 letters A-Z, a-z, digits, _ and - (Telegram's rule)"
            )
        return value

    @field_validator("telegram_api_url", "vk_api_url", "max_api_url")
    @classmethod
    def _check_api_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - a port that is no number raises here
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.hostname or value != value.strip():
            raise ValueError("expected an http:// or https:// address such as https://host:8081")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected sqlite+aiosqlite:///… or postgresql+asyncpg://…")
        return value

    @model_validator(mode="after")
    def _check_vk(self) -> Settings:
        if self.vk_group_token is not None and self.vk_group_id is None:
            raise ValueError("VK_GROUP_ID: set it with VK_GROUP_TOKEN (the community's id)")
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET: set it with WEBHOOK_URL (Telegram sends it back)")
        if self.webhook_url and (
            not self.webhook_url.startswith("https://") or not urlsplit(self.webhook_url).netloc
        ):
            raise ValueError("WEBHOOK_URL: Telegram sends webhooks to https:// addresses only")
        return self

    @model_validator(mode="after")
    def _check_webhook_path(self) -> Settings:
        """Telegram's webhook on a path of its own: not one the endpoint serves already."""
        if not self.webhook_url or self.telegram_bot_token is None:
            return self  # Telegram's webhook is not served (MAX takes only the host)
        path = self.telegram_webhook_path
        taken = dict(_SERVED)
        if self.max_bot_token is not None:
            taken[MAX_WEBHOOK_PATH] = "MAX's webhook (MAX_BOT_TOKEN is set)"
        if path in taken:
            raise ValueError(
                f"WEBHOOK_URL: the path {path} is taken by {taken[path]}; Telegram's webhook"
                f" needs a path of its own, such as {TELEGRAM_WEBHOOK_PATH}"
            )
        return self

    @property
    def telegram_webhook_path(self) -> str:
        """Where the endpoint takes Telegram's webhook: WEBHOOK_URL's path."""
        return urlparse(self.webhook_url or "").path or TELEGRAM_WEBHOOK_PATH

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def offline(self) -> bool:
        """No platform credentials at all: run the offline sandbox."""
        return (
            self.telegram_bot_token is None
            and self.vk_group_token is None
            and self.max_bot_token is None
        )

    def is_manager(self, platform_id: str) -> bool:
        return platform_id in self.managers

    def community_chat(self, platform: str) -> int | None:
        """The partners' group on `platform` (tg / vk / max), if one is set."""
        return {
            "tg": self.tg_community_chat_id,
            "vk": self.vk_community_peer_id,
            "max": self.max_community_chat_id,
        }.get(platform)

    def community_chats(self) -> list[tuple[str, int]]:
        """Every partners' group that is set, as (platform, chat id)."""
        chats = [(p, self.community_chat(p)) for p in PLATFORMS]
        return [(platform, chat) for platform, chat in chats if chat is not None]

    def managers_chat(self, platform: str) -> int | None:
        return {
            "tg": self.tg_managers_chat_id,
            "vk": self.vk_managers_peer_id,
            "max": self.max_managers_chat_id,
        }.get(platform)

    def manager_ids(self, platform: str) -> frozenset[int]:
        """The user ids in MANAGERS on one platform."""
        prefix = f"{platform}:"
        return frozenset(int(m[len(prefix) :]) for m in self.managers if m.startswith(prefix))


def apply_faq_vectors(settings: Settings) -> None:
    """FAQ_VECTORS and FAQ_VECTORS_CACHE to the sentence encoder: the entry points that
    build the FAQ matcher call it before the content is loaded."""
    from bot.services import faq_e5, faq_semantic

    faq_semantic.configure(enabled=settings.faq_vectors, cache=settings.faq_vectors_cache)
    faq_e5.configure(settings.faq_encoder)


def load_settings(**overrides: object) -> Settings:
    """Build the settings; a bad value raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raw = first.get("input")
        shown = "" if "token" in name.lower() or "secret" in name.lower() else f" ({raw!r})"
        if first["type"] == "missing":
            shown = ""
        if not first["loc"]:  # a rule across settings names its variable itself
            raise ConfigError(message) from None
        raise ConfigError(f"{name}: {message}{shown}") from None
