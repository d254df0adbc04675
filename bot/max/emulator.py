"""An in-process MAX Bot API server for one bot: the methods partnerbot uses, long polling
with `marker`, webhook subscriptions, uploads, chats and members, and MAX's limits.

What it holds the bot to, as MAX does: the token in `Authorization` (401 otherwise),
30 requests a second (429 beyond), text ≤ 4000 characters, keyboards within MAX's
limits (30 rows, 7 a row, 3 links a row, 210 buttons, label ≤ 128, payload ≤ 1024), an
uploaded file usable only once processed (`attachment.not.ready` before), no empty
callback answer, no sends to people who stopped the bot or chats it left (403). Tests
and the sandbox play the people: they start the bot (with a deep-link payload), type,
reply, press buttons, stop the bot, join chats. Faults can be injected per method (an
HTTP status and MAX error code; `"POST /upload"` is the upload URL MAX gave), malformed
answers (`garble`: done, then answered with a body MAX's schema does not allow), dropped
connections and 5xx on the next requests, and a hook after N requests (a crash in a
benchmark).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from typing import Any

import aiohttp
from aiohttp import web

from bot.max.emulator_methods import MaxMethods
from bot.max.emulator_model import (
    DIALOG_BASE,
    RATE,
    SEQ_BASE,
    TEXT_LIMIT,
    MaxChat,
    MaxFault,
    MaxMessage,
    MaxRequest,
    MaxUser,
    _template,
)

__all__ = [
    "DIALOG_BASE",
    "RATE",
    "SEQ_BASE",
    "TEXT_LIMIT",
    "MaxApiEmulator",
    "MaxChat",
    "MaxFault",
    "MaxMessage",
    "MaxRequest",
    "MaxUser",
]


class MaxApiEmulator(MaxMethods):
    """One MAX bot's API on 127.0.0.1 (`start`), and the people who use it."""

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/upload/{number}", self._upload)
        app.router.add_get("/files/{token}/{name}", self._download)
        app.router.add_route("*", "/{tail:.*}", self._handle)

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        await super().stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = "<not json>"
        record = MaxRequest(request.method, path, dict(request.query), body)
        self.requests.append(record)
        key = f"{request.method} {_template(path)}"
        try:
            if self._drops.get(key, 0) > 0:
                self._drops[key] -= 1
                assert request.transport is not None
                request.transport.close()  # the connection drops: no answer at all
                raise web.HTTPInternalServerError
            if request.headers.get("Authorization") != self.token:
                raise MaxFault(401, "verify.token", "Invalid access_token")
            self._throttle()
            fault = self._faults.get(key)
            if fault:
                status, code = fault.popleft()
                raise MaxFault(status, code)
            if key == "GET /updates":
                return await self._updates(request.query)
            result = self._call(key, path, dict(request.query), body)
            if self._lost.get(key, 0) > 0:
                self._lost[key] -= 1
                assert request.transport is not None
                request.transport.close()  # done, but the answer never reaches the bot
                raise web.HTTPInternalServerError
            garbled = self._garbled_answer(key)
            if garbled is not None:
                return garbled
        except MaxFault as fault:
            record.status, record.code = fault.status, fault.code
            return web.json_response(
                {"code": fault.code, "message": fault.message}, status=fault.status
            )
        finally:
            self._fire_triggers()
        return web.json_response(result)

    # --- long polling ---------------------------------------------------------------

    async def _updates(self, query: Any) -> web.Response:
        if self.subscriptions:
            return web.json_response({"updates": [], "marker": self._acked})
        limit = int(query.get("limit", "100"))
        timeout = min(float(query.get("timeout", "30")), 90.0)
        if query.get("marker") in (None, "", "null"):
            # the spec: without a marker "you get only the latest update" — what came
            # before it, read or not, is not sent (a bot keeps its marker to read on)
            marker, limit = max(self.feed.newest - 1, self.feed.first), 1
        else:
            marker = max(int(query["marker"]), self.feed.first)
        self._acked = max(self._acked, marker)
        await self.feed.poll(marker, timeout)
        updates = self.feed.since(marker, limit)
        return web.json_response({"updates": updates, "marker": marker + len(updates)})

    def push_event(self, kind: str, **fields: Any) -> int:
        """Queue an event (long polling, or a webhook when subscribed); its marker."""
        event = {
            "update_type": kind,
            "timestamp": int(time.time() * 1000) + len(self.feed.events),
        }
        event.update(fields)
        subscribed = bool(self.subscriptions)
        marker = self.feed.append(event, wake=not subscribed)
        if subscribed:
            self.feed.spawn(self._deliver_webhook(event))
        return marker

    def repeat_event(self, marker: int) -> int:
        """The same event once more (MAX may deliver an event again)."""
        return self.feed.append(dict(self.feed.at(marker)))

    async def _deliver_webhook(self, event: dict[str, Any]) -> None:
        """POST the event to each subscription until it answers 200 (as MAX retries)."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        for subscription in list(self.subscriptions):
            headers = {}
            if subscription.get("secret"):
                headers["X-Max-Bot-Api-Secret"] = str(subscription["secret"])
            for attempt in range(20):
                try:
                    async with self._http.post(
                        subscription["deliver_to"], json=event, headers=headers
                    ) as response:
                        if response.status == 200:
                            self.webhook_deliveries += 1
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05 * (attempt + 1))

    # --- faults ---------------------------------------------------------------------

    def fail(self, method: str, status: int, code: str, times: int = 1) -> None:
        """The next `times` calls of `method` ("POST /messages"; "POST /upload": the
        upload URL MAX gave) answer this error."""
        self._faults.setdefault(method, deque()).extend([(status, code)] * times)

    def garble(self, method: str, body: str, times: int = 1) -> None:
        """The next `times` calls of `method` ("POST /uploads"; "POST /upload": the upload
        URL) are carried out, then answered 200 with `body` as it is (a malformed answer:
        a field missing, or not JSON at all)."""
        self._garbled.setdefault(method, deque()).extend([body] * times)

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` lose their connection (no answer)."""
        self._drops[method] = self._drops.get(method, 0) + times

    def lose_answer(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out, and their answers lost."""
        self._lost[method] = self._lost.get(method, 0) + times

    # --- the people -----------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str = "",
        *,
        username: str | None = None,
        locale: str = "ru",
    ) -> MaxUser:
        user = self.users.get(user_id)
        if user is None:
            user = MaxUser(user_id, first_name, last_name, username, locale, DIALOG_BASE + user_id)
            self.users[user_id] = user
        return user

    def add_chat(
        self,
        chat_id: int,
        title: str,
        *,
        admin: bool = True,
        permissions: list[str] | None = None,
    ) -> MaxChat:
        assert chat_id < 0, "MAX group chats have negative ids"
        chat = MaxChat(chat_id, title, bot_admin=admin)
        if permissions is not None:
            chat.permissions = permissions
        self.chats[chat_id] = chat
        return chat

    def open_bot(self, user_id: int, payload: str | None = None) -> int:
        """The person opens the bot (by a deep link with `payload`, or the start button)."""
        user = self.users[user_id]
        user.stopped = False
        fields: dict[str, Any] = {
            "chat_id": user.dialog,
            "user": self._user_json(user),
            "user_locale": user.locale,
        }
        if payload is not None:
            fields["payload"] = payload
        return self.push_event("bot_started", **fields)

    def stop_bot(self, user_id: int) -> int:
        user = self.users[user_id]
        user.stopped = True
        return self.push_event(
            "bot_stopped", chat_id=user.dialog, user=self._user_json(user), user_locale=user.locale
        )

    def user_message(
        self,
        user_id: int,
        text: str = "",
        *,
        chat_id: int | None = None,
        reply_to: MaxMessage | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> int:
        user = self.users[user_id]
        chat = chat_id if chat_id is not None else user.dialog
        message = MaxMessage(
            chat_id=chat,
            mid=f"mid.{secrets.token_hex(12)}",
            seq=next(self._seq),
            sender_id=user_id,
            text=text,
            files=list(files or []),
            reply_to=reply_to.mid if reply_to else None,
            timestamp=int(time.time() * 1000),
        )
        self.messages.setdefault(chat, []).append(message)
        return self.push_event(
            "message_created", message=self._message_json(message), user_locale=user.locale
        )

    def press(
        self, user_id: int, message: MaxMessage, label: str, *, expired: bool = False
    ) -> int:
        button = next((b for b in message.buttons if b.get("text") == label), None)
        if button is None:
            raise AssertionError(f"no button {label!r}; there are {message.button_labels}")
        if button["type"] != "callback":
            raise AssertionError(f"button {label!r} is a {button['type']} button")
        return self.press_payload(user_id, message, str(button["payload"]), expired=expired)

    def press_payload(
        self, user_id: int, message: MaxMessage, payload: str, *, expired: bool = False
    ) -> int:
        """A callback button under `message` pressed with this payload (a forged one too).
        `expired`: it reaches the bot after MAX stopped taking an answer to it, so the
        answer is refused (404, callback not found)."""
        user = self.users[user_id]
        callback_id = secrets.token_hex(10)
        if not expired:
            self._open_callbacks[callback_id] = message.mid
        return self.push_event(
            "message_callback",
            callback={
                "timestamp": int(time.time() * 1000),
                "callback_id": callback_id,
                "payload": payload,
                "user": self._user_json(user),
            },
            message=self._message_json(message),
            user_locale=user.locale,
        )

    def join(self, user_id: int, chat_id: int) -> int:
        user = self.users[user_id]
        self.chats[chat_id].members.add(user_id)
        return self.push_event(
            "user_added",
            chat_id=chat_id,
            user=self._user_json(user),
            inviter_id=None,
            is_channel=False,
        )

    def remove_bot(self, chat_id: int, by: int) -> int:
        chat = self.chats[chat_id]
        chat.bot_member = False
        return self.push_event(
            "bot_removed", chat_id=chat_id, user=self._user_json(self.users[by]), is_channel=False
        )
