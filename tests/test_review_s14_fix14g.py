"""Session 14 (task fix14g): CSV re-import with changed amounts, SQLite paths, small ones.

B. A sales CSV imported again changes nothing: a row whose state (status and amount) the
   conversion has already been in is history, "unchanged" — also when only the amount
   differs (`k1,approved,1200` at line 2, `k1,approved,1300` at line 5).
E. An unusable SQLite path is one line and exit 2 for every command; the read-only ones
   create no file or folder, and no command creates missing folders.
F. A reply to the /link usage that looks like an affiliate id is the /link argument, never
   an FAQ gap; /stats' queue counts only the messages that will go.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.clock import FakeClock
from bot.db.tables import conversion_events, conversions, faq_questions
from tests.harness import Harness, create_services, make_settings, running_bot
from tests.test_journey_schedule_held import schedule
from tests.test_review_s14_fix14c import held_sale_notice, sale
from tests.test_review_s14_fixops import _cli, _commands

# --- B. a CSV imported again: an amount going back is history, not an update ---

TESTERS_CSV = """partner,conversion_id,status,amount,currency
A777,k1,approved,1200,RUB
A777,k2,pending,800,
A777,k3,bogus,800,
A777,k1,approved,1300,RUB
"""


async def test_a_csv_imported_again_with_two_amounts_changes_nothing(tmp_path: Path) -> None:
    services = await create_services(make_settings(tmp_path), FakeClock())
    path = tmp_path / "s.csv"
    path.write_text(TESTERS_CSV, encoding="utf-8")
    try:
        first = await services.sales.import_csv(path)
        async with services.db.read() as conn:
            before = await conn.scalar(sa.select(sa.func.count()).select_from(conversion_events))
        again = await services.sales.import_csv(path)
        async with services.db.read() as conn:
            after = await conn.scalar(sa.select(sa.func.count()).select_from(conversion_events))
            amount = await conn.scalar(
                sa.select(conversions.c.amount).where(conversions.c.conversion_id == "k1")
            )
    finally:
        await services.close()
    assert [line for line, _reason in first.rejected] == [4]  # bogus
    assert (first.inserted, first.updated, first.unchanged) == (2, 1, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert again.rejected == first.rejected
    assert after == before == 3  # nothing written again
    assert amount == 1300


async def test_an_amount_the_conversion_had_before_is_history_in_one_file(tmp_path: Path) -> None:
    services = await create_services(make_settings(tmp_path), FakeClock())
    path = tmp_path / "s.csv"
    path.write_text(
        "partner,conversion_id,status,amount\n"
        "A777,k1,approved,1200\n"
        "A777,k1,approved,1300\n"
        "A777,k1,approved,1200\n"  # a state it was in: history, unchanged
        "A777,k1,approved,1400\n",  # new: updated
        encoding="utf-8",
    )
    try:
        report = await services.sales.import_csv(path)
        async with services.db.read() as conn:
            amount = await conn.scalar(
                sa.select(conversions.c.amount).where(conversions.c.conversion_id == "k1")
            )
    finally:
        await services.close()
    assert (report.inserted, report.updated, report.unchanged) == (1, 2, 1)
    assert amount == 1400


# --- E. an SQLite path that cannot be used: one line, exit 2, nothing made ---


@pytest.mark.parametrize("command", range(5))
@pytest.mark.parametrize("where", ["file", "missing"])
def test_an_unusable_sqlite_path_is_one_line_and_makes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: int,
    where: str,
) -> None:
    (tmp_path / "passwd").write_text("root:x:0:0\n")
    folder = tmp_path / ("passwd" if where == "file" else "nonexistent/dir")
    url = f"sqlite+aiosqlite:///{folder}/x.db"
    argv = _commands(tmp_path)[command]
    code, err = _cli(monkeypatch, capsys, tmp_path, argv, DATABASE_URL=url)
    assert code == 2, err
    reason = (
        f"{tmp_path}/passwd is a file, not a folder"
        if where == "file"
        else f"the folder {folder} does not exist (create it first)"
    )
    assert err == [f"partnerbot: DATABASE_URL: cannot use {url}: {reason}"]
    assert not (tmp_path / "nonexistent").exists()
    assert (tmp_path / "passwd").read_text() == "root:x:0:0\n"


def test_faq_match_with_a_missing_folder_says_so_and_makes_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/nonexistent/dir/x.db"
    argv = ["faq", "match", "когда выплаты"]
    code, err = _cli(monkeypatch, capsys, tmp_path, argv, DATABASE_URL=url)
    assert code == 0  # the content's answer, as for a database not reachable
    assert len(err) == 1
    assert "does not exist" in err[0]
    assert not (tmp_path / "nonexistent").exists()


def test_the_default_data_folder_is_made_by_a_writer_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, err = _cli(monkeypatch, capsys, tmp_path, ["faq", "learned"])
    assert (code, err) == (0, [])
    assert not (tmp_path / "data").exists()  # a reader makes nothing
    code, err = _cli(monkeypatch, capsys, tmp_path, ["db", "upgrade"])
    assert code == 0, err
    assert (tmp_path / "data" / "partnerbot.db").is_file()


# --- F1. the message right after the /link usage: the id, not an FAQ gap ---


async def _questions(harness: Harness) -> list[str]:
    await harness.services.faq.flush()  # the question log is written in batches
    async with harness.services.db.read() as conn:
        return list((await conn.execute(sa.select(faq_questions.c.question))).scalars())


async def test_an_id_sent_right_after_the_link_usage_is_the_link_argument(
    harness: Harness,
) -> None:
    manager = harness.manager()
    await manager.send("/start")
    anna = harness.user(701, "Анна")
    await anna.onboard()
    usage = (await anna.send("/link"))[-1].plain
    assert "или пришлите ID следующим сообщением" in usage
    replies = await anna.send("A777")
    assert replies[-1].plain.startswith("Запрос на привязку ID A777 отправлен менеджеру")
    assert "A777" in manager.last.plain
    assert manager.last.button_labels == ["✅ Подтвердить", "❌ Отклонить"]
    assert await _questions(harness) == []  # no FAQ gap
    # only the message right after the usage is the argument: later an id-like text alone
    # is told how to link it (session 14's re-check: it was logged as an FAQ gap)
    replies = await anna.send("B888")
    assert "/link B888" in replies[-1].plain
    assert "B888" not in manager.last.plain  # no link request made
    assert await _questions(harness) == []


async def test_words_after_the_link_usage_are_read_as_usual(harness: Harness) -> None:
    anna = harness.user(702, "Анна")
    await anna.onboard()
    await anna.send("/link")
    await anna.send("когда выплаты")  # a question: the FAQ answers it
    assert await _questions(harness) == ["когда выплаты"]
    await anna.send("/link")
    replies = await anna.send("/me")  # a command: itself
    assert "после привязки ID в партнёрской сети: /link" in replies[-1].plain
    replies = await anna.send("C999")  # the wait ended with /me: no request, a hint
    assert "/link C999" in replies[-1].plain
    assert "C999" not in await _questions(harness)
    replies = await anna.send("C999 это мой id?")  # a sentence stays a question
    assert "C999 это мой id?" in await _questions(harness)


# --- F2. /stats' «в очереди»: the messages that will go, as /schedule counts them ---


async def _waiting(manager: object) -> int:
    text = "\n".join(m.plain for m in await manager.send("/stats"))  # type: ignore[attr-defined]
    found = re.search(r"в очереди (\d+)", text)
    assert found is not None, text
    return int(found.group(1))


async def test_stats_queue_leaves_out_held_sale_notices_whose_sales_were_refunded(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as harness:
        _anna, manager = await held_sale_notice(harness, 1481, "refund-9", ("q-1", "q-2"))
        assert await _waiting(manager) >= 1
        for conversion in ("q-1", "q-2"):  # both refunded: nothing of it will go
            await sale(harness, "refund-9", conversion, "declined")
        await harness.deliver()
        assert not any("уведомления о продажах" in line for line in await schedule(manager))
        assert await _waiting(manager) == 0
