"""Session 21: what the session's testers found and what the last note left alone.

- A CSV import with a quote left open: the quoted field swallows the lines after it; the
  refusal names the line the quote was opened on and the lines it took, and the rows
  after the quote are imported; a note column's value spanning lines is still a value.
- «больше 10к» typed at onboarding is the option «Больше 10 000».
- An update met by a database outage: the partner is told it was not kept and to send it
  again in a minute (not «something went wrong, we are looking into it»).
- Redis away under `--workers 2`: the dialog state is mirrored in the database and read
  from there (shared; a dialog begun before the outage goes on), not kept in each process
  (a step reaching the other worker was lost), and handed back to Redis when it answers.
- `run --workers N` stopped while it starts them leaves no worker behind, exits 0;
  `--workers` at most 32 and not in the sandbox (it started two sandboxes on one terminal).
- The database away: the webhook and /metrics answer 503 with Retry-After (not 500 and a
  traceback per request), and the HTTP endpoints say it once, and once when it is back.
- An editor's backup in lessons/ (`01-start.md~`) no longer blocks `/reload`.
- program.yaml cut short: `/reload` is held until a second one confirms it, naming the
  sections it no longer has.
- A worker's log lines say which worker (and its pid).
- A segment, an option or a question with «&» or «<» onboards (it broke the message and
  the partner was stuck); a contest card shows such a segment as text.
- A contest's weekly standings due an hour after «последний день» are posted (its
  moments were not in time order, and the later one counted as already superseded).
- No contest reminder within 12 h of the contest's announcement.
- A creative's text with formatting tags (`<b>`) is refused with its line (it went to
  partners with the tags shown).
- A wording a manager rejected goes back to the FAQ's gaps (it was neither answered nor
  a gap).
- A file contest too close to announce itself: the managers hear it once.
- The delivery loop and the schedule say a database outage once, without a traceback
  (the sandbox wrote 3,000 lines in 30 s).
- Redis restarted empty: the mirror is handed back within seconds (a marker key gone).
- Redis restarted empty mid-onboarding: the partner's next answer or press goes on from
  what the database holds (the segment, the first unanswered question, the consent), not
  to the FAQ.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from redis.exceptions import ConnectionError as RedisConnectionError

from bot import cli
from bot.db.engine import Database
from bot.db.fsm import DatabaseStorage
from bot.db.migrate import upgrade
from bot.logs import setup_logging
from bot.redis_state import ResilientStorage, _Outage
from bot.services.faq import FaqService
from bot.services.onboarding import matching_option
from bot.telegram.emulator import RateLimits
from tests.harness import (
    DEMO_CONTENT,
    Client,
    Harness,
    chats_emulator,
    make_settings,
    running_bot,
)
from tests.test_faq_learning import reviewed
from tests.test_review_s10_fixc import UNLINKED, _import, _stored, database
from tests.test_review_s20 import _problems_of

__all__ = ["database", "reviewed"]

HEADER = "partner,conversion_id,status,amount,note\n"


@pytest.mark.parametrize(
    ("rows", "refused", "stored"),
    [
        (  # closed again by the next quote: lines 3-5 are one row
            'aff-1,c1,approved,1,\naff-1,c2,"approved,2,\naff-1,c3,approved,3,\n'
            'aff-1,"c4",approved,4,\naff-1,c5,approved,5,\n',
            "sheet.csv:3: a quote opened on this line is closed only on line 5: lines 3-5 read"
            " as one row, none of them imported (close the quote or remove it)",
            ["c1", "c5"],
        ),
        (  # never closed: to the end of the file
            'aff-1,c1,approved,1,\naff-1,c2,approved,2,"oops\naff-1,c3,approved,3,\n',
            "sheet.csv:3: a quote opened on this line is never closed: lines 3-4 read as one"
            " row, none of them imported (close the quote or remove it)",
            ["c1"],
        ),
        (  # the last line
            'aff-1,c1,approved,1,\naff-1,c2,"approved,2,\n',
            "sheet.csv:3: a quote opened on this line is never closed: not imported (close the"
            " quote or remove it)",
            ["c1"],
        ),
    ],
)
def test_an_unclosed_quote_is_refused_on_the_line_it_was_opened(
    database: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rows: str,
    refused: str,
    stored: list[str],
) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(HEADER + rows, encoding="utf-8")
    code, out = _import(sheet, capsys)
    assert code == 1
    unlinked = f"{UNLINKED}aff-1 ({len(stored)} row{'' if len(stored) == 1 else 's'})"
    assert out[1:] == [refused, unlinked]  # nobody is linked to aff-1 (session 27)
    assert [conversion for conversion, _ in _stored(database)] == stored


def test_a_note_over_two_lines_is_a_value_not_an_open_quote(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "notes.csv"
    sheet.write_bytes(
        (HEADER + 'aff-1,c1,approved,1,"called back,\r\nsaid ok"\r\naff-1,c2,approved,2,\r\n')
        .replace("\n", "\r\n")
        .replace("\r\r\n", "\r\n")
        .encode()
    )
    assert _import(sheet, capsys) == (
        0,
        ["inserted 2, updated 0, unchanged 0, rejected 0", UNLINKED + "aff-1 (2 rows)"],
    )
    assert [conversion for conversion, _ in _stored(database)] == ["c1", "c2"]


async def _forget_dialog(harness: Harness, user_id: int) -> None:
    """What a Redis restarted empty does: the chat's dialog state and data are gone."""
    key = StorageKey(bot_id=harness.bot.id, chat_id=user_id, user_id=user_id)
    await harness.dp.fsm.storage.set_state(key, None)
    await harness.dp.fsm.storage.set_data(key, {})


