"""`partnerbot run --workers 2` behind its webhook, on PostgreSQL (real processes, real
time): an update delivered several times is answered once, and a /reload reaches
whichever worker takes the next question. The module's tests share one deployment (each
with people of its own): starting its three processes is most of their time."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.telegram.emulator import BotApiEmulator, RateLimits
from bot.webhook import SECRET_HEADER
from tests.databases import PG_URL, database_url
from tests.harness import DEMO_CONTENT
from tests.processes import LISTENING, Running, bot_env, free_port, until

pytestmark = [
    pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL"),
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.slow,
]

SECRET = "webhook-secret-for-tests"
WEBHOOK_URL = "https://bot.example/webhook/telegram"
MANAGER, ASKERS = 9100, list(range(9101, 9111))
OLD_ANSWER = "Выплаты два раза в месяц"
NEW_ANSWER = "Выплаты дважды в месяц"
FOLLOWED = "content: followed a reload made in another worker"  # bot.services.content_sync


@dataclass
class Workers:
    emulator: BotApiEmulator
    running: Running
    port: int
    content: Path

    async def post(self, update: dict[str, Any]) -> None:
        async with (
            aiohttp.ClientSession() as http,  # a new connection: either worker takes it
            http.post(
                f"http://127.0.0.1:{self.port}/webhook/telegram",
                json=update,
                headers={SECRET_HEADER: SECRET},
            ) as response,
        ):
            assert response.status == 200

    async def say(self, person: int, text: str) -> str:
        """`text` from `person` by webhook; the bot's next message to them."""
        before = len(self.emulator.chat_messages(person))
        await self.post(self.emulator.take_update(self.emulator.user_message(person, text)))
        await until(
            lambda: len(self.emulator.chat_messages(person)) > before, f"an answer to {text!r}"
        )
        return self.emulator.chat_messages(person)[-1].plain


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def workers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Workers]:
    folder = tmp_path_factory.mktemp("workers")
    content = folder / "content"
    shutil.copytree(DEMO_CONTENT, content)
    emulator = BotApiEmulator(limits=RateLimits(chat_burst=1000))
    await emulator.start()
    for person in (MANAGER, *ASKERS):
        emulator.add_user(person, f"M{person}")
    port = free_port()
    env = bot_env(
        emulator,
        database_url(folder),
        port,
        CONTENT_DIR=str(content),
        MANAGERS=",".join(f"tg:{person}" for person in (MANAGER, *ASKERS)),
        WEBHOOK_URL=WEBHOOK_URL,
        WEBHOOK_SECRET=SECRET,
    )
    running = await Running.start(env, "--workers", "2")
    try:
        # both workers listen (three processes start first: up to a minute on a loaded
        # machine; the bound only catches a hang)
        await running.saying(LISTENING, times=2, within=120)
        yield Workers(emulator, running, port, content)
    finally:
        await running.stop()
        await emulator.stop()


async def test_two_webhook_workers_handle_an_update_delivered_twice_once(
    workers: Workers,
) -> None:
    """The same update posted four times (each on a new connection, so both workers get
    some) is answered once."""
    emulator = workers.emulator
    # the leader registers the webhook once it leads
    await until(lambda: emulator.webhook is not None, "the webhook registered", within=60)
    assert emulator.webhook is not None
    assert emulator.webhook["url"] == WEBHOOK_URL
    assert emulator.webhook["secret_token"] == SECRET
    emulator.add_user(105, "Вера")
    update = emulator.take_update(emulator.user_message(105, "/start"))
    for _ in range(4):
        await workers.post(update)
    await until(lambda: emulator.chat_messages(105), "the answer", within=60)
    await asyncio.sleep(1.0)  # a second answer would show now
    greetings = [m for m in emulator.chat_messages(105) if "Здравствуйте" in m.plain]
    assert len(greetings) == 1


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def test_two_worker_processes_behind_the_webhook_follow_a_reload(
    workers: Workers,
) -> None:
    """/reload reaches whichever worker SO_REUSEPORT gives it; once the other worker
    followed (within a second: checked on the injected clock in
    tests/test_reload_everywhere.py), every question, whichever worker takes it, gets the
    new answer."""
    for person in ASKERS:
        assert OLD_ANSWER in await workers.say(person, "когда выплаты")

    followed = workers.running.said(FOLLOWED)
    _edit(workers.content / "faq.yaml", OLD_ANSWER, NEW_ANSWER)
    answer = await workers.say(MANAGER, "/reload")
    assert answer.startswith("Контент обновлён: 31 вопрос")
    assert "Все процессы бота перейдут на новый контент в течение секунды." in answer
    await workers.running.saying(FOLLOWED, times=followed + 1, within=30)
    answers = [await workers.say(person, "когда выплаты") for person in ASKERS]
    assert all(NEW_ANSWER in answer for answer in answers), answers
