"""The process's log: one format on stderr, the configured level, and every token and
secret redacted (`SecretFilter`) before a record is written."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys

from bot.config import Settings

# what looks like a secret even when it is not one of ours (a wrong postback secret, a
# token in a URL of a library's exception): a query parameter, and a Bot API path
_SECRET_PATTERNS = (
    (re.compile(r"([?&;](?:secret|access_token|token|key)=)[^&\s\"'<>]+", re.I), r"\1***"),
    (re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+"), r"\1***"),
    (re.compile(r"(X-Postback-Secret['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+", re.I), r"\1***"),
)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretFilter(logging.Filter):
    """Replaces tokens and secrets with *** in the whole record: the message, the
    traceback (an exception's text carries URLs with tokens) and the stack."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


_FORMATTER = logging.Formatter()


class StoppedJobs(logging.Filter):
    """apscheduler logs a job cancelled because the process stops (SIGTERM, the sandbox's
    /quit or end of input while a tick runs) as an ERROR with a traceback; that is no error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, asyncio.CancelledError)


WORKER_ENV = "PARTNERBOT_WORKER"  # set by `run --workers N` for each worker: 1..N


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    # `run --workers N`: each worker's lines say which one it is (and its pid)
    worker = os.environ.get(WORKER_ENV, "")
    who = f" worker {worker} (pid {os.getpid()})" if worker.isdigit() else ""
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s{who} %(name)s: %(message)s")
    )
    secrets = [
        value.get_secret_value()
        for value in (
            settings.telegram_bot_token,
            settings.vk_group_token,
            settings.max_bot_token,
            settings.webhook_secret,
            settings.postback_secret,
        )
        if value is not None
    ]
    handler.addFilter(SecretFilter(secrets))
    level = logging.getLevelName(settings.log_level)
    if settings.offline and level > logging.DEBUG:
        level = logging.WARNING  # keep the sandbox's terminal chat readable
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # alembic says «Context impl …», «Will assume transactional DDL» on every command: the
    # CLI and the run say what was upgraded in their own words
    for noisy in ("pymorphy3", "alembic.runtime.plugins", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    jobs = logging.getLogger("apscheduler.executors.default")
    if not any(isinstance(each, StoppedJobs) for each in jobs.filters):
        jobs.addFilter(StoppedJobs())
