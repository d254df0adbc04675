"""Review N4: a platform's upload answering badly (MAX's `POST /uploads` without `url`,
not JSON, an upload URL that refuses the file, an upload answer without a token; VK's
upload server alike) never breaks a screen: the text already sent stays, the file is
replaced by a short notice, the failure is logged with the field named (no traceback),
nothing is remembered as uploaded, and the next try uploads again. The emulators stay
strict: every request is still checked against the official schemas by the harness."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.max.emulator import MaxApiEmulator
from bot.services.outbox_enqueue import OutMessage
from bot.services.partner import Partner
from bot.services.sales import ConversionIn
from tests.harness import Harness, running_bot

NOTICE = "📎 [картинку не удалось отправить — попробуйте ещё раз чуть позже]"


@pytest.fixture
async def max_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, maxbot=True) as running:
        yield running


@pytest.fixture
async def vk_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path, vk=True) as running:
        yield running


def no_failed_update(caplog: pytest.LogCaptureFixture) -> None:
    """The handler went on: no update ended in the global error handler, no traceback."""
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failed, failed
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def warned(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# --- MAX ------------------------------------------------------------------------------

MAX_FAULTS = [
    pytest.param("garble", "POST /uploads", "{}", "`url`", id="no-url"),
    pytest.param(
        "garble", "POST /uploads", "<html>502 Bad Gateway</html>", "not JSON", id="not-json"
    ),
    pytest.param("fail", "POST /upload", "", "HTTP 500", id="upload-url-500"),
    pytest.param("garble", "POST /upload", '{"photos": {}}', "`token`", id="no-token"),
]


@pytest.mark.parametrize(("how", "method", "body", "named"), MAX_FAULTS)
async def test_max_stats_keep_their_text_when_the_chart_upload_answers_badly(
    max_harness: Harness,
    caplog: pytest.LogCaptureFixture,
    how: str,
    method: str,
    body: str,
    named: str,
) -> None:
    emulator = max_harness.max
    assert emulator is not None
    manager = max_harness.max_manager()
    await manager.open()
    if how == "fail":
        emulator.fail(method, 500, "internal.error")
    else:
        emulator.garble(method, body)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        replies = await manager.send("/stats")
    assert "Партнёров:" in replies[0].plain  # the screen's text stays
    assert replies[-1].plain == NOTICE  # the chart is replaced by the notice, nothing else
    assert not replies[-1].files
    assert not any("Что-то пошло не так" in m.plain for m in replies)
    no_failed_update(caplog)
    assert named in warned(caplog)

    # nothing was remembered as uploaded: the next /stats uploads the chart again
    uploads = len(emulator.uploads)
    replies = await manager.send("/stats")
    assert replies[-1].files[0]["type"] == "image"
    assert len(emulator.uploads) == uploads + 1


async def test_a_max_lessons_file_that_cannot_be_uploaded_keeps_the_buttons(
    max_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A lesson's buttons ride on its last file: when that file cannot go, the notice
    carries them, so the partner can still go on."""
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(340)
    await maria.onboard()
    replies = await maria.send("/lessons")
    lesson = replies[-1].button_labels[1]  # lesson 2 has a file (content/lessons/02-…)
    emulator.garble("POST /uploads", "{}")
    with caplog.at_level(logging.WARNING):
        replies = await maria.press(lesson)
    assert replies[0].plain.startswith("Урок 2 из")
    notice = replies[-1]
    assert notice.plain == "📎 [файл не удалось отправить — попробуйте ещё раз чуть позже]"
    assert "✅ Готово, дальше" in notice.button_labels  # the lesson's buttons are still there
    no_failed_update(caplog)
    assert "`url`" in warned(caplog)
    replies = await maria.press("✅ Готово, дальше", notice)
    assert replies[0].plain.startswith("Урок 3 из")


