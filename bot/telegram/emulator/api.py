"""The Bot API methods of the Telegram emulator: each request checked as the server
checks it, paced by Telegram's limits, then answered from the emulator's state."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any

from bot.telegram.emulator.checks import ApiError, check_markup, check_text, coerce_params
from bot.telegram.emulator.methods import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    EDITING_METHODS,
    MEDIA_GROUP_SIZE,
    SENDING_METHODS,
    TEXT_LIMIT,
    TOPIC_NAME_LIMIT,
)
from bot.telegram.emulator.people import PeopleSide


class BotApiMethods(PeopleSide):
    """`_m_<method>` answers the Bot API method of that name."""

    async def _dispatch(self, method: str, raw: dict[str, Any]) -> Any:
        params = coerce_params(method, raw)
        if method in SENDING_METHODS or (
            method in EDITING_METHODS and params.get("chat_id") is not None
        ):
            chat = self._chat(params["chat_id"])
            self._gate.throttle(
                chat.id,
                private=chat.type == "private",
                request=f"{method} {json.dumps(raw, sort_keys=True, default=str)}",
                latency=self.latency,
            )
        handler = getattr(self, f"_m_{method}")
        return await handler(params)

    async def _m_getMe(self, _params: dict[str, Any]) -> Any:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "partnerbot",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_logOut(self, _params: dict[str, Any]) -> Any:
        return True

    async def _m_close(self, _params: dict[str, Any]) -> Any:
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        if not str(params["url"]).startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        self.webhook = dict(params)
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = params.get("offset") or 0
        limit = min(max(params.get("limit") or 100, 1), 100)
        timeout = min(params.get("timeout") or 0, 50)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            async with self._confirmed_event:
                self._confirmed = max(self._confirmed, offset - 1)
                self._confirmed_event.notify_all()
        if not self._updates and timeout:
            async with self._new_update:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._new_update.wait_for(lambda: bool(self._updates) or self._closing),
                        timeout,
                    )
        return self._updates[:limit]

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        check_text(params["text"], params.get("parse_mode"), TEXT_LIMIT, "text")
        markup = check_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}
        message = self._store(
            params,
            text=params["text"],
            reply_markup=markup,
            parse_mode=params.get("parse_mode"),
            reply_to=reply.get("message_id") if isinstance(reply, dict) else None,
        )
        return self._message_json(message)

    async def _send_file(self, params: dict[str, Any], kind: str) -> Any:
        caption = params.get("caption")
        if caption is not None:
            check_text(caption, params.get("parse_mode"), CAPTION_LIMIT, "caption")
        markup = check_markup(params.get("reply_markup"))
        source = params[kind]
        name, size = self._file_info(source)
        message = self._store(
            params,
            caption=caption,
            kind=kind,
            file_name=name,
            file_size=size,
            reply_markup=markup,
            parse_mode=params.get("parse_mode"),
        )
        return self._message_json(message)

    def _file_info(self, source: Any) -> tuple[str, int]:
        if isinstance(source, str) and source.startswith("attach://"):
            if source not in self.files:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            name, data = self.files[source]
            return name, len(data)
        if isinstance(source, str) and (source.startswith("http") or source):
            return source.rsplit("/", 1)[-1], 0
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "photo")

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "document")

    async def _m_sendMediaGroup(self, params: dict[str, Any]) -> Any:
        media = params["media"]
        low, high = MEDIA_GROUP_SIZE
        if not isinstance(media, list) or not low <= len(media) <= high:
            raise ApiError(400, "Bad Request: wrong number of media in the album")
        group_id = str(next(self._file_ids))
        sent = []
        for item in media:
            kind = item.get("type")
            if kind not in ("photo", "document", "video", "audio"):
                raise ApiError(400, "Bad Request: unsupported media type")
            caption = item.get("caption")
            if caption is not None:
                check_text(caption, item.get("parse_mode"), CAPTION_LIMIT, "caption")
            name, size = self._file_info(item.get("media"))
            message = self._store(
                params,
                caption=caption,
                kind=kind,
                file_name=name,
                file_size=size,
                media_group_id=group_id,
                parse_mode=item.get("parse_mode"),
            )
            sent.append(self._message_json(message))
        return sent

    async def _m_copyMessage(self, params: dict[str, Any]) -> Any:
        source = self._find(params["from_chat_id"], params["message_id"])
        caption = params.get("caption", source.caption)
        # as Telegram: the copy keeps the source's formatting (its entities); parse_mode
        # applies only to a new caption given with the copy (review 6)
        parse_mode = source.parse_mode
        if "caption" in params and source.kind != "text":
            parse_mode = params.get("parse_mode")
        if caption is not None and source.kind != "text":
            check_text(caption, parse_mode, CAPTION_LIMIT, "caption")
        message = self._store(
            params,
            text=source.text,
            caption=caption if source.kind != "text" else None,
            kind=source.kind,
            file_name=source.file_name,
            file_size=source.file_size,
            reply_markup=check_markup(params.get("reply_markup")),
            parse_mode=parse_mode,
        )
        return {"message_id": message.message_id}

    async def _m_copyMessages(self, params: dict[str, Any]) -> Any:
        ids = params["message_ids"]
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100 or ids != sorted(set(ids)):
            raise ApiError(400, "Bad Request: message identifiers must be in increasing order")
        sources = [self._find(params["from_chat_id"], message_id) for message_id in ids]
        group_id = str(next(self._file_ids)) if len(sources) > 1 else None
        result = []
        for source in sources:
            keep_caption = not params.get("remove_caption")
            message = self._store(
                params,
                text=source.text,
                caption=source.caption if keep_caption and source.kind != "text" else None,
                kind=source.kind,
                file_name=source.file_name,
                file_size=source.file_size,
                media_group_id=group_id if source.media_group_id else None,
                parse_mode=source.parse_mode,  # the source's formatting, as Telegram keeps it
            )
            result.append({"message_id": message.message_id})
        return result

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._find(params.get("chat_id"), params.get("message_id"))
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        check_text(params["text"], params.get("parse_mode"), TEXT_LIMIT, "text")
        markup = check_markup(params.get("reply_markup"))
        if message.text == params["text"] and message.reply_markup == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.text = params["text"]
        message.parse_mode = params.get("parse_mode")
        message.reply_markup = markup
        message.edits += 1
        self._notify(message)
        return self._message_json(message)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params.get("chat_id"), params.get("message_id"))
        markup = check_markup(params.get("reply_markup"))
        if message.reply_markup == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.reply_markup = markup
        message.edits += 1
        self._notify(message)
        return self._message_json(message)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = params["callback_query_id"]
        if query_id not in self._open_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired "
                "or query ID is invalid",
            )
        text = params.get("text") or ""
        if len(text) > CALLBACK_ANSWER_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self.callback_answers[query_id] = params
        if text:
            for listener in list(self.answer_listeners):
                listener(self._callback_users.get(query_id, 0), text)
        return True

    async def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        message = self._find(params["chat_id"], params["message_id"])
        message.deleted = True
        return True

    async def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params["commands"]
        for command in commands:
            if not re.match(r"^[a-z0-9_]{1,32}$", str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self.commands[params.get("language_code") or ""] = commands
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = params["file_id"]
        data = self._file_bytes(file_id)
        if data is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(data),
            "file_path": f"documents/{file_id}.bin",
        }

    def _file_bytes(self, file_id: str) -> bytes | None:
        """What a user's file holds: users' files in the emulator are a tiny stand-in."""
        if not file_id.startswith("file"):
            return None
        return b"partnerbot sandbox file " + file_id.encode()

    async def _m_getChat(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        data = self._chat_json(chat)
        data["accent_color_id"] = 0
        data["max_reaction_count"] = 11
        data["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        }
        return data

    async def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        user_id = params["user_id"]
        if user_id == self.bot_id:
            user: dict[str, Any] = {"id": self.bot_id, "is_bot": True, "first_name": "partnerbot"}
            if chat.bot_status == "administrator":
                return {
                    "status": "administrator",
                    "user": user,
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": False,
                    "can_restrict_members": False,
                    "can_promote_members": False,
                    "can_change_info": False,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_manage_topics": chat.can_manage_topics,
                    "can_send_welcome_messages": False,  # aiogram 3.31 requires it
                }
            return {"status": "member", "user": user}
        member = self.users.get(user_id)
        if member is None:
            raise ApiError(400, "Bad Request: user not found")
        return {"status": "member", "user": member.as_json()}

    async def _m_createForumTopic(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        if not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        if not chat.can_manage_topics:
            raise ApiError(400, "Bad Request: not enough rights to create a topic")
        name = params["name"]
        if not 1 <= len(name) <= TOPIC_NAME_LIMIT:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY")
        thread_id = next(self._ids(chat.id))
        self.topics[(chat.id, thread_id)] = name
        self.topics_by_bot.add((chat.id, thread_id))
        return {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}

    async def _topic(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        if (chat.id, params["message_thread_id"]) not in self.topics:
            raise ApiError(400, "Bad Request: message thread not found")
        return True

    async def _m_editForumTopic(self, params: dict[str, Any]) -> Any:
        """As the Bot API describes it: an administrator with can_manage_topics, or the
        creator of the topic; a name of 0-128 characters, none or an empty one keeping
        the current name; an edit that changes nothing refused as Telegram refuses it."""
        await self._topic(params)
        chat = self._chat(params["chat_id"])
        topic = (chat.id, params["message_thread_id"])
        if not chat.can_manage_topics and topic not in self.topics_by_bot:
            raise ApiError(400, "Bad Request: CHAT_ADMIN_REQUIRED")
        name = params.get("name") or ""
        if len(name) > TOPIC_NAME_LIMIT:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        if (not name or name == self.topics[topic]) and "icon_custom_emoji_id" not in params:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        if name:
            self.topics[topic] = name
        return True

    async def _m_closeForumTopic(self, params: dict[str, Any]) -> Any:
        return await self._topic(params)

    async def _m_reopenForumTopic(self, params: dict[str, Any]) -> Any:
        return await self._topic(params)

    async def _m_deleteForumTopic(self, params: dict[str, Any]) -> Any:
        await self._topic(params)
        topic = (self._chat(params["chat_id"]).id, params["message_thread_id"])
        del self.topics[topic]
        self.topics_by_bot.discard(topic)
        return True
