"""How `VkSession` sends: aiogram's sends, copies, edits and button answers as VK calls
(a mixin of the session).

- `random_id`: derived from the update being answered (its event id and the number of
  the send within it), so an update handled again after a crash sends nothing twice.
- Text is plain (VK shows no markup), split at 4,096 characters; files are uploaded once
  (by content) and sent as attachments. An upload answered badly (no `upload_url`, not
  JSON, an HTTP error from the upload URL, no `photo`/`file` or saved item) is a
  `VkUploadError` naming the field; nothing is remembered, the next send tries again.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
)
from aiogram.types import InlineKeyboardMarkup, InputFile, Message

from bot.platform.files import Uploads, excerpt
from bot.rendering import split_text
from bot.vk import convert
from bot.vk.client import VkError, VkNetworkError, VkUploadError
from bot.vk.people import Sent, VkDirectory

logger = logging.getLogger(__name__)

TEXT_LIMIT: Final = 4096
SNACKBAR_LIMIT: Final = 90


@dataclass
class _Origin:
    """The update being handled: sends made for it get stable random ids."""

    key: str
    sends: int = 0


_origin: contextvars.ContextVar[_Origin | None] = contextvars.ContextVar("vk_origin", default=None)


def answering(event_key: str) -> contextvars.Token[_Origin | None]:
    """Mark the current task as handling the VK event `event_key` (see VkOriginMiddleware)."""
    return _origin.set(_Origin(event_key))


def done_answering(token: contextvars.Token[_Origin | None]) -> None:
    _origin.reset(token)


class VkSending(VkDirectory):
    """Sends, copies, edits and answers of one VK community."""

    def _init_sending(self) -> None:
        self._uploads: Uploads[str] = Uploads(1000)  # (kind, digest) → attachment

    def next_random_id(self, peer: int) -> int:
        origin = _origin.get()
        if origin is None:
            return secrets.randbits(31)
        origin.sends += 1
        return convert.random_id(f"{origin.key}:{peer}:{origin.sends}")

    def has_callbacks(self, peer: int) -> bool:
        """Whether the person's VK client shows callback buttons (as far as is known)."""
        return bool(self._callbacks.get(peer, True))

    def _keyboard(self, peer: int, markup: Any) -> str | None:
        if not isinstance(markup, InlineKeyboardMarkup):
            return None
        return convert.keyboard(markup, callbacks=self._callbacks.get(peer, True))

    def _text(self, bot: Bot, text: str, parse_mode: Any) -> str:
        mode = bot.default["parse_mode"] if isinstance(parse_mode, Default) else parse_mode
        return convert.plain(text) if mode else text

    async def send(
        self,
        peer: int,
        text: str,
        *,
        keyboard: str | None = None,
        attachments: list[str] | None = None,
        reply_to: int | None = None,
        random_id: int | None = None,
    ) -> int:
        """One `messages.send` to one peer; the new message's conversation id."""
        params: dict[str, Any] = {
            "peer_ids": [peer],
            "random_id": self.next_random_id(peer) if random_id is None else random_id,
            "message": text or None,
            "keyboard": keyboard,
            "attachment": attachments or None,
            "dont_parse_links": 1,
        }
        if reply_to is not None:
            params["forward"] = {
                "peer_id": peer,
                "conversation_message_ids": [reply_to],
                "is_reply": 1,
            }
        answer = await self.client("messages.send", **params)
        item = answer[0] if isinstance(answer, list) else {"conversation_message_id": answer}
        if "error" in item:
            error = item["error"]
            raise VkError(
                int(error.get("code", 0)), str(error.get("description", "")), "messages.send"
            )
        cmid = int(item.get("conversation_message_id") or item.get("message_id") or 0)
        self._sent.put((peer, cmid), Sent(text, keyboard, list(attachments or []), reply_to))
        if keyboard is not None:
            self._last_keyboard[peer] = cmid
        return cmid

    async def _send_message(self, bot: Bot, method: SendMessage) -> Message:
        peer = _peer(method.chat_id)
        text = self._text(bot, method.text, method.parse_mode)
        keyboard = self._keyboard(peer, method.reply_markup)
        reply_to = method.reply_parameters.message_id if method.reply_parameters else None
        parts = split_text(text, TEXT_LIMIT, html_mode=False)
        cmid = 0
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            cmid = await self.send(
                peer,
                part,
                keyboard=keyboard if last else None,
                reply_to=reply_to if index == 0 else None,
            )
        return self._message(bot, peer, cmid, text=parts[-1])

    async def _send_file(self, bot: Bot, method: SendPhoto | SendDocument) -> Message:
        peer = _peer(method.chat_id)
        source = method.photo if isinstance(method, SendPhoto) else method.document
        kind = "photo" if isinstance(method, SendPhoto) else "doc"
        attachment = await self.attachment(bot, peer, source, kind)
        caption = self._text(bot, method.caption or "", method.parse_mode)
        parts = split_text(caption, TEXT_LIMIT, html_mode=False) if caption else [""]
        keyboard = self._keyboard(peer, method.reply_markup)
        cmid = await self.send(
            peer,
            parts[0],
            keyboard=keyboard if len(parts) == 1 else None,
            attachments=[attachment],
        )
        for index, part in enumerate(parts[1:], start=1):
            cmid = await self.send(
                peer, part, keyboard=keyboard if index == len(parts) - 1 else None
            )
        message = self._message(bot, peer, cmid, caption=parts[-1] or None)
        body = message.model_dump(exclude_none=True)
        if kind == "photo":
            body["photo"] = [
                {"file_id": attachment, "file_unique_id": attachment, "width": 0, "height": 0}
            ]
        else:
            body["document"] = {"file_id": attachment, "file_unique_id": attachment}
        return Message.model_validate(body, context={"bot": bot})

    async def attachment(self, bot: Bot, peer: int, source: Any, kind: str) -> str:
        """Upload a file once (cached by its content), or pass on an attachment id."""
        if isinstance(source, str):
            return source  # an attachment VK already has (from an earlier send)
        assert isinstance(source, InputFile)
        data = b"".join([chunk async for chunk in source.read(bot)])
        filename = source.filename or ("picture.png" if kind == "photo" else "file")
        return await self._uploads.once(
            Uploads.key(kind, data), lambda: self._upload(peer, kind, filename, data)
        )

    async def _upload(self, peer: int, kind: str, filename: str, data: bytes) -> str:
        """The file uploaded and saved: its attachment id. Any failure is a
        `VkUploadError` naming what was wrong (logged here), and is not remembered."""
        try:
            if kind == "photo":
                return await self._upload_photo(peer, filename, data)
            return await self._upload_doc(peer, filename, data)
        except VkUploadError as exc:
            failed: VkUploadError = exc
        except VkError as exc:  # refused (after the client's own retries)
            failed = VkUploadError(exc.message, exc.method, exc.code)
        except VkNetworkError as exc:  # lost: nothing was sent to anyone, try again later
            failed = VkUploadError(f"lost: {exc}")
        logger.warning(
            "VK upload (%s, %d bytes) failed, nothing kept: %s", kind, len(data), failed
        )
        raise failed

    async def _upload_photo(self, peer: int, filename: str, data: bytes) -> str:
        method = "photos.getMessagesUploadServer"
        server = await self.client(method, peer_id=peer)
        url = _url(server, method)
        uploaded = await asyncio.to_thread(self.client.upload, url, "photo", filename, data)
        photo = _required(uploaded, "photo", str, "upload URL")
        if photo in ("", "[]"):  # VK's way of saying no photo arrived
            raise VkUploadError(f"empty `photo` in the answer: {excerpt(uploaded)}")
        method = "photos.saveMessagesPhoto"
        saved = await self.client(
            method,
            photo=photo,
            server=_required(uploaded, "server", (int, str), "upload URL"),
            hash=_required(uploaded, "hash", str, "upload URL"),
        )
        first = saved[0] if isinstance(saved, list) and saved else None
        if not isinstance(first, dict):
            raise VkUploadError(f"no saved photo in the answer: {excerpt(saved)}", method)
        owner = _required(first, "owner_id", int, method)
        attachment = f"photo{owner}_{_required(first, 'id', int, method)}"
        if isinstance(first.get("access_key"), str) and first["access_key"]:
            attachment += f"_{first['access_key']}"
        return attachment

    async def _upload_doc(self, peer: int, filename: str, data: bytes) -> str:
        method = "docs.getMessagesUploadServer"
        server = await self.client(method, type="doc", peer_id=peer)
        url = _url(server, method)
        uploaded = await asyncio.to_thread(self.client.upload, url, "file", filename, data)
        method = "docs.save"
        saved = await self.client(
            method, file=_required(uploaded, "file", str, "upload URL"), title=filename
        )
        doc = _required(saved, "doc", dict, method)
        owner, number = _required(doc, "owner_id", int, method), _required(doc, "id", int, method)
        return f"doc{owner}_{number}"

    async def _copy(
        self, bot: Bot, chat_id: int | str, from_chat_id: int | str, ids: list[int]
    ) -> list[int]:
        """A copy as the bot's own message (anonymous, like Telegram's copyMessage): the
        text and attachments again; a message the session never saw is forwarded."""
        peer, source = _peer(chat_id), _peer(from_chat_id)
        out: list[int] = []
        for cmid in ids:
            sent = self._sent.get((source, cmid))
            if sent is not None and (sent.text or sent.attachments):
                out.append(await self.send(peer, sent.text, attachments=sent.attachments))
                continue
            answer = await self.client(
                "messages.send",
                peer_ids=[peer],
                random_id=self.next_random_id(peer),
                forward={"peer_id": source, "conversation_message_ids": [cmid]},
            )
            out.append(int(answer[0].get("conversation_message_id", 0)))
        return out

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            raise TelegramBadRequest(method=method, message="inline messages are not on VK")
        peer = _peer(method.chat_id)
        text = self._text(bot, method.text or "", method.parse_mode)[:TEXT_LIMIT]
        keyboard = self._keyboard(peer, method.reply_markup)
        await self._edit(peer, method.message_id, text, keyboard)
        return self._message(bot, peer, method.message_id, text=text)

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            raise TelegramBadRequest(method=method, message="inline messages are not on VK")
        peer = _peer(method.chat_id)
        sent = self._sent.get((peer, method.message_id))
        if sent is None:
            raise TelegramBadRequest(method=method, message="message to edit not found")
        keyboard = self._keyboard(peer, method.reply_markup)
        await self._edit(peer, method.message_id, sent.text, keyboard, sent.attachments)
        return self._message(bot, peer, method.message_id, text=sent.text)

    async def _edit(
        self,
        peer: int,
        cmid: int,
        text: str,
        keyboard: str | None,
        attachments: list[str] | None = None,
    ) -> None:
        await self.client(
            "messages.edit",
            peer_id=peer,
            cmid=cmid,
            message=text or None,
            attachment=attachments or None,
            keyboard=keyboard or '{"buttons":[],"inline":true}',
            dont_parse_links=1,
        )
        before = self._sent.get((peer, cmid))  # an edit keeps what the message replies to
        reply_to = before.reply_to if before is not None else None
        self._sent.put((peer, cmid), Sent(text, keyboard, list(attachments or []), reply_to))

    async def _answer_callback(self, bot: Bot, method: AnswerCallbackQuery) -> bool:
        known = self._events.get(method.callback_query_id)
        if known is None:
            # a text button's press: an alert becomes a message, a passing toast is dropped
            if method.text and method.show_alert and method.callback_query_id.startswith("t"):
                peer = int(method.callback_query_id[1:].split("_", 1)[0])
                await self.send(peer, method.text)
            return True
        user_id, peer = known
        data = None
        if method.text:
            data = {"type": "show_snackbar", "text": method.text[:SNACKBAR_LIMIT]}
        await self.client(
            "messages.sendMessageEventAnswer",
            event_id=method.callback_query_id,
            user_id=user_id,
            peer_id=peer,
            event_data=data,
        )
        return True

    def _message(
        self,
        bot: Bot,
        peer: int,
        cmid: int,
        *,
        text: str | None = None,
        caption: str | None = None,
    ) -> Message:
        body: dict[str, Any] = {
            "message_id": cmid,
            "date": int(time.time()),
            "chat": self._chat_json(peer),
            "from": self._bot_json(),
        }
        if caption is not None:
            body["caption"] = caption
        else:
            body["text"] = text or ""
        return Message.model_validate(body, context={"bot": bot})


def _peer(chat_id: int | str) -> int:
    return int(chat_id)


def _required(answer: Any, field: str, kind: type | tuple[type, ...], where: str) -> Any:
    """`answer[field]`, of type `kind` (not a bool, not empty), or a `VkUploadError`
    naming the field and showing the answer."""
    value = answer.get(field) if isinstance(answer, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool) or value in ("", {}):
        raise VkUploadError(f"no `{field}` in the answer: {excerpt(answer)}", where)
    return value


def _url(server: Any, method: str) -> str:
    """The upload URL an upload server's answer gives."""
    url = _required(server, "upload_url", str, method)
    if not url.startswith(("http://", "https://")):
        raise VkUploadError(f"`upload_url` is not a URL: {excerpt(server)}", method)
    return str(url)