async def test_onboarding_goes_on_from_the_database_when_the_dialog_state_is_lost(
    harness: Harness,
) -> None:
    olga = Client(harness, 2101)
    await olga.send("/start")
    await _forget_dialog(harness, olga.user_id)
    # the segment typed: read as the segment, not as an FAQ question
    await olga.send("Вебмастер")
    await olga.press("Сайт")
    await _forget_dialog(harness, olga.user_id)
    # the second question's button: it still works
    replies = await olga.press("До года")
    assert replies, "the press was answered"
    await _forget_dialog(harness, olga.user_id)
    # the typed question: saved as the answer
    await olga.send("Владельцы квартир в новостройках")
    await _forget_dialog(harness, olga.user_id)
    await olga.press("✅ Да, присылайте")
    partner = await harness.services.partners.by_user("tg", olga.user_id)
    assert partner is not None
    assert partner.onboarded
    assert partner.segment == "webmaster"
    assert list(partner.answers.values()) == [
        "Сайт",
        "До года",
        "Владельцы квартир в новостройках",
    ]
    # and after onboarding nothing is resumed: a question goes to the FAQ
    await _forget_dialog(harness, olga.user_id)
    replies = await olga.send("когда выплаты?")
    assert not any("Да, присылайте" in label for m in replies for label in m.button_labels)


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [("больше 10к", 2), ("Больше 10 тыс.", 2), ("больше 10000", 2), ("1 000 – 10 000", 1),
     ("до 1k", 0),
     ("10–50 тыс.", None), ("больше 11к", None),
     ("более 10 тыс.", 2), ("свыше 10к", 2), ("10 000+", 2), ("10к+", 2), ("> 10000", 2),
     ("менее 1000", 0), ("< 1 000", 0), ("больше 10", 2),
     ("10к", 1)],  # 10 000 is in «1 000 – 10 000» (read by value since session 22)
)  # fmt: skip
def test_an_option_with_a_number_is_read_however_the_number_is_written(
    typed: str, chosen: int | None
) -> None:
    assert matching_option(typed, ["До 1 000", "1 000 – 10 000", "Больше 10 000"]) == chosen


async def test_a_partner_whose_update_met_a_database_outage_is_told_to_send_it_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = harness.user(2102)
    await anna.onboard()
    original = FaqService.ask
    calls = {"n": 0}

    async def away(self: FaqService, *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "refused"))
        return await original(self, *args)

    monkeypatch.setattr(FaqService, "ask", away)
    replies = await anna.send("когда выплаты")
    assert replies[-1].plain == (
        "Бот на минуту недоступен, и это не сохранилось. Повторите, пожалуйста, через минуту."
    )
    # any other failure keeps the usual words
    monkeypatch.setattr(FaqService, "ask", _broken)
    replies = await anna.send("когда выплаты")
    assert replies[-1].plain.startswith("Что-то пошло не так")


async def _broken(self: FaqService, *args: Any) -> Any:
    raise RuntimeError("a bug")