async def test_a_max_creative_that_cannot_be_uploaded_keeps_its_caption(
    max_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = max_harness.max
    assert emulator is not None
    maria = max_harness.max_user(344)
    await maria.onboard()
    await maria.send("/creatives")
    await maria.press("Баннеры (1)")
    emulator.fail("POST /upload", 500, "internal.error")
    with caplog.at_level(logging.WARNING):
        replies = await maria.press("Баннер «Диваны −20%» 728×90")
    (item,) = replies
    assert not item.files
    assert "Диваны" in item.plain  # the caption, as text
    assert item.plain.endswith("📎 [файл не удалось отправить — попробуйте ещё раз чуть позже]")
    no_failed_update(caplog)
    assert "HTTP 500" in warned(caplog)
    replies = await maria.press("Баннер «Диваны −20%» 728×90")
    assert replies[-1].files[0]["type"] == "file"


async def subscribed(harness: Harness, platform: str, first: int, count: int) -> list[Partner]:
    """People of `platform` who subscribed to everything (no onboarding walked through)."""
    people = []
    for user_id in range(first, first + count):
        if platform == "max":
            assert harness.max is not None
            chat_id = harness.max.add_user(user_id, f"Имя{user_id}").dialog
        else:
            assert harness.vk is not None
            harness.vk.add_user(user_id, f"Имя{user_id}")
            chat_id = user_id
        partner = await harness.services.partners.touch(
            platform, user_id, chat_id, "И", None, "ru"
        )
        people.append(await harness.services.partners.finish_onboarding(partner, consent=True))
    return people


async def queue_picture(harness: Harness, people: list[Partner], picture: bytes) -> None:
    await harness.services.outbox.enqueue(
        [
            OutMessage(
                key=f"n4:{p.platform}:{p.user_id}",
                kind="announcement",
                platform=p.platform,
                chat_id=p.chat_id,
                text="Рейтинг недели",
                partner_id=p.id,
                picture=picture,
            )
            for p in people
        ]
    )


async def test_a_max_broadcast_picture_whose_upload_answers_badly_is_retried(
    max_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The delivery worker gets the session's typed failure (not a KeyError that ends
    its round): the rows wait, the batch asks for the upload once (not once a
    recipient), and on the next try they go with their picture."""
    emulator = max_harness.max
    assert emulator is not None
    people = await subscribed(max_harness, "max", 1100, 10)  # more than go at once
    picture = b"\x89PNG leaderboard"
    await queue_picture(max_harness, people, picture)
    emulator.garble("POST /uploads", "{}")
    with caplog.at_level(logging.WARNING):
        await max_harness.deliver()
    assert not any(emulator.dialog_messages(p.user_id) for p in people)  # none without it
    assert [r.method for r in emulator.requests].count("POST /uploads") == 1
    no_failed_update(caplog)
    assert "`url`" in warned(caplog)
    max_harness.clock.advance(timedelta(minutes=5).total_seconds())
    await max_harness.deliver()
    for person in people:
        (message,) = emulator.dialog_messages(person.user_id)
        assert message.plain == "Рейтинг недели"
        assert message.files[0]["type"] == "image"
    assert [r.method for r in emulator.requests].count("POST /uploads") == 2
    assert [data for _name, data in emulator.uploads.values()].count(picture) == 1


async def test_top_in_a_max_chat_is_its_text_when_the_picture_cannot_go(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The leaderboard's picture only illustrates its text: without it, the text alone
    (as when nobody is on the board yet)."""
    community = -7002
    emulator = MaxApiEmulator(rate=10_000)
    await emulator.start()
    emulator.add_chat(community, "Партнёры МебельДом")
    try:
        async with running_bot(
            tmp_path, maxbot=emulator, max_community_chat_id=community
        ) as harness:
            maria = harness.max_user(342)
            await maria.onboard()
            partner = await harness.services.partners.by_user("max", 342)
            assert partner is not None
            partner = await harness.services.partners.request_link(partner, "a-342")
            await harness.services.partners.approve_link(partner)
            sale = ConversionIn(
                "a-342", "m-1", "approved", Decimal(100), "RUB", harness.clock.now()
            )
            await harness.services.sales.record(sale, "postback")
            emulator.garble("POST /upload", "{}")
            with caplog.at_level(logging.WARNING):
                replies = await maria.send("/top", chat=community)
            assert replies
            assert not any(m.files for m in replies)
            assert "Мария" in replies[-1].plain  # the board, as text
            no_failed_update(caplog)
            assert "`token`" in warned(caplog)
            replies = await maria.send("/top", chat=community)
            assert any(m.files for m in replies)  # uploaded this time
    finally:
        await emulator.stop()


# --- VK -------------------------------------------------------------------------------

VK_FAULTS = [
    pytest.param(
        "photos.getMessagesUploadServer", '{"response": {}}', 200, "`upload_url`", id="no-url"
    ),
    pytest.param("upload", "<html>oops</html>", 200, "not JSON", id="not-json"),
    pytest.param("upload", "<html>Internal error</html>", 500, "HTTP 500", id="upload-url-500"),
    pytest.param("upload", '{"server": 1, "hash": "h"}', 200, "`photo`", id="no-photo"),
    pytest.param(
        "photos.saveMessagesPhoto", '{"response": []}', 200, "photos.save", id="no-saved"
    ),
]


async def test_a_vk_broadcast_picture_whose_upload_answers_badly_is_retried(
    vk_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    vk = vk_harness.vk
    assert vk is not None
    people = await subscribed(vk_harness, "vk", 5100, 3)
    picture = b"\x89PNG leaderboard"
    await queue_picture(vk_harness, people, picture)
    vk.garble("photos.getMessagesUploadServer", '{"response": {"album_id": -3}}')
    with caplog.at_level(logging.WARNING):
        await vk_harness.deliver()
    assert not any(vk.chat_messages(p.chat_id) for p in people)
    asked = [r.method for r in vk.requests].count("photos.getMessagesUploadServer")
    assert asked == 1  # once for the batch, not once a recipient
    no_failed_update(caplog)
    assert "`upload_url`" in warned(caplog)
    vk_harness.clock.advance(timedelta(minutes=5).total_seconds())
    await vk_harness.deliver()
    for person in people:
        (message,) = vk.chat_messages(person.chat_id)
        assert message.text == "Рейтинг недели"
        assert message.attachments[0].startswith("photo-")
    assert [data for _name, data in vk.uploads.values()].count(picture) == 1


@pytest.mark.parametrize(("method", "body", "status", "named"), VK_FAULTS)
async def test_vk_stats_keep_their_text_when_the_chart_upload_answers_badly(
    vk_harness: Harness,
    caplog: pytest.LogCaptureFixture,
    method: str,
    body: str,
    status: int,
    named: str,
) -> None:
    vk = vk_harness.vk
    assert vk is not None
    manager = vk_harness.vk_manager()
    vk.garble(method, body, status=status)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        replies = await manager.send("/stats")
    assert "Партнёров:" in replies[0].text
    assert replies[-1].text == NOTICE
    assert not replies[-1].attachments
    no_failed_update(caplog)
    assert named in warned(caplog)

    uploads = len(vk.uploads)
    replies = await manager.send("/stats")
    assert replies[-1].attachments[0].startswith("photo-")
    assert len(vk.uploads) == uploads + 1
