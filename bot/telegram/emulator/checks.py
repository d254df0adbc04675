"""The checks the Bot API server makes of every request: the method known, the fields
of its table (`methods.METHODS`) present and of their types, keyboards, texts and
captions within Telegram's limits; the errors it answers with."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.telegram.emulator.methods import CALLBACK_DATA_LIMIT, METHODS
from bot.telegram.html import HtmlRefused, parse_html


class ApiError(Exception):
    """A refusal as the Bot API answers it: the HTTP code, the description, and the
    parameters a 429 or a migrated group carry."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


_SURROGATE = re.compile("[\ud800-\udfff]")


def utf16_length(text: str) -> int:
    """How Telegram counts a text's length: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def coerce_params(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a request as their types (ApiError: unknown, missing, wrong)."""
    if method not in METHODS:
        raise ApiError(404, "Not Found: method not found")
    table = METHODS[method]
    values: dict[str, Any] = {}
    for name, raw in params.items():
        if name not in table:
            raise ApiError(400, f"Bad Request: unknown parameter {name}")
        kind, _required = table[name]
        values[name] = _coerce_value(name, kind, raw)
    for name, (_kind, required) in table.items():
        if required and values.get(name) in (None, ""):
            raise ApiError(
                400,
                f"Bad Request: {name} is empty"
                if name in values
                else f"Bad Request: parameter {name} is required",
            )
    return values


def check_markup(markup: Any) -> dict[str, Any] | None:
    """An inline keyboard as Telegram takes it: a label and one action per button."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            actions = [
                key for key in ("callback_data", "url", "switch_inline_query") if key in button
            ]
            if len(actions) != 1:
                raise ApiError(400, "Bad Request: inline keyboard button must have one action")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not re.match(r"^(https?|tg)://\S+$", str(url)):
                raise ApiError(400, "Bad Request: inline keyboard button URL is invalid")
    return markup


def check_text(text: str, parse_mode: str | None, limit: int, what: str) -> None:
    """A text or caption: UTF-8, its HTML well formed, its visible length ≤ `limit`."""
    if parse_mode not in (None, "HTML"):
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
    if _SURROGATE.search(text):  # half of a UTF-16 pair: not text at all
        raise ApiError(400, f"Bad Request: {what} must be encoded in UTF-8")
    try:
        visible = parse_html(text) if parse_mode == "HTML" else text
    except HtmlRefused as exc:
        raise ApiError(400, exc.description) from None
    if what == "text" and not visible.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_length(visible) > limit:  # counted after entity parsing, in UTF-16 units
        raise ApiError(400, f"Bad Request: {what} is too long")


def _coerce_value(name: str, kind: str, raw: Any) -> Any:
    try:
        if kind == "int":
            return raw if isinstance(raw, int) else int(str(raw))
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in ("true", "1"):
                return True
            if str(raw).lower() in ("false", "0"):
                return False
            raise ValueError(raw)
        if kind == "json":
            return json.loads(raw) if isinstance(raw, str) else raw
        if kind == "id":
            text = str(raw)
            if text.lstrip("-").isdigit():
                return int(text)
            if text.startswith("@"):
                return text
            raise ValueError(raw)
        if kind == "file":
            return raw
        return str(raw)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ApiError(400, f"Bad Request: invalid {name}") from None