class _Redis:
    """RedisStorage's four calls on a dict, with a switch that makes it unreachable."""

    def __init__(self) -> None:
        self.down = False
        self.states: dict[StorageKey, str | None] = {}
        self.data: dict[StorageKey, dict[str, Any]] = {}
        self.keys: set[str] = set()
        self.redis = self  # RedisStorage.redis: the client, for the marker

    def restart_empty(self) -> None:
        self.states.clear()
        self.data.clear()
        self.keys.clear()

    async def exists(self, key: str) -> int:
        self._check()
        return int(key in self.keys)

    async def set(self, key: str, _value: str) -> None:
        self._check()
        self.keys.add(key)

    def _check(self) -> None:
        if self.down:
            raise RedisConnectionError("Connection refused")

    async def set_state(self, key: StorageKey, state: Any = None) -> None:
        self._check()
        self.states[key] = state.state if isinstance(state, State) else state

    async def get_state(self, key: StorageKey) -> str | None:
        self._check()
        return self.states.get(key)

    async def set_data(self, key: StorageKey, data: Any) -> None:
        self._check()
        self.data[key] = dict(data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        self._check()
        return dict(self.data.get(key, {}))


async def test_dialog_state_while_redis_is_away_is_shared_by_the_workers_and_handed_back(
    tmp_path: Path,
) -> None:
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'fsm.sqlite'}")
    await upgrade(db)
    redis = _Redis()
    outage = _Outage()
    now = [0.0]
    first, second = (
        ResilientStorage(redis, outage, DatabaseStorage(db), lambda: now[0])  # type: ignore[arg-type]
        for _ in range(2)
    )
    key = StorageKey(bot_id=1, chat_id=7, user_id=7)
    threaded = StorageKey(bot_id=1, chat_id=-100, user_id=7, thread_id=5)
    ended = StorageKey(bot_id=1, chat_id=8, user_id=8)
    await first.set_state(key, "Support:asking")
    await first.set_data(key, {"question": 0})
    await first.set_state(ended, "Support:asking")
    redis.down = True
    await first.set_state(ended, None)  # the dialog ends while Redis is away
    # a dialog begun before the outage goes on during it (tester G: /support, then Redis
    # away, then the question went to the FAQ), on either worker
    assert await second.get_state(key) == "Support:asking"
    await first.set_state(key, "Onboarding:question")
    await first.set_data(key, {"question": 2})
    await first.set_state(threaded, "Support:asking")
    assert await second.get_state(key) == "Onboarding:question"
    assert await second.get_data(key) == {"question": 2}
    redis.down = False
    # Redis back: what changed meanwhile goes to Redis before the update is read
    assert await first.get_data(key) == {"question": 2}
    assert redis.states[key] == "Onboarding:question"
    assert redis.states[threaded] == "Support:asking"
    assert redis.states[ended] is None  # Redis's older state does not revive it
    # Redis restarted with no persistence: within seconds the dialogs come back from the
    # mirror (a /support in progress went to the FAQ)
    redis.restart_empty()
    now[0] += 5
    assert await second.get_state(key) == "Onboarding:question"
    assert await first.get_data(key) == {"question": 2}
    # a dialog that ends leaves nothing in either
    for each in (key, threaded):
        await second.set_state(each, None)
        await second.set_data(each, {})
    async with db.read() as conn:
        assert (await conn.exec_driver_sql("SELECT count(*) FROM fsm_states")).scalar() == 0
    await db.close()


class _Worker:
    """A worker process as `_run_workers` sees it: running until it gets SIGTERM."""

    started: ClassVar[list[_Worker]] = []

    def __init__(self, _command: list[str], env: dict[str, str]) -> None:
        self.returncode: int | None = None
        self.env = env
        _Worker.started.append(self)
        if len(_Worker.started) == 2:  # the supervisor is stopped while it starts them
            os.kill(os.getpid(), signal.SIGTERM)

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, _signal: int) -> None:
        self.returncode = -signal.SIGTERM  # stopped before it could handle it


