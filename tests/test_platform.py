"""What the platforms share (`bot/platform/`): whose file an id is, fetching across
platforms, uploads made once, MAX file ids, the sliding second and the event feed."""

from __future__ import annotations

import asyncio

import pytest

from bot.max.files import file_id, token_of, url_of
from bot.platform.emulation import EventFeed, SlidingSecond
from bot.platform.files import (
    FetchedFile,
    FetchFile,
    FileFetchers,
    Uploads,
    platform_of_file,
)
from bot.platform.memory import SeenOnce

pytestmark = pytest.mark.no_database  # run once: not again on PostgreSQL + Redis


def test_whose_file_an_id_is() -> None:
    assert platform_of_file("max:image:ab12|https://i.max.example/p/1.jpg") == "max"
    assert platform_of_file("max:in:7") == "max"
    assert platform_of_file("photo-777_12_key") == "vk"
    assert platform_of_file("doc-777_3") == "vk"
    assert platform_of_file("content/creatives/banner.png") == "path"
    assert platform_of_file("AgACAgIAAxkBAAIB") == "tg"


def test_a_max_file_id_carries_its_url() -> None:
    with_url = file_id({"token": "tok-1", "url": "https://i.max.example/a/b.png?x=1"})
    assert with_url == "max:tok-1|https://i.max.example/a/b.png?x=1"
    assert token_of(with_url) == "tok-1"
    assert url_of(with_url) == "https://i.max.example/a/b.png?x=1"
    bare = file_id({"token": "tok-2"})
    assert (bare, token_of(bare), url_of(bare)) == ("max:tok-2", "tok-2", None)
    assert url_of(file_id({"token": "t", "url": "javascript:alert(1)"})) is None


async def test_each_file_is_fetched_by_its_own_platform() -> None:
    asked: list[tuple[str, str]] = []

    def fetcher(platform: str) -> FetchFile:
        async def fetch(reference: str) -> FetchedFile | None:
            asked.append((platform, reference))
            return f"{platform}.bin", reference.encode()

        return fetch

    fetchers = FileFetchers({"tg": fetcher("tg"), "max": None})
    fetchers.add("max", fetcher("max"))
    assert await fetchers("AgACAgI") == ("tg.bin", b"AgACAgI")
    assert await fetchers("max:t|https://x.example/f") == ("max.bin", b"max:t|https://x.example/f")
    assert await fetchers("photo-1_2") is None  # VK's files are not fetched
    assert not fetchers.can_fetch("photo-1_2")
    assert asked == [("tg", "AgACAgI"), ("max", "max:t|https://x.example/f")]


async def test_an_upload_is_made_once_for_everyone_asking() -> None:
    uploads: Uploads[str] = Uploads(10)
    made: list[bytes] = []
    release = asyncio.Event()

    async def upload() -> str:
        made.append(b"x")
        await release.wait()
        return "attachment-1"

    key = Uploads.key("photo", b"picture")
    waiting = [asyncio.create_task(uploads.once(key, upload)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == ["attachment-1"] * 5
    assert len(made) == 1
    assert await uploads.once(key, upload) == "attachment-1"  # remembered
    assert len(made) == 1
    assert Uploads.key("doc", b"picture") != key  # by kind and content


async def test_a_failed_upload_is_not_remembered() -> None:
    uploads: Uploads[str] = Uploads(10)
    tries: list[int] = []

    async def flaky() -> str:
        tries.append(1)
        if len(tries) == 1:
            raise OSError("connection reset")
        return "attachment-2"

    key = Uploads.key("doc", b"file")
    with pytest.raises(OSError, match="connection reset"):
        await uploads.once(key, flaky)
    assert await uploads.once(key, flaky) == "attachment-2"
    assert len(tries) == 2


def test_events_seen_once() -> None:
    seen = SeenOnce(2)
    assert [seen.first_time(k) for k in ("a", "b", "a", "c")] == [True, True, False, True]
    assert seen.repeated == 1
    assert seen.first_time("a")  # the oldest beyond 2 is forgotten
    assert not seen.first_time("c")


def test_the_sliding_second() -> None:
    limit = SlidingSecond()
    assert all(limit.admit(0.1 * n, 5) for n in range(5))
    assert not limit.admit(0.5, 5)  # the sixth inside one second
    assert limit.window_end(0.5) == pytest.approx(1.0)
    assert limit.admit(1.0, 5)  # the first has left the second


async def test_the_event_feed_keeps_positions_and_the_newest() -> None:
    feed = EventFeed(history=3)
    positions = [feed.append({"n": n}, wake=False) for n in range(5)]
    assert positions == [1, 2, 3, 4, 5]
    assert feed.first == 3  # the oldest two dropped
    assert [e["n"] for e in feed.since(4, 10)] == [3, 4]
    assert feed.at(5) == {"n": 4}
    await feed.poll(6, timeout=0.01)  # nothing new: waits, then returns
    await feed.wait_processed(5)
    assert feed.polls == 1
    await feed.close()
