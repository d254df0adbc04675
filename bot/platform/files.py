"""Files across platforms. A file a person attached is known by the id its own platform
gave it: a Telegram `file_id`, a VK attachment (`photo-1_2`), a MAX token (`max:…`), or,
for the bot's own content, a path. A platform sends its own ids as they are; another
platform's file is fetched from where it lives (`FileFetchers`, one fetcher per platform
that runs) and uploaded once (`Uploads`: by content, so 3,000 recipients cost one
upload, and two senders asking at once share it)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Generic, TypeVar

from bot.platform.memory import Lru

logger = logging.getLogger(__name__)

T = TypeVar("T")
FetchedFile = tuple[str, bytes]  # a file's name and its bytes
FetchFile = Callable[[str], Awaitable[FetchedFile | None]]

MAX_PREFIX: Final = "max:"  # a MAX file id (bot.max.files)
_VK_ATTACHMENT = re.compile(r"^(photo|doc|video|audio)-?\d+_\d+(_\w+)?$")


def platform_of_file(reference: str) -> str:
    """Whose file an id is: "max", "vk", "path" (the bot's content) or "tg"."""
    if reference.startswith(MAX_PREFIX):
        return "max"
    if _VK_ATTACHMENT.match(reference):
        return "vk"
    if "/" in reference or "." in reference:
        return "path"
    return "tg"


def excerpt(answer: Any, limit: int = 200) -> str:
    """A platform's answer as a log shows it: on one line (JSON-escaped), cut at `limit`."""
    if isinstance(answer, str):
        return json.dumps(answer[:limit], ensure_ascii=False)
    return json.dumps(answer, ensure_ascii=False, default=str)[:limit]


class FileFetchers:
    """Fetches a file of another platform by its id, through the fetcher of the platform
    it belongs to (when that platform runs here)."""

    def __init__(self, fetchers: Mapping[str, FetchFile | None] | None = None) -> None:
        self._fetchers: dict[str, FetchFile] = {}
        for platform, fetch in (fetchers or {}).items():
            self.add(platform, fetch)

    def add(self, platform: str, fetch: FetchFile | None) -> None:
        """`platform`'s files fetched by `fetch` (None: that platform does not run)."""
        if fetch is not None:
            self._fetchers[platform] = fetch

    def can_fetch(self, reference: str) -> bool:
        return platform_of_file(reference) in self._fetchers

    async def __call__(self, reference: str) -> FetchedFile | None:
        fetch = self._fetchers.get(platform_of_file(reference))
        if fetch is None:
            return None
        return await fetch(reference)


class Uploads(Generic[T]):
    """What a platform made of a file (an attachment, a token, a file id), made once per
    file content and kind, for the newest `size` files; concurrent askers of one file
    wait for the one upload."""

    def __init__(self, size: int = 1000) -> None:
        self._done: Lru = Lru(size)
        self._running: dict[Any, asyncio.Future[T]] = {}

    @staticmethod
    def key(kind: str, data: bytes) -> tuple[str, str]:
        return kind, hashlib.blake2b(data, digest_size=16).hexdigest()

    def get(self, key: Any) -> T | None:
        found: T | None = self._done.get(key)
        return found

    def put(self, key: Any, value: T) -> None:
        self._done.put(key, value)

    async def once(self, key: Any, upload: Callable[[], Awaitable[T]]) -> T:
        """The cached result for `key`, or `upload()`'s (one call for concurrent askers;
        a failed upload is not remembered)."""
        found = self.get(key)
        if found is not None:
            return found
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await upload()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(value)
        self.put(key, value)
        return value