def test_workers_stopped_while_they_start_leave_none_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM to `run --workers 40` a second after it started left 36 workers running
    with no parent (the handler came after they were all started); and its exit was 241."""
    monkeypatch.setattr(cli.subprocess, "Popen", _Worker)
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        assert cli._run_workers(40) == 0
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
    assert len(_Worker.started) == 2
    assert [worker.env["PARTNERBOT_WORKER"] for worker in _Worker.started] == ["1", "2"]
    assert all(worker.returncode is not None for worker in _Worker.started)


def test_workers_are_refused_in_the_sandbox_and_beyond_a_sane_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@127.0.0.1:9/x")
    for name in ("BOT_TOKEN", "VK_GROUP_TOKEN", "MAX_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["run", "--workers", "100000"]) == 2
    assert "--workers: at most 32" in capsys.readouterr().err
    assert cli.main(["run", "--workers", "2"]) == 2
    assert "the sandbox (no platform tokens set) is one process" in capsys.readouterr().err


async def test_the_endpoints_answer_503_while_the_database_is_away_and_say_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL stopped: the webhook answered 500 with a traceback per update, /metrics
    500 with a traceback per scrape, and each postback's 503 was a log line (108 in a
    minute): now each is a 503 with Retry-After, said once, and once when it answers."""
    from bot.webhook import SECRET_HEADER
    from tests.test_scale import SECRET, webhook_bot

    caplog.set_level(logging.WARNING, logger="bot.http")
    async with webhook_bot(tmp_path) as (emulator, inbox, url), aiohttp.ClientSession() as http:
        emulator.add_user(2103, "Анна")
        db = inbox._db
        read, write = db.read, db.write

        def away() -> None:
            raise OSError("connection refused")

        monkeypatch.setattr(db, "read", away)
        monkeypatch.setattr(db, "write", away)
        headers = {SECRET_HEADER: SECRET}
        update = emulator.take_update(emulator.user_message(2103, "/start"))
        for _ in range(3):  # the platform sends it again
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 503, await response.text()
                assert response.headers["Retry-After"] == "30"
        monkeypatch.setattr(db, "read", read)
        monkeypatch.setattr(db, "write", write)
        async with http.post(url, json=update, headers=headers) as response:
            assert response.status == 200
        await inbox.drain()
        assert any("Здравствуйте" in m.plain for m in emulator.chat_messages(2103))
    said = [r.getMessage() for r in caplog.records if r.name == "bot.http"]
    assert len(said) == 2, said
    assert "the database is away (OSError)" in said[0]
    assert said[1] == "the database answers again: 3 requests got 503 meanwhile"
    assert not [r for r in caplog.records if r.exc_info]


def test_an_editors_backup_in_lessons_is_left_alone(tmp_path: Path) -> None:
    """`lessons/01-start.md~` (an editor's backup) blocked `/reload` as «not a lesson»,
    while `faq.yaml~` and `contests/*.yaml~` were ignored."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    lesson = (folder / "lessons/01-start.md").read_text(encoding="utf-8")
    for name in (
        "01-start.md~", "#01-start.md#", "01-start.md.bak", "01-start.md.orig",
        "01-start.md.save", "01-start.md.swo", "01-start.md.kate-swp", "~$01-start.md",
        ".#02-other.md",  # a regular file named as Emacs's lock: it was read as a lesson
    ):  # fmt: skip
        (folder / "lessons" / name).write_text(lesson, encoding="utf-8")
    # Emacs's lock while a file is open: a dangling link («cannot be read» blocked /reload)
    (folder / "lessons/.#01-start.md").symlink_to("root@host.1234:1700000000")
    (folder / "contests/.#winter-sofas.yaml").symlink_to("root@host.1234:1700000000")
    (folder / "contests/winter-sofas.yaml.save").write_text("broken: [", encoding="utf-8")
    (folder / "faq.yaml~").write_text("broken: [", encoding="utf-8")
    (folder / "lessons/05-notes.txt").write_text("заметки", encoding="utf-8")
    problems = _problems_of(folder)
    assert [p.split(":")[0] for p in problems] == ["lessons/05-notes.txt"], problems


async def test_a_program_yaml_cut_short_waits_for_a_second_reload(tmp_path: Path) -> None:
    """program.yaml saved only up to `schedule:` passed `/reload` as «Контент обновлён»:
    the schedule and the postback's status map fell back to their defaults unseen (the
    tracker's «sale» then got 400s). Now it is held until a /reload again within 10
    minutes confirms it (in any worker: the audit log keeps the first), then applied
    with the sections named."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    program = folder / "program.yaml"
    text = program.read_text(encoding="utf-8")
    async with running_bot(tmp_path, content_dir=folder) as harness:
        manager = harness.manager()
        said = (await manager.send("/reload"))[-1].plain
        assert said.startswith("Контент обновлён"), said
        cut = min(text.index("\nschedule:"), text.index("\npostback:"))
        program.write_text(text[: cut + 1], encoding="utf-8")
        said = (await manager.send("/reload"))[-1].plain
        assert said.startswith(
            "⚠️ Контент не обновлён: в program.yaml больше нет разделов или ключей "
            "faq, postback, schedule"
        ), said
        assert harness.services.content_store.content.program.postback.status_map  # as it was
        harness.clock.advance(11 * 60)  # too late to confirm: held again
        said = (await manager.send("/reload"))[-1].plain
        assert said.startswith("⚠️ Контент не обновлён"), said
        said = (await manager.send("/reload"))[-1].plain  # confirmed
        assert said.startswith("Контент обновлён"), said
        assert "⚠️ В program.yaml больше нет разделов или ключей: faq, postback, schedule —" in said
        assert not harness.services.content_store.content.program.postback.status_map


