"""How `MaxSession` sends: aiogram's sends, copies, edits and callback answers as MAX
requests (a mixin of the session).

- Text is kept as MAX HTML (`bot.max.convert`) and split at 4,000 characters as MAX
  counts them; a part with markup is sent as HTML (`format: "html"`), one without as
  plain text (no `format`, entities decoded: `convert.wire`). A keyboard is an
  `inline_keyboard` attachment under the last part.
- A send whose answer was lost is checked (`GET /messages` in the chat) before it is
  sent again, so it is not delivered twice (MAX has no `random_id`).
- A callback answer without text is not sent: MAX refuses an empty one.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final, cast

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
from aiogram.types import Message

from bot.max import convert
from bot.max.client import MaxError, MaxUncertain
from bot.max.events import files_of
from bot.max.files import MaxFiles, aiogram_file
from bot.max.people import MaxDirectory, Sent

logger = logging.getLogger(__name__)

RECENT_MS: Final = 30 * 60 * 1000  # a crash's unknown sends: looked for this far back
CHECKED: Final = 20  # recent messages looked at to tell whether a lost send arrived


class MaxSending(MaxFiles, MaxDirectory):
    """Sends, copies, edits and answers of one MAX bot."""

    def _init_sending(self) -> None:
        self.checked_sends = 0  # sends looked up in the chat (answer lost, or a crash)
        self.found_sends = 0  # of those, found there (not sent again)

    def _text(self, bot: Bot, text: str, parse_mode: Any) -> str:
        mode = bot.default["parse_mode"] if isinstance(parse_mode, Default) else parse_mode
        if mode and str(mode).upper() == "HTML":
            return convert.html(text)
        return convert.escape(text)

    async def send(
        self,
        chat: int | str,
        text: str,
        *,
        attachments: list[dict[str, Any]] | None = None,
        reply_to: str | None = None,
        checked: bool = False,
    ) -> dict[str, Any]:
        """One `POST /messages` (`text` in MAX HTML, sent as `convert.wire` makes it); the
        new message as MAX gives it. A lost answer is looked up in the chat before the
        message is sent again; with `checked` the chat is looked at first (a send that may
        have happened before)."""
        address = self._address(chat)
        written, markup = convert.wire(text)
        body: dict[str, Any] = {
            "text": written or None,
            "attachments": attachments or None,
            "link": {"type": "reply", "mid": reply_to} if reply_to else None,
        }
        if markup:
            body["format"] = markup
        floor = self._newest.get(self._chat_of(address))  # the chat's newest known message
        if checked:
            found = await self.find_sent(address, text, attachments or [])
            if found is not None:
                return found
        try:
            answer = await self.client.request("POST", "/messages", params=address, body=body)
        except MaxUncertain:
            found = await self.find_sent(address, text, attachments or [], after_seq=floor)
            if found is not None:
                return found
            answer = await self.client.request("POST", "/messages", params=address, body=body)
        message = cast("dict[str, Any]", answer.get("message") or {})
        self._remember(message, text, attachments or [])
        return message

    async def find_sent(
        self,
        address: dict[str, int],
        text: str,
        attachments: list[dict[str, Any]],
        *,
        after_seq: int | None = None,
    ) -> dict[str, Any] | None:
        """The bot's message with this text among the chat's newest, if it is there (a
        send whose answer was lost): newer than `after_seq` (the chat's newest message
        before the send) when that is known, else sent in the last `RECENT_MS`. Needs
        the dialog's chat id (known once the person has written or been written to)."""
        chat_id = self._chat_of(address)
        if chat_id is None:
            return None
        self.checked_sends += 1
        me = await self.me()
        answer = await self.client.request(
            "GET", "/messages", params={"chat_id": chat_id, "count": CHECKED}
        )
        since = int(time.time() * 1000) - RECENT_MS
        want = convert.plain(text).strip()
        files = sum(1 for a in attachments if a.get("type") in ("image", "file"))
        for message in answer.get("messages") or []:
            sender = message.get("sender") or {}
            body = message.get("body") or {}
            if sender.get("user_id") != me.id:
                continue
            if after_seq is not None and int(body.get("seq") or 0) <= after_seq:
                continue
            if after_seq is None and int(message.get("timestamp") or 0) < since:
                continue
            got = str(body.get("text") or "")
            got_files = len(files_of(body.get("attachments") or []))
            # sent as HTML or as plain text (then `<b>` typed is words): either reading
            if want in (convert.plain(got).strip(), got.strip()) and got_files == files:
                logger.info("a lost MAX send to chat %s had arrived; not sent again", chat_id)
                self.found_sends += 1
                return cast("dict[str, Any]", message)
        return None

    def _remember(
        self, message: dict[str, Any], text: str, attachments: list[dict[str, Any]]
    ) -> None:
        body = message.get("body") or {}
        recipient = message.get("recipient") or {}
        if body.get("mid") is None or recipient.get("chat_id") is None:
            return
        chat_id = int(recipient["chat_id"])
        if recipient.get("chat_type") == "dialog" and recipient.get("user_id") is not None:
            self._learn_dialog(chat_id, int(recipient["user_id"]))  # the bot's message: the person
        keyboard = next((a for a in attachments if a.get("type") == "inline_keyboard"), None)
        files = [a for a in attachments if a.get("type") != "inline_keyboard"]
        seq = int(body.get("seq") or 0)
        self._sent.put((chat_id, seq), Sent(str(body["mid"]), text, keyboard, files))
        self._see(chat_id, seq)

    def _message(
        self, bot: Bot, message: dict[str, Any], fallback_chat: int | str, sent: str
    ) -> Message:
        """aiogram's Message for a message the bot sent; its text as read from `sent` (the
        MAX HTML sent: what MAX gives back of a plain text would read as HTML)."""
        body = message.get("body") or {}
        recipient = message.get("recipient") or {}
        chat_id = int(recipient.get("chat_id") or fallback_chat)
        text = convert.plain(sent)
        data: dict[str, Any] = {
            "message_id": int(body.get("seq") or 0),
            "date": int(message.get("timestamp") or time.time() * 1000) // 1000,
            "chat": self._chat_json(chat_id),
            "from": self._bot_json(),
        }
        attached = aiogram_file(body.get("attachments") or [], text)
        if attached:
            data.update(attached)
        else:
            data["text"] = text
        return Message.model_validate(
            {k: v for k, v in data.items() if v is not None}, context={"bot": bot}
        )

    def _reply_mid(self, chat: int | str, message_id: int | None) -> str | None:
        if message_id is None:
            return None
        address = self._address(chat)
        sent = self._sent.get((address.get("chat_id", int(chat)), message_id))
        return sent.mid if sent is not None and sent.mid else None

    async def _send_message(self, bot: Bot, method: SendMessage) -> Message:
        text = self._text(bot, method.text, method.parse_mode)
        keyboard = convert.keyboard(method.reply_markup)
        reply = method.reply_parameters.message_id if method.reply_parameters else None
        reply_mid = self._reply_mid(method.chat_id, reply)
        parts = convert.split(text)
        message: dict[str, Any] = {}
        part = ""
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message = await self.send(
                method.chat_id,
                part,
                attachments=[keyboard] if keyboard and last else None,
                reply_to=reply_mid if index == 0 else None,
            )
        return self._message(bot, message, method.chat_id, part)

    async def _send_file(self, bot: Bot, method: SendPhoto | SendDocument) -> Message:
        source = method.photo if isinstance(method, SendPhoto) else method.document
        kind = "image" if isinstance(method, SendPhoto) else "file"
        attachment = await self.attachment(bot, source, kind)
        caption = self._text(bot, method.caption or "", method.parse_mode)
        parts = convert.split(caption) if caption else [""]
        keyboard = convert.keyboard(method.reply_markup)
        first = [attachment] + ([keyboard] if keyboard and len(parts) == 1 else [])
        message = await self.send(method.chat_id, parts[0], attachments=first)
        for index, part in enumerate(parts[1:], start=1):
            last = index == len(parts) - 1
            message = await self.send(
                method.chat_id, part, attachments=[keyboard] if keyboard and last else None
            )
        return self._message(bot, message, method.chat_id, parts[-1])

    async def _copy(
        self, bot: Bot, chat_id: int | str, from_chat_id: int | str, ids: list[int]
    ) -> list[int]:
        """A copy as the bot's own message: the text and files again; a message the
        session never saw is forwarded."""
        source = self._address(from_chat_id).get("chat_id", int(from_chat_id))
        out: list[int] = []
        for seq in ids:
            sent = self._sent.get((source, seq))
            if sent is None:
                raise MaxError(400, "not.found", f"message {seq} is not known", "copy")
            if sent.text or sent.files:
                parts = convert.split(convert.html(sent.text)) if sent.text else [""]
                message = await self.send(chat_id, parts[0], attachments=sent.files)
                for part in parts[1:]:  # a long text escaped: in parts, nothing cut off
                    message = await self.send(chat_id, part)
            else:
                address = self._address(chat_id)
                answer = await self.client.request(
                    "POST",
                    "/messages",
                    params=address,
                    body={
                        "text": None,
                        "attachments": None,
                        "link": {"type": "forward", "mid": sent.mid},
                    },
                )
                message = answer.get("message") or {}
            out.append(int((message.get("body") or {}).get("seq") or 0))
        return out

    def _find(self, chat: int, seq: int) -> Sent:
        chat_id = self._address(chat).get("chat_id", chat)
        sent = self._sent.get((chat_id, seq))
        if sent is None or not sent.mid:
            raise MaxError(400, "not.found", "message to edit not found", "edit")
        return cast("Sent", sent)

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            raise TelegramBadRequest(method=method, message="inline messages are not on MAX")
        sent = self._find(int(method.chat_id), method.message_id)
        text = convert.split(self._text(bot, method.text or "", method.parse_mode))[0]
        keyboard = convert.keyboard(method.reply_markup)
        await self._edit(int(method.chat_id), method.message_id, sent, text, keyboard)
        return True

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            raise TelegramBadRequest(method=method, message="inline messages are not on MAX")
        sent = self._find(int(method.chat_id), method.message_id)
        keyboard = convert.keyboard(method.reply_markup)
        await self._edit(int(method.chat_id), method.message_id, sent, sent.text, keyboard)
        return True

    async def _edit(
        self, chat: int, seq: int, sent: Sent, text: str, keyboard: dict[str, Any] | None
    ) -> None:
        attachments = sent.files + ([keyboard] if keyboard else [])
        written, markup = convert.wire(text)  # as `send`: plain text when it has no markup
        body: dict[str, Any] = {"text": written or None, "attachments": attachments, "link": None}
        if markup:
            body["format"] = markup
        await self.client.request("PUT", "/messages", params={"message_id": sent.mid}, body=body)
        chat_id = self._address(chat).get("chat_id", chat)
        self._sent.put((chat_id, seq), Sent(sent.mid, text, keyboard, sent.files))

    async def _answer_callback(self, bot: Bot, method: AnswerCallbackQuery) -> bool:
        """A notification when there are words to show; MAX refuses an empty answer,
        and the press needs none (the edit, if any, went by `PUT /messages`)."""
        if not method.text:
            return True
        await self.client.request(
            "POST",
            "/answers",
            params={"callback_id": method.callback_query_id},
            body={"notification": convert.notification(method.text)},
        )
        return True
