"""The emulator's own table of the Bot API methods it implements: fields, types, limits
(the HTML tags Telegram accepts are in `bot.telegram.html`).

Types: int, str, bool, json (an object or array sent as JSON), file (an upload or a
file_id/URL string), id (an integer or an @username string).
"""

from __future__ import annotations

from typing import Final

Field = tuple[str, bool]  # (type, required)

_SEND_COMMON: Final[dict[str, Field]] = {
    "chat_id": ("id", True),
    "message_thread_id": ("int", False),
    "disable_notification": ("bool", False),
    "protect_content": ("bool", False),
    "reply_parameters": ("json", False),
    "reply_markup": ("json", False),
}
_CAPTIONED: Final[dict[str, Field]] = {
    "caption": ("str", False),
    "parse_mode": ("str", False),
    "caption_entities": ("json", False),
}

METHODS: Final[dict[str, dict[str, Field]]] = {
    "getMe": {},
    "logOut": {},
    "close": {},
    "deleteWebhook": {"drop_pending_updates": ("bool", False)},
    "setWebhook": {
        "url": ("str", True),
        "secret_token": ("str", False),
        "allowed_updates": ("json", False),
        "drop_pending_updates": ("bool", False),
        "max_connections": ("int", False),
    },
    "getUpdates": {
        "offset": ("int", False),
        "limit": ("int", False),
        "timeout": ("int", False),
        "allowed_updates": ("json", False),
    },
    "sendMessage": {
        **_SEND_COMMON,
        "text": ("str", True),
        "parse_mode": ("str", False),
        "entities": ("json", False),
        "link_preview_options": ("json", False),
    },
    "sendPhoto": {**_SEND_COMMON, **_CAPTIONED, "photo": ("file", True)},
    "sendDocument": {**_SEND_COMMON, **_CAPTIONED, "document": ("file", True)},
    "sendMediaGroup": {
        "chat_id": ("id", True),
        "message_thread_id": ("int", False),
        "media": ("json", True),
        "disable_notification": ("bool", False),
        "protect_content": ("bool", False),
        "reply_parameters": ("json", False),
    },
    "copyMessage": {
        **_SEND_COMMON,
        **_CAPTIONED,
        "from_chat_id": ("id", True),
        "message_id": ("int", True),
    },
    "copyMessages": {
        "chat_id": ("id", True),
        "message_thread_id": ("int", False),
        "from_chat_id": ("id", True),
        "message_ids": ("json", True),
        "disable_notification": ("bool", False),
        "protect_content": ("bool", False),
        "remove_caption": ("bool", False),
    },
    "editMessageText": {
        "chat_id": ("id", False),
        "message_id": ("int", False),
        "inline_message_id": ("str", False),
        "text": ("str", True),
        "parse_mode": ("str", False),
        "entities": ("json", False),
        "link_preview_options": ("json", False),
        "reply_markup": ("json", False),
    },
    "editMessageReplyMarkup": {
        "chat_id": ("id", False),
        "message_id": ("int", False),
        "inline_message_id": ("str", False),
        "reply_markup": ("json", False),
    },
    "answerCallbackQuery": {
        "callback_query_id": ("str", True),
        "text": ("str", False),
        "show_alert": ("bool", False),
        "url": ("str", False),
        "cache_time": ("int", False),
    },
    "deleteMessage": {"chat_id": ("id", True), "message_id": ("int", True)},
    "setMyCommands": {
        "commands": ("json", True),
        "scope": ("json", False),
        "language_code": ("str", False),
    },
    "getChat": {"chat_id": ("id", True)},
    "getFile": {"file_id": ("str", True)},
    "getChatMember": {"chat_id": ("id", True), "user_id": ("int", True)},
    "createForumTopic": {
        "chat_id": ("id", True),
        "name": ("str", True),
        "icon_color": ("int", False),
        "icon_custom_emoji_id": ("str", False),
    },
    "editForumTopic": {
        "chat_id": ("id", True),
        "message_thread_id": ("int", True),
        "name": ("str", False),
        "icon_custom_emoji_id": ("str", False),
    },
    "closeForumTopic": {"chat_id": ("id", True), "message_thread_id": ("int", True)},
    "reopenForumTopic": {"chat_id": ("id", True), "message_thread_id": ("int", True)},
    "deleteForumTopic": {"chat_id": ("id", True), "message_thread_id": ("int", True)},
}

SENDING_METHODS: Final = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "copyMessages"}
)

# edits count against the chat's messages, as sends do
EDITING_METHODS: Final = frozenset(
    {"editMessageText", "editMessageReplyMarkup", "editMessageCaption", "editMessageMedia"}
)

TEXT_LIMIT: Final = 4096
CAPTION_LIMIT: Final = 1024
CALLBACK_DATA_LIMIT: Final = 64
TOPIC_NAME_LIMIT: Final = 128
CALLBACK_ANSWER_LIMIT: Final = 200
MEDIA_GROUP_SIZE: Final = (2, 10)