def test_a_workers_log_lines_say_which_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under `run --workers 2` «content loaded», «this process leads» could not be told
    apart: each line now says «worker N (pid P)»."""
    monkeypatch.setenv("PARTNERBOT_WORKER", "2")
    setup_logging(make_settings(tmp_path, log_level="INFO"))
    try:
        logging.getLogger("bot.leader").warning("this process leads")
    finally:
        logging.basicConfig(force=True)
    line = capsys.readouterr().err.strip()
    assert f"WARNING worker 2 (pid {os.getpid()}) bot.leader: this process leads" in line


async def test_a_segment_an_option_and_a_question_with_html_characters_onboard(
    tmp_path: Path,
) -> None:
    """A segment «Блогер <education> & co» or an option «Сайт & ‹блог>» passed `content
    check` and `/reload`, then every partner who chose it got «Что-то пошло не так»
    (Telegram refused the unescaped text) and was stuck for good."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    program = folder / "program.yaml"
    text = program.read_text(encoding="utf-8")
    for old, new in (
        ('"Блогер (соцсети, YouTube, Telegram)"', '"Блогер <education> & co"'),
        ('"Откуда у вас трафик?"', '"Трафик: <откуда> & сколько?"'),
        ('"Сайт", "Соцсети"', '"Сайт & ‹блог>", "Соцсети"'),
        ('"Только начинаю", "До года"', '"<1 года & только начинаю", "До года"'),
    ):
        assert old in text
        text = text.replace(old, new)
    program.write_text(text, encoding="utf-8")
    async with running_bot(tmp_path, content_dir=folder) as harness:
        nika = harness.user(2104)
        await nika.send("/start")
        await nika.press("Блогер <education> & co")
        assert "Сегмент: Блогер <education> & co" in nika.messages[-2].plain
        assert "Вопрос 1 из 3: Трафик: <откуда> & сколько?" in nika.last.plain
        await nika.press("Сайт & ‹блог>")
        assert "Трафик: <откуда> & сколько? — Сайт & ‹блог>" in nika.messages[-2].plain
        said = await nika.send("не скажу")  # not an option: the hint quotes them
        assert "«<1 года & только начинаю»" in said[-1].plain
        await nika.send("<1 года & только начинаю")
        await nika.send("Родители & <дети>")
        await nika.press("✅ Да, присылайте")
        partner = await harness.services.partners.by_user("tg", 2104)
        assert partner is not None
        assert partner.onboarded
        assert partner.segment == "blogger"
        assert all("Что-то пошло не так" not in m.plain for m in nika.messages)
        # the same with the segment typed
        boris = harness.user(2105)
        await boris.send("/start")
        said = await boris.send("блогер")
        assert "Сегмент: Блогер <education> & co" in said[0].plain


