"""Session 10 (fixc10), the review's items 5, 6 and 8b.

5. A CSV header naming one of our columns twice is refused (FILE:1), nothing stored — the
   second `partner` no longer wins, as a postback's field given twice is a 400.
6. A CSV line that is not UTF-8 (a cp1251 byte, random bytes) is that line's refusal
   (FILE:LINE: not UTF-8 text); the other rows are imported; never a traceback.
8b. On VK «отмена» typed alone is /cancel, as «cancel» already was: at onboarding's
   free-text question it is not saved as the partner's answer.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from tests.test_journey_vk_max import Side

HEADER = "partner,conversion_id,status,amount,note\n"
# the import names the ids no partner is linked to (session 27): nobody is, in these files
UNLINKED = "no partner is linked to 1 affiliate id yet (their sales count once one is): "
NOTHING = "Отменять нечего: открытых обращений нет. Если нужен менеджер — /support"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "csv.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("CONTENT_DIR", str(Path(__file__).resolve().parent.parent / "content"))
    return path


def _stored(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT conversion_id, affiliate_id FROM conversions ORDER BY id")
        return [(row[0], row[1]) for row in rows]


def _import(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["sales", "import", str(path)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out.splitlines()


def test_a_column_given_twice_is_refused_and_nothing_stored(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "dup.csv"
    sheet.write_text(
        "partner,conversion_id,status,amount,partner\naff-7,z4,approved,1,aff-8\n",
        encoding="utf-8",
    )
    code, out = _import(sheet, capsys)
    assert code == 1
    assert out == [
        "inserted 0, updated 0, unchanged 0, rejected 1",
        "dup.csv:1: column partner given twice",
    ]
    assert _stored(database) == []
    # spaces around a name are trimmed, as for the values: the same column
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("partner,conversion_id,status, amount ,amount\na,z5,approved,1,2\n")
    assert _import(spaced, capsys) == (
        1,
        [
            "inserted 0, updated 0, unchanged 0, rejected 1",
            "spaced.csv:1: column amount given twice",
        ],
    )
    # a column the import does not read may repeat (a spreadsheet's notes): it is ignored
    notes = tmp_path / "notes.csv"
    notes.write_text(
        "partner,conversion_id,status,amount,note,note,,\naff-7,z6,approved,1,a,b,,\n"
    )
    assert _import(notes, capsys) == (
        0,
        ["inserted 1, updated 0, unchanged 0, rejected 0", UNLINKED + "aff-7 (1 row)"],
    )
    assert _stored(database) == [("z6", "aff-7")]


def test_a_line_that_is_not_utf8_is_refused_and_the_others_imported(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "cp.csv"
    sheet.write_bytes(
        HEADER.encode()
        + b"aff-7,z5,approved,100,\n"
        + "aff-7,z6,approved,100,Москва\n".encode("cp1251")
        + "aff-7,z7,approved,100,Москва\n".encode()
        + b"aff-7,z8,approv\xe9d,100,\n"
    )
    code, out = _import(sheet, capsys)
    assert code == 1  # as for any refused row
    assert out == [
        "inserted 2, updated 0, unchanged 0, rejected 2",
        "cp.csv:3: not UTF-8 text",
        "cp.csv:5: not UTF-8 text",
        UNLINKED + "aff-7 (2 rows)",
    ]
    assert _stored(database) == [("z5", "aff-7"), ("z7", "aff-7")]


def test_a_whole_file_in_cp1251_gives_a_line_per_bad_row(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "win.csv"
    text = HEADER + "".join(f"aff-{n},w{n},approved,10,Заказ №{n}\n" for n in range(1, 4))
    sheet.write_bytes(text.encode("cp1251"))
    code, out = _import(sheet, capsys)
    assert code == 1
    assert out == [
        "inserted 0, updated 0, unchanged 0, rejected 3",
        "win.csv:2: not UTF-8 text",
        "win.csv:3: not UTF-8 text",
        "win.csv:4: not UTF-8 text",
    ]
    # a header in cp1251: its columns cannot be trusted, the file is refused at line 1
    russian = tmp_path / "ru.csv"
    russian.write_bytes(("партнёр,заказ\n" + "aff-1,z1\n").encode("cp1251"))
    assert _import(russian, capsys) == (
        1,
        ["inserted 0, updated 0, unchanged 0, rejected 1", "ru.csv:1: header: not UTF-8 text"],
    )
    assert _stored(database) == []


def test_random_bytes_and_a_bom_never_crash(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noise = tmp_path / "bin.csv"
    noise.write_bytes(HEADER.encode() + random.Random(10).randbytes(20_000))
    code, out = _import(noise, capsys)
    assert code == 1
    assert out[0].startswith("inserted 0, updated 0, unchanged 0, rejected ")
    assert all(line.startswith("bin.csv:") for line in out[1:])
    # a field over the csv module's limit (an unclosed quote): that line, then nothing more
    unclosed = tmp_path / "quote.csv"
    unclosed.write_text(
        HEADER + "aff-1,q1,approved,1,\n" + 'aff-1,q2,approved,1,"' + "x" * 200_000
    )
    code, out = _import(unclosed, capsys)
    assert code == 1
    assert out[0] == "inserted 1, updated 0, unchanged 0, rejected 1"
    assert out[1] == (  # the rest of the file named, not only its first line (session 21)
        "quote.csv:3: a quote opened on this line is not closed within 131,072 characters:"
        " line 3, the rest of the file, not imported (close the quote or remove it)"
    )
    # a UTF-8 file with a BOM (Excel's "CSV UTF-8") stays fine
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + "aff-2,b1,approved,5,Москва\n").encode())
    assert _import(bom, capsys) == (
        0,
        ["inserted 1, updated 0, unchanged 0, rejected 0", UNLINKED + "aff-2 (1 row)"],
    )
    assert ("b1", "aff-2") in _stored(database)


async def test_vk_otmena_at_an_onboarding_question_is_cancel_not_the_answer(
    tmp_path: Path,
) -> None:
    side = Side("vk", "Рассылки: только во ВКонтакте")
    async with side.running(tmp_path, managers_chat=True) as harness:
        vera = harness.vk_user(1015, "Вера")
        await vera.send("Начать")
        await vera.press(next(b for b in vera.last.button_labels if b.startswith("Вебмастер")))
        await vera.press("Сайт")
        await vera.press("До года")
        question = vera.last.text
        assert question.startswith("Вопрос 3 из 3")
        for word in ("отмена", "Отмена", "cancel", "/cancel"):
            replies = await vera.send(word)
            assert [m.text for m in replies] == [NOTHING], word  # not taken as the answer
        replies = await vera.send("Владельцы квартир")
        assert replies[-1].text.startswith("Присылать вам новости программы")
        partner = await harness.services.partners.by_user("vk", 1015)
        assert partner is not None
        assert partner.answers["audience"] == "Владельцы квартир"
