"""Third review of session 7 (task fixh): blank-looking characters are nothing visible in
names and content texts; `faq teach` refuses duplicate keys, reads line by line (a bad
line is that line's problem, a BOM is fine); a lone letter is no question."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import main
from bot.content.loader import ContentInvalid, load_content
from bot.names import BLANK_LOOKING, display_name, greeting_name
from bot.services import small_talk
from bot.services.faq_wordings import learnable, teach_line
from tests.harness import DEMO_CONTENT, Harness, running_bot

# --- 1. blank-looking characters are nothing visible ---

BLANKS = (
    "\u3164\u2800\u115f\u1160\uffa0\u034f\u180e"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u205f\u3000\u00a0\u00ad"
)


def test_the_blank_looking_set_holds_the_reviewed_characters() -> None:
    assert set(BLANKS) <= set(BLANK_LOOKING)


@pytest.mark.parametrize("blank", list(BLANKS))
def test_one_blank_looking_character_is_no_name(blank: str) -> None:
    assert display_name(blank) == "—"
    assert greeting_name(blank) == ""


@given(st.text(alphabet=BLANKS + " \u200b\u202e", min_size=1))
def test_blank_looking_characters_alone_are_no_name(name: str) -> None:
    assert display_name(name) == "—"
    assert greeting_name(name) == ""


@given(st.text(alphabet=BLANKS), st.text(alphabet=BLANKS))
def test_blank_looking_characters_inside_a_name_stay(left: str, right: str) -> None:
    name = f"А{left}н{right}на"
    assert display_name(name) == name
    assert greeting_name(name) == name


async def test_a_blank_looking_name_is_greeted_without_it_and_is_partner_and_code(
    harness: Harness,
) -> None:
    person = harness.user(1701, "\u2800")
    greeting = (await person.send("/start"))[0].plain
    assert greeting.startswith("Здравствуйте!"), greeting
    await person.onboard()
    partner = await harness.services.partners.by_user("tg", 1701)
    assert partner is not None
    label = f"Партнёр {partner.partner_code[-4:]}"
    assert (await person.send("/me"))[-1].plain.splitlines()[0] == label


@pytest.mark.parametrize("blank", ["\u3164", "\u2800", "\u00ad\u034f", "\u3000\u00a0"])
def test_a_content_title_of_blank_looking_characters_is_empty(tmp_path: Path, blank: str) -> None:
    root = tmp_path / "content"
    shutil.copytree(DEMO_CONTENT, root)
    path = root / "creatives.yaml"
    text = path.read_text(encoding="utf-8")
    old = 'title: "Баннер «Диваны −20%» 728×90"'
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, f'title: "{blank}"', 1), encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(root)
    assert [str(p) for p in caught.value.problems] == [
        f"creatives.yaml:{line}: title: must not be empty"
    ]


# --- 2. faq teach: duplicate keys, one-letter wordings ---


def _teach(tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    taught = tmp_path / "teach.jsonl"
    taught.write_bytes(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        code = main(["faq", "teach", str(taught), "--content", str(DEMO_CONTENT)])
        captured = capsys.readouterr()
        return code, (captured.out + captured.err).replace(str(taught), "teach.jsonl")


def _match(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        assert main(["faq", "match", text, "--content", str(DEMO_CONTENT), "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert isinstance(result, dict)
        return result


def test_teach_refuses_a_line_with_a_key_given_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = '{"id": "payout-dates", "q": "когда бабки приходят", "q": "x"}'
    code, out = _teach(tmp_path, line.encode() + b"\n", capsys)
    assert code == 1
    assert 'teach.jsonl:1: "q" given twice' in out
    assert "learned 0, already known 0, refused 1" in out
    assert _match(tmp_path, "x", capsys)["id"] is None


def test_a_teach_line_with_an_id_given_twice_is_refused() -> None:
    line = '{"id": "payout-dates", "id": "payout-dates", "q": "когда бабки приходят"}'
    assert teach_line(line, {"payout-dates"}) == '"id" given twice'


@pytest.mark.parametrize("wording", ["x", "ы", "x?", "a b c", "я ы", "!x!"])
def test_a_wording_of_one_letter_words_is_not_learnable(wording: str) -> None:
    assert not learnable(wording)


@pytest.mark.parametrize("wording", ["холд", "ип", "смз ы"])
def test_a_wording_with_a_longer_word_is_learnable(wording: str) -> None:
    assert learnable(wording)


def test_teach_refuses_a_one_letter_wording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _teach(tmp_path, b'{"id": "payout-dates", "q": "x"}\n', capsys)
    assert code == 1
    assert "teach.jsonl:1: " in out
    assert "learned 0" in out


# --- 3. faq teach reads line by line ---


def test_a_line_not_utf8_is_that_lines_problem_and_the_others_are_learned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps({"q": "скока холд", "id": "hold-period"}, ensure_ascii=False).encode()
    other = json.dumps({"q": "долго ли длится холд", "id": "hold-period"}, ensure_ascii=False)
    lines = [good] * 19 + [b'{"q": "\xff\xfe", "id": "hold-period"}', other.encode()]
    code, out = _teach(tmp_path, b"\n".join(lines) + b"\n", capsys)
    assert code == 1
    assert "teach.jsonl:20: not UTF-8 text" in out
    assert "teach.jsonl:1:" not in out
    assert "learned 2, already known 18, refused 1" in out
    assert _match(tmp_path, "скока холд", capsys)["id"] == "hold-period"


def test_a_teach_file_starting_with_a_bom_just_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = json.dumps({"q": "скока холд", "id": "hold-period"}, ensure_ascii=False)
    code, out = _teach(tmp_path, ("\ufeff" + line + "\r\n").encode(), capsys)
    assert (code, out.strip()) == (0, "learned 1, already known 0, refused 0")


# --- 4. a lone letter is no question ---

LONE_LETTERS = ("ы", "x", "ы?", "Я!", "а б", "x.")


@pytest.mark.parametrize("text", LONE_LETTERS)
def test_a_lone_letter_reads_as_no_question(text: str) -> None:
    reading = small_talk.read(text)
    assert reading is not None
    assert reading.kind == "letter"


@pytest.mark.parametrize("text", ["ок?", "ип", "1с", "怎么付款"])
def test_a_word_of_two_letters_is_not_a_lone_letter(text: str) -> None:
    reading = small_talk.read(text)
    assert reading is None or reading.kind != "letter"


async def _no_gap(harness: Harness) -> None:
    manager = harness.manager()
    await manager.send("/start")
    stats = (await manager.send("/stats"))[0].plain
    assert "без ответа 0" in stats
    assert "Чаще всего без прямого ответа" not in stats
    assert not [b for m in manager.messages[-2:] for b in m.button_labels if "🔗" in b]


async def test_a_lone_letter_gets_a_hint_and_is_never_a_gap_on_telegram(harness: Harness) -> None:
    anna = harness.user(9701, "Анна")
    await anna.onboard()
    for text in (*LONE_LETTERS, "/faq ы"):
        said = (await anna.send(text))[-1]
        assert said.plain.startswith("Это ещё не вопрос"), text
        assert "/help" in said.plain, text
        assert "Пока не знаю ответа" not in said.plain, text
    await harness.services.faq.flush()
    await _no_gap(harness)


async def test_a_lone_letter_gets_a_hint_and_is_never_a_gap_on_vk(tmp_path: Path) -> None:
    async with running_bot(tmp_path, vk=True) as harness:
        vera = harness.vk_user(201)
        await vera.onboard("Вебмастер")
        for text in LONE_LETTERS:
            said = (await vera.send(text))[-1]
            assert said.text.startswith("Это ещё не вопрос"), text
            assert "записал" not in said.text, text
        await harness.services.faq.flush()
        await _no_gap(harness)


async def test_a_lone_letter_logged_before_is_no_gap(harness: Harness) -> None:
    anna = harness.user(9701, "Анна")
    await anna.onboard()
    partner = await harness.services.partners.by_user("tg", 9701)
    assert partner is not None
    await harness.services.faq.ask(partner, "ы")  # stored by an older bot
    await harness.services.faq.ask(partner, "x?")
    await harness.services.faq.ask(partner, "есть ли доставка в казахстан")
    await harness.services.faq.flush()
    manager = harness.manager()
    await manager.send("/start")
    stats = (await manager.send("/stats"))[0].plain
    assert "1. есть ли доставка в казахстан — 1 партнёр" in stats
    assert "\n2." not in stats
    links = [b for m in manager.messages[-2:] for b in m.button_labels if "🔗" in b]
    assert len(links) == 1, links