async def test_a_weeks_standings_due_after_the_last_day_notice_are_posted(
    tmp_path: Path,
) -> None:
    """A contest 13.12 10:00 – 20.12 23:59: its only weekly standings (20.12 10:00) come
    after «последний день» (20.12 09:00, the quiet hours' end). The moments were listed
    standings first, so «the next moment» of the standings was the earlier one: at 10:00
    they were never posted, and /schedule had listed them."""
    from tests.test_journey_schedule import COMMUNITY as GROUP
    from tests.test_journey_schedule import partner_with_sales, posts, tick
    from tests.test_journey_schedule_held import at

    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    contest = folder / "contests/winter-sofas.yaml"
    contest.write_text(
        contest.read_text(encoding="utf-8")
        .replace("starts_at: 2026-12-14T00:00:00+03:00", "starts_at: 2026-12-13T10:00:00+03:00")
        .replace("ends_at: 2026-12-28T23:59:59+03:00", "ends_at: 2026-12-20T23:59:59+03:00"),
        encoding="utf-8",
    )
    async with chats_emulator(RateLimits(chat_burst=1000, global_per_second=1000)) as emulator:
        emulator.add_group(GROUP, "Партнёры МебельДом")
        async with running_bot(
            tmp_path, emulator=emulator, tg_community_chat_id=GROUP, content_dir=folder
        ) as bot:
            moments = bot.services.planner.contest_moments(
                next(c for c in bot.services.content_store.content.contests)
            )
            assert [at for at, _name, _tag in moments] == sorted(at for at, _n, _t in moments)
            await partner_with_sales(bot, 2106, "std-1", "Анна")
            await tick(bot)  # announced
            at(bot, datetime(2026, 12, 20, 6, 0, 50, tzinfo=UTC))  # 09:00:50: «последний день»
            mark = len(posts(bot, 0))
            await tick(bot)
            assert any("последний день" in text.lower() for text in posts(bot, mark))
            at(bot, datetime(2026, 12, 20, 7, 0, 20, tzinfo=UTC))  # 10:00:20: the standings
            mark = len(posts(bot, 0))
            await tick(bot)
            assert any(text.startswith("🏆 Зимний марафон") for text in posts(bot, mark)), posts(
                bot, mark
            )


async def test_no_reminder_an_hour_after_the_contests_announcement(harness: Harness) -> None:
    """A contest announced late (the manager overrode the week's lead) got «остался 1
    день» 55 minutes after its announcement: three messages in 25 hours, one of the week's
    slots spent on what the partner had just read. A reminder within 12 h of the
    announcement is not sent, nor listed in /schedule."""
    from tests.test_journey_schedule import partner_with_sales, tick
    from tests.test_journey_schedule_held import at, schedule

    anna = await partner_with_sales(harness, 2107, "late-1", "Анна")
    contest = await harness.services.contests.contest("winter-sofas")
    assert contest is not None
    at(harness, datetime(2026, 12, 12, 18, 30, tzinfo=UTC))  # 21:30 Moscow, 11.5 h before it
    await harness.services.notices.announce_contest(contest)
    await harness.deliver()
    assert any(m.plain.startswith("📣 Новый конкурс!") for m in anna.messages)
    manager = harness.manager()
    await manager.send("/start")
    lines = await schedule(manager)
    assert not any("напоминание о конкурсе" in line for line in lines), lines
    mark = len(anna.messages)
    at(harness, datetime(2026, 12, 13, 6, 1, tzinfo=UTC))  # 09:01: the 1-day reminder's time
    await tick(harness)
    assert not any("остался 1 день" in m.plain for m in anna.messages[mark:]), [
        m.plain[:50] for m in anna.messages[mark:]
    ]
    at(harness, datetime(2026, 12, 14, 6, 1, tzinfo=UTC))  # the start is told
    await tick(harness)
    assert any("начался" in m.plain for m in anna.messages[mark:])


