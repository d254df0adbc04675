"""Files on MAX: uploads (made once per file content, waited out while MAX processes
them), MAX file ids as aiogram sees them, and fetching a MAX file for another platform.

- A MAX file id is `max:TOKEN`, with `|URL` after it when MAX said where the file lives
  (people's images and files carry a `url`): the token is what MAX sends again, the
  URL what Telegram and VK fetch it by (`max_file_fetcher`) before uploading it there.
- `attachment.not.ready` after an upload is waited out by the client (`MaxClient`).
- An upload answered badly (`POST /uploads` without `url`, not JSON, the upload URL
  refusing the file, no token in its answer) is a `MaxUploadError` naming the field,
  logged once here; nothing is remembered as uploaded, so the next send tries again.
"""

from __future__ import annotations

import logging
from typing import Any, Final
from urllib.parse import urlparse

import aiohttp
from aiogram import Bot
from aiogram.types import InputFile

from bot.max.client import MaxClient, MaxError, MaxUncertain, MaxUploadError
from bot.platform.files import MAX_PREFIX, FetchedFile, FetchFile, Uploads, excerpt

logger = logging.getLogger(__name__)

FILE_PREFIX: Final = MAX_PREFIX  # a MAX file as an aiogram file_id (told from Telegram's)
_URL_MARK: Final = "|"  # between the token and the URL (neither a token nor MAX's URLs have it)
UPLOADS: Final = "POST /uploads"


def file_id(payload: dict[str, Any]) -> str:
    """The aiogram file id of a MAX attachment's payload (`token`, maybe `url`)."""
    token = str(payload.get("token") or "")
    url = str(payload.get("url") or "")
    if url.startswith(("http://", "https://")) and _URL_MARK not in url:
        return f"{FILE_PREFIX}{token}{_URL_MARK}{url}"
    return FILE_PREFIX + token


def token_of(reference: str) -> str:
    """The token in a MAX file id (what MAX takes in an attachment)."""
    return reference[len(FILE_PREFIX) :].split(_URL_MARK, 1)[0]


def url_of(reference: str) -> str | None:
    """Where a MAX file can be fetched from (None: MAX did not say)."""
    _token, mark, url = reference[len(FILE_PREFIX) :].partition(_URL_MARK)
    return url if mark and url else None


def aiogram_file(attachments: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """The photo or document (and caption) of an aiogram message for MAX attachments;
    empty when there is no file (the text is then the message's text)."""
    image = next((a for a in attachments if _kind(a) == "image"), None)
    document = next((a for a in attachments if _kind(a) == "file"), None)
    found = image or document
    if found is None:
        return {}
    reference = file_id(found.get("payload") or {})
    body: dict[str, Any] = (
        {"photo": [{"file_id": reference, "file_unique_id": reference, "width": 0, "height": 0}]}
        if found is image
        else {"document": {"file_id": reference, "file_unique_id": reference}}
    )
    if text:
        body["caption"] = text
    return body


def _kind(attachment: dict[str, Any]) -> str | None:
    """An image's or file's type when it can be sent again (it has a token)."""
    payload = attachment.get("payload")
    if isinstance(payload, dict) and payload.get("token"):
        return str(attachment.get("type"))
    return None


class MaxFiles:
    """Uploads of one MAX bot (a mixin of `MaxSession`, state made by `_init_files`)."""

    client: MaxClient

    def _init_files(self) -> None:
        self._uploads: Uploads[dict[str, Any]] = Uploads(1000)  # (kind, digest) → attachment

    async def attachment(self, bot: Bot, source: Any, kind: str) -> dict[str, Any]:
        """An upload made once per file (cached by content), or a token/URL passed on."""
        if isinstance(source, str):
            if source.startswith(FILE_PREFIX):
                return {"type": kind, "payload": {"token": token_of(source)}}
            if source.startswith(("http://", "https://")) and kind == "image":
                return {"type": "image", "payload": {"url": source}}
            raise MaxError(400, "file.elsewhere", "a file of another platform", "attachment")
        assert isinstance(source, InputFile)
        data = b"".join([chunk async for chunk in source.read(bot)])
        return await self.upload(kind, source.filename or "", data)

    async def upload(self, kind: str, filename: str, data: bytes) -> dict[str, Any]:
        """`POST /uploads`, the file to the URL given, its token as an attachment. Any
        failure is a `MaxUploadError` naming what was wrong, and is not remembered."""

        async def upload() -> dict[str, Any]:
            name = filename or ("picture.png" if kind == "image" else "file")
            try:
                return {"type": kind, "payload": {"token": await self._upload(kind, name, data)}}
            except MaxUploadError as exc:
                failed: MaxUploadError = exc
            except MaxError as exc:  # refused (after the client's own retries)
                failed = MaxUploadError(exc.status, exc.code, exc.message, exc.method)
            except MaxUncertain as exc:  # lost: nothing was sent to anyone, try again later
                failed = MaxUploadError(0, "upload.lost", str(exc), "upload")
            logger.warning(
                "MAX upload (%s, %d bytes) failed, nothing kept: %s", kind, len(data), failed
            )
            raise failed

        return await self._uploads.once(Uploads.key(kind, data), upload)

    async def _upload(self, kind: str, name: str, data: bytes) -> str:
        endpoint = await self.client.request("POST", "/uploads", params={"type": kind})
        url = endpoint.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise MaxUploadError(
                200, "upload.malformed", f"no `url` in the answer: {excerpt(endpoint)}", UPLOADS
            )
        uploaded = await self.client.upload(url, name, data)
        token = _token(uploaded) or _token(endpoint)  # video and audio: in POST /uploads'
        if token is None:
            where = "`photos` … `token`" if kind == "image" else "`token`"
            raise MaxUploadError(
                200,
                "upload.malformed",
                f"no {where} in the answer: {excerpt(uploaded)}",
                "upload URL",
            )
        return token


def _token(answer: dict[str, Any]) -> str | None:
    """The token in an upload's answer: files at the top, images under `photos`."""
    token = answer.get("token")
    if isinstance(token, str) and token:
        return token
    photos = answer.get("photos")
    for item in photos.values() if isinstance(photos, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("token"), str) and item["token"]:
            return str(item["token"])
    return None


def max_file_fetcher(bot: Bot | None, timeout: float = 60.0) -> FetchFile | None:
    """A way to fetch a MAX file by its id (for sending it on Telegram or VK), when MAX
    runs. The file's URL is public (MAX's storage): fetched without the bot's token."""
    if bot is None:
        return None

    async def fetch(reference: str) -> FetchedFile | None:
        url = url_of(reference)
        if url is None:
            logger.warning("MAX file %s has no URL; not fetched", token_of(reference)[:16])
            return None
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response,
            ):
                response.raise_for_status()
                data = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            logger.warning("MAX file not fetched from %s: %s", urlparse(url).netloc, exc)
            return None
        name = urlparse(url).path.rsplit("/", 1)[-1]
        return (name if "." in name else "picture.jpg"), data

    return fetch