def test_a_creatives_text_with_html_tags_is_refused_with_its_line(tmp_path: Path) -> None:
    """A creative's `text` with `<b>…</b>` passed `content check` and reached partners
    with the tags shown (its text goes as written, for partners to copy), while the same
    in a lesson is refused."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    with (folder / "creatives.yaml").open("a", encoding="utf-8") as creatives:
        creatives.write(
            '\n- id: bold-post\n  title: "Пост <для> блога & канала"\n  kind: keywords\n'
            '  text: "Диваны <b>со скидкой</b> до 30%"\n  segments: [blogger]\n'
            '\n- id: kept-post\n  title: "Пост"\n  kind: keywords\n'
            '  text: "Диваны <3 для <имя> & семьи, 1 < 2"\n  segments: [blogger]\n'
        )
    with (folder / "creatives.yaml").open("a", encoding="utf-8") as creatives:
        creatives.write(
            '\n- id: bold-title\n  title: "<b>Жирный заголовок</b> & <i>курсив</i>"\n'
            '  kind: keywords\n  text: "диван купить"\n  segments: [blogger]\n'
        )
    problems = _problems_of(folder)
    path = folder / "creatives.yaml"
    bold = _line_of(path, '  text: "Диваны <b>со скидкой</b> до 30%"')
    assert [p for p in problems if "creative" in p] == [
        f"creatives.yaml:{bold}: the"
        " creative 'bold-post' text has HTML '<b>': it would show as text",
        f"creatives.yaml:{_line_of(path, '- id: bold-title') + 1}: the creative 'bold-title'"
        " title has HTML '<b>': it would show as text",
    ], problems


def _line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").split("\n").index(text) + 1


async def test_a_rejected_wording_goes_back_to_the_faqs_gaps(reviewed: Harness) -> None:
    """A partner picked an option and pressed «Помогло»; a manager rejected the wording in
    /faq_learned: the question was neither answered nor a gap — /stats and the digest's
    gaps no longer showed it. Its picks count as offered options again."""
    question = "реф в инсту в описание норм?"  # «реф ссылку куда вставлять…» answered since s24
    manager = reviewed.manager()
    await manager.send("/start")
    nika = reviewed.user(2108)
    await nika.onboard()
    await nika.send(question)
    await nika.press(nika.last.button_labels[0])
    await nika.press("👍 Помогло")
    assert question not in "\n".join(m.plain for m in await manager.send("/stats"))
    replies = await manager.send("/faq_learned")
    assert f"«{question}»" in replies[-1].plain
    await manager.press("❌ Отклонить")
    said = "\n".join(m.plain for m in await manager.send("/stats"))
    assert "Чаще всего без прямого ответа" in said, said
    assert question in said.split("Чаще всего без прямого ответа")[1], said


async def test_managers_hear_once_of_a_file_contest_too_close_to_announce_itself(
    tmp_path: Path,
) -> None:
    """A file contest starting 2 hours inside the week's lead was never announced, and
    nobody was told: only /contests_admin said «не объявлен» (the owner expected it to be
    announced a week ahead). The managers hear it once, however many ticks and starts."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    contest = folder / "contests/winter-sofas.yaml"
    contest.write_text(
        contest.read_text(encoding="utf-8")
        .replace("starts_at: 2026-12-14T00:00:00+03:00", "starts_at: 2026-11-09T10:00:00+03:00")
        .replace("ends_at: 2026-12-28T23:59:59+03:00", "ends_at: 2026-11-20T23:59:59+03:00"),
        encoding="utf-8",
    )
    async with running_bot(tmp_path, content_dir=folder) as harness:
        manager = harness.manager()
        await manager.send("/start")
        for _ in range(3):
            await harness.services.planner.tick()
            await harness.deliver()
            harness.clock.advance(60)
        told = [m.plain for m in manager.messages if "сам он не объявится" in m.plain]
        assert told == [
            "⚠️ «Зимний марафон диванов» начинается раньше, чем через срок анонса: сам он не"
            " объявится. Пока его не объявит менеджер, партнёры его не видят — и после"
            " старта: ни в /contests и /top, ни в рейтингах, ни в уведомлениях о продажах."
            " Объявить — /contests_admin; продажи с начала конкурса засчитаются и тогда."
        ], [m.plain[:80] for m in manager.messages]
        # its results reach the managers only, saying the partners never heard of it
        harness.clock.advance(
            (datetime(2026, 12, 5, 0, 5, tzinfo=UTC) - harness.clock.now()).total_seconds()
        )
        await harness.services.planner.tick()
        await harness.deliver()
        (results,) = [m.plain for m in manager.messages if "Победители конкурса" in m.plain]
        assert "⚠️ Конкурс не был объявлен: партнёры о нём не знали" in results, results


def test_a_quote_open_over_the_field_limit_names_the_rest_of_the_file(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quote closed 6,000 lines later: «not read as CSV: field larger than field limit
    (131072)», «rejected 1», and the 6,000 lines after it named nowhere."""
    rows = [f"aff-1,x{n},approved,{n}," for n in range(6000)]
    sheet = tmp_path / "long.csv"
    sheet.write_text(
        HEADER
        + "aff-1,f1,approved,1,\n"
        + 'aff-1,f2,"approved,200,\n'
        + "\n".join(rows)
        + '\naff-1,f9",approved,5,\n',
        encoding="utf-8",
    )
    code, out = _import(sheet, capsys)
    assert code == 1
    assert out[1:] == [
        "long.csv:3: a quote opened on this line is not closed within 131,072 characters:"
        " lines 3-6004, the rest of the file, not imported (close the quote or remove it)",
        UNLINKED + "aff-1 (1 row)",
    ]
    assert [conversion for conversion, _ in _stored(database)] == ["f1"]


async def test_the_delivery_and_the_schedule_say_a_database_outage_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL stopped under the sandbox: «delivery round failed» with a ~100-line
    traceback every 5 s per platform (3,000 lines in 30 s) and the planner's traceback a
    minute. Each says it once, without a traceback, and once when it works again."""
    from bot import delivery as delivery_module

    worker = harness.delivery
    rounds = 0

    async def drain() -> int:
        nonlocal rounds
        rounds += 1
        if rounds <= 5:
            raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "refused"))
        if rounds == 6:
            return 0
        raise asyncio.CancelledError

    monkeypatch.setattr(worker, "drain", drain)
    monkeypatch.setattr(delivery_module, "IDLE_WAIT", 0.001)
    planner = harness.services.planner
    ticks = 0

    async def tick() -> int:
        nonlocal ticks
        ticks += 1
        if ticks <= 3:
            raise OSError("connection refused")
        return 0

    monkeypatch.setattr(planner, "tick", tick)
    with caplog.at_level(logging.WARNING):
        with pytest.raises(asyncio.CancelledError):
            await worker.run()
        for _ in range(4):
            await planner.scheduled_tick()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == [
        "delivery (tg): the database or a connection is away (OperationalError); trying"
        " again until it works",
        "delivery (tg): works again",
        "the schedule: the database or a connection is away (OSError); trying again until"
        " it works",
        "the schedule: works again",
    ], said
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_contest_card_shows_a_segment_title_with_html_characters_as_text(
    tmp_path: Path,
) -> None:
    """A segment «Блогер <education> & co» in a contest's «Участники:» line went into the
    managers' card unescaped: Telegram would refuse the card."""
    from bot.telegram.html import parse_html
    from handlers.manager.contest_screens import summary

    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    program = folder / "program.yaml"
    program.write_text(
        program.read_text(encoding="utf-8").replace(
            '"Блогер (соцсети, YouTube, Telegram)"', '"Блогер <education> & co"'
        ),
        encoding="utf-8",
    )
    async with running_bot(tmp_path, content_dir=folder) as harness:
        store = harness.services.content_store
        contest = next(c for c in store.content.contests).model_copy(
            update={"segments": ["blogger"]}
        )
        l10n = store.live.translator.get("ru")
        card = summary(contest, l10n, harness.services.settings, store)
        assert "Участники: Блогер <education> & co ·" in parse_html(card), card


async def test_a_program_yaml_cut_inside_its_last_section_waits_too(tmp_path: Path) -> None:
    """Cut inside the file's last section (here `schedule:`, after its leaderboard), the
    sections all there: it passed as «Контент обновлён» with the digest's day, the quiet
    hours and the weekly cap back to their defaults (session 21's note, left alone then).
    The keys lost are named, and the file waits for a second /reload as a lost section
    does."""
    folder = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, folder)
    program = folder / "program.yaml"
    text = program.read_text(encoding="utf-8")
    start, end = text.index("schedule:\n"), text.index("postback:\n")
    text = text[:start] + text[end:] + text[start:end]  # the schedule last
    program.write_text(text, encoding="utf-8")
    async with running_bot(tmp_path, content_dir=folder) as harness:
        manager = harness.manager()
        cut = text.index("\n", text.index("  leaderboard:"))
        program.write_text(text[: cut + 1], encoding="utf-8")
        said = (await manager.send("/reload"))[-1].plain
        assert said.startswith(
            "⚠️ Контент не обновлён: в program.yaml больше нет разделов или ключей "
            "schedule.digest, schedule.inactive_after_days, schedule.lesson_drip_days,"
        ), said
        schedule = harness.services.content_store.content.program.schedule
        assert schedule.max_automated_per_week == 5  # as it was
        said = (await manager.send("/reload"))[-1].plain  # confirmed
        assert said.startswith("Контент обновлён"), said
        assert "schedule.quiet_hours" in said
